"""The process: what any service of this kind needs, nothing of chat in it.

- `settings`: configuration, read from the environment once;
- `logs`: log records, readable or JSON, and one-line descriptions of errors;
- `runtime`: the garbage collector tuned for many live sockets;
- `ratelimit/`: GCRA request limits, in memory or shared through Redis;
- `web`: the built web client, served at `/`.
"""
