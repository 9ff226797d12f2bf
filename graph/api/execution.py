"""Plain objects completed in one pass: the executor's fast path for hot types.

graphql-core completes every field of every object through the same general
machinery: resolve info, resolver call, awaitable checks, completion by type.
For a message that is 17 fields, and a page of history is 50 messages, so
most of a `messages` query went there (see the README's performance
section). Yet most fields are plain attributes of an immutable object
(strawberry's "basic" fields: no resolver, no arguments, no extensions).

`PlainObjectsExecutionContext` completes a selection made only of such fields
(scalars, enums, `__typename`, and objects, or lists of non-null objects,
whose own selections qualify) by
reading the attributes and coercing the leaves directly, with a plan built
once per selection: shared by every operation of a cached document, or once
per operation where a directive (`@skip`, `@include`) makes the selection
depend on the variables. Anything else (a resolver, a list of scalars, an
abstract type, `@defer`, a field middleware) and anything unusual at run
time (a null where the schema says non-null, a leaf that does not coerce)
goes through graphql-core's own path, which also reports the error as
before. The output is the same either way; tests/graph/test_execution.py
compares the two.

Why by hand, re-measured on 2026-12-06 by `python -m tests.benchmarks.handwritten`
(2 cores, Python 3.11, strawberry 0.341.2, graphql-core 3.3.2, uvloop, services
stubbed): the web client's `messages(last: 50)` takes 512 µs a `schema.execute`
with this context against 3,996 µs with graphql-core's own (7.8x), and a
`sendMessage` 117 against 249 µs (2.1x).
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping, Sequence
from enum import EnumMeta
from typing import Any, NamedTuple

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLResolveInfoHelpers,
    GraphQLScalarType,
    GraphQLString,
    Undefined,
)
from graphql.execution.collect_fields import FieldDetails
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

TYPENAME_FIELD = "__typename"


LEAF, TEXT, NAMED, OBJECT, TYPENAME, LIST = 0, 1, 2, 3, 4, 5
# Scalars whose output coercion returns a `str` value unchanged.
TEXT_SCALARS = frozenset({GraphQLString, GraphQLID})


class _Step(NamedTuple):
    """One response key: how to fill it from the source object."""

    key: str
    attribute: str
    kind: int  # LEAF, TEXT, NAMED, OBJECT, TYPENAME or LIST
    # LEAF, TEXT: the type's output coercion (TEXT: a str needs none);
    # NAMED: the coercion and a dict of an enum's members to their names;
    # OBJECT: the sub-plan; TYPENAME: the name; LIST (of non-null plain
    # objects): the items' plan.
    how: Any
    non_null: bool


_Plan = tuple[_Step, ...]


class _SharedPlan(NamedTuple):
    nodes: tuple[FieldNode, ...]
    per_operation: bool  # a directive: planned for each operation instead
    plan: _Plan | None


# Plans by return type and field nodes, shared by operations. Bounded: the
# document cache holds at most a few hundred documents, each a few plans.
SHARED_PLANS_CAPACITY = 4096
_SHARED_PLANS: dict[tuple[Any, ...], _SharedPlan] = {}


def _directive_free(nodes: Sequence[FieldNode], fragments: Mapping[str, Any]) -> bool:
    """Whether no directive appears in these fields' selections, fragments
    included: then what they select does not depend on the variables."""
    seen: set[str] = set()
    pending: list[Any] = list(nodes)
    while pending:
        node = pending.pop()
        if node.directives:
            return False
        if isinstance(node, FragmentSpreadNode):
            name = node.name.value
            if name in seen:
                continue
            seen.add(name)
            fragment = fragments.get(name)
            if fragment is None or fragment.variable_signatures:
                return False  # unknown, or taking arguments
            definition = fragment.definition
            if definition.directives:
                return False
            pending.extend(definition.selection_set.selections)
            continue
        selection_set = node.selection_set
        if selection_set is not None:
            pending.extend(selection_set.selections)
    return True


class _Fallback(Exception):
    """This value needs graphql-core's general path."""


_FALLBACK = _Fallback()


class PlainObjectsExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # graphql-core's helpers are bound methods of the executor, held by
        # the executor: a cycle that made every operation's whole state (its
        # plans, collected fields, the request and its context) garbage only
        # the cyclic collector could free, ~150 objects a request.
        self.async_helpers = _helpers_of(self)
        # Per (type, grouped field set): its plan, or None when it is not plain.
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[Any, _Plan | None]] = {}
        # strawberry passes a manager always; it is empty unless an extension
        # implements `resolve`, which must then see every field.
        manager = self.middleware_manager
        self._middleware = manager is not None and bool(manager.middlewares)

    def collect_and_execute_subfields(
        self,
        return_type: GraphQLObjectType,
        field_details_list: list[FieldDetails],
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        # Every object's subfields come through here (graphql-core's
        # `complete_object_value`); a shared plan skips even collecting them.
        if not self._middleware:
            plan = self._selection_plan(return_type, field_details_list)
            if plan is not None:
                try:
                    return _complete(plan, result)
                except _Fallback:
                    pass
        return super().collect_and_execute_subfields(
            return_type, field_details_list, path, result, position_context
        )

    def complete_list_value(
        self,
        return_type: GraphQLList[Any],
        field_details_list: list[FieldDetails],
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        # A list of plain objects (a page of messages) in one pass, without
        # graphql-core's per-item path, awaitable checks and completion calls.
        if isinstance(result, list) and not self._middleware:
            plan = self._list_plan(return_type, field_details_list, path)
            if plan is not None:
                try:
                    return [_complete(plan, item) for item in result]
                except _Fallback:
                    pass
        return super().complete_list_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def _list_plan(
        self,
        return_type: GraphQLList[Any],
        field_details_list: list[FieldDetails],
        path: Path,
    ) -> _Plan | None:
        item_type = return_type.of_type
        if not isinstance(item_type, GraphQLNonNull):
            return None  # a null item is the general path's to complete
        item_type = item_type.of_type
        if not isinstance(item_type, GraphQLObjectType) or item_type.is_type_of:
            return None
        if self.get_stream_usage(field_details_list, path) is not None:
            return None
        return self._selection_plan(item_type, field_details_list)

    def _selection_plan(
        self, return_type: GraphQLObjectType, field_details_list: list[FieldDetails]
    ) -> _Plan | None:
        """The plan of these fields' selections on `return_type`.

        Shared by every operation of the same document (the document cache
        keeps its nodes, the same objects, from request to request) unless a
        directive in the selections may make it depend on the variables.
        """
        if any(
            details.defer_usage is not None
            or details.fragment_variable_values is not None
            for details in field_details_list
        ):
            return None
        nodes = tuple(details.node for details in field_details_list)
        key = (return_type, *map(id, nodes))
        shared = _SHARED_PLANS.get(key)
        if shared is None:
            per_operation = not _directive_free(nodes, self.fragments)
            plan = (
                None
                if per_operation
                else self._collected_plan(return_type, field_details_list)
            )
            # The nodes are held, so that their ids are not reused meanwhile.
            shared = _SharedPlan(nodes, per_operation, plan)
            if len(_SHARED_PLANS) >= SHARED_PLANS_CAPACITY:
                del _SHARED_PLANS[next(iter(_SHARED_PLANS))]  # the oldest
            _SHARED_PLANS[key] = shared
        if shared.per_operation:
            return self._collected_plan(return_type, field_details_list)
        return shared.plan

    def _collected_plan(
        self, return_type: GraphQLObjectType, field_details_list: list[FieldDetails]
    ) -> _Plan | None:
        grouped, defer_usages, *_ = self.collect_subfields(
            return_type, field_details_list
        )
        return None if defer_usages else self._plan(return_type, grouped)

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
            if name == TYPENAME_FIELD:
                steps.append(_Step(key, "", TYPENAME, parent_type.name, True))
                continue
            field = parent_type.fields.get(name)
            if field is None or field.args or node.arguments:
                return None
            definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            # Basic: no resolver and no extensions (permission classes are
            # extensions); `_is_default`: strawberry resolves it by attribute
            # alone (no exception handlers either).
            if not (
                isinstance(definition, StrawberryField)
                and definition.is_basic_field
                and getattr(field.resolve, "_is_default", False)
            ):
                return None
            attribute = definition.python_name
            field_type = field.type
            non_null = isinstance(field_type, GraphQLNonNull)
            if non_null:
                field_type = field_type.of_type
            if isinstance(field_type, GraphQLScalarType | GraphQLEnumType):
                steps.append(_leaf(key, attribute, field_type, non_null))
            elif (
                isinstance(field_type, GraphQLObjectType) and not field_type.is_type_of
            ):
                grouped, defer_usages, *_ = self.collect_subfields(
                    field_type, field_details_list
                )
                plan = None if defer_usages else self._plan(field_type, grouped)
                if plan is None:
                    return None
                steps.append(_Step(key, attribute, OBJECT, plan, non_null))
            elif isinstance(field_type, GraphQLList):
                plan = self._items_plan(field_type, field_details_list)
                if plan is None:
                    return None
                steps.append(_Step(key, attribute, LIST, plan, non_null))
            else:
                return None
        return tuple(steps)

    def _items_plan(
        self, list_type: GraphQLList[Any], field_details_list: list[FieldDetails]
    ) -> _Plan | None:
        """The plan of a list's items, if they are non-null plain objects: a
        message's reactions and reasons, a mood point's members. Without it
        a whole page of messages took graphql-core's path for its reactions
        (moodHistory of 30 runs: 3.1 ms of GraphQL a request)."""
        item_type = list_type.of_type
        if not isinstance(item_type, GraphQLNonNull):
            return None
        item_type = item_type.of_type
        if not isinstance(item_type, GraphQLObjectType) or item_type.is_type_of:
            return None
        grouped, defer_usages, *_ = self.collect_subfields(
            item_type, field_details_list
        )
        return None if defer_usages else self._plan(item_type, grouped)


class _WeakHelpers:
    """The executor's async helpers, holding it weakly (and in few bytes: a
    subscription keeps its executor as long as it stays open)."""

    __slots__ = ("_executor",)

    def __init__(self, executor: Any) -> None:
        self._executor = weakref.ref(executor)

    def gather(self, values: Any) -> Any:
        return self._alive().gather_async_work(values)

    def track(self, values: Any) -> None:
        self._alive().track_async_work(values)

    def _alive(self) -> Any:
        executor = self._executor()
        if executor is None:
            raise RuntimeError("the operation has finished executing")
        return executor


def _helpers_of(executor: Any) -> GraphQLResolveInfoHelpers:
    helpers = _WeakHelpers(executor)
    return GraphQLResolveInfoHelpers(gather=helpers.gather, track=helpers.track)


def _leaf(
    key: str,
    attribute: str,
    field_type: GraphQLScalarType | GraphQLEnumType,
    non_null: bool,
) -> _Step:
    coerce = field_type.coerce_output_value
    if field_type in TEXT_SCALARS:
        return _Step(key, attribute, TEXT, coerce, non_null)
    members = getattr(field_type, "wrapped_cls", None)  # strawberry's enums
    if isinstance(field_type, GraphQLEnumType) and isinstance(members, EnumMeta):
        # strawberry's coercion searches the values for each member it is given.
        names: dict[Any, str] = {}
        for name, value in field_type.values.items():
            try:
                names[members(value.value)] = name
            except ValueError:
                return _Step(key, attribute, LEAF, coerce, non_null)
        return _Step(key, attribute, NAMED, (coerce, names, members), non_null)
    return _Step(key, attribute, LEAF, coerce, non_null)


def _complete(plan: _Plan, source: Any) -> dict[str, Any]:
    completed: dict[str, Any] = {}
    for key, attribute, kind, how, non_null in plan:
        if kind == TYPENAME:
            completed[key] = how
            continue
        try:
            value = getattr(source, attribute)
        except Exception:  # noqa: BLE001 -- graphql-core reports it, at its path
            raise _FALLBACK from None
        if value is None:
            if non_null:
                raise _FALLBACK  # graphql-core reports the null
            completed[key] = None
        elif kind == TEXT and type(value) is str:
            completed[key] = value
        elif kind == NAMED and type(value) is how[2] and value in how[1]:
            completed[key] = how[1][value]
        elif kind <= NAMED:
            coerce = how[0] if kind == NAMED else how
            try:
                coerced = coerce(value)
            except Exception:  # noqa: BLE001 -- graphql-core reports it
                raise _FALLBACK from None
            if coerced is None or coerced is Undefined:
                raise _FALLBACK
            completed[key] = coerced
        elif kind == LIST:
            if type(value) is not list:
                raise _FALLBACK
            completed[key] = [_complete(how, item) for item in value]
        else:
            completed[key] = _complete(how, value)
    return completed
