"""demand_reports: no foreign keys to the institution and the catalog group; a partial
review index.

A foreign key is checked per inserted row (a lookup and a row lock on the referenced row):
in a 100,000-line bulk upload on PostgreSQL the two keys cost about 40 % of the database's
time. The service guarantees what they guarded (app.demand.models.DemandReport): the group
is checked against the catalog under a share lock on the round, the catalog changes only in
draft, and the institution is the authenticated caller, never deleted. The key to the
preferred enterprise stays: it is null on most lines, where no check runs.

The review index (round, review status) keeps only reports with a status (awaiting review or
reviewed): most reports have none, and an upload no longer writes an entry for each.

Revision ID: 0005demandfk
Revises: 0004reviewed
Create Date: 2026-11-30
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005demandfk"
down_revision: str | Sequence[str] | None = "0004reviewed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_REVIEWED = sa.text("review_status IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("demand_reports") as batch:
        batch.drop_constraint("fk_demand_reports_group_catalog_groups", type_="foreignkey")
        batch.drop_constraint("fk_demand_reports_institution_id_institutions", type_="foreignkey")
    op.drop_index("ix_demand_reports_review", table_name="demand_reports")
    op.create_index(
        "ix_demand_reports_review",
        "demand_reports",
        ["round_id", "review_status"],
        postgresql_where=_REVIEWED,
        sqlite_where=_REVIEWED,
    )


def downgrade() -> None:
    op.drop_index("ix_demand_reports_review", table_name="demand_reports")
    op.create_index("ix_demand_reports_review", "demand_reports", ["round_id", "review_status"])
    with op.batch_alter_table("demand_reports") as batch:
        batch.create_foreign_key(
            "fk_demand_reports_institution_id_institutions",
            "institutions",
            ["institution_id"],
            ["id"],
        )
        batch.create_foreign_key(
            "fk_demand_reports_group_catalog_groups",
            "catalog_groups",
            ["round_id", "group_id"],
            ["round_id", "id"],
        )
