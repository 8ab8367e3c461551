"""Initial schema: actors, API tokens, rounds, catalog groups, demand reports, audit trail,
idempotency keys.

Revision ID: 0001
Revises:
Create Date: 2026-11-29

Written from an autogenerate draft and reviewed by hand: plain SQLAlchemy types only (a
migration must not change when app code does), enums as VARCHAR + CHECK, constraint names as
the naming convention in app/sqltypes.py gives them, and the audit trail append-only at the
database level.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
DECIMAL = sa.String(40)  # app.sqltypes.DecimalText: exact decimals as text


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "institutions",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("region", sa.String(100), nullable=False),
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_institutions"),
    )
    op.create_table(
        "enterprises",
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column(
            "credit_level",
            _enum("credit_level", "general", "moderate", "serious", "particularly_serious"),
            nullable=True,
        ),
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_enterprises"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("role", _enum("api_role", "bureau", "institution", "enterprise"), nullable=False),
        sa.Column("institution_id", sa.String(100), nullable=True),
        sa.Column("enterprise_id", sa.String(100), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.CheckConstraint(
            "(role = 'bureau' AND institution_id IS NULL AND enterprise_id IS NULL)"
            " OR (role = 'institution' AND institution_id IS NOT NULL AND enterprise_id IS NULL)"
            " OR (role = 'enterprise' AND enterprise_id IS NOT NULL AND institution_id IS NULL)",
            name="ck_api_tokens_actor_matches_role",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name="fk_api_tokens_institution_id_institutions",
        ),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name="fk_api_tokens_enterprise_id_enterprises"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
    )
    op.create_index("ix_api_tokens_institution_id", "api_tokens", ["institution_id"])
    op.create_index("ix_api_tokens_enterprise_id", "api_tokens", ["enterprise_id"])

    op.create_table(
        "rounds",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column(
            "state",
            _enum(
                "round_state",
                "draft",
                "demand_open",
                "demand_locked",
                "bidding_open",
                "bids_opened",
                "awarded",
                "published",
                "in_agreement",
                "closed",
                "cancelled",
            ),
            nullable=False,
        ),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("agreement_start", sa.Date(), nullable=True),
        sa.Column("demand_opens_at", TZ, nullable=True),
        sa.Column("demand_closes_at", TZ, nullable=True),
        sa.Column("bidding_opens_at", TZ, nullable=True),
        sa.Column("bidding_closes_at", TZ, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.CheckConstraint(
            "demand_opens_at IS NULL OR demand_closes_at IS NULL"
            " OR demand_opens_at < demand_closes_at",
            name="ck_rounds_demand_window_order",
        ),
        sa.CheckConstraint(
            "bidding_opens_at IS NULL OR bidding_closes_at IS NULL"
            " OR bidding_opens_at < bidding_closes_at",
            name="ck_rounds_bidding_window_order",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_rounds"),
    )
    op.create_index("ix_rounds_state", "rounds", ["state"])

    op.create_table(
        "catalog_groups",
        sa.Column("round_id", sa.String(100), nullable=False),
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("generic_names", sa.JSON(), nullable=False),
        sa.Column("form_family", sa.String(50), nullable=False),
        sa.Column("representative_strength", DECIMAL, nullable=False),
        sa.Column("representative_strength_unit", sa.String(20), nullable=False),
        sa.Column("representative_dosage_form", sa.String(50), nullable=False),
        sa.Column("representative_fill_volume", DECIMAL, nullable=True),
        sa.Column("representative_fill_unit", sa.String(20), nullable=True),
        sa.Column("ceiling", DECIMAL, nullable=False),
        sa.Column("pre_vbp_unit_price", DECIMAL, nullable=False),
        sa.Column("ratio_table", _enum("ratio_table", "standard", "antimicrobial"), nullable=False),
        sa.Column("eligible_quality", sa.JSON(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"], ["rounds.id"], name="fk_catalog_groups_round_id_rounds"
        ),
        sa.PrimaryKeyConstraint("round_id", "id", name="pk_catalog_groups"),
    )

    op.create_table(
        "demand_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.String(100), nullable=False),
        sa.Column("institution_id", sa.String(100), nullable=False),
        sa.Column("group_id", sa.String(100), nullable=False),
        sa.Column("reported", sa.BigInteger(), nullable=False),
        sa.Column("last_year_usage", sa.BigInteger(), nullable=False),
        sa.Column("preferred_enterprise_id", sa.String(100), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column(
            "review_status",
            _enum("review_status", "pending", "accepted", "adjusted", "rejected"),
            nullable=True,
        ),
        sa.Column("adjusted_volume", sa.BigInteger(), nullable=True),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(200), nullable=True),
        sa.Column("reviewed_at", TZ, nullable=True),
        sa.Column("base_volume", sa.BigInteger(), nullable=True),
        sa.Column(
            "base_flag",
            _enum("base_flag", "below_floor_raised", "below_floor_accepted"),
            nullable=True,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.CheckConstraint(
            "reported >= 0 AND last_year_usage >= 0", name="ck_demand_reports_volumes_non_negative"
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name="fk_demand_reports_institution_id_institutions",
        ),
        sa.ForeignKeyConstraint(
            ["round_id", "group_id"],
            ["catalog_groups.round_id", "catalog_groups.id"],
            name="fk_demand_reports_group_catalog_groups",
        ),
        sa.ForeignKeyConstraint(
            ["preferred_enterprise_id"],
            ["enterprises.id"],
            name="fk_demand_reports_preferred_enterprise_id_enterprises",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_demand_reports"),
        # also the index for lookups by round and institution
        sa.UniqueConstraint(
            "round_id", "institution_id", "group_id", name="uq_demand_reports_line"
        ),
    )
    op.create_index("ix_demand_reports_review", "demand_reports", ["round_id", "review_status"])

    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor_role", sa.String(20), nullable=False),
        sa.Column("actor_id", sa.String(100), nullable=True),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("round_id", sa.String(100), nullable=True),
        sa.Column("entity_type", sa.String(50), nullable=False),
        sa.Column("entity_id", sa.String(250), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index(
        "ix_audit_events_round_entity", "audit_events", ["round_id", "entity_type", "entity_id"]
    )
    op.create_index("ix_audit_events_entity", "audit_events", ["entity_type", "entity_id"])
    _make_audit_append_only()

    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(120), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response_body", sa.Text(), nullable=True),
        sa.Column("response_headers", sa.JSON(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_idempotency_keys"),
        sa.UniqueConstraint("subject", "key", name="uq_idempotency_keys_subject_key"),
    )


def _make_audit_append_only() -> None:
    """UPDATE and DELETE on audit_events fail (TRUNCATE, for test cleanup, still works)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'audit_events is append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events"
            " FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_no_{event.lower()} BEFORE {event} ON audit_events"
                " BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
            )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
        op.execute("DROP TRIGGER audit_events_no_delete")
    op.drop_index("ix_audit_events_entity", table_name="audit_events")
    op.drop_index("ix_audit_events_round_entity", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index("ix_demand_reports_review", table_name="demand_reports")
    op.drop_table("demand_reports")
    op.drop_table("catalog_groups")
    op.drop_index("ix_rounds_state", table_name="rounds")
    op.drop_table("rounds")
    op.drop_index("ix_api_tokens_enterprise_id", table_name="api_tokens")
    op.drop_index("ix_api_tokens_institution_id", table_name="api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("enterprises")
    op.drop_table("institutions")
