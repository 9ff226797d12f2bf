"""Remember who first asked for each chat, so `chats` can name its fromUser.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Chats from before this revision have no requester; readers fall back to
    # the lower id. batch_alter_table lets SQLite add the foreign key.
    with op.batch_alter_table("chat") as batch:
        batch.add_column(sa.Column("requested_by_id", BIG_ID, nullable=True))
        batch.create_foreign_key(
            op.f("fk_chat_requested_by_id_user_account"),
            "user_account",
            ["requested_by_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("chat") as batch:
        batch.drop_constraint(
            op.f("fk_chat_requested_by_id_user_account"), type_="foreignkey"
        )
        batch.drop_column("requested_by_id")
