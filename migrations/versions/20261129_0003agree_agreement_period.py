"""The agreement period: contracts, prepayments, payment standards, orders, invoices, payments,
supply failures, credit ratings, surplus retention and agreement-year simulation jobs (SPEC §9).

Revision ID: 0003agree
Revises: 0002bids
Create Date: 2026-11-29

Written from an autogenerate draft and reviewed by hand: plain SQLAlchemy types only, enums as
VARCHAR + CHECK, constraint names as the naming convention in app/sqltypes.py gives them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003agree"
down_revision: str | Sequence[str] | None = "0002bids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)
DECIMAL = sa.String(40)  # app.sqltypes.DecimalText: exact decimals as text
ID = sa.String(100)


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def _group_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["round_id", "group_id"],
        ["catalog_groups.round_id", "catalog_groups.id"],
        name=f"fk_{table}_group_catalog_groups",
    )


def _index(table: str, *columns: str, name: str | None = None) -> None:
    op.create_index(name or f"ix_{table}_{columns[0]}", table, list(columns))


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", ID, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("institution_id", ID, nullable=False),
        sa.Column("enterprise_id", ID, nullable=False),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("region", ID, nullable=False),
        sa.Column(
            "role",
            _enum("supply_role", "preferred", "primary", "backup", "optimised"),
            nullable=False,
        ),
        sa.Column("agreed_volume", sa.BigInteger(), nullable=False),
        sa.Column("price", DECIMAL, nullable=False),
        sa.Column("annual_amount", DECIMAL, nullable=False),
        sa.Column("term_years", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("term_ends_on", sa.Date(), nullable=False),
        sa.Column("backup_enterprise_id", ID, nullable=True),
        sa.Column("backup_price", DECIMAL, nullable=True),
        sa.Column("previous_contract_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.CheckConstraint("agreed_volume >= 0", name="ck_contracts_agreed_volume_non_negative"),
        sa.CheckConstraint(
            "year >= 1 AND year <= term_years", name="ck_contracts_year_within_term"
        ),
        _fk("contracts", "round_id", "rounds"),
        _fk("contracts", "institution_id", "institutions"),
        _fk("contracts", "enterprise_id", "enterprises"),
        _fk("contracts", "backup_enterprise_id", "enterprises"),
        _fk("contracts", "previous_contract_id", "contracts"),
        _group_fk("contracts"),
        sa.PrimaryKeyConstraint("id", name="pk_contracts"),
        sa.UniqueConstraint(
            "round_id",
            "year",
            "institution_id",
            "group_id",
            "enterprise_id",
            name="uq_contracts_line",
        ),
    )
    _index("contracts", "enterprise_id")
    _index("contracts", "institution_id")
    _index("contracts", "round_id", "year", name="ix_contracts_round_year")

    op.create_table(
        "prepayments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", ID, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("institution_id", ID, nullable=False),
        sa.Column("annual_contract_amount", DECIMAL, nullable=False),
        sa.Column("prepay_ratio", DECIMAL, nullable=False),
        sa.Column("amount", DECIMAL, nullable=False),
        sa.Column("disbursed_on", sa.Date(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        _fk("prepayments", "round_id", "rounds"),
        _fk("prepayments", "institution_id", "institutions"),
        sa.PrimaryKeyConstraint("id", name="pk_prepayments"),
        sa.UniqueConstraint("round_id", "year", "institution_id", name="uq_prepayments_line"),
    )
    _index("prepayments", "institution_id")

    op.create_table(
        "payment_standards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", ID, nullable=False),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("generic_name", ID, nullable=False),
        sa.Column("form_family", sa.String(50), nullable=False),
        sa.Column("standard", DECIMAL, nullable=False),
        sa.Column("basis", sa.String(20), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_until", sa.Date(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        _fk("payment_standards", "round_id", "rounds"),
        _group_fk("payment_standards"),
        sa.PrimaryKeyConstraint("id", name="pk_payment_standards"),
        sa.UniqueConstraint(
            "round_id", "group_id", "generic_name", name="uq_payment_standards_line"
        ),
    )
    _index("payment_standards", "generic_name")

    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", ID, nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", ID, nullable=False),
        sa.Column("enterprise_id", ID, nullable=False),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("volume", sa.BigInteger(), nullable=False),
        sa.Column("ordered_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("supplier_id", ID, nullable=False),
        sa.Column("supplier_role", _enum("supplier_role", "winner", "backup"), nullable=False),
        sa.Column("price", DECIMAL, nullable=False),
        sa.Column(
            "status",
            _enum("order_status", "placed", "delivered", "accepted", "rejected"),
            nullable=False,
        ),
        sa.Column("delivered_on", sa.Date(), nullable=True),
        sa.Column("backup_activated_on", sa.Date(), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("rejected_on", sa.Date(), nullable=True),
        sa.Column("rejection_reason", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.CheckConstraint("volume > 0", name="ck_orders_volume_positive"),
        _fk("orders", "round_id", "rounds"),
        _fk("orders", "contract_id", "contracts"),
        _fk("orders", "institution_id", "institutions"),
        _fk("orders", "enterprise_id", "enterprises"),
        _fk("orders", "supplier_id", "enterprises"),
        sa.PrimaryKeyConstraint("id", name="pk_orders"),
    )
    _index("orders", "contract_id")
    _index("orders", "enterprise_id")
    _index("orders", "institution_id")
    _index("orders", "supplier_id")
    _index("orders", "round_id", "status", name="ix_orders_round_status")

    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("round_id", ID, nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", ID, nullable=False),
        sa.Column("payee_id", ID, nullable=False),
        sa.Column("volume", sa.BigInteger(), nullable=False),
        sa.Column("amount", DECIMAL, nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("paid_amount", DECIMAL, nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        _fk("invoices", "order_id", "orders"),
        _fk("invoices", "round_id", "rounds"),
        _fk("invoices", "contract_id", "contracts"),
        _fk("invoices", "institution_id", "institutions"),
        sa.ForeignKeyConstraint(
            ["payee_id"], ["enterprises.id"], name="fk_invoices_payee_id_enterprises"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_invoices"),
        sa.UniqueConstraint("order_id", name="uq_invoices_order_id"),
    )
    _index("invoices", "contract_id")
    _index("invoices", "due_on")
    _index("invoices", "institution_id")
    _index("invoices", "payee_id")
    _index("invoices", "round_id")

    op.create_table(
        "payments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invoice_id", sa.Integer(), nullable=False),
        sa.Column("amount", DECIMAL, nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(200), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        _fk("payments", "invoice_id", "invoices"),
        sa.PrimaryKeyConstraint("id", name="pk_payments"),
    )
    _index("payments", "invoice_id")

    op.create_table(
        "supply_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("round_id", ID, nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", ID, nullable=False),
        sa.Column("enterprise_id", ID, nullable=False),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("region", ID, nullable=False),
        sa.Column("ordered_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("detected_on", sa.Date(), nullable=False),
        sa.Column("kind", _enum("failure_kind", "not_delivered", "late_delivery"), nullable=False),
        sa.Column("backup_enterprise_id", ID, nullable=True),
        sa.Column("backup_activated_on", sa.Date(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        _fk("supply_failures", "order_id", "orders"),
        _fk("supply_failures", "round_id", "rounds"),
        _fk("supply_failures", "contract_id", "contracts"),
        _fk("supply_failures", "institution_id", "institutions"),
        _fk("supply_failures", "enterprise_id", "enterprises"),
        _fk("supply_failures", "backup_enterprise_id", "enterprises"),
        sa.PrimaryKeyConstraint("id", name="pk_supply_failures"),
        sa.UniqueConstraint("order_id", name="uq_supply_failures_order_id"),
    )
    _index("supply_failures", "enterprise_id")
    _index("supply_failures", "institution_id")
    _index("supply_failures", "round_id")

    op.create_table(
        "credit_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", ID, nullable=False),
        sa.Column(
            "level",
            _enum("credit_level", "general", "moderate", "serious", "particularly_serious"),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("rated_on", sa.Date(), nullable=False),
        sa.Column("bar_until", sa.Date(), nullable=True),
        sa.Column("rated_by", sa.String(200), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        _fk("credit_ratings", "enterprise_id", "enterprises"),
        sa.PrimaryKeyConstraint("id", name="pk_credit_ratings"),
    )
    _index("credit_ratings", "enterprise_id")

    op.create_table(
        "surplus_retentions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("round_id", ID, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("institution_id", ID, nullable=False),
        sa.Column("group_id", ID, nullable=False),
        sa.Column("enterprise_id", ID, nullable=False),
        sa.Column("agreed_volume", sa.BigInteger(), nullable=False),
        sa.Column("purchased_volume", sa.BigInteger(), nullable=False),
        sa.Column("pre_vbp_unit_price", DECIMAL, nullable=False),
        sa.Column("winning_price", DECIMAL, nullable=False),
        sa.Column("insurer_payment_ratio", DECIMAL, nullable=False),
        sa.Column("insured_share", DECIMAL, nullable=False),
        sa.Column("grade_given", sa.String(1), nullable=False),
        sa.Column("grade", sa.String(1), nullable=False),
        sa.Column("grade_ratio", DECIMAL, nullable=False),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("budget", DECIMAL, nullable=False),
        sa.Column("actual", DECIMAL, nullable=False),
        sa.Column("surplus", DECIMAL, nullable=False),
        sa.Column("retention", DECIMAL, nullable=False),
        sa.Column("computed_at", TZ, nullable=False),
        _fk("surplus_retentions", "contract_id", "contracts"),
        _fk("surplus_retentions", "round_id", "rounds"),
        _fk("surplus_retentions", "institution_id", "institutions"),
        _fk("surplus_retentions", "enterprise_id", "enterprises"),
        sa.PrimaryKeyConstraint("id", name="pk_surplus_retentions"),
        sa.UniqueConstraint("contract_id", name="uq_surplus_retentions_contract_id"),
    )
    _index("surplus_retentions", "institution_id")

    op.create_table(
        "agreement_year_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", ID, nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            _enum("agreement_year_job_status", "queued", "running", "succeeded", "failed"),
            nullable=False,
        ),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("started_at", TZ, nullable=True),
        sa.Column("finished_at", TZ, nullable=True),
        _fk("agreement_year_jobs", "round_id", "rounds"),
        sa.PrimaryKeyConstraint("id", name="pk_agreement_year_jobs"),
    )
    _index("agreement_year_jobs", "round_id")


def downgrade() -> None:
    # indexes go with their tables
    for table in (
        "agreement_year_jobs",
        "surplus_retentions",
        "credit_ratings",
        "supply_failures",
        "payments",
        "invoices",
        "orders",
        "payment_standards",
        "prepayments",
        "contracts",
    ):
        op.drop_table(table)
