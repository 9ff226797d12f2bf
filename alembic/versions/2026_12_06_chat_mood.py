"""Chat mood: each member's recency-weighted mood on the chat row, 64-message
rollups for `moodHistory`, and each user's choice to share their sentiment.

The chat row gains, per member, the numerator and denominator of two
recency-weighted means of their scores (graph.domain.mood). `mood_block`
holds, per chat, per member and per 64 messages, how many were written, how
many of them have a score and the sum of those scores. `user_account` gains
`share_sentiment`, true for everyone.

Existing chats are backfilled from their messages: every block from a
GROUP BY, and the means from each chat's last 400 messages (older ones weigh
below 1e-12 of the newest). A message's score is its analyzer score, or
TextBlob's polarity on a row scored before the analyzer, as the API reads
it; a deleted message has neither and counts as written only.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# As graph.domain.mood has them at this revision: half-lives of 10 and 3
# messages. Frozen here, so that the migration means the same later.
DECAY = 0.5 ** (1 / 10)
FAST_DECAY = 0.5 ** (1 / 3)
BLOCK = 64
RECENT = 400
SIDES = ("low", "high")
MOOD_COLUMNS = ("mood_sum", "mood_weight", "mood_fast_sum", "mood_fast_weight")


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch:
        batch.add_column(
            sa.Column(
                "share_sentiment",
                sa.Boolean(),
                nullable=False,
                server_default=sa.true(),
            )
        )
    with op.batch_alter_table("chat") as batch:
        for side in SIDES:
            for column in MOOD_COLUMNS:
                batch.add_column(
                    sa.Column(
                        f"{side}_{column}",
                        sa.Float(),
                        nullable=False,
                        server_default="0",
                    )
                )
    op.create_table(
        "mood_block",
        sa.Column("chat_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite")),
        sa.Column("block", sa.Integer()),
        sa.Column("low_messages", sa.Integer(), nullable=False),
        sa.Column("low_scored", sa.Integer(), nullable=False),
        sa.Column("low_total", sa.Float(), nullable=False),
        sa.Column("high_messages", sa.Integer(), nullable=False),
        sa.Column("high_scored", sa.Integer(), nullable=False),
        sa.Column("high_total", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chat.id"], name="fk_mood_block_chat_id_chat"
        ),
        sa.PrimaryKeyConstraint("chat_id", "block", name="pk_mood_block"),
    )
    _backfill_blocks()
    _backfill_means()


def _backfill_blocks() -> None:
    def side(name: str) -> str:
        mine = f"m.sender_id = c.user_{name}_id"
        return (
            f"SUM(CASE WHEN {mine} THEN 1 ELSE 0 END), "
            f"SUM(CASE WHEN {mine} AND {SCORE} IS NOT NULL THEN 1 ELSE 0 END), "
            f"COALESCE(SUM(CASE WHEN {mine} THEN {SCORE} END), 0)"
        )

    # Built from this module's constants only, no input: S608 does not apply.
    op.execute(
        "INSERT INTO mood_block (chat_id, block, low_messages, low_scored, "  # noqa: S608
        "low_total, high_messages, high_scored, high_total) "
        f"SELECT m.chat_id, (m.seq - 1) / {BLOCK}, {side('low')}, {side('high')} "
        "FROM message m JOIN chat c ON c.id = m.chat_id "
        f"GROUP BY m.chat_id, (m.seq - 1) / {BLOCK}"
    )


SCORE = "COALESCE(m.score, m.polarity)"


def _backfill_means() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(  # constants only
            f"SELECT m.chat_id, c.last_seq - m.seq, m.sender_id = c.user_low_id, "  # noqa: S608
            f"{SCORE} FROM message m JOIN chat c ON c.id = m.chat_id "
            f"WHERE m.seq > c.last_seq - {RECENT}"
        )
    )
    sums: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for chat_id, ago, is_low, score in rows:
        if score is None:
            continue
        prefix = "low" if is_low else "high"
        mine = sums[chat_id]
        slow, fast = DECAY**ago, FAST_DECAY**ago
        mine[f"{prefix}_mood_sum"] += slow * score
        mine[f"{prefix}_mood_weight"] += slow
        mine[f"{prefix}_mood_fast_sum"] += fast * score
        mine[f"{prefix}_mood_fast_weight"] += fast
    columns = [f"{side}_{column}" for side in SIDES for column in MOOD_COLUMNS]
    statement = sa.text(  # column names of this module
        "UPDATE chat SET "  # noqa: S608
        + ", ".join(f"{column} = :{column}" for column in columns)
        + " WHERE id = :chat_id"
    )
    parameters = [
        {"chat_id": chat_id, **{column: mine[column] for column in columns}}
        for chat_id, mine in sums.items()
    ]
    if parameters:
        bind.execute(statement, parameters)


def downgrade() -> None:
    op.drop_table("mood_block")
    with op.batch_alter_table("chat") as batch:
        for side in SIDES:
            for column in MOOD_COLUMNS:
                batch.drop_column(f"{side}_{column}")
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("share_sentiment")
