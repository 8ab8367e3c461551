# ruff: noqa: F811 -- the fixtures imported from test_contracts_world are parameters here
"""CSV and XLSX exports of contracts, invoices, the prepayment ledger and fulfilment, with
English field names or Chinese column headers, for the caller's own data only."""

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

from tests.api.conftest import assert_problem
from tests.api.test_contracts_world import (  # noqa: F401 (fixtures)
    ROUND,
    Period,
    api,
    app,
    client,
    period,
)

EXPORTS = f"/api/v1/rounds/{ROUND}/exports"


def _csv(period: Period, dataset: str, actor: str = "bureau", **params: Any) -> list[list[str]]:
    r = period.client.get(f"{EXPORTS}/{dataset}", params=params, headers=period.who(actor))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert r.content.startswith(b"\xef\xbb\xbf")  # a BOM, for spreadsheet programs
    return list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))


def test_contracts_as_csv_with_chinese_headers(period: Period) -> None:
    rows = _csv(period, "contracts", lang="zh")
    assert rows[0][:4] == ["合同编号", "采购批次", "协议年度", "医疗机构"]
    assert "年度约定采购金额(元)" in rows[0]
    assert len(rows) == 1 + 7
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (first["医疗机构"], first["中选企业"], first["年度约定采购金额(元)"]) == (
        "H001",
        "E01",
        "17295.60",
    )


def test_contracts_as_xlsx(period: Period) -> None:
    r = period.client.get(
        f"{EXPORTS}/contracts", params={"format": "xlsx", "lang": "zh"}, headers=period.bureau
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"] == (
        f'attachment; filename="{ROUND}-year1-contracts.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(r.content)).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "合同编号" and len(values) == 1 + 7
    header = list(values[0])
    amount = sheet.cell(row=2, column=header.index("年度约定采购金额(元)") + 1)
    assert (Decimal(str(amount.value)), amount.number_format) == (Decimal("17295.6"), "0.00")
    assert sheet.cell(row=2, column=header.index("协议开始日期") + 1).value.date() == date(
        2027, 1, 1
    )


def test_invoices_with_due_dates_and_days_overdue(period: Period) -> None:
    period.buy("H001", 7000, ordered=date(2027, 1, 4))
    period.today(date(2027, 3, 10))
    rows = _csv(period, "invoices")
    assert rows[0][rows[0].index("due_on")] == "due_on"
    record = dict(zip(rows[0], rows[1], strict=True))
    assert (record["amount"], record["due_on"], record["days_overdue"], record["status"]) == (
        "1441.30",
        "2027-02-28",
        "10",
        "open",
    )
    zh = _csv(period, "invoices", "E01", lang="zh")
    assert {"结算期限", "逾期天数"} <= set(zh[0]) and len(zh) == 2
    assert len(_csv(period, "invoices", "E02")) == 1  # no receivables: the header only


def test_the_prepayment_ledger_per_institution_and_for_the_fund(period: Period) -> None:
    period.today(date(2027, 1, 4))
    rows = _csv(period, "prepayment-ledger")
    assert len(rows) == 1 + 5 * 12 + 12
    fund = [dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[0] == "FUND"]
    assert (fund[0]["disbursed"], fund[0]["closing"]) == ("13787.98", "13787.98")
    own = _csv(period, "prepayment-ledger", "H002", lang="zh")
    assert {r[0] for r in own[1:]} == {"H002", "FUND"}
    assert own[0][5:] == [
        "期初余额(元)",
        "预付拨付(元)",
        "验收采购金额(元)",
        "冲抵金额(元)",
        "期末余额(元)",
    ]
    assert_problem(
        period.client.get(f"{EXPORTS}/prepayment-ledger", headers=period.who("E01")), 403
    )


def test_fulfilment_per_contract_for_its_enterprise(period: Period) -> None:
    period.buy("H001", 90000, ordered=date(2027, 3, 1))
    rows = _csv(period, "fulfilment", "E01")
    got = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert [
        (r["institution_id"], r["beyond_agreed_volume"], r["percent_complete"]) for r in got
    ] == [
        ("H001", "6000", "100.00"),
        ("H002", "0", "0.00"),
    ]
