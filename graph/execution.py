"""Plain objects completed in one pass: the executor's fast path for hot types.

graphql-core completes every field of every object through the same general
machinery: resolve info, resolver call, awaitable checks, completion by type.
For a message that is 17 fields, and a page of history is 50 messages, so
most of a `messages` query went there (see the README's performance
section). Yet most fields are plain attributes of an immutable object
(strawberry's "basic" fields: no resolver, no arguments, no extensions).

`PlainObjectsExecutionContext` completes a selection made only of such fields
(scalars, enums, `__typename`, and objects whose own selections qualify) by
reading the attributes and coercing the leaves directly, with a plan built
once per selection and operation. Anything else (a resolver, a list, an
abstract type, `@defer`, a field middleware) and anything unusual at run
time (a null where the schema says non-null, a leaf that does not coerce)
goes through graphql-core's own path, which also reports the error as
before. The output is the same either way; tests/graph/test_execution.py
compares the two.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    Undefined,
)
from graphql.execution.collect_fields import FieldDetails
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

TYPENAME = "__typename"


@dataclass(frozen=True, slots=True)
class _Leaf:
    key: str
    attribute: str
    type: GraphQLScalarType | GraphQLEnumType
    non_null: bool


@dataclass(frozen=True, slots=True)
class _Object:
    key: str
    attribute: str
    non_null: bool
    plan: _Plan


@dataclass(frozen=True, slots=True)
class _Typename:
    key: str
    name: str


_Step = _Leaf | _Object | _Typename
_Plan = tuple[_Step, ...]


class _Fallback(Exception):
    """This value needs graphql-core's general path."""


_FALLBACK = _Fallback()


class PlainObjectsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per (type, grouped field set): its plan, or None when it is not plain.
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[Any, _Plan | None]] = {}
        # strawberry passes a manager always; it is empty unless an extension
        # implements `resolve`, which must then see every field.
        manager = self.middleware_manager
        self._middleware = manager is not None and bool(manager.middlewares)

    def execute_collected_subfields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Any,
        grouped_field_set: dict[str, list[FieldDetails]],
        new_defer_usages: Sequence[Any],
        position_context: Any,
    ) -> Any:
        if not new_defer_usages and not self._middleware:
            plan = self._plan(parent_type, grouped_field_set)
            if plan is not None:
                try:
                    return _complete(plan, source_value)
                except _Fallback:
                    pass
        return super().execute_collected_subfields(
            parent_type,
            source_value,
            path,
            grouped_field_set,
            new_defer_usages,
            position_context,
        )

    def _plan(
        self,
        parent_type: GraphQLObjectType,
        grouped_field_set: dict[str, list[FieldDetails]],
    ) -> _Plan | None:
        # graphql-core memoises collected fields by identity within an
        # operation; holding the field set keeps its id from being reused.
        key = (parent_type, id(grouped_field_set))
        cached = self._plans.get(key)
        if cached is None:
            cached = (grouped_field_set, self._build(parent_type, grouped_field_set))
            self._plans[key] = cached
        return cached[1]

    def _build(
        self,
        parent_type: GraphQLObjectType,
        grouped_field_set: dict[str, list[FieldDetails]],
    ) -> _Plan | None:
        steps: list[_Step] = []
        for key, field_details_list in grouped_field_set.items():
            node = field_details_list[0].node
            name = node.name.value
            if name == TYPENAME:
                steps.append(_Typename(key, parent_type.name))
                continue
            field = parent_type.fields.get(name)
            if (
                field is None
                or field.args
                or node.arguments
                or not getattr(field.resolve, "_is_default", False)
            ):
                return None
            definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            attribute = getattr(definition, "python_name", None)
            if not isinstance(attribute, str):
                return None
            field_type = field.type
            non_null = isinstance(field_type, GraphQLNonNull)
            if non_null:
                field_type = field_type.of_type
            if isinstance(field_type, GraphQLScalarType | GraphQLEnumType):
                steps.append(_Leaf(key, attribute, field_type, non_null))
            elif (
                isinstance(field_type, GraphQLObjectType) and not field_type.is_type_of
            ):
                grouped, defer_usages, *_ = self.collect_subfields(
                    field_type, field_details_list
                )
                plan = None if defer_usages else self._plan(field_type, grouped)
                if plan is None:
                    return None
                steps.append(_Object(key, attribute, non_null, plan))
            else:
                return None
        return tuple(steps)


def _complete(plan: _Plan, source: Any) -> dict[str, Any]:
    completed: dict[str, Any] = {}
    for step in plan:
        if isinstance(step, _Typename):
            completed[step.key] = step.name
            continue
        value = getattr(source, step.attribute)
        if value is None:
            if step.non_null:
                raise _FALLBACK  # graphql-core reports the null
            completed[step.key] = None
        elif isinstance(step, _Leaf):
            try:
                coerced = step.type.coerce_output_value(value)
            except Exception:  # noqa: BLE001 -- graphql-core reports it
                raise _FALLBACK from None
            if coerced is None or coerced is Undefined:
                raise _FALLBACK
            completed[step.key] = coerced
        else:
            completed[step.key] = _complete(step.plan, value)
    return completed
