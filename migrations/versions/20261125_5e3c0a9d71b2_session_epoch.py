"""users.session_epoch: signing out ends every web session of the user

Revision ID: 5e3c0a9d71b2
Revises: b0f8bb70aaa8
Create Date: 2026-11-25 20:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e3c0a9d71b2"
down_revision: str | Sequence[str] | None = "b0f8bb70aaa8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_epoch")
