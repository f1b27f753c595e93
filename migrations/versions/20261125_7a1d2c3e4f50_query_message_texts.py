"""query_messages.texts: the platform's own messages in every language of the study

Revision ID: 7a1d2c3e4f50
Revises: 5e3c0a9d71b2
Create Date: 2026-11-25 20:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a1d2c3e4f50"
down_revision: str | Sequence[str] | None = "5e3c0a9d71b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("query_messages") as batch:
        batch.add_column(sa.Column("texts", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("query_messages") as batch:
        batch.drop_column("texts")
