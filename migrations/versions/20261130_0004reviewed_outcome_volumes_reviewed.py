"""outcome_volumes.reviewed: the report as the bureau reviewed it, beside what was reported.

An award's outcome keeps the institution's own `reported` figure and, where the bureau
adjusted or rejected it, the reviewed report its base volume follows from (SPEC §3).
Outcomes stored before have no such figure: the column is null there.

Revision ID: 0004reviewed
Revises: 0003agree
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004reviewed"
down_revision: str | Sequence[str] | None = "0003agree"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outcome_volumes") as batch:
        batch.add_column(sa.Column("reviewed", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outcome_volumes") as batch:
        batch.drop_column("reviewed")
