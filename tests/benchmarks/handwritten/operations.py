"""The two operations measured, and the stub services their resolvers call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    FieldNode,
    FragmentSpreadNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Visitor,
    parse,
    print_ast,
    visit,
)

from graph.domain.records import MessageRecord, UserRecord
from graph.domain.sentiment import Scores, SentimentLabel
from graph.platform.settings import Settings
from graph.realtime.channels import chat_channel

SETTINGS = Settings.model_construct()
PAGE = 50  # the web client's PAGE_SIZE
LABELS = list(SentimentLabel)
VIEWER = 1_234
CHANNEL = chat_channel(VIEWER, 1_235)

CLIENT_OPERATIONS = (
    Path(__file__).resolve().parents[3] / "frontend/src/graphql/operations.graphql"
)
_TYPENAME = FieldNode(name=NameNode(value="__typename"))


class _AddTypename(Visitor):
    """`__typename` in every selection but the operation's own, as Apollo
    Client's InMemoryCache adds it (`addTypenameToDocument`)."""

    def enter_selection_set(
        self, node: SelectionSetNode, _key: object, parent: object, *_: object
    ) -> SelectionSetNode | None:
        if isinstance(parent, OperationDefinitionNode):
            return None
        return SelectionSetNode(selections=(*node.selections, _TYPENAME))


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
        self.names.add(node.name.value)


def client_operation(name: str) -> str:
    """The web client's operation `name` with the fragments it spreads, as the
    client sends it: read from its operations.graphql, so the two never part."""
    definitions = {
        definition.name.value: definition
        for definition in parse(CLIENT_OPERATIONS.read_text()).definitions
        if isinstance(definition, ExecutableDefinitionNode) and definition.name
    }
    wanted, chosen = [name], list[ExecutableDefinitionNode]()
    while wanted:
        definition = definitions[wanted.pop()]
        if definition not in chosen:
            chosen.append(definition)
            spreads = _Spreads()
            visit(definition, spreads)
            wanted += sorted(spreads.names)
    return print_ast(visit(DocumentNode(definitions=tuple(chosen)), _AddTypename()))


@dataclass(frozen=True, slots=True)
class Operation:
    label: str
    name: str
    query: str
    variables: dict[str, Any]


OPERATIONS = (
    Operation(
        f"messages (last: {PAGE})",
        "ChatMessages",
        client_operation("ChatMessages"),
        {"channel": CHANNEL, "last": PAGE},
    ),
    Operation(
        "sendMessage",
        "SendMessage",
        client_operation("SendMessage"),
        {
            "channel": CHANNEL,
            "message": "See you at six!",
            "clientId": "3f2b8c1e-9d4a-4e5b-8f6a-1c2d3e4f5a6b",
        },
    ),
)


def records() -> list[MessageRecord]:
    """A page of a chat, as the service reads it: texts and moods vary."""
    low, high = UserRecord(VIEWER, "user01234"), UserRecord(1_235, "user01235")
    start = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
    return [
        MessageRecord(
            id=1_000_000 + seq,
            seq=seq,
            channel=CHANNEL,
            from_user=low if seq % 2 else high,
            to_user=high if seq % 2 else low,
            message=f"Message {seq}: thanks, that was kind of you. See you at six!",
            client_id=None if seq % 3 else f"client-{seq}",
            created_at=start + timedelta(seconds=seq, microseconds=seq * 1_234),
            sentiment=Scores(
                polarity=(seq % 7 - 3) / 6,
                subjectivity=(seq % 5) / 4,
                label=LABELS[seq % 3],
                score=(seq % 7 - 3) / 4,
                confidence=0.5 + (seq % 5) / 10,
                reasons=(("kind", 0.8), ("thanks", 0.6), ("!", 0.2)),
                analyzer="sentichat-1+0123abcd",
            ),
        )
        for seq in range(1, PAGE + 1)
    ]


class StubMessages:
    """The resolvers' `MessageService` calls, answered from memory."""

    def __init__(self, page: list[MessageRecord]) -> None:
        self._page = page

    async def history(
        self,
        viewer_id: int,
        channel: str,
        *,
        after: int | None = None,
        before: int | None = None,
        last: int = PAGE,
    ) -> list[MessageRecord]:
        return self._page[-last:]

    async def send(
        self, sender_id: int, channel: str, text: str, client_id: str | None = None
    ) -> MessageRecord:
        return self._page[-1]


class StubServices:
    def __init__(self, page: list[MessageRecord]) -> None:
        self.messages = StubMessages(page)


class StubContext:
    """What the message resolvers read of `graph.api.context.Context`."""

    def __init__(self) -> None:
        self.services = StubServices(records())

    def viewer_id(self) -> int:
        return VIEWER
