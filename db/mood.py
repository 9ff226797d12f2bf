"""A chat's mood as stored: each member's running means on the chat row, and
the 64-message rollups (`MoodBlock`) that `moodHistory` adds up.

What the numbers mean is graph.domain.mood's; here are the statements that
keep and read them. A send moves both in its own statement (`send_terms`,
`block_rollup`); an edit or a deletion writes them under the chat's row
lock (`write_member_mood`, `adjust_block`). Nothing here commits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    Float,
    Integer,
    and_,
    any_,
    bindparam,
    case,
    func,
    literal_column,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from db.models import MOOD_BLOCK, Chat, Message, MoodBlock
from db.queries import CHAT_MOOD_COLUMNS, MOOD_PARTS, Executor

# What a message counts for: its analyzer's score, or TextBlob's polarity on
# a row scored before the analyzer (as the API reads it); NULL once deleted.
MESSAGE_SCORE = func.coalesce(Message.score, Message.polarity)


def _insert(dialect: str) -> Any:
    return (postgresql if dialect == "postgresql" else sqlite).insert(MoodBlock)


def block_rollup(dialect: str, source: Any = None) -> Any:
    """Add one message to its block, creating the block with its first.

    Values by bind parameter (`chat_id`, `seq`, `low`: whether the low member
    sent it, `score`), or, given `source`, a select of the same columns.
    """
    insert = _insert(dialect)
    columns = [
        "chat_id",
        "block",
        "low_messages",
        "low_scored",
        "low_total",
        "high_messages",
        "high_scored",
        "high_total",
    ]
    if source is None:
        low: Any = bindparam("low_sender", type_=Integer)
        high: Any = literal_column("1") - low
        score = bindparam("score", type_=Float)
        statement = insert.values(
            chat_id=bindparam("chat_id", type_=Integer),
            block=(bindparam("seq", type_=Integer) - 1) // MOOD_BLOCK,
            low_messages=low,
            low_scored=low,
            low_total=low * score,
            high_messages=high,
            high_scored=high,
            high_total=high * score,
        )
    else:
        statement = insert.from_select(columns, source)
    added = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[MoodBlock.chat_id, MoodBlock.block],
        set_={
            name: getattr(MoodBlock, name) + getattr(added, name)
            for name in columns[2:]
        },
    )


def block_rollup_from(stored: Any, claimed: Any, sender_id: Any, score: Any) -> Any:
    """`block_rollup`'s values from a send statement's CTEs: `stored` (the
    new message's chat_id and seq) and `claimed` (its chat's members)."""
    low: Any = case((claimed.c.user_low_id == sender_id, 1), else_=0)
    high: Any = literal_column("1") - low
    source = (
        select(
            stored.c.chat_id,
            (stored.c.seq - 1) // MOOD_BLOCK,
            low,
            low,
            low * score,
            high,
            high,
            high * score,
        )
        .select_from(stored)
        .join(claimed, claimed.c.id == stored.c.chat_id)
    )
    return block_rollup("postgresql", source)


async def add_to_block(
    connection: AsyncConnection,
    *,
    chat_id: int,
    seq: int,
    low_sender: bool,
    score: float,
) -> None:
    """`block_rollup` as its own statement (sends that are not one statement)."""
    statement = _ROLLUPS[connection.dialect.name]
    parameters = {
        "chat_id": chat_id,
        "seq": seq,
        "low_sender": int(low_sender),
        "score": score,
    }
    await connection.execute(statement, parameters)


_ROLLUPS = {name: block_rollup(name) for name in ("postgresql", "sqlite")}


async def adjust_block(
    connection: Executor,
    *,
    chat_id: int,
    seq: int,
    side: str,
    scored: int,
    total: float,
) -> None:
    """Move one member's count of scored messages and their total in the
    block holding `seq` (an edit's new score, a deletion's lost one)."""
    scored_column = getattr(MoodBlock, f"{side}_scored")
    total_column = getattr(MoodBlock, f"{side}_total")
    statement = (
        update(MoodBlock)
        .where(
            MoodBlock.chat_id == chat_id,
            MoodBlock.block == (seq - 1) // MOOD_BLOCK,
        )
        .values(
            {scored_column: scored_column + scored, total_column: total_column + total}
        )
        .execution_options(synchronize_session=False)
    )
    await connection.execute(statement)


async def write_member_mood(
    connection: Executor, chat_id: int, side: str, parts: Sequence[float]
) -> None:
    """Set one member's means (in MOOD_PARTS' order), under the row lock its
    caller holds."""
    values = {
        f"{side}_{part}": value for part, value in zip(MOOD_PARTS, parts, strict=True)
    }
    statement = (
        update(Chat)
        .where(Chat.id == chat_id)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    await connection.execute(statement)


@dataclass(frozen=True, slots=True)
class RunRow:
    """One run of messages: per member, written, scored and their total."""

    low_messages: int
    low_scored: int
    low_total: float
    high_messages: int
    high_scored: int
    high_total: float


Sums = list[float]  # RunRow's six numbers, as they are added up


def _run_of(seq: Any) -> Any:
    """The index of the run holding `seq`, in SQL, for runs as
    graph.domain.mood.runs makes them: `longer` runs of `length` messages,
    then runs of `length - 1` (bind parameters, so that the statements are
    built once)."""
    length = bindparam("length", type_=Integer)
    longer = bindparam("longer", type_=Integer)
    boundary = bindparam("boundary", type_=Integer)  # longer * length
    return case(
        (seq <= boundary, (seq - 1) // length),
        else_=longer
        + (seq - 1 - boundary) // func.nullif(length - 1, 0, type_=Integer),
    )


def _block_sums() -> tuple[Any, ...]:
    return (
        MoodBlock.low_messages,
        MoodBlock.low_scored,
        MoodBlock.low_total,
        MoodBlock.high_messages,
        MoodBlock.high_scored,
        MoodBlock.high_total,
    )


def _among(column: Any, name: str, dialect: str) -> Any:
    """`column` is one of the list bound as `name`. On PostgreSQL one array
    parameter: a list expanded into one parameter per value made a new
    statement per length, and once PostgreSQL chose a generic plan for it,
    a read of 1,600 messages by (chat_id, seq) took 1.7 s instead of 9 ms."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(Integer)))
    return column.in_(bindparam(name, expanding=True))


def _history_blocks(dialect: str) -> Any:
    """Whole blocks inside one run, added up per run; and the blocks a run
    starts inside, one row each, keyed -1 - block."""
    chat = MoodBlock.chat_id == bindparam("chat_id", type_=Integer)
    run = _run_of(MoodBlock.block * MOOD_BLOCK + 1)
    whole = (
        select(run, *(func.sum(column) for column in _block_sums()))
        .where(
            chat,
            MoodBlock.block < bindparam("whole_blocks", type_=Integer),
            ~_among(MoodBlock.block, "split", dialect),
        )
        .group_by(run)
    )
    split = select(-1 - MoodBlock.block, *_block_sums()).where(
        chat, _among(MoodBlock.block, "halved", dialect)
    )
    return whole.union_all(split)


def _history_messages(dialect: str) -> Any:
    """The messages at `seqs`, added up per block and run."""
    low = Message.sender_id == bindparam("low_id", type_=Integer)
    scored = MESSAGE_SCORE.is_not(None)
    one: Any = literal_column("1")
    zero: Any = literal_column("0")
    block = (Message.seq - 1) // MOOD_BLOCK
    run = _run_of(Message.seq)
    return (
        select(
            block,
            run,
            func.sum(case((low, one), else_=zero)),
            func.sum(case((and_(low, scored), one), else_=zero)),
            func.sum(case((low, MESSAGE_SCORE), else_=None)),
            func.sum(case((low, zero), else_=one)),
            func.sum(case((and_(~low, scored), one), else_=zero)),
            func.sum(case((low, None), else_=MESSAGE_SCORE)),
        )
        .where(
            Message.chat_id == bindparam("chat_id", type_=Integer),
            _among(Message.seq, "seqs", dialect),
        )
        .group_by(block, run)
    )


def _run_starts(dialect: str) -> Any:
    return (
        select(Message.created_at)
        .where(
            Message.chat_id == bindparam("chat_id", type_=Integer),
            _among(Message.seq, "starts", dialect),
        )
        .order_by(Message.seq)
    )


# By dialect: (blocks, messages, the runs' first messages).
_HISTORY = {
    dialect: (
        _history_blocks(dialect),
        _history_messages(dialect),
        _run_starts(dialect),
    )
    for dialect in ("postgresql", "sqlite")
}


async def run_rows(
    connection: AsyncConnection,
    chat_id: int,
    low_id: int,
    runs: Sequence[tuple[int, int]],
) -> tuple[list[RunRow], list[datetime]]:
    """The sums of each run (seq from..to, consecutive from 1, ascending, as
    graph.domain.mood.runs makes them) and the createdAt of each run's first
    message.

    Whole blocks inside one run are added up from `mood_block`. A block that
    one run starts inside is read as its row, less the messages of its
    shorter side (at most 32), which are read one by one; a block that more
    than one run starts inside, and the last block if `last` ends inside
    it, are read as their messages. 100,000 messages in 30 runs read about
    1,560 block rows and 500 messages.
    """
    last = runs[-1][1]
    length = runs[0][1] - runs[0][0] + 1
    longer = sum(1 for start, end in runs if end - start + 1 == length)
    starts_in: dict[int, list[int]] = defaultdict(list)  # block -> run starts
    for start, _ in runs[1:]:
        if (start - 1) % MOOD_BLOCK:
            starts_in[(start - 1) // MOOD_BLOCK].append(start)
    whole_blocks = last // MOOD_BLOCK  # blocks that end at or before `last`
    halved: dict[int, tuple[range, range]] = {}  # block -> (read, subtracted)
    seqs: list[int] = []
    for block, starts in starts_in.items():
        first, end = block * MOOD_BLOCK + 1, block * MOOD_BLOCK + MOOD_BLOCK
        if len(starts) == 1 and block < whole_blocks:
            left, right = range(first, starts[0]), range(starts[0], end + 1)
            read, rest = (left, right) if len(left) <= len(right) else (right, left)
            halved[block] = read, rest
            seqs += read
        else:
            seqs += range(first, min(end, last) + 1)
    if last % MOOD_BLOCK and whole_blocks not in starts_in:
        seqs += range(whole_blocks * MOOD_BLOCK + 1, last + 1)
    parameters = {
        "chat_id": chat_id,
        "low_id": low_id,
        "length": length,
        "longer": longer,
        "boundary": longer * length,
        "whole_blocks": whole_blocks,
        "split": sorted(starts_in),
        "halved": sorted(halved),
        "seqs": seqs,
        "starts": [start for start, _ in runs],
    }
    blocks_of, messages_of, starts_of = _HISTORY[connection.dialect.name]
    totals: dict[int, Sums] = {index: [0.0] * 6 for index in range(len(runs))}
    block_rows: dict[int, Sums] = {}
    for key, *sums in (await connection.execute(blocks_of, parameters)).all():
        if key >= 0:
            _add(totals[int(key)], sums)
        else:
            block_rows[-1 - int(key)] = [float(value) for value in sums]
    read_sums: dict[int, Sums] = {}
    if seqs:
        rows = (await connection.execute(messages_of, parameters)).all()
        for block, run, *sums in rows:
            _add(totals[int(run)], sums)
            if int(block) in halved:
                read_sums[int(block)] = [float(value or 0) for value in sums]
    for block, (_, rest) in halved.items():
        part_read = read_sums.get(block, [0.0] * 6)
        remainder = [
            whole - part
            for whole, part in zip(block_rows[block], part_read, strict=True)
        ]
        _add(totals[_run_index(rest[0], length, longer)], remainder)
    started = [
        row[0] for row in (await connection.execute(starts_of, parameters)).all()
    ]
    rows_out = [
        RunRow(int(t[0]), int(t[1]), t[2], int(t[3]), int(t[4]), t[5])
        for t in (totals[index] for index in range(len(runs)))
    ]
    return rows_out, started


def _add(into: Sums, sums: Sequence[Any]) -> None:
    for position, value in enumerate(sums):
        into[position] += float(value or 0)


def _run_index(seq: int, length: int, longer: int) -> int:
    """`_run_of` in Python."""
    boundary = longer * length
    if seq <= boundary:
        return (seq - 1) // length
    return longer + (seq - 1 - boundary) // (length - 1)


@dataclass(frozen=True, slots=True)
class LockedChat:
    """A chat whose row this transaction holds: its head, its low member,
    and its mood as stored (MOOD_PARTS of the low member, then the high)."""

    id: int
    last_seq: int
    user_low_id: int
    parts: tuple[float, ...]


async def lock_chats_of(
    connection: Executor, message_ids: Sequence[int]
) -> dict[int, LockedChat]:
    """Lock the chats of these messages, as sends and edits do (a write to
    the row, so that SQLite takes its write lock first as well), and read
    their moods."""
    chats_of = select(Message.chat_id).where(Message.id.in_(message_ids))
    statement = (
        update(Chat)
        .where(Chat.id.in_(chats_of.scalar_subquery()))
        .values(last_version=Chat.last_version)
        .returning(Chat.id, Chat.last_seq, Chat.user_low_id, *CHAT_MOOD_COLUMNS)
        .execution_options(synchronize_session=False)
    )
    rows = (await connection.execute(statement)).all()
    return {
        int(row[0]): LockedChat(
            int(row[0]), int(row[1]), int(row[2]), tuple(map(float, row[3:]))
        )
        for row in rows
    }


@dataclass(frozen=True, slots=True)
class Counted:
    """A message as the mood counts it."""

    id: int
    chat_id: int
    seq: int
    sender_id: int
    body: str
    score: float | None


async def counted_scores(
    connection: Executor, message_ids: Sequence[int], analyzer: str
) -> list[Counted]:
    """Those of the messages still scored by another analyzer than
    `analyzer`, and not deleted, with the score the mood counts for each."""
    statement = select(
        Message.id,
        Message.chat_id,
        Message.seq,
        Message.sender_id,
        Message.body,
        MESSAGE_SCORE,
    ).where(
        Message.id.in_(message_ids),
        Message.analyzer != analyzer,
        Message.deleted_at.is_(None),
    )
    rows = (await connection.execute(statement)).all()
    return [
        Counted(int(r[0]), int(r[1]), int(r[2]), int(r[3]), str(r[4]), r[5])
        for r in rows
    ]
