"""The domain model: what every layer above speaks, with no I/O of its own.

- `records`: the immutable users, chats and messages services hand out;
- `errors`: the expected refusals, each with the `extensions.code` clients see;
- `sentiment`: a text's scores and the label and emoji readers see (the only
  importer of TextBlob).
"""
