"""Tables. Relationships are `lazy="raise"`: a missing eager load fails loudly."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The analyzer that scored a message before Sentichat had its own, and the
# longest analyzer name a row can hold.
LEGACY_ANALYZER = "textblob-1"
ANALYZER_MAX_CHARS = 64

# The roles an account can carry.
USER_ROLE = "user"
MODERATOR_ROLE = "moderator"

# SQLite only auto-increments an INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, also on SQLite, which stores naive text."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (
        # Each process reads the suspended accounts every few seconds
        # (graph.services.suspensions): a few rows of a small index, not a
        # scan of every account.
        Index(
            "ix_user_account_suspended",
            "id",
            postgresql_where=text("suspended_at IS NOT NULL"),
            sqlite_where=text("suspended_at IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    # Lower-cased username: uniqueness without regard to case.
    username_key: Mapped[str] = mapped_column(String(32), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Whether the other member of each of their chats may see their
    # messages' sentiment and their part of the chat's mood.
    share_sentiment: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=true()
    )
    # USER_ROLE or MODERATOR_ROLE; set only from the command line
    # (`python -m graph moderators add NAME`), never by the API.
    role: Mapped[str] = mapped_column(
        String(16), default=USER_ROLE, server_default=USER_ROLE
    )
    # Set by a moderator's SUSPEND_SENDER: no login, no request, no socket
    # until `python -m graph users unsuspend NAME` clears it.
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Block(Base):
    """`blocker` blocked `blocked`: the source of truth of who blocked whom.

    The pair's chat, if there is one, carries the same fact as `Chat.blocked`
    (kept in the block's transaction), so a send checks it in its own
    statement.
    """

    __tablename__ = "user_block"
    __table_args__ = (CheckConstraint("blocker_id <> blocked_id", name="not_self"),)

    blocker_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Chat(Base):
    """One per pair of users, ever; the pair is stored in numeric order."""

    __tablename__ = "chat"
    __table_args__ = (
        UniqueConstraint("user_low_id", "user_high_id"),
        CheckConstraint("user_low_id < user_high_id", name="ordered_pair"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_low_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    user_high_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    # Who first asked for the chat; None on chats from before it was recorded.
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The seq of the newest message; bumped under the row lock to number the next.
    last_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Read state, kept so that unread counts are arithmetic, never a count of
    # rows: how many messages each member has sent (low_sent + high_sent ==
    # last_seq, bumped by the same statement), each member's read position
    # (the highest seq they have read), and how many of the *other* member's
    # messages are at or below it. A member's unread count is then the other
    # member's `_sent` minus their own `_read_count`.
    low_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    high_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    low_read_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    high_read_seq: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    low_read_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    high_read_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # How many changes the chat has seen: each send, edit, deletion and
    # reaction takes the next number, under the row lock, so version order is
    # commit order (the `messageChanges` feed).
    last_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Each member's mood (graph.domain.mood): the numerator and denominator
    # of a recency-weighted mean of their scores, and of a faster one for the
    # trend, all on the chat's clock; every send moves all eight, in its
    # statement.
    low_mood_sum: Mapped[float] = mapped_column(Float, default=0, server_default="0")
    low_mood_weight: Mapped[float] = mapped_column(Float, default=0, server_default="0")
    low_mood_fast_sum: Mapped[float] = mapped_column(
        Float, default=0, server_default="0"
    )
    low_mood_fast_weight: Mapped[float] = mapped_column(
        Float, default=0, server_default="0"
    )
    high_mood_sum: Mapped[float] = mapped_column(Float, default=0, server_default="0")
    high_mood_weight: Mapped[float] = mapped_column(
        Float, default=0, server_default="0"
    )
    high_mood_fast_sum: Mapped[float] = mapped_column(
        Float, default=0, server_default="0"
    )
    high_mood_fast_weight: Mapped[float] = mapped_column(
        Float, default=0, server_default="0"
    )
    # Whether either member blocks the other (a `Block` row exists either
    # way): sends, edits and reactions are refused in their own statement,
    # and nothing new flows between the two.
    blocked: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user_low: Mapped[User] = relationship(foreign_keys=[user_low_id], lazy="raise")
    user_high: Mapped[User] = relationship(foreign_keys=[user_high_id], lazy="raise")


class Message(Base):
    """A message with its sentiment, scored once when it was written."""

    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("chat_id", "seq"),
        UniqueConstraint("sender_id", "client_id"),
        # `messageChanges` replays read `version > N` of a chat's changed
        # messages from this index; a send (not a change) never enters it.
        Index(
            "ix_message_changed",
            "chat_id",
            "version",
            postgresql_where=text("changed_at IS NOT NULL"),
            sqlite_where=text("changed_at IS NOT NULL"),
        ),
        CheckConstraint("seq > 0", name="seq_positive"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chat.id"))
    seq: Mapped[int] = mapped_column(Integer)
    sender_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    # 1, 2, 3 ... among its sender's messages in the chat: what a read
    # position at this seq has read of each member (db.queries.mark_read).
    sender_ordinal: Mapped[int] = mapped_column(Integer)
    # "" once deleted: a tombstone keeps its row (seq has no gaps), not its text.
    body: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(String(64))
    # NULL (with the other sentiment columns) once the message is deleted.
    polarity: Mapped[float | None] = mapped_column(Float)
    subjectivity: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The chat's version of the message's latest change (its send is the first).
    version: Mapped[int] = mapped_column(Integer)
    # When it last changed after its send (an edit, deletion or reaction);
    # NULL if never.
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # JSON: [[emoji, [user id, ...]], ...], in the order each emoji first came;
    # NULL when there are none. On the row, not a table of its own: a chat has
    # two members, so a message has at most 20 x 2 reactions, and history
    # pages and replays read them with the message at no extra cost.
    reactions: Mapped[str | None] = mapped_column(Text)
    # The analyzer's verdict (graph.domain.sentiment), stored so reads never
    # recompute. NULL on rows written before it existed (analyzer
    # "textblob-1"), which are read by TextBlob's thresholds until rescored.
    label: Mapped[str | None] = mapped_column(String(8))
    score: Mapped[float | None] = mapped_column(Float)
    confidence: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[str | None] = mapped_column(Text)  # JSON: [[text, weight], ...]
    analyzer: Mapped[str] = mapped_column(
        String(ANALYZER_MAX_CHARS), server_default=LEGACY_ANALYZER
    )


# Messages per `MoodBlock`: seq 1-64 are block 0, 65-128 block 1, ...
MOOD_BLOCK = 64


class MoodBlock(Base):
    """The mood of 64 consecutive messages of a chat, per member: a rollup
    that `moodHistory` adds up instead of reading every message.

    A send adds its message to its block in the send's statement; an edit or
    a deletion adjusts it under the chat's row lock. Only sums: a deleted
    message's score leaves its block, and no block keeps one message's.
    """

    __tablename__ = "mood_block"

    chat_id: Mapped[int] = mapped_column(ForeignKey("chat.id"), primary_key=True)
    block: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Messages written, those of them with a score (not deleted), and the
    # sum of their scores, per member.
    low_messages: Mapped[int] = mapped_column(Integer, default=0)
    low_scored: Mapped[int] = mapped_column(Integer, default=0)
    low_total: Mapped[float] = mapped_column(Float, default=0)
    high_messages: Mapped[int] = mapped_column(Integer, default=0)
    high_scored: Mapped[int] = mapped_column(Integer, default=0)
    high_total: Mapped[float] = mapped_column(Float, default=0)


class Report(Base):
    """A member's report of a message they received, with its evidence.

    The text and sentiment are copied as they were when reported, so an
    edit or a deletion by the sender does not erase what the moderator
    reads. One open report per message and reporter: reporting again
    updates it.
    """

    __tablename__ = "report"
    __table_args__ = (
        # One open report per (message, reporter); resolved ones are history.
        Index(
            "uq_report_open",
            "message_id",
            "reporter_id",
            unique=True,
            postgresql_where=text("resolved_at IS NULL"),
            sqlite_where=text("resolved_at IS NULL"),
        ),
        Index("ix_report_status", "resolved_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("message.id"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    sender_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    # The evidence: the message as it was when first reported (reporting
    # again changes the reason and note, never this).
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    polarity: Mapped[float | None] = mapped_column(Float)
    subjectivity: Mapped[float | None] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(8))
    score: Mapped[float | None] = mapped_column(Float)
    confidence: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[str | None] = mapped_column(Text)
    analyzer: Mapped[str] = mapped_column(String(ANALYZER_MAX_CHARS))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set once, by the moderator action that resolved it.
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str | None] = mapped_column(String(16))


class ModerationEntry(Base):
    """The audit log: one row per moderator or operator action, never updated
    or deleted (on PostgreSQL a trigger refuses both)."""

    __tablename__ = "moderation_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # None: done from the command line (`python -m graph ...`), not the API.
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(24))
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"))
    # Whom the action was about (the reported message's sender).
    target_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
