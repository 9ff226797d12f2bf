"""What the hand-written GraphQL modules save over what their dependencies offer.

    .venv/bin/python -m tests.benchmarks.handwritten [--repeats 15]

In one process, under uvloop and the GC tuning the server runs with:

- execution (`schema`): `graph/api/execution.py`'s
  `PlainObjectsExecutionContext` against strawberry's default, graphql-core's
  general `ExecutionContext` (`StrawberryGraphQLCoreExecutionContext`), on
  `create_schema`'s own schema with only its executor swapped;
- documents (`schema`): `graph/api/documents.py`'s one `Documents` extension
  against strawberry's four, configured alike: `MaxTokensLimiter` (the same
  token limit), `AddValidationRules` with our depth and alias rules,
  `ParserCache` and `ValidationCache` (the same capacity); the executor is
  ours in both;
- limits (`limits`): `graph/api/limits.py`'s rules against strawberry's
  `QueryDepthLimiter` and `MaxAliasesLimiter` (the same limits), graphql-core's
  `validate` run with each rule set alone, no cache, on documents whose
  fragments each spread the previous one twice;
- transport (`transport`): `graph/api/transport/router.py`'s `DirectPost`
  middleware against FastAPI's routing and dependency injection: a whole HTTP
  request through `create_app`'s ASGI app, called directly, against the same
  app with `DirectPost` taken out of its middleware; the tokens are real.

The operations are the web client's `ChatMessages` (`last: 50`) and
`SendMessage`, as Apollo Client sends them (`__typename` added to each
selection), every request a cache hit after the warm-up. The resolvers run
against a stub service handing out 50 prebuilt records, so no database is
involved. Each figure is the mean of a batch; variants' batches alternate,
in an order reversed every repeat. The tables give the min and median of the
batches' wall time (`perf_counter_ns`) and, for the operations, the median of
this process's CPU time (`process_time_ns`), which other processes sharing
the machine's cores do not inflate.
"""
