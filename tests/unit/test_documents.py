"""Documents are parsed and validated once per text, and every bound still holds."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse

from graph.api import documents
from graph.api.documents import DocumentCache, Prepared
from graph.api.masking import SentichatSchema
from graph.api.schema import create_schema
from graph.platform.settings import Settings


def _schema(**settings: Any) -> SentichatSchema:
    return create_schema(Settings.model_construct(**settings))


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How often the extension parsed and validated."""
    counted = {"parse": 0, "validate": 0}

    def counting(name: str, function: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            counted[name] += 1
            return function(*args, **kwargs)

        return wrapper

    for name, attribute in (("parse", "parse"), ("validate", "validate_document")):
        original = getattr(documents, attribute)
        monkeypatch.setattr(documents, attribute, counting(name, original))
    return counted


async def test_a_repeated_document_is_parsed_and_validated_once(
    calls: dict[str, int],
) -> None:
    schema = _schema()
    answers = [await schema.execute("query Probe { __typename }") for _ in range(3)]
    assert [answer.data for answer in answers] == [{"__typename": "Query"}] * 3
    assert all(answer.errors is None for answer in answers)
    assert calls == {"parse": 1, "validate": 1}


async def test_an_invalid_document_is_refused_each_time_and_validated_once(
    calls: dict[str, int],
) -> None:
    schema = _schema()
    answers = [await schema.execute("{ nope }") for _ in range(2)]
    for answer in answers:
        assert answer.data is None
        assert answer.errors is not None
        assert [error.message for error in answer.errors] == [
            "Cannot query field 'nope' on type 'Query'."
        ]
        assert answer.errors[0].extensions == {"code": "BAD_USER_INPUT"}
    assert calls["validate"] == 1


async def test_a_syntax_error_is_reported_and_not_cached() -> None:
    schema = _schema()
    for _ in range(2):
        answer = await schema.execute("{ me { ")
        assert answer.errors is not None
        assert answer.errors[0].message.startswith("Syntax Error")
        assert answer.errors[0].extensions == {"code": "BAD_USER_INPUT"}


async def test_the_token_limit_holds() -> None:
    schema = _schema(query_max_tokens=10)
    assert (await schema.execute("{ __typename }")).errors is None
    answer = await schema.execute("{ " + "__typename " * 20 + "}")
    assert answer.errors is not None
    assert "more than 10 tokens" in answer.errors[0].message


async def test_the_schemas_own_rules_hold_for_cached_documents() -> None:
    schema = _schema(query_max_aliases=2)
    query = "{ a: __typename b: __typename c: __typename }"
    for _ in range(2):  # the second answer comes from the cache
        answer = await schema.execute(query)
        assert answer.errors is not None
        assert [error.message for error in answer.errors] == [
            "The operation uses 3 aliases; at most 2 are allowed."
        ]


async def test_production_refuses_introspection_from_the_cache_too() -> None:
    schema = _schema(production=True)
    for _ in range(2):
        answer = await schema.execute("{ __schema { queryType { name } } }")
        assert answer.errors is not None
        assert "introspection" in answer.errors[0].message.lower()


def test_the_cache_keeps_the_most_recently_used() -> None:
    cache = DocumentCache(max_tokens=100, rules=(), maxsize=2)
    entries = {
        text: Prepared(parse(text), [], text) for text in ("{ a }", "{ b }", "{ c }")
    }
    cache.put("{ a }", entries["{ a }"])
    cache.put("{ b }", entries["{ b }"])
    assert cache.get("{ a }") is entries["{ a }"]  # now the most recent
    cache.put("{ c }", entries["{ c }"])
    assert len(cache) == 2
    assert cache.get("{ b }") is None
    assert cache.get("{ a }") is entries["{ a }"]
    assert cache.get("{ c }") is entries["{ c }"]
