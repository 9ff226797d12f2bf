"""Bounds on how deeply an operation nests its fields and how many aliases it uses.

Strawberry's QueryDepthLimiter raises KeyError (a 500) on a spread of an
unknown fragment, which is a plain validation error; it and MaxAliasesLimiter
walk a fragment once per spread, which a document of a few hundred tokens
(each fragment spreading the previous one twice) makes exponential. These
rules skip what other rules report (unknown fragments, cycles) and measure
each fragment once, so their cost is linear in the document.

Depth does not count introspection fields (`__schema`, `__type`), so
GraphiQL works; production turns introspection off altogether. Aliases count
as many times as they would be resolved: a fragment used twice, twice.

Re-measured on 2026-12-06 by `python -m tests.benchmarks.handwritten`: a
212-token document of 20 fragments, each spreading the previous one twice,
validates in 0.61 ms with these rules against 2.45 s with strawberry's
`QueryDepthLimiter` and `MaxAliasesLimiter` (76 ms at 15 fragments: it
doubles with each), and an unknown fragment's spread makes theirs raise
`KeyError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    ValidationRule,
)


class _Measure:
    """A measure of selection sets, each fragment measured once."""

    def __init__(self, document: DocumentNode) -> None:
        self._fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self._measured: dict[str, int] = {}

    def of(self, selection_set: SelectionSetNode) -> int:
        return self.combine(self._selection(node) for node in selection_set.selections)

    def combine(self, measures: Iterable[int]) -> int:
        raise NotImplementedError

    def field(self, node: FieldNode) -> int:
        raise NotImplementedError

    def _selection(self, node: SelectionNode) -> int:
        if isinstance(node, FieldNode):
            return self.field(node)
        if isinstance(node, InlineFragmentNode):
            return self.of(node.selection_set)
        if isinstance(node, FragmentSpreadNode):
            return self._fragment(node.name.value)
        return 0

    def _fragment(self, name: str) -> int:
        if name not in self._measured:
            self._measured[name] = 0  # a cycle counts nothing (NoFragmentCycles)
            fragment = self._fragments.get(name)  # unknown: KnownFragmentNames
            if fragment is not None:
                self._measured[name] = self.of(fragment.selection_set)
        return self._measured[name]


class _Depth(_Measure):
    def combine(self, measures: Iterable[int]) -> int:
        return max(measures, default=0)

    def field(self, node: FieldNode) -> int:
        if node.name.value.startswith("__"):
            return 0
        inner = node.selection_set
        return 1 + (self.of(inner) if inner is not None else 0)


class _Aliases(_Measure):
    def combine(self, measures: Iterable[int]) -> int:
        return sum(measures)

    def field(self, node: FieldNode) -> int:
        inner = node.selection_set
        return (node.alias is not None) + (self.of(inner) if inner is not None else 0)


def depth_limit(max_depth: int) -> type[ValidationRule]:
    """A rule refusing an operation whose fields nest deeper than `max_depth`."""
    return _limit(
        _Depth,
        max_depth,
        lambda name, depth: (
            f"{name} nests fields {depth} deep; at most {max_depth} is allowed."
        ),
    )


def alias_limit(max_aliases: int) -> type[ValidationRule]:
    """A rule refusing an operation that resolves more than `max_aliases` aliases."""
    return _limit(
        _Aliases,
        max_aliases,
        lambda name, aliases: (
            f"{name} uses {aliases} aliases; at most {max_aliases} are allowed."
        ),
    )


def _limit(
    measure: type[_Measure], limit: int, refusal: Callable[[str, int], str]
) -> type[ValidationRule]:
    class Limit(ValidationRule):
        def enter_operation_definition(
            self, node: OperationDefinitionNode, *_args: Any
        ) -> None:
            value = measure(self.context.document).of(node.selection_set)
            if value > limit:
                self.report_error(GraphQLError(refusal(_name(node), value), node))

    return Limit


def _name(node: OperationDefinitionNode) -> str:
    return f"Operation {node.name.value}" if node.name else "The operation"
