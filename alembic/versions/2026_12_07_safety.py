"""Safety: blocks, reports, moderators, suspension and the audit log.

- `user_block`: who blocked whom; `chat.blocked` carries the same fact for a
  pair that has a chat, so a send is refused in its own statement.
- `user_account.role` (`user` or `moderator`) and `suspended_at`, with a
  partial index of the suspended accounts, which every process reads.
- `report`: a received message reported, with a copy of its text and
  sentiment as they were; one open report per message and reporter.
- `moderation_log`: append-only; on PostgreSQL a trigger refuses UPDATE and
  DELETE, so even the application's own role cannot rewrite it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_DATETIME = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(
            sa.Column("role", sa.String(16), nullable=False, server_default="user")
        )
        batch.add_column(sa.Column("suspended_at", UTC_DATETIME, nullable=True))
    op.create_index(
        "ix_user_account_suspended",
        "user_account",
        ["id"],
        postgresql_where=sa.text("suspended_at IS NOT NULL"),
        sqlite_where=sa.text("suspended_at IS NOT NULL"),
    )
    with op.batch_alter_table("chat") as batch:
        batch.add_column(
            sa.Column(
                "blocked", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    op.create_table(
        "user_block",
        sa.Column("blocker_id", BIG_ID, nullable=False),
        sa.Column("blocked_id", BIG_ID, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.CheckConstraint(
            "blocker_id <> blocked_id", name=op.f("ck_user_block_not_self")
        ),
        sa.ForeignKeyConstraint(
            ["blocker_id"],
            ["user_account.id"],
            name=op.f("fk_user_block_blocker_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["blocked_id"],
            ["user_account.id"],
            name=op.f("fk_user_block_blocked_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("blocker_id", "blocked_id", name=op.f("pk_user_block")),
    )
    op.create_index(
        op.f("ix_user_block_blocked_id"), "user_block", ["blocked_id"], unique=False
    )
    op.create_table(
        "report",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("message_id", BIG_ID, nullable=False),
        sa.Column("reporter_id", BIG_ID, nullable=False),
        sa.Column("sender_id", BIG_ID, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("sent_at", UTC_DATETIME, nullable=False),
        sa.Column("polarity", sa.Float(), nullable=True),
        sa.Column("subjectivity", sa.Float(), nullable=True),
        sa.Column("label", sa.String(8), nullable=True),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("analyzer", sa.String(64), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("resolved_at", UTC_DATETIME, nullable=True),
        sa.Column("resolved_by_id", BIG_ID, nullable=True),
        sa.Column("action", sa.String(16), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"], ["message.id"], name=op.f("fk_report_message_id_message")
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["user_account.id"],
            name=op.f("fk_report_reporter_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["user_account.id"],
            name=op.f("fk_report_sender_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["user_account.id"],
            name=op.f("fk_report_resolved_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report")),
    )
    op.create_index(
        "uq_report_open",
        "report",
        ["message_id", "reporter_id"],
        unique=True,
        postgresql_where=sa.text("resolved_at IS NULL"),
        sqlite_where=sa.text("resolved_at IS NULL"),
    )
    op.create_index("ix_report_status", "report", ["resolved_at", "id"])
    op.create_table(
        "moderation_log",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("moderator_id", BIG_ID, nullable=True),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("report_id", BIG_ID, nullable=True),
        sa.Column("target_id", BIG_ID, nullable=True),
        sa.Column("message_id", BIG_ID, nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["user_account.id"],
            name=op.f("fk_moderation_log_moderator_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["report.id"],
            name=op.f("fk_moderation_log_report_id_report"),
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["user_account.id"],
            name=op.f("fk_moderation_log_target_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["message.id"],
            name=op.f("fk_moderation_log_message_id_message"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderation_log")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION moderation_log_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'moderation_log is append-only';
            END
            $$
            """
        )
        op.execute(
            """
            CREATE TRIGGER moderation_log_append_only
            BEFORE UPDATE OR DELETE ON moderation_log
            FOR EACH ROW EXECUTE FUNCTION moderation_log_append_only()
            """
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER moderation_log_append_only ON moderation_log")
        op.execute("DROP FUNCTION moderation_log_append_only()")
    op.drop_table("moderation_log")
    op.drop_index("ix_report_status", table_name="report")
    op.drop_index("uq_report_open", table_name="report")
    op.drop_table("report")
    op.drop_index(op.f("ix_user_block_blocked_id"), table_name="user_block")
    op.drop_table("user_block")
    with op.batch_alter_table("chat") as batch:
        batch.drop_column("blocked")
    op.drop_index("ix_user_account_suspended", table_name="user_account")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("suspended_at")
        batch.drop_column("role")
