"""Bad GraphQL documents and variables: each refused as BAD_USER_INPUT, exactly.

Every bound on a document holds (tokens, nesting, aliases, depth), including
the fragment trick that makes naive alias and depth counting exponential.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.hostile.conftest import Hostile

BAD = "BAD_USER_INPUT"
HISTORY = "query($c: String!) { messages(channel: $c) { seq } }"
EXPLOSION = " ".join(
    ["{ ...F23 }", "fragment F0 on Query { a: me { id } }"]
    + [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 24)]
)
SIXTEEN_ALIASES = "{ " + " ".join(f"a{i}: me {{ id }}" for i in range(16)) + " }"
TOO_DEEP = "{ me { id { a { b { c { d { e { f { g { h { i } } } } } } } } } } }"

# (name, document, variables, errors)
DOCUMENTS: list[tuple[str, str, dict[str, Any] | None, list[str]]] = [
    ("syntax error", "{", None, ["Syntax Error: Expected Name, found <EOF>."]),
    (
        "nested 600 deep",
        "{" + "me{" * 600 + "}" * 601,
        None,
        ["Syntax Error: Document is nested too deeply. Parsing aborted."],
    ),
    (
        "over 1000 tokens",
        "{ me " + "@skip(if: false) " * 400 + "{ id } }",
        None,
        ["Syntax Error: Document contains more than 1000 tokens. Parsing aborted."],
    ),
    (
        "16 aliases",
        SIXTEEN_ALIASES,
        None,
        ["The operation uses 16 aliases; at most 15 are allowed."],
    ),
    (
        "fragment explosion",
        EXPLOSION,
        None,
        ["The operation uses 8388608 aliases; at most 15 are allowed."],
    ),
    (
        "11 deep",
        TOO_DEEP,
        None,
        [
            "The operation nests fields 11 deep; at most 10 is allowed.",
            "Field 'id' must not have a selection since type 'ID!' has no subfields.",
        ],
    ),
    ("unknown fragment", "{ ...Nope }", None, ["Unknown fragment 'Nope'."]),
    (
        "fragment cycle",
        "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
        None,
        ["Cannot spread fragment 'A' within itself via 'B'."],
    ),
    (
        "unknown field",
        "{ mee { id } }",
        None,
        ["Cannot query field 'mee' on type 'Query'. Did you mean 'me'?"],
    ),
    (
        "two anonymous operations",
        "{ me { id } } { me { username } }",
        None,
        ["This anonymous operation must be the only defined operation."] * 2,
    ),
    (
        "two operations of one name",
        "query A { me { id } } query A { me { username } }",
        None,
        ["There can be only one operation named 'A'."],
    ),
    ("unknown directive", "{ me @foo { id } }", None, ["Unknown directive '@foo'."]),
    (
        "unknown argument",
        "{ me(x: 1) { id } }",
        None,
        ["Unknown argument 'x' on field 'Query.me'."],
    ),
    (
        "missing argument",
        "{ messages { seq } }",
        None,
        [
            "Argument 'Query.messages(channel:)' of type 'String!' is required, but it was not provided."
        ],
    ),
    (
        "selection on a leaf",
        "{ me { id { x } } }",
        None,
        ["Field 'id' must not have a selection since type 'ID!' has no subfields."],
    ),
    (
        "object without selection",
        "{ me }",
        None,
        [
            "Field 'me' of type 'User!' must have a selection of subfields. Did you mean 'me { ... }'?"
        ],
    ),
    (
        "lone surrogate in the document",
        "{ me { id } }\ud800",
        None,
        ["Syntax Error: Invalid character: U+D800."],
    ),
    (
        # The error quotes the surrogate: the answer must still be JSON.
        "lone surrogate in a broken escape",
        '{ messages(channel: "\\u\uda730082") { seq } }',
        None,
        ["Syntax Error: Invalid Unicode escape sequence: '\\u\uda73008'."],
    ),
    (
        "NUL in the document",
        "{ me { id } }\x00",
        None,
        ["Syntax Error: Unexpected character: U+0000."],
    ),
    (
        "Int literal over 32 bits",
        '{ messages(channel: "x", last: 2147483648) { seq } }',
        None,
        ["Int cannot represent non 32-bit signed integer value: 2147483648"],
    ),
    (
        "Float literal for an Int",
        '{ messages(channel: "x", last: 1.5) { seq } }',
        None,
        ["Int cannot represent non-integer value: 1.5"],
    ),
    (
        "variable of the wrong type",
        HISTORY,
        {"c": 5},
        [
            "Variable '$c' has invalid value: String cannot represent a non string value: 5"
        ],
    ),
    (
        "variable a list",
        HISTORY,
        {"c": ["a"]},
        [
            "Variable '$c' has invalid value: String cannot represent a non string value: ['a']"
        ],
    ),
    (
        "variable an object",
        HISTORY,
        {"c": {"a": 1}},
        [
            "Variable '$c' has invalid value: String cannot represent a non string value: {'a': 1}"
        ],
    ),
    (
        "required variable missing",
        HISTORY,
        {},
        [
            "Variable '$c' has invalid value: Expected a value of non-null type 'String!' to be provided."
        ],
    ),
    (
        "required variable null",
        HISTORY,
        {"c": None},
        [
            "Variable '$c' has invalid value: Expected value of non-null type 'String!' not to be None."
        ],
    ),
    (
        "Int variable as a string",
        'query($l: Int) { messages(channel: "x", last: $l) { seq } }',
        {"l": "5"},
        [
            "Variable '$l' has invalid value: Int cannot represent non-integer value: '5'"
        ],
    ),
    (
        "Int variable over 32 bits",
        'query($l: Int) { messages(channel: "x", last: $l) { seq } }',
        {"l": 2**40},
        [
            "Variable '$l' has invalid value: Int cannot represent non 32-bit signed integer value: 1099511627776"
        ],
    ),
    (
        "variable of an unknown type",
        "query($c: Chan!) { messages(channel: $c) { seq } }",
        {"c": "x"},
        ["Unknown type 'Chan'. Did you mean 'Chat'?"],
    ),
    (
        "undefined variable",
        "{ messages(channel: $c) { seq } }",
        None,
        ["Variable '$c' is not defined."],
    ),
    (
        "unused variable",
        "query($x: Int) { me { id } }",
        None,
        ["Variable '$x' is never used."],
    ),
]


@pytest.mark.parametrize(
    ("document", "variables", "errors"),
    [case[1:] for case in DOCUMENTS],
    ids=[case[0] for case in DOCUMENTS],
)
async def test_a_bad_document_is_refused_with_what_is_wrong(
    hostile: Hostile,
    request: pytest.FixtureRequest,
    document: str,
    variables: dict[str, Any] | None,
    errors: list[str],
) -> None:
    refusal = await hostile.graphql_refusal(
        "document",
        f"document: {request.node.callspec.id}",
        document,
        variables,
        hostile.alice.token,
    )
    assert refusal == [(BAD, message) for message in errors]


async def test_a_subscription_over_http_is_refused_with_400(hostile: Hostile) -> None:
    response = await hostile.refused(
        "document",
        "document: subscription over HTTP",
        hostile.graphql(
            "subscription { newChat { channelName } }", None, hostile.alice.token
        ),
    )
    hostile.counted("HTTP 400")
    assert (response.status_code, response.text) == (
        400,
        "subscriptions are not allowed when using POST",
    )


async def test_an_unknown_operation_name_is_refused_with_400(hostile: Hostile) -> None:
    body = '{"query": "query A { me { id } }", "operationName": "B"}'
    response = await hostile.refused(
        "document",
        "document: unknown operationName",
        hostile.http.post(
            "/graphql",
            content=body,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {hostile.alice.token}",
            },
        ),
    )
    hostile.counted("HTTP 400")
    assert (response.status_code, response.text) == (
        400,
        'Unknown operation named "B".',
    )
