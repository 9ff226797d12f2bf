"""Error codes and masking: what a client may learn when something fails.

- a refusal (`SentichatError`) keeps its message and `extensions.code`;
- an invalid request (syntax, validation, variable coercion) is
  BAD_USER_INPUT with graphql-core's description of the request;
- an unreachable database is SERVICE_UNAVAILABLE with `retryAfter`, logged
  as one warning line (an outage is not a bug);
- anything else is a fault: logged with its traceback, and masked as
  INTERNAL_SERVER_ERROR, so no exception or driver text reaches a client.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from graphql import DocumentNode, GraphQLError
from graphql import ExecutionResult as CoreResult
from strawberry.exceptions import MissingQueryError
from strawberry.extensions import SchemaExtension
from strawberry.schema import Schema
from strawberry.schema.exceptions import (
    CannotGetOperationTypeError,
    InvalidOperationTypeError,
)
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from db.errors import is_unavailable
from graph.api.documents import DocumentCache
from graph.domain.errors import SentichatError, ServiceUnavailable
from graph.platform.logs import describe

# The log of refusals and faults keeps its name across moves: operators
# filter on it.
logger = logging.getLogger("graph.errors")

INTERNAL = "INTERNAL_SERVER_ERROR"
INTERNAL_MESSAGE = "Internal server error."


# Strawberry's own refusals of a request (no operation of that name, an
# operation type the transport does not allow), reported through GraphQL
# errors when they reach it over a WebSocket.
REQUEST_ERRORS = (
    CannotGetOperationTypeError,
    InvalidOperationTypeError,
    MissingQueryError,
)


def is_request_error(error: GraphQLError) -> bool:
    """An error in the request itself, found before any resolver ran."""
    if error.path is not None:
        return False
    if isinstance(error.original_error, REQUEST_ERRORS):
        return True
    return error.original_error is None or bool(error.locations)


def is_outage(error: GraphQLError) -> bool:
    return not isinstance(error.original_error, SentichatError) and is_unavailable(
        error.original_error
    )


def is_fault(error: GraphQLError) -> bool:
    if isinstance(error.original_error, SentichatError) or is_outage(error):
        return False
    if (error.extensions or {}).get("code") == INTERNAL:
        return False  # masked already
    return not is_request_error(error)


def public_error(error: GraphQLError) -> GraphQLError:
    extensions = error.extensions or {}
    if isinstance(error.original_error, SentichatError) or "code" in extensions:
        return error
    if is_outage(error):
        outage = ServiceUnavailable()
        return GraphQLError(
            outage.message,
            nodes=error.nodes,
            path=error.path,
            extensions=outage.extensions,
        )
    if is_fault(error):
        return GraphQLError(
            INTERNAL_MESSAGE,
            nodes=error.nodes,
            path=error.path,
            extensions={"code": INTERNAL},
        )
    error.extensions = {**extensions, "code": "BAD_USER_INPUT"}
    return error


class ErrorCodes(SchemaExtension):
    """Gives every error a code and masks faults, for results and stream events."""

    def on_operation(self) -> Iterator[None]:
        yield
        self.process(self.execution_context.result)

    def on_stream_result(self, result: object) -> Iterator[None]:
        self.process(result)
        yield

    @staticmethod
    def process(result: object) -> None:
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = [public_error(error) for error in errors]  # type: ignore[attr-defined]


class SentichatSchema(Schema):
    """Logs faults with their traceback and refusals as one quiet line.

    A subscription only runs as a stream (graphql-transport-ws): `execute`,
    which serves plain HTTP, refuses it instead of resolving its generator as
    a field.
    """

    # The documents the `Documents` extension parsed and validated; set by
    # `create_schema`, read by `graph.api.transport.streams`.
    documents: DocumentCache | None = None

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        allowed = set(allowed_operation_types or DEFAULT_ALLOWED_OPERATION_TYPES)
        result = await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed - {OperationType.SUBSCRIPTION},
            operation_extensions,
        )
        # Some refusals (a syntax error, for one) are built after the
        # extensions' on_operation has finished, so ErrorCodes never saw them.
        ErrorCodes.process(result)
        return result

    def reported(
        self,
        outcome: CoreResult,
        *,
        query: str | None,
        document: DocumentNode,
        context: object,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        allowed: tuple[OperationType, ...],
    ) -> ExecutionResult:
        """graphql-core's `outcome` of an operation run outside `execute` and
        `stream` (`graph.api.transport`), as their extensions would have left
        it: its errors logged (`process_errors`) and given their codes."""
        result = ExecutionResult(data=outcome.data, errors=outcome.errors)
        if result.errors:
            execution_context = ExecutionContext(
                query=query,
                schema=self,
                allowed_operations=allowed,
                context=context,
                variables=variables,
                provided_operation_name=operation_name,
                graphql_document=document,
            )
            self.process_errors(result.errors, execution_context)
            ErrorCodes.process(result)
        return result

    def process_errors(
        self,
        errors: list[GraphQLError],
        execution_context: ExecutionContext | None = None,
    ) -> None:
        for error in errors:
            if is_fault(error):
                logger.error(
                    "unexpected error in %s",
                    _operation_name(execution_context),
                    exc_info=error.original_error or error,
                )
            elif is_outage(error):
                logger.warning(
                    "database unavailable in %s: %s",
                    _operation_name(execution_context),
                    describe(error.original_error),
                )
            else:
                # %r: the message may quote the client's own text, newlines and all.
                code = (error.extensions or {}).get("code", "BAD_USER_INPUT")
                logger.info("refused %s: %r", code, error.message)


def _operation_name(execution_context: ExecutionContext | None) -> str:
    if execution_context is None:
        return "an operation"
    return execution_context.operation_name or "an anonymous operation"
