"""The fake Pusher checks signatures as Pusher documents, and refuses bad ones.

Every Pusher test trusts the fake to catch a badly signed request, so this
proves it does: it accepts the documentation's worked example, and refuses a
wrong key, a wrong secret, a changed body, a stale timestamp.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from types import SimpleNamespace

import pusher
import pusher.http
import pytest
from pusher.http import Request as PusherRequest

from graph.realtime.pusher import PusherClient, PusherEvent
from tests.support.fake_pusher import Credentials, FakePusher, signature_problem
from tests.unit.test_pusher_signing import DOCS_BODY, DOCS_KEY, DOCS_SECRET

DOCS = Credentials(app_id="3", key=DOCS_KEY, secret=DOCS_SECRET)
DOCS_QUERY = (
    "auth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0"
    "&body_md5=ec365a775a4cd0599faeb73354201b6f&auth_signature="
    "da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c"
)
DOCS_TIME = 1353088179


def problem(query: str = DOCS_QUERY, body: bytes = DOCS_BODY, **change: str) -> str:
    """Why the fake refuses the worked example with these changes, or 'accepted'."""
    credentials = replace(DOCS, **change)
    refusal = signature_problem(
        credentials, "POST", "/apps/3/events", query, body, DOCS_TIME
    )
    return refusal or "accepted"


def test_the_fake_accepts_pushers_worked_example() -> None:
    assert problem() == "accepted"


def test_the_fake_refuses_another_key() -> None:
    assert problem(key="0123456789abcdef0123") == "Unknown auth_key"


def test_the_fake_refuses_a_signature_made_with_another_secret() -> None:
    assert problem(secret="not-the-secret").startswith("Invalid signature")


def test_the_fake_refuses_a_changed_body() -> None:
    body = DOCS_BODY.replace(b"project-3", b"project-4")

    assert problem(body=body) == "body_md5 does not match the body"


def test_the_fake_refuses_a_changed_body_with_its_md5_updated() -> None:
    body = DOCS_BODY.replace(b"project-3", b"project-4")
    query = DOCS_QUERY.replace(
        "ec365a775a4cd0599faeb73354201b6f", hashlib.md5(body).hexdigest()
    )

    assert problem(query, body).startswith("Invalid signature")


def test_the_fake_refuses_a_changed_query() -> None:
    query = DOCS_QUERY + "&socket_id=1.2"

    assert problem(query).startswith("Invalid signature")


def test_the_fake_refuses_a_stale_timestamp(monkeypatch: pytest.MonkeyPatch) -> None:
    # Signed correctly by the `pusher` package, 601 s before the fake's clock.
    clock = SimpleNamespace(time=lambda: DOCS_TIME - 601)
    monkeypatch.setattr(pusher.http, "time", clock)
    client = pusher.Pusher(app_id="3", key=DOCS_KEY, secret=DOCS_SECRET)
    params = {"name": "foo", "channels": ["project-3"], "data": "{}"}
    request = PusherRequest(client._pusher_client, "POST", "/apps/3/events", params)

    assert problem(request.query_string, request.body).startswith("Timestamp expired")


@pytest.mark.parametrize(
    "missing", ["auth_key", "auth_timestamp", "auth_version", "auth_signature"]
)
def test_the_fake_refuses_a_request_without_an_auth_parameter(missing: str) -> None:
    query = "&".join(
        part for part in DOCS_QUERY.split("&") if not part.startswith(missing)
    )

    assert problem(query) == f"Missing {missing}"


EVENT = PusherEvent("private-chat_1_2", "new_message", '{"seq":1}')


async def test_a_request_signed_by_sentichat_is_delivered(
    fake_pusher: FakePusher,
) -> None:
    client = PusherClient(fake_pusher.config())
    outcome = await client.trigger_batch([EVENT])
    await client.aclose()

    assert outcome.ok, outcome.detail
    assert [(e.channel, e.name, e.data) for e in fake_pusher.events] == [
        ("private-chat_1_2", "new_message", {"seq": 1})
    ]


@pytest.mark.parametrize(
    ("change", "status", "reason"),
    [
        ({"secret": "another-secret"}, 401, "Invalid signature"),
        ({"key": "another-key"}, 401, "Unknown auth_key"),
        ({"app_id": "999"}, 404, "Unknown app"),
    ],
)
async def test_a_badly_signed_request_is_refused_and_delivers_nothing(
    fake_pusher: FakePusher, change: dict[str, str], status: int, reason: str
) -> None:
    client = PusherClient(fake_pusher.config(**change))
    outcome = await client.trigger_batch([EVENT])
    await client.aclose()

    assert outcome.status == status
    assert not outcome.retryable
    assert fake_pusher.answered[-1].reason.startswith(reason)
    assert fake_pusher.events == []


async def test_a_batch_over_ten_events_or_ten_kilobytes_is_refused(
    fake_pusher: FakePusher,
) -> None:
    client = PusherClient(fake_pusher.config())
    eleven = await client.trigger_batch([EVENT] * 11)
    big = PusherEvent("private-chat_1_2", "new_message", "x" * 10_241)
    too_big = await client.trigger_batch([big])
    await client.aclose()

    assert (eleven.status, too_big.status) == (400, 413)
    assert fake_pusher.events == []
