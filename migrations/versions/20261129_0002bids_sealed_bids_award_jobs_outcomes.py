"""Sealed bids (every version kept), award jobs, and the stored outcome with its rows.

Revision ID: 0002bids
Revises: 0001
Create Date: 2026-11-29

Written from an autogenerate draft and reviewed by hand: plain SQLAlchemy types only, enums as
VARCHAR + CHECK, constraint names as the naming convention in app/sqltypes.py gives them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002bids"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
DECIMAL = sa.String(40)  # app.sqltypes.DecimalText: exact decimals as text


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _round_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], name=f"fk_{table}_round_id_rounds")


def upgrade() -> None:
    op.create_table(
        "bids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.String(100), nullable=False),
        sa.Column("group_id", sa.String(100), nullable=False),
        sa.Column("enterprise_id", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("action", _enum("bid_action", "submit", "withdraw"), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("strength", DECIMAL, nullable=True),
        sa.Column("strength_unit", sa.String(20), nullable=True),
        sa.Column("units_per_pack", sa.Integer(), nullable=True),
        sa.Column("dosage_form", sa.String(50), nullable=True),
        sa.Column(
            "quality",
            _enum("quality_tier", "originator", "reference", "gqce", "non_gqce"),
            nullable=True,
        ),
        sa.Column("fill_volume", DECIMAL, nullable=True),
        sa.Column("fill_unit", sa.String(20), nullable=True),
        sa.Column("pack_price", DECIMAL, nullable=True),
        sa.Column("capacity", sa.BigInteger(), nullable=True),
        sa.Column("accept_revival", sa.Boolean(), nullable=True),
        sa.Column("nonce", sa.String(32), nullable=True),
        sa.Column("commitment", sa.String(64), nullable=True),
        sa.Column("submitted_at", TZ, nullable=False),
        sa.Column("submitted_by", sa.String(200), nullable=False),
        sa.CheckConstraint(
            "action = 'withdraw' OR (strength IS NOT NULL AND strength_unit IS NOT NULL"
            " AND units_per_pack IS NOT NULL AND dosage_form IS NOT NULL AND quality IS NOT NULL"
            " AND pack_price IS NOT NULL AND capacity IS NOT NULL AND accept_revival IS NOT NULL"
            " AND nonce IS NOT NULL AND commitment IS NOT NULL)",
            name="ck_bids_submission_complete",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name="fk_bids_enterprise_id_enterprises"
        ),
        sa.ForeignKeyConstraint(
            ["round_id", "group_id"],
            ["catalog_groups.round_id", "catalog_groups.id"],
            name="fk_bids_group_catalog_groups",
        ),
        _round_fk("bids"),
        sa.PrimaryKeyConstraint("id", name="pk_bids"),
        sa.UniqueConstraint(
            "round_id", "enterprise_id", "group_id", "version", name="uq_bids_version"
        ),
    )
    op.create_index("ix_bids_enterprise_id", "bids", ["enterprise_id"])
    op.create_index("ix_bids_round_current", "bids", ["round_id", "current"])

    op.create_table(
        "award_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.String(100), nullable=False),
        sa.Column(
            "status",
            _enum("award_job_status", "queued", "running", "succeeded", "failed"),
            nullable=False,
        ),
        sa.Column("stage", sa.String(100), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("solver", sa.String(20), nullable=False),
        sa.Column("time_limit", sa.Float(), nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("requested_by_token", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("started_at", TZ, nullable=True),
        sa.Column("finished_at", TZ, nullable=True),
        _round_fk("award_jobs"),
        sa.PrimaryKeyConstraint("id", name="pk_award_jobs"),
    )
    op.create_index("ix_award_jobs_round_status", "award_jobs", ["round_id", "status"])

    op.create_table(
        "round_outcomes",
        sa.Column("round_id", sa.String(100), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("solver_status", sa.String(20), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["award_jobs.id"], name="fk_round_outcomes_job_id_award_jobs"
        ),
        _round_fk("round_outcomes"),
        sa.PrimaryKeyConstraint("round_id", name="pk_round_outcomes"),
    )

    op.create_table(
        "outcome_groups",
        sa.Column("round_id", sa.String(100), nullable=False),
        sa.Column("group_id", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("valid_bidders", sa.Integer(), nullable=False),
        sa.Column("winner_cap", sa.Integer(), nullable=False),
        sa.Column("agreed_ratio", DECIMAL, nullable=True),
        sa.Column("term_years", sa.Integer(), nullable=True),
        sa.Column("base_volume", sa.BigInteger(), nullable=False),
        sa.Column("agreed_volume", sa.BigInteger(), nullable=False),
        sa.Column("unallocated_volume", sa.BigInteger(), nullable=False),
        sa.Column("payment_standard", DECIMAL, nullable=True),
        _round_fk("outcome_groups"),
        sa.PrimaryKeyConstraint("round_id", "group_id", name="pk_outcome_groups"),
    )

    op.create_table(
        "outcome_bids",
        sa.Column("round_id", sa.String(100), nullable=False),
        sa.Column("group_id", sa.String(100), nullable=False),
        sa.Column("enterprise_id", sa.String(100), nullable=False),
        sa.Column("ucp", DECIMAL, nullable=False),
        sa.Column("valid", sa.Boolean(), nullable=False),
        sa.Column("qualified", sa.Boolean(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(30), nullable=True),
        sa.Column("won", sa.Boolean(), nullable=False),
        sa.Column("winner_rank", sa.Integer(), nullable=True),
        sa.Column("price", DECIMAL, nullable=True),
        _round_fk("outcome_bids"),
        sa.PrimaryKeyConstraint("round_id", "group_id", "enterprise_id", name="pk_outcome_bids"),
    )
    op.create_index("ix_outcome_bids_enterprise", "outcome_bids", ["round_id", "enterprise_id"])

    op.create_table(
        "outcome_volumes",
        sa.Column("round_id", sa.String(100), nullable=False),
        sa.Column("institution_id", sa.String(100), nullable=False),
        sa.Column("group_id", sa.String(100), nullable=False),
        sa.Column("reported", sa.BigInteger(), nullable=False),
        sa.Column("base_volume", sa.BigInteger(), nullable=False),
        sa.Column("agreed_volume", sa.BigInteger(), nullable=False),
        sa.Column("flag", sa.String(30), nullable=True),
        _round_fk("outcome_volumes"),
        sa.PrimaryKeyConstraint(
            "round_id", "institution_id", "group_id", name="pk_outcome_volumes"
        ),
    )

    op.create_table(
        "outcome_allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.String(100), nullable=False),
        sa.Column("institution_id", sa.String(100), nullable=False),
        sa.Column("group_id", sa.String(100), nullable=False),
        sa.Column("enterprise_id", sa.String(100), nullable=False),
        sa.Column("volume", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("price", DECIMAL, nullable=False),
        sa.Column("amount", DECIMAL, nullable=False),
        _round_fk("outcome_allocations"),
        sa.PrimaryKeyConstraint("id", name="pk_outcome_allocations"),
    )
    op.create_index(
        "ix_outcome_allocations_institution", "outcome_allocations", ["round_id", "institution_id"]
    )
    op.create_index(
        "ix_outcome_allocations_enterprise", "outcome_allocations", ["round_id", "enterprise_id"]
    )

    op.create_table(
        "outcome_regions",
        sa.Column("round_id", sa.String(100), nullable=False),
        sa.Column("group_id", sa.String(100), nullable=False),
        sa.Column("region", sa.String(100), nullable=False),
        sa.Column("primary_enterprise", sa.String(100), nullable=True),
        sa.Column("backup_enterprise", sa.String(100), nullable=True),
        _round_fk("outcome_regions"),
        sa.PrimaryKeyConstraint("round_id", "group_id", "region", name="pk_outcome_regions"),
    )

    op.create_table(
        "outcome_institutions",
        sa.Column("round_id", sa.String(100), nullable=False),
        sa.Column("institution_id", sa.String(100), nullable=False),
        sa.Column("annual_contract_amount", DECIMAL, nullable=False),
        sa.Column("prepayment", DECIMAL, nullable=False),
        _round_fk("outcome_institutions"),
        sa.PrimaryKeyConstraint("round_id", "institution_id", name="pk_outcome_institutions"),
    )


def downgrade() -> None:
    op.drop_table("outcome_institutions")
    op.drop_table("outcome_regions")
    op.drop_index("ix_outcome_allocations_enterprise", table_name="outcome_allocations")
    op.drop_index("ix_outcome_allocations_institution", table_name="outcome_allocations")
    op.drop_table("outcome_allocations")
    op.drop_table("outcome_volumes")
    op.drop_index("ix_outcome_bids_enterprise", table_name="outcome_bids")
    op.drop_table("outcome_bids")
    op.drop_table("outcome_groups")
    op.drop_table("round_outcomes")
    op.drop_index("ix_award_jobs_round_status", table_name="award_jobs")
    op.drop_table("award_jobs")
    op.drop_index("ix_bids_round_current", table_name="bids")
    op.drop_index("ix_bids_enterprise_id", table_name="bids")
    op.drop_table("bids")
