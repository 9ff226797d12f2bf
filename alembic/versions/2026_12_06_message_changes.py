"""Message changes: edits, deletions (tombstones) and reactions, versioned.

Each chat counts its sends and changes in `last_version`, and each message
carries the version of its latest one (its send is its first). A message
changed since its send also has `changed_at`, and only those are in the
partial index on (chat_id, version): a subscriber that holds version N reads
the changes it missed as `version > N` from it, in order, and a send never
writes to it. A deleted message keeps its row (seq has no gaps) but loses
its text and sentiment, so the sentiment columns may now be NULL.

Existing rows are backfilled with version = seq: every send so far was its
chat's change of that number.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("chat") as batch:
        batch.add_column(
            sa.Column("last_version", sa.Integer(), nullable=False, server_default="0")
        )
    op.execute("UPDATE chat SET last_version = last_seq")
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("edited_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("deleted_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("reactions", sa.Text(), nullable=True))
        batch.add_column(sa.Column("changed_at", TIMESTAMP, nullable=True))
    op.execute("UPDATE message SET version = seq")
    with op.batch_alter_table("message") as batch:
        batch.alter_column("version", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("polarity", existing_type=sa.Float(), nullable=True)
        batch.alter_column("subjectivity", existing_type=sa.Float(), nullable=True)
    changed = sa.text("changed_at IS NOT NULL")
    op.create_index(
        "ix_message_changed",
        "message",
        ["chat_id", "version"],
        postgresql_where=changed,
        sqlite_where=changed,
    )


def downgrade() -> None:
    # A deleted message had no sentiment; the older schema needs numbers.
    op.execute(
        "UPDATE message SET polarity = 0, subjectivity = 0 WHERE polarity IS NULL"
    )
    op.drop_index("ix_message_changed", table_name="message")
    with op.batch_alter_table("message") as batch:
        batch.alter_column("subjectivity", existing_type=sa.Float(), nullable=False)
        batch.alter_column("polarity", existing_type=sa.Float(), nullable=False)
        batch.drop_column("changed_at")
        batch.drop_column("reactions")
        batch.drop_column("deleted_at")
        batch.drop_column("edited_at")
        batch.drop_column("version")
    with op.batch_alter_table("chat") as batch:
        batch.drop_column("last_version")
