"""`POST /pusher/auth` signs the caller's own channels and refuses the rest.

The app runs in-process, on both backends, configured with the credentials
of Pusher's documented worked example; an accepted answer is checked against
an HMAC computed here by the documented formula.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from starlette.types import Message

from graph.app import create_app
from graph.platform.settings import Settings
from graph.services import Services
from graph.services.security import Tokens
from tests.support.api import Account, Api
from tests.support.fake_pusher import Credentials, FakePusher
from tests.support.services import empty_tables
from tests.unit.test_pusher_signing import (
    DOCS_KEY,
    DOCS_SECRET,
    MALFORMED_CHANNEL_NAMES,
    MALFORMED_SOCKET_IDS,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
SOCKET = "1234.1234"


def documented_auth(socket_id: str, channel_name: str) -> str:
    """The auth string by Pusher's documented formula, with its example keys."""
    message = f"{socket_id}:{channel_name}".encode()
    signature = hmac.new(DOCS_SECRET.encode(), message, hashlib.sha256).hexdigest()
    return f"{DOCS_KEY}:{signature}"


@pytest.fixture(autouse=True)
def no_fault_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A refusal is an answer: nothing may be logged as an error meanwhile."""
    yield
    faults = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert not faults, faults


@dataclass
class People:
    alice: Account
    bob: Account
    carol: Account


@pytest.fixture
async def pusher_settings(settings: Settings) -> AsyncIterator[Settings]:
    """Pusher on, with the documentation's credentials, at a local fake."""
    await empty_tables(settings.database_url)
    fake = await FakePusher(Credentials("3", DOCS_KEY, DOCS_SECRET)).start()
    yield settings.model_copy(update=fake.settings())
    await fake.stop()


@asynccontextmanager
async def serving(
    settings: Settings,
) -> AsyncIterator[tuple[httpx.AsyncClient, Services]]:
    """The app in-process, started as uvicorn would; an HTTP client for it."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://sentichat.test"
        ) as http:
            yield http, app.state.services


@dataclass
class Server:
    http: httpx.AsyncClient
    api: Api
    people: People

    async def auth(
        self,
        channel_name: str,
        socket_id: str = SOCKET,
        caller: Account | None = None,
    ) -> httpx.Response:
        token = (caller or self.people.alice).token
        return await self.http.post(
            "/pusher/auth",
            data={"socket_id": socket_id, "channel_name": channel_name},
            headers={"Authorization": f"Bearer {token}"},
        )

    async def post(
        self,
        body: bytes | str | AsyncIterator[bytes],
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        token = self.people.alice.token
        return await self.http.post(
            "/pusher/auth",
            content=body,
            headers={"Authorization": f"Bearer {token}", **FORM, **(headers or {})},
        )


@pytest.fixture
async def server(pusher_settings: Settings) -> AsyncIterator[Server]:
    """Alice and Bob share a chat, as do Bob and Carol; Alice and Carol do not."""
    async with serving(pusher_settings) as (http, services):
        api = Api(services, pusher_settings)
        alice, bob, carol = [await api.register(n) for n in ("alice", "bob", "carol")]
        await api.open_chat(alice, bob)
        await api.open_chat(carol, bob)
        yield Server(http, api, People(alice, bob, carol))


# -- what is signed ----------------------------------------------------------


async def test_the_callers_notification_channel_is_signed(server: Server) -> None:
    channel = f"private-notification_user_{server.people.alice.id}"

    response = await server.auth(channel)

    assert response.status_code == 200
    assert response.json() == {"auth": documented_auth(SOCKET, channel)}
    assert response.headers["cache-control"] == "no-store"


async def test_a_chat_channel_is_signed_for_each_of_its_members(
    server: Server,
) -> None:
    alice, bob = server.people.alice, server.people.bob
    channel = chat(alice, bob)

    for member in (alice, bob):
        response = await server.auth(channel, "98765.4321", caller=member)

        assert response.status_code == 200
        assert response.json() == {"auth": documented_auth("98765.4321", channel)}


def chat(one: Account, other: Account) -> str:
    low, high = sorted((int(one.id), int(other.id)))
    return f"private-chat_{low}_{high}"


# -- what is refused: 403 for every channel that is not the caller's ---------

OTHERS_CHANNELS = {
    "another user's notification channel": "private-notification_user_{bob}",
    "a chat the caller is not in": "private-chat_{bob_carol}",
    "the caller's chat that was never requested": "private-chat_{alice_carol}",
    "the caller's chat, ids in the wrong order": "private-chat_{alice_bob_reversed}",
    "the caller's chat with a leading zero": "private-chat_0{alice_bob}",
    "a chat with oneself": "private-chat_{alice}_{alice}",
    "a chat of ids past 64 bits": "private-chat_{alice}_99999999999999999999",
    "the chat's presence twin": "presence-chat_{alice_bob}",
    "the chat's encrypted twin": "private-encrypted-chat_{alice_bob}",
    "the chat's public twin": "chat_{alice_bob}",
    "the chat with a suffix": "private-chat_{alice_bob}_1",
    "the caller's notification channel with a leading zero": (
        "private-notification_user_0{alice}"
    ),
    "the caller's presence notification twin": "presence-notification_user_{alice}",
    "the caller's public notification twin": "notification_user_{alice}",
    "the notification channel with a suffix": "private-notification_user_{alice}_1",
    "the notification prefix alone": "private-notification_user_",
    "a private channel Sentichat does not use": "private-foobar",
    "a public channel": "news",
}


@pytest.mark.parametrize("kind", OTHERS_CHANNELS)
async def test_a_channel_that_is_not_the_callers_is_refused(
    server: Server, kind: str
) -> None:
    people = server.people
    alice, bob, carol = (int(p.id) for p in (people.alice, people.bob, people.carol))
    name = OTHERS_CHANNELS[kind].format(
        alice=alice,
        bob=bob,
        bob_carol="_".join(map(str, sorted((bob, carol)))),
        alice_carol="_".join(map(str, sorted((alice, carol)))),
        alice_bob="_".join(map(str, sorted((alice, bob)))),
        alice_bob_reversed="_".join(map(str, sorted((alice, bob), reverse=True))),
    )

    response = await server.auth(name)

    assert response.status_code == 403, name
    assert response.json() == {"error": "You may not subscribe to this channel."}


# -- 400: malformed input ------------------------------------------------------

MALFORMED_CHANNEL = (
    "channel_name must be 1 to 164 letters, digits or -_=@,.; characters."
)


@pytest.mark.parametrize("name", MALFORMED_CHANNEL_NAMES)
async def test_a_malformed_channel_name_is_a_bad_request(
    server: Server, name: str
) -> None:
    response = await server.auth(name)

    assert response.status_code == 400
    assert response.json() == {"error": MALFORMED_CHANNEL}


@pytest.mark.parametrize("socket_id", MALFORMED_SOCKET_IDS)
async def test_a_malformed_socket_id_is_a_bad_request(
    server: Server, socket_id: str
) -> None:
    channel = f"private-notification_user_{server.people.alice.id}"

    response = await server.auth(channel, socket_id)

    assert response.status_code == 400
    assert response.json() == {
        "error": "socket_id must be a Pusher socket id such as 1234.5678."
    }


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("", "socket_id is required."),
        ("socket_id=1.2", "channel_name is required."),
        ("channel_name=news", "socket_id is required."),
        (
            "socket_id=1.2&socket_id=3.4&channel_name=news",
            "socket_id is given more than once.",
        ),
        (
            "socket_id=1.2&channel_name=a&channel_name=b",
            "channel_name is given more than once.",
        ),
        ("socket_id=1.2&channel_name=%ff", "The body is not a URL-encoded form."),
        ("socket_id=1.2&&channel_name=x", "The body is not a URL-encoded form."),
        ("socket_id", "The body is not a URL-encoded form."),
        ("&".join(f"f{n}=1" for n in range(17)), "The body is not a URL-encoded form."),
        (
            b"socket_id=1.2&channel_name=caf\xc3\xa9",
            "The body is not a URL-encoded form.",
        ),
    ],
)
async def test_a_malformed_form_is_a_bad_request(
    server: Server, body: str | bytes, error: str
) -> None:
    response = await server.post(body)

    assert response.status_code == 400
    assert response.json() == {"error": error}


async def test_other_form_fields_are_ignored(server: Server) -> None:
    channel = f"private-notification_user_{server.people.alice.id}"

    response = await server.post(f"socket_id=1.2&channel_name={channel}&extra=1")

    assert response.json() == {"auth": documented_auth("1.2", channel)}


@pytest.mark.parametrize(
    "content_type", ["application/json", "text/plain", "multipart/form-data", ""]
)
async def test_a_body_that_is_not_a_form_is_refused(
    server: Server, content_type: str
) -> None:
    response = await server.post(
        '{"socket_id": "1.2"}', headers={"Content-Type": content_type}
    )

    assert response.status_code == 415
    assert "application/x-www-form-urlencoded" in response.json()["error"]


async def test_a_body_over_four_kilobytes_is_refused(server: Server) -> None:
    response = await server.post("socket_id=1.2&channel_name=" + "x" * 4096)

    assert response.status_code == 413
    assert response.json() == {"error": "The body is at most 4096 bytes."}


async def test_a_streamed_body_over_four_kilobytes_is_refused(server: Server) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"socket_id=1.2&channel_name="
        for _ in range(5):
            yield b"x" * 1000

    response = await server.post(chunks())  # chunked: no Content-Length

    assert response.status_code == 413


async def test_a_client_that_hangs_up_mid_body_leaves_no_trace(
    pusher_settings: Settings,
) -> None:
    app = create_app(pusher_settings)
    messages: list[Message] = [
        {"type": "http.request", "body": b"socket_id=1.2&chan", "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    async with app.router.lifespan_context(app):
        api = Api(app.state.services, pusher_settings)
        alice = await api.register("alice")
        headers = [
            (b"authorization", f"Bearer {alice.token}".encode()),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", b"100"),
        ]
        scope = {
            "type": "http",
            "method": "POST",
            "path": "/pusher/auth",
            "raw_path": b"/pusher/auth",
            "query_string": b"",
            "headers": headers,
            "http_version": "1.1",
            "scheme": "http",
            "server": ("sentichat.test", 80),
            "client": ("127.0.0.1", 5000),
            "root_path": "",
            "app": app,
        }
        await app(scope, receive, send)

    # Nobody is left to answer, and nothing is logged (see no_fault_logged).
    assert sent == []


async def test_an_unreachable_database_is_service_unavailable(
    settings: Settings, tmp_path: Path
) -> None:
    missing = tmp_path / "no" / "such" / "dir" / "sentichat.db"
    broken = settings.model_copy(
        update={
            "database_url": f"sqlite+aiosqlite:///{missing}",
            "broadcast_url": "memory://",
            "pusher_app_id": "3",
            "pusher_key": DOCS_KEY,
            "pusher_secret": DOCS_SECRET,
            "pusher_host": "127.0.0.1",
            "pusher_port": 9,
            "pusher_ssl": False,
            "pusher_drain_seconds": 0,
        }
    )
    token = Tokens(broken).issue(1)
    async with serving(broken) as (http, _):
        response = await http.post(
            "/pusher/auth",
            data={"socket_id": "1.2", "channel_name": "private-chat_1_2"},
            headers={"Authorization": f"Bearer {token}"},
        )

    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert response.json() == {
        "error": "The service is temporarily unavailable; try again shortly."
    }


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
async def test_only_post_is_allowed(server: Server, method: str) -> None:
    response = await server.http.request(method, "/pusher/auth")

    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


# -- 401: who is asking --------------------------------------------------------


@pytest.mark.parametrize(
    ("authorization", "error"),
    [
        (None, "Authentication required."),
        ("", "Authentication required."),
        ("Bearer", "Use an `Authorization: Bearer <token>` header."),
        ("Basic YWxpY2U6cGFzcw==", "Use an `Authorization: Bearer <token>` header."),
        ("Bearer not-a-token", "Invalid or expired token."),
    ],
)
async def test_a_missing_or_bad_token_is_unauthorized(
    server: Server, authorization: str | None, error: str
) -> None:
    headers = dict(FORM)
    if authorization is not None:
        headers["Authorization"] = authorization
    channel = f"private-notification_user_{server.people.alice.id}"

    response = await server.http.post(
        "/pusher/auth",
        content=f"socket_id=1.2&channel_name={channel}",
        headers=headers,
    )

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {"error": error}


async def test_a_token_signed_with_another_secret_is_unauthorized(
    server: Server, pusher_settings: Settings
) -> None:
    other = pusher_settings.model_copy(update={"jwt_secret": "another" * 8})
    alice = server.people.alice
    forged = Tokens(other).issue(int(alice.id))
    forged_alice = Account(alice.id, alice.username, forged)

    response = await server.auth(
        f"private-notification_user_{alice.id}", caller=forged_alice
    )

    assert response.status_code == 401


# -- 404: Pusher off -----------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "GET"])
async def test_without_pusher_settings_the_endpoint_is_not_found(
    settings: Settings, method: str
) -> None:
    async with serving(settings) as (http, services):
        assert services.pusher is None
        response = await http.request(method, "/pusher/auth")

    assert response.status_code == 404
    assert response.json() == {"error": "Pusher is not configured on this server."}
