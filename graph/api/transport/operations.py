"""A query or mutation over HTTP, run with no more machinery than it needs.

Strawberry runs every HTTP request through its view (a request adapter, the
body parsed into `GraphQLRequestData`, allowed-method and IDE checks) and
`Schema.execute` (an execution context, one instance of each schema
extension, its runner and hooks, a middleware manager). A request whose
document is already parsed and validated (the document cache,
`graph.api.documents`: after the first use of each text) is run here
instead: graphql-core's `execute` on the schema's executor, then what the
extensions would have done to the result (errors logged by
`SentichatSchema.process_errors` and given their codes by
`ErrorCodes.process`). Anything else (a document seen for the first time or
refused, a subscription, an operation name that matches nothing, a body
strawberry would refuse) takes strawberry's path, which also words the
refusal as before.

Why by hand, measured on 2026-12-06 by `python -m tests.benchmarks.handwritten`
(the table "known documents": the whole ASGI app behind `DirectPost`,
services stubbed): a `sendMessage` takes 121 µs of CPU here against 218
through strawberry's view, a `messages(last: 50)` 697 against 816.
"""

from __future__ import annotations

from typing import Any

from graphql import OperationType, execute, get_operation_ast
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType as StrawberryOperationType

from graph.api.context import Context
from graph.api.execution import PlainObjectsExecutionContext
from graph.api.masking import SentichatSchema

# Over HTTP POST (the only method that reaches here): as `SentichatSchema`
# allows them.
_ALLOWED = (StrawberryOperationType.QUERY, StrawberryOperationType.MUTATION)
# strawberry's test for awaitables (cheaper than inspect's), as it passes it;
# typed as a plain predicate there, a TypeGuard in graphql-core.
_IS_AWAITABLE: Any = optimized_is_awaitable


async def run(
    schema: SentichatSchema, context: Context, body: dict[str, Any]
) -> ExecutionResult | None:
    """The result of the request `body` (a JSON object), or None when it is
    not one this module runs: strawberry's path then answers it."""
    query = body.get("query")
    variables = body.get("variables")
    name = body.get("operationName")
    if (
        not isinstance(query, str)
        or not (variables is None or isinstance(variables, dict))
        or not (name is None or isinstance(name, str))
    ):
        return None
    documents = schema.documents
    prepared = None if documents is None else documents.get(query)
    if prepared is None or prepared.errors is None or prepared.errors:
        return None  # not validated yet, or refused: strawberry says why
    definition = get_operation_ast(prepared.document, name)
    if definition is None or definition.operation is OperationType.SUBSCRIPTION:
        return None
    outcome: Any = execute(
        schema._schema,
        prepared.document,
        None,
        context,
        variables,
        name,
        executor_class=PlainObjectsExecutionContext,
        is_awaitable=_IS_AWAITABLE,
    )
    if _IS_AWAITABLE(outcome):
        outcome = await outcome
    return schema.reported(
        outcome,
        query=prepared.text,
        document=prepared.document,
        context=context,
        variables=variables,
        operation_name=name,
        allowed=_ALLOWED,
    )
