"""Text is stored exactly as sent and comes back exactly, as valid JSON.

No trimming, no Unicode normalisation, no escaping into the stored text:
what `sendMessage` accepted is what the database holds and what history and
a subscription return, byte for byte.
"""

from __future__ import annotations

import json

from sqlalchemy import text

from db.session import create_engine
from tests.e2e.hostile.conftest import Hostile
from tests.support.wsclient import GraphQLWebSocket

TEXTS = [
    "  leading and trailing spaces  ",
    "line one\r\nline two\n",
    "e\u0301 (decomposed) is not \u00e9 (composed)",
    "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 a family, joined",
    "\U0001f1eb\U0001f1f7 a flag of two regional indicators",
    "\u0645\u0631\u062d\u0628\u0627 right to left \u202e overridden",
    "zero\u200bwidth\u200cnon\u200djoiner",
    "<script>alert('x')</script> & \"quotes\" \\ backslash",
    "\u2028line and paragraph separators\u2029",
    "\ttabs\tand\x01\x1f\x7f control characters",
    "\ufeffa byte order mark first",
    "\U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522 astral letters",
    "\U0001f600" * 4000,
]
SEND = """
mutation($c: String!, $m: String!) { sendMessage(channel: $c, message: $m) { seq message } }
"""
HISTORY = """
query($c: String!, $a: Int) { messages(channel: $c, after: $a, last: 200) { seq message } }
"""
LIVE = "subscription($c: String!, $a: Int) { newMessage(channel: $c, afterSeq: $a) { seq message } }"


async def test_text_is_stored_and_returned_exactly_as_sent(hostile: Hostile) -> None:
    token, channel = hostile.alice.token, hostile.channel
    sent: dict[int, str] = {}
    for message in TEXTS:
        response = await hostile.graphql(SEND, {"c": channel, "m": message}, token)
        assert response.headers["content-type"] == "application/json"
        answer = json.loads(response.content)["data"]["sendMessage"]
        assert answer["message"] == message
        sent[answer["seq"]] = message
    first = min(sent) - 1

    history = await hostile.graphql(HISTORY, {"c": channel, "a": first}, token)
    returned = history.json()["data"]["messages"]
    assert {item["seq"]: item["message"] for item in returned} == sent

    async with GraphQLWebSocket(hostile.server.ws_url, max_size=2**22) as ws:
        await ws.init(token)
        await ws.subscribe("live", LIVE, {"c": channel, "a": first})
        replayed = [(await ws.next_data("live"))["newMessage"] for _ in sent]
    assert {item["seq"]: item["message"] for item in replayed} == sent

    assert await stored_bodies(hostile.database_url, sorted(sent)) == [
        sent[seq] for seq in sorted(sent)
    ]


async def stored_bodies(database_url: str, seqs: list[int]) -> list[str]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT seq, body FROM message WHERE seq >= :low ORDER BY seq"),
                {"low": seqs[0]},
            )
            return [body for seq, body in rows if seq in seqs]
    finally:
        await engine.dispose()
