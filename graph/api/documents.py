"""Documents parsed and validated once per distinct text, in one extension.

Clients send the same few operations over and over. strawberry's own
extensions for this (MaxTokensLimiter, AddValidationRules, ParserCache,
ValidationCache) were four instances and four sets of hooks per request,
and ValidationCache keys its cache by the parsed document, whose hash walks
the whole syntax tree on every request. Here one bounded LRU maps a query's
text to its document and its validation errors, for the schema's rules and
token limit, and one extension per request reads it.

A document that does not parse is not cached: strawberry parses it again,
under the same token limit, and reports the syntax error as the request's.

Why by hand, re-measured on 2026-12-06 by `python -m tests.benchmarks.handwritten`:
on a cache hit, with the same token limit, rules and capacity, a `sendMessage`
takes 112 µs with this one extension against 153 µs with strawberry's four
(about 40 µs a request; the 50-message history 488 against 537 µs).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from graphql import ASTValidationRule, DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document


@dataclass(frozen=True, slots=True)
class Prepared:
    document: DocumentNode
    errors: list[GraphQLError] | None  # None until validated
    text: str  # the query text, one object for every request that sent it


Rules = tuple[type[ASTValidationRule], ...]


class DocumentCache:
    """Query text -> parsed document and validation errors, at most `maxsize`."""

    def __init__(
        self,
        *,
        max_tokens: int,
        rules: Sequence[type[ASTValidationRule]],
        maxsize: int,
    ) -> None:
        self.max_tokens = max_tokens
        self.rules = tuple(rules)
        # The last (strawberry's rules, those + ours): the same few tuples
        # every request, and a subscription keeps its context (and these)
        # for as long as it runs.
        self._joined: tuple[Rules, Rules] = ((), self.rules)
        self._maxsize = maxsize
        self._entries: OrderedDict[str, Prepared] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def rules_after(self, first: Rules) -> Rules:
        """`first`, then this cache's rules: one tuple for equal `first`s."""
        before, joined = self._joined
        if first != before:
            joined = first + self.rules
            self._joined = (first, joined)
        return joined

    def get(self, query: str) -> Prepared | None:
        prepared = self._entries.get(query)
        if prepared is not None:
            self._entries.move_to_end(query)
        return prepared

    def put(self, query: str, prepared: Prepared) -> None:
        self._entries[query] = prepared
        self._entries.move_to_end(query)
        while len(self._entries) > self._maxsize:
            self._entries.popitem(last=False)


class Documents(SchemaExtension):
    """The request's document and validation from the cache, or made and cached.

    Pass it as a factory bound to one cache: `partial(Documents, cache)`.
    """

    def __init__(self, cache: DocumentCache) -> None:
        self._cache = cache
        self._prepared: Prepared | None = None

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        # Also bounds strawberry's own parse of a document not cached here.
        context.parse_options["max_tokens"] = self._cache.max_tokens
        query = context.query
        if query is not None and context.graphql_document is None:
            prepared = self._cache.get(query)
            if prepared is None:
                try:
                    document = parse(query, max_tokens=self._cache.max_tokens)
                except GraphQLError:
                    document = None  # strawberry reports it, parsing again
                if document is not None:
                    prepared = Prepared(document, None, query)
            if prepared is not None:
                context.graphql_document = prepared.document
                self._prepared = prepared
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.validation_rules = self._cache.rules_after(context.validation_rules)
        prepared = self._prepared
        if prepared is not None and context.query is not None:
            errors = prepared.errors
            if errors is None:
                errors = validate_document(
                    context.schema._schema,
                    prepared.document,
                    context.validation_rules,
                )
                self._cache.put(
                    context.query, Prepared(prepared.document, errors, prepared.text)
                )
            # Set, so strawberry does not validate again.
            context.pre_execution_errors = errors
        yield
