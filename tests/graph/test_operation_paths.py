"""A query or mutation answers the same on both of the server's HTTP paths.

The first request of a document text runs through strawberry's
`Schema.execute`, which parses and validates it into the document cache;
later ones run on `graph.api.transport.operations`. The two must give the
same data and the same errors, codes and paths, whatever the request.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from graphql import GraphQLError, parse

from graph.api.documents import Prepared
from graph.api.schema import schema
from graph.api.transport import operations
from tests.support.api import HISTORY, SEND, Account, Api


def new_document(query: str) -> str:
    """`query` as a text the cache has never seen (a comment changes it and
    nothing else)."""
    return f"{query}\n# {uuid.uuid4().hex}"


def answer(data: Any, errors: list[GraphQLError] | None) -> dict[str, Any]:
    """What the client reads: the data, and each error as formatted."""
    return {
        "data": data,
        "errors": None if errors is None else [error.formatted for error in errors],
    }


async def on_both_paths(
    api: Api, body: dict[str, Any], token: str | None
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The answer of strawberry's path, then the lean path's (None when the
    lean path passed the request on)."""
    query = body["query"]
    assert await operations.run(schema, api.context(token), body) is None, (
        "a document seen for the first time goes to strawberry"
    )
    first = await schema.execute(
        query,
        variable_values=body.get("variables"),
        context_value=api.context(token),
        operation_name=body.get("operationName"),
    )
    lean = await operations.run(schema, api.context(token), body)
    return (
        answer(first.data, first.errors),
        None if lean is None else answer(lean.data, lean.errors),
    )


async def test_a_send_and_a_page_of_history_answer_the_same(api: Api) -> None:
    alice, _, channel = await api.pair()
    send = {
        "query": new_document(SEND),
        # The same clientId: the second send is the resend, answered with the
        # message the first stored.
        "variables": {"channel": channel, "message": "I love it", "clientId": "k"},
    }
    strawberry, lean = await on_both_paths(api, send, alice.token)
    assert lean == strawberry
    assert strawberry["errors"] is None
    assert strawberry["data"]["sendMessage"]["message"] == "I love it"

    history = {
        "query": new_document(HISTORY),
        "variables": {"channel": channel, "last": 10},
        "operationName": "History",
    }
    strawberry, lean = await on_both_paths(api, history, alice.token)
    assert lean == strawberry
    assert [m["message"] for m in strawberry["data"]["messages"]] == ["I love it"]


async def refusal_cases(
    api: Api,
) -> list[tuple[str, dict[str, Any], Account | None, str]]:
    alice, _, channel = await api.pair()
    carol = await api.register("carol")
    theirs = await api.open_chat(carol, await api.register("dave"))
    return [
        (
            "not a member",
            {"query": HISTORY, "variables": {"channel": theirs}},
            alice,
            "FORBIDDEN",
        ),
        (
            "signed out",
            {"query": "query Me { me { id username } }"},
            None,
            "UNAUTHENTICATED",
        ),
        (
            "a resolver's own refusal",
            {"query": SEND, "variables": {"channel": channel, "message": " "}},
            alice,
            "BAD_USER_INPUT",
        ),
        (
            "a variable that does not coerce",
            {"query": HISTORY, "variables": {"channel": channel, "last": "ten"}},
            alice,
            "BAD_USER_INPUT",
        ),
        (
            "a variable missing",
            {"query": SEND, "variables": {"channel": channel}},
            alice,
            "BAD_USER_INPUT",
        ),
        (
            "a bound out of range",
            {"query": HISTORY, "variables": {"channel": channel, "last": 100000}},
            alice,
            "BAD_USER_INPUT",
        ),
    ]


@pytest.mark.parametrize("index", range(6))
async def test_refusals_answer_the_same(api: Api, index: int) -> None:
    name, body, caller, code = (await refusal_cases(api))[index]
    body = {**body, "query": new_document(body["query"])}

    strawberry, lean = await on_both_paths(
        api, body, None if caller is None else caller.token
    )

    assert lean == strawberry, name
    assert strawberry["errors"], name
    assert strawberry["errors"][0]["extensions"]["code"] == code, name


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("a subscription", {"query": "subscription { newChat { channelName } }"}),
        ("no operation of that name", {"query": "{ me { id } }", "operationName": "X"}),
        (
            "two operations, none named",
            {"query": "query A { me { id } } query B { me { username } }"},
        ),
        ("variables not an object", {"query": "{ me { id } }", "variables": [1]}),
        ("a name not a string", {"query": "{ me { id } }", "operationName": 1}),
        ("no query", {"variables": {}}),
    ],
)
async def test_what_the_lean_path_does_not_run_goes_to_strawberry(
    api: Api, name: str, body: dict[str, Any]
) -> None:
    alice = await api.register("alice")
    if isinstance(body.get("query"), str):
        body = {**body, "query": new_document(body["query"])}
        # Cached as valid (as a subscription is once it ran over a socket):
        # what is passed on is passed on for the request itself.
        assert schema.documents is not None
        query = body["query"]
        schema.documents.put(query, Prepared(parse(query), [], query))

    assert await operations.run(schema, api.context(alice.token), body) is None, name


async def test_a_refused_document_stays_strawberrys(api: Api) -> None:
    alice = await api.register("alice")
    body = {"query": new_document("{ me { nope } }")}
    first = await schema.execute(body["query"], context_value=api.context(alice.token))
    assert first.errors, "an unknown field is refused"

    assert await operations.run(schema, api.context(alice.token), body) is None
