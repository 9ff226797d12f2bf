"""Calls the schema directly with a real context, as a client would see it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from sqlalchemy import func, select
from strawberry.types import ExecutionResult

from db.models import Message
from graph.api.context import Context
from graph.api.schema import schema
from graph.domain.records import MessageRecord
from graph.platform.settings import Settings
from graph.services import Services
from tests.support.waiting import wait_until

PASSWORD = "correct horse battery"

MESSAGE_FIELDS = """
    id seq channel message clientId createdAt
    version editedAt deletedAt reactions { emoji count mine }
    fromUser { id username } toUser { id username }
    sentiment {
      polarity subjectivity label emoji score confidence analyzer
      reasons { text weight }
    }
"""
SEND = f"""
mutation Send($channel: String!, $message: String!, $clientId: String) {{
  sendMessage(channel: $channel, message: $message, clientId: $clientId) {{
    {MESSAGE_FIELDS}
  }}
}}"""
HISTORY = f"""
query History($channel: String!, $after: Int, $before: Int, $last: Int) {{
  messages(channel: $channel, after: $after, before: $before, last: $last) {{
    {MESSAGE_FIELDS}
  }}
}}"""
NEW_MESSAGE = f"""
subscription Live($channel: String!, $afterSeq: Int) {{
  newMessage(channel: $channel, afterSeq: $afterSeq) {{ {MESSAGE_FIELDS} }}
}}"""
EDIT = f"""
mutation Edit($id: ID!, $message: String!) {{
  editMessage(id: $id, message: $message) {{ {MESSAGE_FIELDS} }}
}}"""
DELETE = f"""
mutation Delete($id: ID!) {{ deleteMessage(id: $id) {{ {MESSAGE_FIELDS} }} }}
"""
REACT = f"""
mutation React($id: ID!, $emoji: String!, $on: Boolean! = true) {{
  react(id: $id, emoji: $emoji, on: $on) {{ {MESSAGE_FIELDS} }}
}}"""
MESSAGE_CHANGES = f"""
subscription Changes($channel: String!, $afterVersion: Int) {{
  messageChanges(channel: $channel, afterVersion: $afterVersion) {{
    {MESSAGE_FIELDS}
  }}
}}"""
CHAT_FIELDS = """
    channelName fromUser { id username } toUser { id username }
    fromUserNotificationChannel toUserNotificationChannel lastSeq
"""
CHATS = f"query Chats($first: Int) {{ chats(first: $first) {{ {CHAT_FIELDS} }} }}"
REQUEST_CHAT = f"""
mutation Open($toUser: ID!) {{ requestChat(toUser: $toUser) {{ {CHAT_FIELDS} }} }}
"""
NEW_CHAT = f"subscription {{ newChat {{ {CHAT_FIELDS} }} }}"
REGISTER = """
mutation Register($username: String!, $password: String!) {
  register(username: $username, password: $password) { token user { id username } }
}"""
LOGIN = """
mutation Login($username: String!, $password: String!) {
  login(username: $username, password: $password) { token user { id username } }
}"""


@dataclass(frozen=True)
class Account:
    id: str
    username: str
    token: str


class Api:
    def __init__(self, services: Services, settings: Settings) -> None:
        self.services = services
        self.settings = settings

    def context(self, token: str | None = None) -> Context:
        header = f"Bearer {token}" if token is not None else None
        return Context(self.services, self.settings, header)

    async def execute(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> ExecutionResult:
        return await schema.execute(
            query, variable_values=variables, context_value=self.context(token)
        )

    async def data(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> dict[str, Any]:
        result = await self.execute(query, variables, token)
        assert result.errors is None, result.errors
        assert result.data is not None
        return result.data

    async def refusal(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
    ) -> tuple[str, str]:
        """The (code, message) of an operation that must be refused."""
        result = await self.execute(query, variables, token)
        assert result.errors, f"expected a refusal, got {result.data}"
        error = result.errors[0]
        return (error.extensions or {})["code"], error.message

    async def register(self, username: str, password: str = PASSWORD) -> Account:
        variables = {"username": username, "password": password}
        payload = (await self.data(REGISTER, variables))["register"]
        return Account(
            payload["user"]["id"], payload["user"]["username"], payload["token"]
        )

    async def pair(self) -> tuple[Account, Account, str]:
        """Alice and Bob, with their chat opened."""
        alice, bob = await self.register("alice"), await self.register("bob")
        return alice, bob, await self.open_chat(alice, bob)

    async def open_chat(self, caller: Account, other: Account) -> str:
        data = await self.data(REQUEST_CHAT, {"toUser": other.id}, caller.token)
        channel: str = data["requestChat"]["channelName"]
        return channel

    async def send(
        self, sender: Account, channel: str, text: str, client_id: str | None = None
    ) -> dict[str, Any]:
        variables = {"channel": channel, "message": text, "clientId": client_id}
        message: dict[str, Any] = (await self.data(SEND, variables, sender.token))[
            "sendMessage"
        ]
        return message

    async def edit(self, sender: Account, message_id: str, text: str) -> dict[str, Any]:
        variables = {"id": message_id, "message": text}
        edited: dict[str, Any] = (await self.data(EDIT, variables, sender.token))[
            "editMessage"
        ]
        return edited

    async def delete(self, sender: Account, message_id: str) -> dict[str, Any]:
        data = await self.data(DELETE, {"id": message_id}, sender.token)
        deleted: dict[str, Any] = data["deleteMessage"]
        return deleted

    async def react(
        self, member: Account, message_id: str, emoji: str, on: bool = True
    ) -> dict[str, Any]:
        variables = {"id": message_id, "emoji": emoji, "on": on}
        data = await self.data(REACT, variables, member.token)
        reacted: dict[str, Any] = data["react"]
        return reacted

    async def store_unpublished(
        self, sender: Account, other: Account, text: str
    ) -> MessageRecord:
        """Commit a message without publishing it, as when a publish fails."""
        messages = self.services.messages
        low, high = sorted((int(sender.id), int(other.id)))
        scores = await self.services.sentiment.score(text)
        record, _, slot = await messages._store(
            int(sender.id), (low, high), text, None, scores
        )
        if slot is not None:
            slot.void()
        return record

    async def history(
        self, reader: Account, channel: str, **bounds: int | None
    ) -> list[dict[str, Any]]:
        data = await self.data(HISTORY, {"channel": channel, **bounds}, reader.token)
        messages: list[dict[str, Any]] = data["messages"]
        return messages

    def subscribe(
        self, query: str, variables: dict[str, Any] | None, token: str
    ) -> Subscription:
        return Subscription(self, query, variables, token)


class Subscription:
    """A running subscription whose results are read with a deadline."""

    def __init__(
        self, api: Api, query: str, variables: dict[str, Any] | None, token: str
    ) -> None:
        self._api = api
        self._query = query
        self._variables = variables
        self._token = token
        self._results: asyncio.Queue[ExecutionResult] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._stream: AsyncGenerator[Any, None] | None = None
        self._reading = asyncio.Event()
        self._reading.set()

    async def __aenter__(self) -> Subscription:
        hub = self._api.services.bus.hub
        before = hub.subscriber_count()
        stream = await schema.subscribe(
            self._query,
            variable_values=self._variables,
            context_value=self._api.context(self._token),
        )
        assert not isinstance(stream, ExecutionResult), stream
        self._stream = stream
        self._task = asyncio.create_task(self._pump())
        # Attached once the hub counts it (after the broker confirmed it), or
        # once it ended early, as a refused subscription does.
        await wait_until(
            lambda: hub.subscriber_count() > before or not self._results.empty()
        )
        return self

    async def _pump(self) -> None:
        assert self._stream is not None
        async for result in self._stream:
            await self._results.put(result)
            await self._reading.wait()

    def stop_reading(self) -> None:
        """Stop pulling from the stream after the result in flight, as a stalled
        client does; the server's buffers fill behind it."""
        self._reading.clear()

    def read_again(self) -> None:
        self._reading.set()

    async def next(self, timeout: float = 5.0) -> ExecutionResult:
        async with asyncio.timeout(timeout):
            return await self._results.get()

    async def message(self, timeout: float = 5.0) -> dict[str, Any]:
        result = await self.next(timeout)
        assert result.errors is None, result.errors
        assert result.data is not None
        value: dict[str, Any] = next(iter(result.data.values()))
        return value

    async def messages(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        async with asyncio.timeout(timeout):
            return [await self.message(timeout) for _ in range(count)]

    def pending(self) -> int:
        return self._results.qsize()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._stream is not None:
            await self._stream.aclose()


async def message_count(api: Api) -> int:
    """Messages stored, in all: what a refused or idempotent call must not change."""
    async with api.services.accounts._sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Message)) or 0)
