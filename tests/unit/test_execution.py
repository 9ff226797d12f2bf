"""The plain-object fast path answers exactly as graphql-core's general path."""

from __future__ import annotations

import enum
import gc
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

import pytest
import strawberry
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from graph.api.documents import DocumentCache, Documents
from graph.api.execution import PlainObjectsExecutionContext


@strawberry.enum
class Mood(enum.Enum):
    HAPPY = "HAPPY"
    SAD = "SAD"


@strawberry.type
class Person:
    id: strawberry.ID
    name: str


@strawberry.type
class Scores:
    polarity: float
    mood: Mood


@strawberry.type
class Note:
    id: strawberry.ID
    seq: int
    text: str
    client_id: str | None
    created_at: datetime
    author: Person
    scores: Scores
    # Declared non-null, but the source may hold None: graphql-core's error.
    checked: str

    @strawberry.field
    def shout(self) -> str:
        return self.text.upper()


@dataclass
class Row:
    """What resolvers hand over: attributes, possibly null where they must not be."""

    id: strawberry.ID
    seq: int
    text: str
    client_id: str | None
    created_at: datetime
    author: Person
    scores: Scores
    checked: Any


def rows(checked: Any = "ok") -> list[Row]:
    return [
        Row(
            strawberry.ID(str(n)),
            n,
            f"note {n}",
            None if n % 2 else f"c{n}",
            datetime(2026, 11, 25, 12, n, tzinfo=UTC),
            Person(id=strawberry.ID("7"), name="ada"),
            Scores(polarity=n / 10, mood=Mood.HAPPY if n % 2 else Mood.SAD),
            checked,
        )
        for n in range(1, 4)
    ]


def schema(context: type[Any], notes: list[Row]) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def notes(self) -> list[Note]:
            return notes  # type: ignore[return-value]

    return strawberry.Schema(query=Query, execution_context_class=context)


DOCUMENTS = [
    "{ notes { id seq text clientId createdAt author { id name } "
    "scores { polarity mood } } }",
    "{ notes { __typename first: text again: text author { __typename name } } }",
    "fragment N on Note { seq scores { mood } } "
    "{ notes { ...N id ... on Note { text } } }",
    "query($skip: Boolean!) { notes { id text @skip(if: $skip) "
    "author @include(if: $skip) { name } } }",
    "{ notes { id shout author { name } } }",  # a resolver: the general path
    "{ notes { id checked } }",
]


@pytest.mark.parametrize("document", DOCUMENTS)
@pytest.mark.parametrize("checked", ["ok", None])
async def test_same_answer_as_graphql_core(document: str, checked: Any) -> None:
    variables = {"skip": True}
    fast = await schema(PlainObjectsExecutionContext, rows(checked)).execute(
        document, variable_values=variables
    )
    general = await schema(
        StrawberryGraphQLCoreExecutionContext, rows(checked)
    ).execute(document, variable_values=variables)
    assert fast.data == general.data
    assert [e.formatted for e in fast.errors or []] == [
        e.formatted for e in general.errors or []
    ]


def lists_schema(context: type[Any], notes: list[Any]) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def notes(self) -> list[Note]:
            return notes

        @strawberry.field
        def maybe_notes(self) -> list[Note | None]:
            return notes

    return strawberry.Schema(query=Query, execution_context_class=context)


@pytest.mark.parametrize("field", ["notes", "maybeNotes"])
async def test_a_null_item_of_a_list_is_answered_as_graphql_core_does(
    field: str,
) -> None:
    items: list[Any] = [*rows(), None]
    document = f"{{ {field} {{ id author {{ name }} }} }}"
    fast, general = [
        await lists_schema(context, items).execute(document)
        for context in (
            PlainObjectsExecutionContext,
            StrawberryGraphQLCoreExecutionContext,
        )
    ]
    assert fast.data == general.data
    assert [e.formatted for e in fast.errors or []] == [
        e.formatted for e in general.errors or []
    ]


async def test_a_null_in_a_non_null_field_is_reported_not_passed_on() -> None:
    result = await schema(PlainObjectsExecutionContext, rows(None)).execute(
        "{ notes { id checked } }"
    )
    assert result.data is None
    assert result.errors
    assert "non-nullable" in result.errors[0].message.lower()


async def test_plain_selections_take_the_fast_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import graph.api.execution

    completed: list[object] = []
    complete = graph.api.execution._complete

    def counting(plan: Any, source: Any) -> dict[str, Any]:
        completed.append(source)
        return complete(plan, source)

    per_item: list[object] = []

    def general_list(self: Any, *args: Any) -> Any:
        per_item.append(args)
        return StrawberryGraphQLCoreExecutionContext.complete_iterable_value(
            self, *args
        )

    monkeypatch.setattr(graph.api.execution, "_complete", counting)
    monkeypatch.setattr(
        PlainObjectsExecutionContext, "complete_iterable_value", general_list
    )
    result = await schema(PlainObjectsExecutionContext, rows()).execute(DOCUMENTS[0])
    assert result.errors is None
    # Each note in one pass, its author and scores within it; the list too.
    assert [type(source) for source in completed].count(Row) == 3
    assert per_item == []
    completed.clear()
    await schema(PlainObjectsExecutionContext, rows()).execute(DOCUMENTS[4])
    assert [type(source) for source in completed] == [Person] * 3  # notes: general


class Nobody(strawberry.BasePermission):
    message = "Not for you."

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Secret:
    name: str
    code: str = strawberry.field(permission_classes=[Nobody])


class Exploding:
    name = "boom"

    @property
    def code(self) -> str:
        raise RuntimeError("cannot read")


def secret_schema(source: Any) -> strawberry.Schema:
    @strawberry.type
    class Query:
        @strawberry.field
        def secret(self) -> Secret:
            return source  # type: ignore[no-any-return]

    return strawberry.Schema(
        query=Query, execution_context_class=PlainObjectsExecutionContext
    )


async def test_a_field_with_a_permission_class_is_checked() -> None:
    result = await secret_schema(Secret(name="n", code="c")).execute(
        "{ secret { name code } }"
    )
    assert result.data is None
    assert result.errors
    assert result.errors[0].message == "Not for you."


@strawberry.type
class Open:
    name: str
    code: str | None


async def test_an_attribute_that_raises_is_reported_at_its_own_path() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def open(self) -> Open:
            return Exploding()  # type: ignore[return-value]

    fast, general = [
        await strawberry.Schema(query=Query, execution_context_class=context).execute(
            "{ open { name code } }"
        )
        for context in (
            PlainObjectsExecutionContext,
            StrawberryGraphQLCoreExecutionContext,
        )
    ]
    assert fast.data == general.data == {"open": {"name": "boom", "code": None}}
    assert fast.errors
    assert general.errors
    assert fast.errors[0].path == general.errors[0].path == ["open", "code"]


async def test_an_operation_leaves_no_cyclic_garbage() -> None:
    # graphql-core's executor holds bound methods of itself (its async
    # helpers); unbroken, that cycle makes each operation's whole state
    # garbage only the cyclic collector frees.
    # Parsed and validated once, as the app's schema does: validation makes
    # cycles of its own, once per document.
    documents = DocumentCache(max_tokens=1000, rules=(), maxsize=8)

    @strawberry.type
    class Query:
        @strawberry.field
        def notes(self) -> list[Note]:
            return rows()  # type: ignore[return-value]

    notes = strawberry.Schema(
        query=Query,
        execution_context_class=PlainObjectsExecutionContext,
        extensions=[partial(Documents, documents)],
    )
    await notes.execute(DOCUMENTS[0])  # warm: caches filled outside the count
    gc.collect()
    gc.disable()
    try:
        gc.set_debug(gc.DEBUG_SAVEALL)
        for _ in range(5):
            result = await notes.execute(DOCUMENTS[0])
            assert result.errors is None
        gc.collect()
        kinds = sorted({type(item).__qualname__ for item in gc.garbage})
        assert kinds == []
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


async def test_a_resolver_can_still_gather_through_its_info() -> None:
    async def double(n: int) -> int:
        return 2 * n

    @strawberry.type
    class Query:
        @strawberry.field
        async def doubled(self, info: strawberry.Info) -> list[int]:
            helpers = info._raw_info.async_helpers
            return list(await helpers.gather([double(n) for n in range(3)]))

    result = await strawberry.Schema(
        query=Query, execution_context_class=PlainObjectsExecutionContext
    ).execute("{ doubled }")
    assert result.errors is None
    assert result.data == {"doubled": [0, 2, 4]}


def cached_notes_schema() -> strawberry.Schema:
    """Notes behind the app's document cache: the same nodes every request."""

    @strawberry.type
    class Query:
        @strawberry.field
        def notes(self) -> list[Note]:
            return rows()  # type: ignore[return-value]

        @strawberry.field
        def note(self) -> Note:
            return rows()[0]  # type: ignore[return-value]

    return strawberry.Schema(
        query=Query,
        execution_context_class=PlainObjectsExecutionContext,
        extensions=[
            partial(Documents, DocumentCache(max_tokens=1000, rules=(), maxsize=8))
        ],
    )


async def test_a_documents_plans_are_built_once_for_all_its_operations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[str] = []
    build = PlainObjectsExecutionContext._build

    def counting(self: Any, parent_type: Any, grouped: Any) -> Any:
        built.append(parent_type.name)
        return build(self, parent_type, grouped)

    monkeypatch.setattr(PlainObjectsExecutionContext, "_build", counting)
    notes = cached_notes_schema()
    document = "{ note { id text author { name } } notes { seq scores { mood } } }"
    answers = [await notes.execute(document) for _ in range(3)]
    assert all(answer.errors is None for answer in answers)
    assert answers[0].data == answers[1].data == answers[2].data
    assert sorted(built) == ["Note", "Note", "Person", "Scores"]  # once each


@pytest.mark.parametrize(
    "document",
    [
        "query($skip: Boolean!) { note { id text @skip(if: $skip) } }",
        "query($skip: Boolean!) { note { id ...Text } } "
        "fragment Text on Note { text @skip(if: $skip) }",
        "query($skip: Boolean!) { note { id ...Text @skip(if: $skip) } } "
        "fragment Text on Note { text }",
        "query($skip: Boolean!) { note { id ... @skip(if: $skip) { text } } }",
    ],
)
async def test_a_selection_that_depends_on_the_variables_is_planned_per_operation(
    document: str,
) -> None:
    notes = cached_notes_schema()
    general = schema(StrawberryGraphQLCoreExecutionContext, rows())
    for skip in (True, False, True, False):
        answer = await notes.execute(document, variable_values={"skip": skip})
        assert answer.errors is None
        expected = {"id": "1"} if skip else {"id": "1", "text": "note 1"}
        assert answer.data == {"note": expected}
    # And as graphql-core answers the same list selection.
    listed = document.replace("note {", "notes {", 1)
    for skip in (True, False):
        fast = await notes.execute(listed, variable_values={"skip": skip})
        slow = await general.execute(listed, variable_values={"skip": skip})
        assert fast.data == slow.data
