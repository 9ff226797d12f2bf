"""Initial schema: users, one chat per pair, messages with seq and sentiment.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "user_account",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("username_key", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("username_key", name=op.f("uq_user_account_username_key")),
    )
    op.create_table(
        "chat",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("user_low_id", BIG_ID, nullable=False),
        sa.Column("user_high_id", BIG_ID, nullable=False),
        sa.Column("last_seq", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "user_low_id < user_high_id", name=op.f("ck_chat_ordered_pair")
        ),
        sa.ForeignKeyConstraint(
            ["user_low_id"],
            ["user_account.id"],
            name=op.f("fk_chat_user_low_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["user_high_id"],
            ["user_account.id"],
            name=op.f("fk_chat_user_high_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat")),
        sa.UniqueConstraint(
            "user_low_id", "user_high_id", name=op.f("uq_chat_user_low_id_user_high_id")
        ),
    )
    op.create_index(op.f("ix_chat_user_high_id"), "chat", ["user_high_id"])
    op.create_table(
        "message",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("chat_id", BIG_ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("sender_id", BIG_ID, nullable=False),
        sa.Column("recipient_id", BIG_ID, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=True),
        sa.Column("polarity", sa.Float(), nullable=False),
        sa.Column("subjectivity", sa.Float(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("seq > 0", name=op.f("ck_message_seq_positive")),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chat.id"], name=op.f("fk_message_chat_id_chat")
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["user_account.id"],
            name=op.f("fk_message_sender_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["user_account.id"],
            name=op.f("fk_message_recipient_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message")),
        sa.UniqueConstraint("chat_id", "seq", name=op.f("uq_message_chat_id_seq")),
        sa.UniqueConstraint(
            "sender_id", "client_id", name=op.f("uq_message_sender_id_client_id")
        ),
    )
    op.create_index(op.f("ix_message_recipient_id"), "message", ["recipient_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_message_recipient_id"), table_name="message")
    op.drop_table("message")
    op.drop_index(op.f("ix_chat_user_high_id"), table_name="chat")
    op.drop_table("chat")
    op.drop_table("user_account")
