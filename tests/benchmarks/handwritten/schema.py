"""execution and documents: `schema.execute`, one module of ours swapped out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from graphql import ASTValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    ValidationCache,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graph.api.limits import alias_limit, depth_limit
from graph.api.masking import ErrorCodes, SentichatSchema
from graph.api.schema import DOCUMENT_CACHE_SIZE, create_schema
from tests.benchmarks.handwritten.operations import SETTINGS, Operation, StubContext
from tests.benchmarks.handwritten.timing import Run, versus


def served(
    executor: type[Any] | None = None,
    extensions: Sequence[Callable[[], Any]] | None = None,
) -> SentichatSchema:
    """`create_schema`'s schema, with its executor or its extensions swapped:
    strawberry reads both on each request, and all else stays as served."""
    schema = create_schema(SETTINGS)
    if executor is not None:
        schema.execution_context_class = executor
    if extensions is not None:
        schema.extensions = tuple(extensions)
    return schema


def our_rules() -> list[type[ASTValidationRule]]:
    return [
        alias_limit(SETTINGS.query_max_aliases),
        depth_limit(SETTINGS.query_max_depth),
    ]


def strawberry_documents() -> list[Callable[[], Any]]:
    """strawberry's four extensions, as create_schema's `Documents` is set up."""
    rules = our_rules()  # made once, as create_schema does: the cache key
    return [
        ErrorCodes,
        partial(MaxTokensLimiter, SETTINGS.query_max_tokens),
        partial(AddValidationRules, rules),
        partial(ParserCache, DOCUMENT_CACHE_SIZE),
        partial(ValidationCache, DOCUMENT_CACHE_SIZE),
    ]


def request(schema: SentichatSchema, operation: Operation, context: Any) -> Run:
    async def run() -> Any:
        result = await schema.execute(
            operation.query,
            variable_values=operation.variables,
            context_value=context,
            operation_name=operation.name,
        )
        if result.errors:
            raise AssertionError(f"{operation.label}: {result.errors}")
        return result.data

    return run


async def execution(repeats: int) -> None:
    ours, general = served(), served(executor=StrawberryGraphQLCoreExecutionContext)
    await _versus(
        "execution: µs per operation (whole `schema.execute`, document cached)",
        ("PlainObjectsExecutionContext", ours),
        ("graphql-core ExecutionContext", general),
        repeats,
    )


async def documents(repeats: int) -> None:
    ours, theirs = served(), served(extensions=strawberry_documents())
    await _versus(
        "documents: µs per request (whole `schema.execute`, every request a hit)",
        ("Documents (1 extension)", ours),
        ("strawberry's 4 extensions", theirs),
        repeats,
    )


async def _versus(
    title: str,
    ours: tuple[str, SentichatSchema],
    theirs: tuple[str, SentichatSchema],
    repeats: int,
) -> None:
    def runs(operation: Operation) -> tuple[Run, Run]:
        context = StubContext()  # one an operation, both variants' alike
        return (
            request(ours[1], operation, context),
            request(theirs[1], operation, context),
        )

    await versus(title, (ours[0], theirs[0]), runs, repeats)
