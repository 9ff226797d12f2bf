"""A subscription over graphql-transport-ws, run with no more state than it needs.

Strawberry runs every operation of a socket through `Schema.stream`: an
extensions runner, one instance of each schema extension, an exit stack, its
execution context and a generator, and graphql-core's response stream around
the source; a live subscription holds all of it for as long as it runs
(5.6 KiB of each subscription, 2026-12-06; README, "Connections at
scale"). A subscription whose document is already parsed and validated (the
document cache, `graph.api.documents`: after the first use of each text) is
run here instead: its source stream, and per event the selection executed
against the event (graphql-core's `execute_subscription_event`, on an
executor built for the event). Between events it holds its source and its
operation, nothing else. What the extensions do for a stream is done here too:
errors are logged (`SentichatSchema.process_errors`) and given their codes
(`ErrorCodes.process`). Anything else (a query or mutation over the socket, a
document seen for the first time, variables that do not coerce) takes
strawberry's path.
"""

from __future__ import annotations

from collections.abc import AsyncIterable
from inspect import isawaitable
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    OperationType,
    create_source_event_stream,
    execute_subscription_event,
    get_operation_ast,
)
from graphql import (
    ExecutionResult as CoreResult,
)
from graphql.execution import Executor
from graphql.pyutils import AwaitableOrValue
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import Operation
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType as StrawberryOperationType

from graph.api.context import Context
from graph.api.execution import PlainObjectsExecutionContext
from graph.api.masking import SentichatSchema


class Plan:
    """A subscription ready to run: its document, and the executor that
    starts its source (dropped once it has: see `run`)."""

    __slots__ = ("document", "executor")

    def __init__(self, document: DocumentNode, executor: Executor[Any]) -> None:
        self.document = document
        self.executor: Executor[Any] | None = executor


def plan(
    schema: SentichatSchema, context: Context, operation: Operation[Context, None]
) -> Plan | None:
    """The plan of `operation`, if it is a subscription this module can run."""
    documents = schema.documents
    prepared = None if documents is None else documents.get(operation.query)
    if prepared is None or prepared.errors is None or prepared.errors:
        return None  # not validated yet, or refused: strawberry says why
    definition = get_operation_ast(prepared.document, operation.operation_name)
    if definition is None or definition.operation is not OperationType.SUBSCRIPTION:
        return None
    executor = PlainObjectsExecutionContext.build(
        schema._schema,
        prepared.document,
        None,
        context,
        operation.variables,
        operation.operation_name,
    )
    if isinstance(executor, list):
        return None  # variables that do not coerce: strawberry reports them
    # The cache's copy of the text, not this message's: a client's document
    # is often a kilobyte or more, held by each of its subscriptions.
    operation.query = prepared.text
    return Plan(prepared.document, executor)


async def run(
    schema: SentichatSchema, operation: Operation[Context, None], planned: Plan
) -> None:
    """Stream the subscription's events as `next` messages, then `complete`;
    a refusal before the first event is its `error` message."""
    executor, planned.executor = planned.executor, None
    assert executor is not None, "a plan runs once"
    source: Any = create_source_event_stream(executor)
    if executor.is_awaitable(source):
        source = await source
    if isinstance(source, CoreResult):
        result = _reported(schema, operation, planned, source)
        await operation.send_initial_errors(result.errors or [])
        return
    stream: AsyncIterable[Any] = source
    # An executor for each event, built from the document, not kept between
    # events: the one that started the source, with its memo of plans, was
    # 3.6 KiB of each subscription's 11; building one takes 14 µs, against 3
    # to derive it (2026-12-06).
    del executor
    try:
        async for event in stream:
            outcome: Any = _execute(schema, operation, planned.document, event)
            if isawaitable(outcome):
                outcome = await outcome
            await operation.send_next(_reported(schema, operation, planned, outcome))
    except Exception as exc:  # noqa: BLE001 (the stream's end, as strawberry reports it)
        error = (
            exc
            if isinstance(exc, GraphQLError)
            else GraphQLError(str(exc), original_error=exc)
        )
        failed = CoreResult(None, [error])
        await operation.send_next(_reported(schema, operation, planned, failed))
    finally:
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()
    await operation.send_operation_message({"id": operation.id, "type": "complete"})


def _execute(
    schema: SentichatSchema,
    operation: Operation[Context, None],
    document: DocumentNode,
    event: object,
) -> AwaitableOrValue[CoreResult]:
    """The selection, executed with the event as its root value."""
    executor = PlainObjectsExecutionContext.build(
        schema._schema,
        document,
        event,
        operation.handler.context,
        operation.variables,
        operation.operation_name,
    )
    if isinstance(executor, list):  # coerced once already: not seen
        return CoreResult(None, executor)
    return execute_subscription_event(executor)


def _reported(
    schema: SentichatSchema,
    operation: Operation[Context, None],
    planned: Plan,
    outcome: CoreResult,
) -> ExecutionResult:
    return schema.reported(
        outcome,
        query=operation.query,
        document=planned.document,
        context=operation.handler.context,
        variables=operation.variables,
        operation_name=operation.operation_name,
        allowed=(StrawberryOperationType.SUBSCRIPTION,),
    )
