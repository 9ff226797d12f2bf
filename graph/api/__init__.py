"""The GraphQL surface: what a client sends and what it gets back.

- `schema`: Query, Mutation and Subscription, composed from the features, and
  the SDL snapshot beside the package (`graph/schema.graphql`);
- one folder per feature (`accounts/`, `chats/`, `messages/`), each with its
  `types.py` (Strawberry types built from the services' records) and its
  `resolvers.py` (unpack arguments, one service call, map the result);
- `context`: the services and the caller, per request or per WebSocket;
- `transport/`: HTTP and graphql-transport-ws, each with its bounds;
- how documents are run: `documents` (parsed and validated once per text),
  `execution` (the executor's fast path), `limits` (depth and aliases),
  `masking` (what a client may learn when something fails);
- `metrics`: the operator's `/metrics`.

Nothing here opens a session, runs SQL or publishes: that is `graph.services`.
"""
