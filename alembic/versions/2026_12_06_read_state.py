"""Read state: who has read what, as positions and counters on the chat.

Each message gets its ordinal among its sender's messages in the chat, and
each chat, per member, how many messages they have sent, their read position
and how many of the other member's messages it covers. Unread counts are then
arithmetic on one chat row (db.queries.UNREAD_OF_LOW / _HIGH), never a count of
messages.

Existing rows are backfilled: ordinals and counts from the messages, and every
member's position at the chat's newest message, so upgrading does not flood
users with badges for history they had no way to mark read before.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHAT_COUNTERS = (
    "low_sent",
    "high_sent",
    "low_read_seq",
    "high_read_seq",
    "low_read_count",
    "high_read_count",
)


def upgrade() -> None:
    with op.batch_alter_table("chat") as batch:
        for name in CHAT_COUNTERS:
            batch.add_column(
                sa.Column(name, sa.Integer(), nullable=False, server_default="0")
            )
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("sender_ordinal", sa.Integer(), nullable=True))
    # Window functions and UPDATE ... FROM: PostgreSQL, and SQLite 3.33+.
    op.execute(
        """
        UPDATE message SET sender_ordinal = numbered.ordinal
        FROM (
            SELECT id, row_number() OVER (
                PARTITION BY chat_id, sender_id ORDER BY seq
            ) AS ordinal
            FROM message
        ) AS numbered
        WHERE numbered.id = message.id
        """
    )
    op.execute(
        """
        UPDATE chat SET
            low_sent = (SELECT count(*) FROM message
                        WHERE message.chat_id = chat.id
                          AND message.sender_id = chat.user_low_id),
            high_sent = (SELECT count(*) FROM message
                         WHERE message.chat_id = chat.id
                           AND message.sender_id = chat.user_high_id)
        """
    )
    op.execute(
        """
        UPDATE chat SET
            low_read_seq = last_seq,
            high_read_seq = last_seq,
            low_read_count = high_sent,
            high_read_count = low_sent
        """
    )
    with op.batch_alter_table("message") as batch:
        batch.alter_column("sender_ordinal", existing_type=sa.Integer(), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.drop_column("sender_ordinal")
    with op.batch_alter_table("chat") as batch:
        for name in reversed(CHAT_COUNTERS):
            batch.drop_column(name)
