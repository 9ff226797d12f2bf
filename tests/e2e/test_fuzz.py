"""Fuzzing the schema over the wire: no request makes the server fail.

A real `uvicorn graph.app:app` process, on PostgreSQL and Redis, with a few
users and a chat holding messages, is sent generated requests, signed in as
a member, as an outsider, anonymously and with a forged token:

- valid queries and mutations built from the committed `schema.graphql`
  (hypothesis-graphql), with arguments drawn to hit real ids and channels;
- operations with one schema violation (hypothesis-graphql's negative mode);
- arbitrary text as the query, with control characters, NUL and lone
  surrogates (which JSON can carry as escapes);
- valid operations mutilated: characters deleted, inserted and duplicated,
  braces unbalanced;
- the client's own documents with variables of any JSON type and size;
- hostile documents: deep nesting, unknown fields and arguments, aliases,
  fragment cycles, huge and negative ints, very long strings;
- malformed HTTP requests: bodies that are not JSON, not an object, not
  UTF-8, too large, fields of the wrong type, other methods and media types;
- subscriptions over graphql-transport-ws, valid and not.

For every example: the status is below 500; the body never shows a
traceback or a database driver; every GraphQL error carries a code a client
can act on (never INTERNAL_SERVER_ERROR, never none); a subscription is
answered with next/error/complete or closed with a protocol code (a valid
one that rightly stays quiet still answers a ping); and the server logs no
traceback and no ERROR line, checked after every example and, by the last
test, over the whole run. Hypothesis is derandomized and keeps no database,
so every run sends the same requests. The figures are recorded as
"schema_fuzzing".
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any, Literal

import graphql
import httpx
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, queries
from hypothesis_graphql import nodes as gql_nodes
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.support import figures
from tests.support.api import (
    CHATS,
    HISTORY,
    LOGIN,
    NEW_CHAT,
    NEW_MESSAGE,
    PASSWORD,
    REGISTER,
    REQUEST_CHAT,
    SEND,
    Account,
)
from tests.support.server import Server

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ROOT = Path(__file__).resolve().parents[2]
SDL = (ROOT / "graph" / "schema.graphql").read_text()
SCHEMA = graphql.build_schema(SDL)

ALLOWED_CODES = frozenset(
    {"UNAUTHENTICATED", "FORBIDDEN", "BAD_USER_INPUT", "NOT_FOUND", "RATE_LIMITED"}
)
# Protocol close codes a graphql-transport-ws server may end a socket with.
ALLOWED_CLOSE_CODES = frozenset({4400, 4401, 4403, 4408, 4409, 4429, 1009})
# Never in a body, unless the request itself carried the text.
LEAKS = ("Traceback", 'File "', "sqlalchemy", "asyncpg", "psycopg")
# "<date> <time> ERROR <logger>: ..." (the app) and "ERROR: ..." (uvicorn).
FAULT_LINE = re.compile(
    r"Traceback|--- Logging error ---"
    r"|^(?:ERROR|CRITICAL):|^\S+ \S+ (?:ERROR|CRITICAL) ",
    re.MULTILINE,
)

USERS = """
query Users($first: Int!, $after: String) { users(first: $first, after: $after) {
  id username } }"""
ME = "query Me { me { id username } }"
DOCUMENTS = (SEND, HISTORY, REQUEST_CHAT, REGISTER, LOGIN, CHATS, USERS, ME)
SUBSCRIPTION_DOCUMENTS = (NEW_MESSAGE, NEW_CHAT)
ROOT_FIELDS = [
    name
    for root in (SCHEMA.query_type, SCHEMA.mutation_type)
    if root is not None
    for name in root.fields
]

Who = Literal["member", "outsider", "anonymous", "forged"]
# The member twice: most requests should reach the resolvers and the data.
WHO: tuple[Who, ...] = ("member", "member", "outsider", "anonymous", "forged")


def fuzz(examples: int) -> settings:
    """Reproducible (derandomized), and nothing written into the repository."""
    return settings(
        max_examples=examples,
        database=None,
        derandomize=True,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


WS_QUIET = 0.25  # a live subscription may say nothing until an event comes
WS_LIVE_WINDOW = 2.0
WS_ANSWER_DEADLINE = 10.0


# ---------------------------------------------------------------- the world


@dataclass(frozen=True)
class World:
    """A running server with users and chats the generated requests can hit."""

    server: Server
    http: httpx.Client
    alice: Account  # the member: of `chat` (with bob) and `side_chat` (with carol)
    bob: Account
    carol: Account  # the outsider: not a member of `chat`
    chat: str
    side_chat: str

    def token(self, who: Who) -> str | None:
        if who == "member":
            return self.alice.token
        if who == "outsider":
            return self.carol.token
        if who == "forged":
            return "not.a.jwt"
        return None


@dataclass
class Tally:
    examples: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    results: Counter[str] = field(default_factory=Counter)
    ws_outcomes: Counter[str] = field(default_factory=Counter)

    def record(self) -> None:
        figures.record(
            "schema_fuzzing",
            examples=dict(sorted(self.examples.items())),
            examples_total=sum(self.examples.values()),
            http_statuses=dict(sorted(self.statuses.items())),
            error_codes=dict(sorted(self.codes.items())),
            graphql_results=dict(sorted(self.results.items())),
            ws_outcomes=dict(sorted(self.ws_outcomes.items())),
            server_errors_5xx=sum(
                n for status, n in self.statuses.items() if status.startswith("5")
            ),
        )


TALLY = Tally()


class LogWatch:
    """The server log since the last look, for faults."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.offset = 0

    def new_faults(self) -> str:
        with self.server.log_path.open("rb") as log:
            log.seek(self.offset)
            fresh = log.read()
        self.offset += len(fresh)
        return faults_in(fresh.decode(errors="replace"))


# A line that starts an ordinary record, ending the traceback before it.
RECORD_START = re.compile(r"^(?:\d{4}-\d\d-\d\d |[A-Z]+: )")


def faults_in(log: str) -> str:
    """Each fault in the log: its first lines and its last (the exception)."""
    excerpts: list[str] = []
    block: list[str] | None = None
    for line in [*log.splitlines(), "END: "]:
        if FAULT_LINE.search(line) and not (block and line.startswith("Traceback")):
            if block:
                excerpts.append("\n".join([*block[:3], "  ...", *block[-3:]]))
            block = [line]
        elif block is not None and RECORD_START.match(line):
            excerpts.append("\n".join([*block[:3], "  ...", *block[-3:]]))
            block = None
        elif block is not None:
            block.append(line)
    return "\n".join(excerpts)


@pytest.fixture(scope="module")
def server(
    cluster_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("fuzz") / "server.log"
    with Server(cluster_env, log) as running:
        yield running


@pytest.fixture(scope="module")
def world(server: Server) -> Iterator[World]:
    with httpx.Client(base_url=server.http_url, timeout=30) as http:
        # Fixed names (the database is new): every run sends the same requests.
        alice, bob, carol = (
            register(http, f"fuzz_{name}") for name in ("alice", "bob", "carol")
        )
        chat = open_chat(http, alice, bob)
        side_chat = open_chat(http, alice, carol)
        for sender, text in ((alice, "I love this, great!"), (bob, "Awful. I hate")):
            body = call(http, SEND, {"channel": chat, "message": text}, sender.token)
            assert "errors" not in body, body
        yield World(server, http, alice, bob, carol, chat, side_chat)


@pytest.fixture(scope="module")
def watch(server: Server) -> LogWatch:
    return LogWatch(server)


def call(
    http: httpx.Client, query: str, variables: dict[str, Any], token: str | None
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def register(http: httpx.Client, username: str) -> Account:
    body = call(http, REGISTER, {"username": username, "password": PASSWORD}, None)
    assert "errors" not in body, body
    payload = body["data"]["register"]
    return Account(payload["user"]["id"], payload["user"]["username"], payload["token"])


def open_chat(http: httpx.Client, caller: Account, other: Account) -> str:
    body = call(http, REQUEST_CHAT, {"toUser": other.id}, caller.token)
    assert "errors" not in body, body
    channel: str = body["data"]["requestChat"]["channelName"]
    return channel


# ------------------------------------------------------------ the checks


def strings_in(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from strings_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)


def leaks(text: str, sent: str) -> list[str]:
    """The tell-tale fragments in `text` that the request did not carry."""
    return [
        fragment
        for fragment in LEAKS
        if fragment.lower() in text.lower() and fragment.lower() not in sent.lower()
    ]


def check_errors(errors: object, where: str) -> None:
    assert isinstance(errors, list), where
    assert errors, where
    for error in errors:
        assert isinstance(error, dict), where
        extensions = error.get("extensions")
        code = extensions.get("code") if isinstance(extensions, dict) else None
        TALLY.codes[str(code)] += 1
        assert code in ALLOWED_CODES, f"error code {code!r} in {where}"


def check_response(
    response: httpx.Response, sent: str, watch: LogWatch
) -> dict[str, Any] | None:
    """Assert the answer is no failure; its JSON body, if it is one."""
    faults = watch.new_faults()  # logged before the answer was sent
    where = (
        f"{response.request.method} {response.request.url} "
        f"{response.request.content[:2000]!r} -> {response.status_code} "
        f"{response.text[:2000]!r}\nserver log:\n{faults}"
    )
    TALLY.statuses[str(response.status_code)] += 1
    assert response.status_code < 500, where
    assert not leaks(response.text, sent), where
    body: dict[str, Any] | None = None
    if response.content and response.headers.get("content-type", "").startswith(
        "application/json"
    ):
        parsed = response.json()
        assert not leaks("\n".join(strings_in(parsed)), sent), where
        if isinstance(parsed, dict):
            body = parsed
            has_data = body.get("data") is not None
            TALLY.results[
                {
                    (True, False): "data",
                    (True, True): "data and errors",
                    (False, True): "errors",
                }.get((has_data, "errors" in body), "neither")
            ] += 1
            if "errors" in body:
                check_errors(body["errors"], where)
            if "data" in body or "errors" in body:  # a GraphQL result
                assert response.status_code == 200, where
    assert not faults, f"the server logged a fault: {where}"
    return body


def post(world: World, payload: object, who: Who) -> httpx.Response:
    """POST /graphql, serialized as JSON can carry it (NaN, lone surrogates)."""
    content = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    token = world.token(who)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return world.http.post("/graphql", content=content, headers=headers)


def graphql_request(
    world: World,
    watch: LogWatch,
    query: str,
    variables: object,
    who: Who,
) -> tuple[httpx.Response, dict[str, Any] | None]:
    payload = {"query": query, "variables": variables}
    note(f"as {who}: {json.dumps(payload)}")
    response = post(world, payload, who)
    sent = "\n".join([json.dumps(payload), *strings_in(payload)])
    return response, check_response(response, sent, watch)


# -------------------------------------------------------- the strategies

# Characters JSON can carry, NUL and controls favoured; lone surrogates too
# (as escapes), which nothing downstream of JSON can encode.
SPECIAL = '\x00\n\r\t\x1b\x7f\ufeff\u2028\u202e{}()[]"\\$@#!:.,|&=\u00e9\U0001f61f'
TEXT_CHAR = st.one_of(
    st.characters(codec="utf-8"), st.sampled_from(SPECIAL), st.just("\x00")
)
ANY_CHAR = TEXT_CHAR | st.characters(categories=["Cs"])
NASTY_TEXT = st.builds(
    lambda before, bad, after: before + bad + after,
    st.text("abc_-.", max_size=6),
    st.sampled_from(["\x00", "\ud800", "\udfff", "\udbff\udbff", "\x00\x00"]),
    st.text("xyz", max_size=3),
)
NUL_TEXT = st.builds(
    lambda before, nuls, after: before + nuls + after,
    st.text("abc_-.", max_size=6),
    st.sampled_from(["\x00", "\x00\x00"]),
    st.text("xyz", max_size=3),
)
ANY_TEXT = st.text(ANY_CHAR, max_size=60) | NASTY_TEXT
LONG_TEXT = st.builds(
    lambda char, size: char * size,
    ANY_CHAR,
    st.sampled_from([1_000, 5_000, 20_000, 70_000, 200_000]),
)
HUGE_INTS = st.sampled_from(
    [2**31, 2**31 - 1, -(2**31), -(2**31) - 1, 2**53 + 1, 2**63, -(2**63) - 1, 10**40]
)
INTS = st.one_of(st.integers(-(2**31), 2**31 - 1), st.integers(), HUGE_INTS)
JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    INTS,
    st.floats(),  # NaN and infinities too, which Python's json writes
    ANY_TEXT,
    LONG_TEXT,
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
NAMES = st.sampled_from(
    [
        "me",
        "users",
        "chats",
        "messages",
        "id",
        "username",
        "fromUser",
        "channelName",
        "sentiment",
        "nope",
        "__typename",
        "__schema",
        "types",
        "fields",
        "type",
        "ofType",
        "register",
    ]
)


@dataclass(frozen=True)
class Strategies:
    """Strategies that know the world's ids and channels."""

    strings: st.SearchStrategy[str]
    valid: st.SearchStrategy[str]
    violating: st.SearchStrategy[str]
    subscriptions: st.SearchStrategy[str]
    violating_subscriptions: st.SearchStrategy[str]
    typed: dict[str, st.SearchStrategy[Any]]  # JSON values, by scalar name


def as_subscription(document: graphql.DocumentNode) -> str:
    # Generated from the Subscription type taken as a query root: "{ ... }".
    return "subscription " + graphql.print_ast(document)


@pytest.fixture(scope="module")
def strategies(world: World) -> Strategies:
    people = (world.alice, world.bob, world.carol)
    ids = st.one_of(
        st.sampled_from([person.id for person in people]),
        INTS.map(str),
        st.text("0123456789", min_size=1, max_size=25),
    )
    known = st.sampled_from(
        [world.chat, world.side_chat, PASSWORD, "private-chat_1_1", "fuzz_"]
        + [person.username for person in people]
    )
    # A third real, a third arbitrary, a third holding a NUL or a lone
    # surrogate (JSON can carry one; a GraphQL string literal cannot).
    strings = st.one_of(
        known,
        st.text(ANY_CHAR, max_size=40),
        st.builds(lambda real, bad: real + bad, known, NASTY_TEXT),
    )
    literal_strings = st.one_of(
        known,
        st.text(TEXT_CHAR, max_size=40),
        st.builds(lambda real, bad: real + bad, known, NUL_TEXT),
    )
    ints = st.one_of(
        st.integers(1, 500),
        st.integers(-2, 600),
        st.sampled_from([0, 1, 200, 500, 501, -(2**31), 2**31 - 1]),
        st.integers(-(2**31), 2**31 - 1),
    )
    scalars: dict[str, st.SearchStrategy[graphql.ValueNode]] = {
        "ID": ids.map(gql_nodes.String) | INTS.map(gql_nodes.Int),
        # Mostly in and around the bounds the resolvers check (first, last,
        # after, afterSeq), so that most reach the database.
        "Int": ints.map(gql_nodes.Int),
        "String": literal_strings.map(gql_nodes.String),
        "DateTime": st.datetimes(timezones=st.just(UTC)).map(
            lambda moment: gql_nodes.String(moment.isoformat())
        ),
    }
    subscription_root = graphql.GraphQLSchema(query=SCHEMA.subscription_type)
    return Strategies(
        strings=strings,
        # One root field at a time too: a refused root field nulls the rest.
        valid=st.one_of(
            from_schema(SCHEMA, custom_scalars=scalars),
            *(
                from_schema(SCHEMA, fields=[name], custom_scalars=scalars)
                for name in ROOT_FIELDS
            ),
        ),
        violating=from_schema(SCHEMA, custom_scalars=scalars, mode=Mode.NEGATIVE),
        subscriptions=queries(
            subscription_root, custom_scalars=scalars, print_ast=as_subscription
        ),
        violating_subscriptions=queries(
            subscription_root,
            custom_scalars=scalars,
            print_ast=as_subscription,
            mode=Mode.NEGATIVE,
        ),
        typed={
            "ID": ids | INTS,
            "String": strings,
            "Int": ints,
            "Boolean": st.booleans(),
        },
    )


@st.composite
def mutilated(draw: st.DrawFn, sources: st.SearchStrategy[str]) -> str:
    """A document with a few characters deleted, inserted or duplicated."""
    text = draw(sources)
    for _ in range(draw(st.integers(1, 4))):
        edit = draw(st.sampled_from(["delete", "insert", "duplicate", "brace", "cut"]))
        at = draw(st.integers(0, len(text)))
        if edit == "delete":
            text = text[:at] + text[at + 1 :]
        elif edit == "insert":
            text = text[:at] + draw(ANY_CHAR) + text[at:]
        elif edit == "duplicate":
            end = draw(st.integers(at, min(len(text), at + 40)))
            text = text[:end] + text[at:end] + text[end:]
        elif edit == "brace":
            brace = draw(st.sampled_from("{}()[]"))
            if brace in text and draw(st.booleans()):
                text = text.replace(brace, "", 1)
            else:
                text = text[:at] + brace * draw(st.integers(1, 30)) + text[at:]
        else:
            text = text[:at]
    return text


def nested(names: list[str], leaf: str) -> str:
    opening = " ".join(f"{name} {{" for name in names)
    return f"{{ {opening} {leaf} {'}' * len(names)} }}"


@st.composite
def hostile(draw: st.DrawFn, strings: st.SearchStrategy[str]) -> str:
    """Documents built to strain the parser, the validator and the resolvers."""
    kind = draw(
        st.sampled_from(
            [
                "deep selections",
                "deep introspection",
                "deep list",
                "deep object",
                "aliases",
                "unknown field",
                "unknown argument",
                "duplicate argument",
                "huge int",
                "float for int",
                "long string",
                "block string",
                "fragment cycle",
                "many operations",
                "directives",
                "undefined variable",
            ]
        )
    )
    depth = draw(st.integers(1, 2000))
    if kind == "deep selections":
        return nested(draw(st.lists(NAMES, min_size=1, max_size=400)), "id")
    if kind == "deep introspection":
        levels = ["fields", "type"] + ["ofType"] * draw(st.integers(1, 200))
        return nested(["__schema", "types", *levels], "name")
    if kind == "deep list":
        return f"{{ users(after: {'[' * depth}1{']' * depth}) {{ id }} }}"
    if kind == "deep object":
        return f"{{ users(after: {'{a:' * depth}1{'}' * depth}) {{ id }} }}"
    if kind == "aliases":
        count = draw(st.integers(2, 300))
        return "{ " + " ".join(f"a{n}: me {{ id }}" for n in range(count)) + " }"
    if kind == "unknown field":
        return f"{{ me {{ id {draw(NAMES)}{draw(st.text('abcxyz_', max_size=5))} }} }}"
    if kind == "unknown argument":
        return f"{{ me(nope: {draw(INTS)}) {{ id }} chats(x: 1) {{ lastSeq }} }}"
    if kind == "duplicate argument":
        return "{ users(first: 1, first: 2) { id } }"
    if kind == "huge int":
        value = draw(INTS)
        arg = draw(st.sampled_from(["users(first:", "chats(first:"]))
        field_name = "lastSeq" if arg.startswith("chats") else "id"
        return f"{{ {arg} {value}) {{ {field_name} }} }}"
    if kind == "float for int":
        number = draw(st.sampled_from(["1e400", "-0.0", "1.5", "0x10", "01"]))
        return f"{{ chats(first: {number}) {{ lastSeq }} }}"
    if kind == "long string":
        channel, text = json.dumps(draw(strings)), json.dumps(draw(LONG_TEXT))
        arguments = f"channel: {channel}, message: {text}"
        return f"mutation {{ sendMessage({arguments}) {{ id }} }}"
    if kind == "block string":
        return f'{{ messages(channel: """{draw(ANY_TEXT)}""") {{ id }} }}'
    if kind == "fragment cycle":
        return (
            "query { me { ...A } } fragment A on User { id ...B } "
            "fragment B on User { username ...A }"
        )
    if kind == "many operations":
        count = draw(st.integers(2, 200))
        return " ".join(f"query Q{n} {{ me {{ id }} }}" for n in range(count))
    if kind == "directives":
        directive = draw(
            st.sampled_from(["@skip(if: $nope)", "@include", "@foo", "@skip(if: 1)"])
        )
        return f"{{ me {directive} {{ id }} }}"
    return "query Q($a: Int) { messages(channel: $b, last: $a) { id } }"


def named_type(node: graphql.TypeNode) -> str:
    while not isinstance(node, graphql.NamedTypeNode):
        node = node.type  # type: ignore[attr-defined]
    return node.name.value


@st.composite
def variables_for(
    draw: st.DrawFn, document: str, typed: dict[str, st.SearchStrategy[Any]]
) -> dict[str, object]:
    """Values for the document's declared variables: absent, null, of the
    declared type with hostile content, or any JSON at all."""
    declared = [
        (definition.variable.name.value, named_type(definition.type))
        for operation in graphql.parse(document).definitions
        if isinstance(operation, graphql.OperationDefinitionNode)
        for definition in operation.variable_definitions or ()
    ]
    values: dict[str, object] = {}
    for name, type_name in declared:
        choice = draw(st.sampled_from(["absent", "null", "typed", "typed", "any"]))
        if choice == "null":
            values[name] = None
        elif choice == "typed":
            values[name] = draw(typed.get(type_name, JSON_VALUES))
        elif choice == "any":
            values[name] = draw(JSON_VALUES)
    if draw(st.booleans()):
        values[draw(st.text(max_size=8))] = draw(JSON_VALUES)
    return values


# ------------------------------------------------------------- HTTP tests


@fuzz(600)
@given(data=st.data())
def test_valid_queries_and_mutations_are_answered_without_fault(
    world: World, strategies: Strategies, watch: LogWatch, data: st.DataObject
) -> None:
    query = data.draw(strategies.valid, label="query")
    who = data.draw(st.sampled_from(WHO), label="who")
    response, body = graphql_request(world, watch, query, {}, who)
    TALLY.examples["http_valid"] += 1
    TALLY.record()

    assert response.status_code == 200, response.text
    assert body is not None, response.text
    assert "data" in body or "errors" in body, response.text


@fuzz(100)
@given(data=st.data())
def test_operations_violating_the_schema_are_refused_as_bad_user_input(
    world: World, strategies: Strategies, watch: LogWatch, data: st.DataObject
) -> None:
    query = data.draw(strategies.violating, label="query")
    who = data.draw(st.sampled_from(WHO), label="who")
    response, body = graphql_request(world, watch, query, {}, who)
    TALLY.examples["http_schema_violations"] += 1
    TALLY.record()

    assert response.status_code == 200, response.text
    assert body is not None, response.text
    assert body.get("data") is None, response.text
    assert "errors" in body, response.text
    codes = {error["extensions"]["code"] for error in body["errors"]}
    assert codes == {"BAD_USER_INPUT"}, response.text


@fuzz(150)
@given(query=ANY_TEXT | st.text(), who=st.sampled_from(WHO))
def test_arbitrary_text_as_a_query_is_answered_without_fault(
    world: World, watch: LogWatch, query: str, who: Who
) -> None:
    graphql_request(world, watch, query, None, who)
    TALLY.examples["http_arbitrary_text"] += 1
    TALLY.record()


@fuzz(200)
@given(data=st.data())
def test_mutilated_operations_are_answered_without_fault(
    world: World, strategies: Strategies, watch: LogWatch, data: st.DataObject
) -> None:
    sources = strategies.valid | st.sampled_from(DOCUMENTS)
    query = data.draw(mutilated(sources), label="query")
    who = data.draw(st.sampled_from(WHO), label="who")
    graphql_request(world, watch, query, {}, who)
    TALLY.examples["http_mutilated"] += 1
    TALLY.record()


@fuzz(600)
@given(data=st.data())
def test_variables_of_any_type_and_size_are_answered_without_fault(
    world: World, strategies: Strategies, watch: LogWatch, data: st.DataObject
) -> None:
    query = data.draw(st.sampled_from(DOCUMENTS), label="query")
    variables = data.draw(variables_for(query, strategies.typed), label="vars")
    who = data.draw(st.sampled_from(WHO), label="who")
    graphql_request(world, watch, query, variables, who)
    TALLY.examples["http_wrong_variables"] += 1
    TALLY.record()


@fuzz(150)
@given(data=st.data())
def test_hostile_documents_are_answered_without_fault(
    world: World, strategies: Strategies, watch: LogWatch, data: st.DataObject
) -> None:
    query = data.draw(hostile(strategies.strings), label="query")
    who = data.draw(st.sampled_from(WHO), label="who")
    graphql_request(world, watch, query, {}, who)
    TALLY.examples["http_hostile"] += 1
    TALLY.record()


REQUEST_FIELDS = ("query", "variables", "operationName", "extensions")


@st.composite
def malformed_requests(draw: st.DrawFn) -> tuple[str, str, dict[str, str], bytes]:
    """(method, path, headers, body) of requests that bend the transport."""
    kind = draw(
        st.sampled_from(
            [
                "bytes",
                "not an object",
                "wrong field types",
                "deep json",
                "too large",
                "media type",
                "method",
            ]
        )
    )
    method, path = "POST", "/graphql"
    content_type = "application/json"
    body: bytes
    if kind == "bytes":
        body = draw(st.binary(max_size=200))
    elif kind == "not an object":
        body = json.dumps(draw(JSON_SCALARS | st.lists(JSON_VALUES))).encode()
    elif kind == "wrong field types":
        fields = draw(st.lists(st.sampled_from(REQUEST_FIELDS), unique=True))
        payload = {name: draw(JSON_VALUES) for name in fields}
        body = json.dumps(payload).encode()
    elif kind == "deep json":
        depth = draw(st.integers(100, 30_000))
        inner = draw(st.sampled_from(["[" * depth + "]" * depth, '{"a":' * depth]))
        body = f'{{"query": "{{ me {{ id }} }}", "variables": {inner}}}'.encode()
    elif kind == "too large":
        padding = "x" * draw(st.integers(64 * 1024, 300 * 1024))
        body = json.dumps({"query": f"# {padding}\n{{ me {{ id }} }}"}).encode()
    elif kind == "media type":
        content_type = draw(
            st.sampled_from(
                [
                    "text/plain",
                    "application/graphql",
                    "application/x-www-form-urlencoded",
                    "multipart/form-data; boundary=x",
                    "multipart/mixed",
                    "application/json; charset=latin-1",
                    "",
                ]
            )
        )
        body = draw(
            st.sampled_from([b"{ me { id } }", b'{"query": "{ me { id } }"}'])
            | st.binary(max_size=100)
        )
    else:
        method = draw(st.sampled_from(["GET", "PUT", "PATCH", "DELETE", "HEAD"]))
        path = "/graphql?" + str(
            httpx.QueryParams(
                {"query": draw(st.text(TEXT_CHAR)), "variables": draw(st.text())}
            )
        )
        body = b""
    return method, path, {"Content-Type": content_type}, body


@fuzz(150)
@given(request=malformed_requests(), who=st.sampled_from(WHO))
def test_malformed_http_requests_are_answered_without_fault(
    world: World,
    watch: LogWatch,
    request: tuple[str, str, dict[str, str], bytes],
    who: Who,
) -> None:
    method, path, headers, body = request
    token = world.token(who)
    if token is not None:
        headers = {**headers, "Authorization": f"Bearer {token}"}
    response = world.http.request(method, path, content=body, headers=headers)
    check_response(response, body.decode(errors="replace") + path, watch)
    TALLY.examples["http_malformed"] += 1
    TALLY.record()

    assert response.status_code < 500, response.text


# -------------------------------------------------------- WebSocket tests

SUBPROTOCOL = Subprotocol("graphql-transport-ws")


def provoke(world: World) -> None:
    """Events every subscription on the member's or the outsider's chats hears."""
    for sender, channel in ((world.bob, world.chat), (world.alice, world.side_chat)):
        variables = {"channel": channel, "message": "are you there?"}
        assert "errors" not in call(world.http, SEND, variables, sender.token)
    for caller, other in ((world.bob, world.alice), (world.alice, world.carol)):
        assert "errors" not in call(
            world.http, REQUEST_CHAT, {"toUser": other.id}, caller.token
        )


def checked(query: str) -> Literal["unparsable", "invalid", "valid"]:
    """What graphql-core makes of the document against the committed SDL."""
    try:
        document = graphql.parse(query)
    except graphql.GraphQLError:
        return "unparsable"
    return "invalid" if graphql.validate(SCHEMA, document) else "valid"


def ws_answer(socket: ClientConnection, world: World, query: str, where: str) -> str:
    """The first answer to the operation "fuzz": a message type or close code.

    A document that does not parse is refused with an `error` message (or the
    socket closed with a protocol code); one that does not validate is
    answered within WS_ANSWER_DEADLINE. A valid subscription may rightly say
    nothing until something happens, so while it is quiet the test makes
    things happen (a message in each chat, a chat request to each user) that
    it would hear; one that stays quiet through WS_LIVE_WINDOW of that (it
    waits for seqs after a future afterSeq) must still answer a ping.
    """
    verdict = checked(query)
    window = WS_LIVE_WINDOW if verdict == "valid" else WS_ANSWER_DEADLINE
    waited = 0.0
    while waited < window:
        try:
            message = json.loads(socket.recv(timeout=WS_QUIET))
        except TimeoutError:
            waited += WS_QUIET
            if verdict == "valid":
                provoke(world)
            continue
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
            assert code in ALLOWED_CLOSE_CODES, f"closed with {code}: {where}"
            return f"close {code}"
        if message.get("type") in ("ping", "pong"):
            answer_ping(socket, message)
            continue
        return check_operation_message(message, verdict, where)
    assert verdict == "valid", f"no answer in {WS_ANSWER_DEADLINE}s: {where}"
    socket.send(json.dumps({"type": "ping"}))
    while True:
        message = json.loads(socket.recv(timeout=WS_ANSWER_DEADLINE))
        if message.get("type") == "pong":
            return "live, quiet"
        if message.get("type") == "ping":
            answer_ping(socket, message)
        else:
            check_operation_message(message, verdict, where)


def answer_ping(socket: ClientConnection, message: dict[str, Any]) -> None:
    if message["type"] == "ping":
        socket.send(json.dumps({"type": "pong"}))


def check_operation_message(message: object, verdict: str, where: str) -> str:
    assert isinstance(message, dict), f"{message!r}: {where}"
    kind = message.get("type")
    assert message.get("id") == "fuzz", f"{message!r}: {where}"
    if verdict == "unparsable":
        assert kind == "error", f"{message!r} to an unparsable document: {where}"
    if kind == "error":
        check_errors(message.get("payload"), where)
    elif kind == "next":
        payload = message.get("payload")
        assert isinstance(payload, dict), f"{message!r}: {where}"
        if "errors" in payload:
            check_errors(payload["errors"], where)
    else:
        assert kind == "complete", f"{message!r}: {where}"
    return str(kind)


def exchange(
    world: World,
    query: str,
    variables: object,
    who: Who,
    init_payload: dict[str, str],
    where: str,
) -> str:
    with connect(
        world.server.ws_url, subprotocols=[SUBPROTOCOL], open_timeout=5
    ) as socket:
        socket.send(json.dumps({"type": "connection_init", "payload": init_payload}))
        try:
            ack = json.loads(socket.recv(timeout=5))
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
            assert code in ALLOWED_CLOSE_CODES, f"closed with {code}: {where}"
            assert who in ("anonymous", "forged"), where
            return f"close {code}"
        assert ack == {"type": "connection_ack"}, f"{ack!r}: {where}"
        payload = {"query": query, "variables": variables}
        socket.send(json.dumps({"id": "fuzz", "type": "subscribe", "payload": payload}))
        return ws_answer(socket, world, query, where)


def subscribe_once(
    world: World, watch: LogWatch, query: str, variables: object, who: Who
) -> str:
    """Sign in as `who`, subscribe, and return the server's first answer."""
    token = world.token(who)
    init_payload = {"authorization": f"Bearer {token}"} if token else {}
    where = f"{who} subscribed {query!r} with {variables!r}"
    note(where)
    try:
        outcome = exchange(world, query, variables, who, init_payload, where)
    except AssertionError as failure:
        raise AssertionError(f"{failure}\nserver log:\n{watch.new_faults()}") from None
    faults = watch.new_faults()
    assert not faults, f"the server logged a fault: {where}\n{faults}"
    return outcome


@st.composite
def subscription_requests(
    draw: st.DrawFn, strategies: Strategies
) -> tuple[str, object]:
    kind = draw(st.sampled_from(["valid", "violating", "variables", "mutilated"]))
    if kind == "valid":
        return draw(strategies.subscriptions), None
    if kind == "violating":
        return draw(strategies.violating_subscriptions), None
    document = draw(st.sampled_from(SUBSCRIPTION_DOCUMENTS))
    if kind == "variables":
        return document, draw(variables_for(document, strategies.typed))
    return draw(mutilated(strategies.subscriptions | st.just(document))), {}


@fuzz(120)
@given(data=st.data())
def test_subscriptions_over_websocket_are_answered_without_fault(
    world: World, strategies: Strategies, watch: LogWatch, data: st.DataObject
) -> None:
    query, variables = data.draw(subscription_requests(strategies), label="request")
    who = data.draw(st.sampled_from(WHO), label="who")
    outcome = subscribe_once(world, watch, query, variables, who)
    TALLY.examples["ws_subscriptions"] += 1
    TALLY.ws_outcomes[outcome] += 1
    TALLY.record()


# ------------------------------------------------------------- the log


def test_the_server_logged_no_fault_while_fuzzed(server: Server) -> None:
    """Last in the module: the whole log, with what came after the answers."""
    TALLY.record()
    log = server.log()

    assert not faults_in(log), faults_in(log)
    assert "Traceback" not in log
