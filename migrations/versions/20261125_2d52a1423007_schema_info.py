"""Create schema_info, a key-value table of facts about the database itself.

Revision ID: 2d52a1423007
Revises:
Create Date: 2026-11-25 13:38:16.979842
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2d52a1423007"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schema_info",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_schema_info")),
    )


def downgrade() -> None:
    op.drop_table("schema_info")
