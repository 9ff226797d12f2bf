"""Store the analyzer's verdict with each message: label, score, confidence, reasons.

Rows from before keep NULL there and the analyzer name "textblob-1"; they stay
readable (labelled by TextBlob's thresholds) until `make rescore` scores them
again. Adding nullable columns, and one with a constant default, rewrites no
row on PostgreSQL 11 and later.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message") as batch:
        batch.add_column(sa.Column("label", sa.String(8), nullable=True))
        batch.add_column(sa.Column("score", sa.Float(), nullable=True))
        batch.add_column(sa.Column("confidence", sa.Float(), nullable=True))
        batch.add_column(sa.Column("reasons", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column(
                "analyzer",
                sa.String(64),
                nullable=False,
                server_default="textblob-1",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("message") as batch:
        for column in ("analyzer", "reasons", "confidence", "score", "label"):
            batch.drop_column(column)
