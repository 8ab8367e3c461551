"""CSV and XLSX exports of contracts, invoices, the prepayment ledger and fulfilment.

Each export is the same data as its JSON route, for the same viewer, as a table: one header
row (English field names, or Chinese column headers with `lang=zh`), then one row per item.
Money is written as exact decimal text in CSV and as a number with two decimals in XLSX.
CSV is UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese correctly.
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from sqlmodel import Session

from app.auth.service import Principal
from app.contracts.access import list_contracts, resolve_year
from app.ledger import service as ledger
from app.orders import service as orders
from app.rounds.access import load_round

Lang = Literal["en", "zh"]
Format = Literal["csv", "xlsx"]
Dataset = Literal["contracts", "invoices", "prepayment-ledger", "fulfilment"]

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    zh: str
    money: bool = False


# (key, English header, Chinese header)
CONTRACT_COLUMNS = (
    Column("id", "contract_id", "合同编号"),
    Column("round_id", "round_id", "采购批次"),
    Column("year", "year", "协议年度"),
    Column("institution_id", "institution_id", "医疗机构"),
    Column("region", "region", "地区"),
    Column("group_id", "group_id", "分组"),
    Column("enterprise_id", "enterprise_id", "中选企业"),
    Column("role", "role", "供应方式"),
    Column("agreed_volume", "agreed_volume", "年度约定采购量"),
    Column("price", "price", "中选价格(元)"),
    Column("annual_amount", "annual_amount", "年度约定采购金额(元)", money=True),
    Column("term_years", "term_years", "采购周期(年)"),
    Column("starts_on", "starts_on", "协议开始日期"),
    Column("ends_on", "ends_on", "协议结束日期"),
    Column("backup_enterprise_id", "backup_enterprise_id", "备供企业"),
    Column("backup_price", "backup_price", "备供价格(元)"),
)
INVOICE_COLUMNS = (
    Column("id", "invoice_id", "发票编号"),
    Column("order_id", "order_id", "订单编号"),
    Column("contract_id", "contract_id", "合同编号"),
    Column("round_id", "round_id", "采购批次"),
    Column("institution_id", "institution_id", "医疗机构"),
    Column("payee_id", "payee_id", "收款企业"),
    Column("volume", "volume", "数量"),
    Column("amount", "amount", "金额(元)", money=True),
    Column("accepted_on", "accepted_on", "验收日期"),
    Column("due_on", "due_on", "结算期限"),
    Column("paid_amount", "paid_amount", "已付金额(元)", money=True),
    Column("outstanding", "outstanding", "未付金额(元)", money=True),
    Column("paid_on", "paid_on", "付清日期"),
    Column("status", "status", "状态"),
    Column("days_overdue", "days_overdue", "逾期天数"),
)
LEDGER_COLUMNS = (
    Column("institution_id", "institution_id", "医疗机构"),
    Column("month", "month", "月份序号"),
    Column("starts_on", "starts_on", "月初"),
    Column("ends_on", "ends_on", "月末"),
    Column("status", "status", "状态"),
    Column("opening", "opening", "期初余额(元)", money=True),
    Column("disbursed", "disbursed", "预付拨付(元)", money=True),
    Column("accepted", "accepted", "验收采购金额(元)", money=True),
    Column("offset", "offset", "冲抵金额(元)", money=True),
    Column("closing", "closing", "期末余额(元)", money=True),
)
FUND = "FUND"  # the fund-level rows of the ledger export (医保基金合计)
FULFILMENT_COLUMNS = (
    Column("contract_id", "contract_id", "合同编号"),
    Column("institution_id", "institution_id", "医疗机构"),
    Column("region", "region", "地区"),
    Column("group_id", "group_id", "分组"),
    Column("enterprise_id", "enterprise_id", "中选企业"),
    Column("agreed_volume", "agreed_volume", "约定采购量"),
    Column("ordered_volume", "ordered_volume", "订购量"),
    Column("purchased_volume", "purchased_volume", "已采购量"),
    Column("within_agreed_volume", "within_agreed_volume", "约定内采购量"),
    Column("beyond_agreed_volume", "beyond_agreed_volume", "超约定采购量"),
    Column("from_backup_volume", "from_backup_volume", "备供采购量"),
    Column("percent_complete", "percent_complete", "完成进度(%)"),
    Column("projected_volume", "projected_volume", "年底预计采购量"),
    Column("projected_percent", "projected_percent", "年底预计完成(%)"),
)


@dataclass(frozen=True)
class Table:
    name: str
    columns: Sequence[Column]
    rows: list[dict[str, Any]]


def build_table(
    session: Session,
    *,
    dataset: Dataset,
    round_id: str,
    year: int | None,
    viewer: Principal,
    now: datetime,
) -> Table:
    r = load_round(session, round_id)
    year = resolve_year(session, r, year, field="query.year")
    name = f"{round_id}-year{year}-{dataset}"
    if dataset == "contracts":
        contracts, _ = list_contracts(session, viewer=viewer, round_id=round_id, year=year)
        return Table(name, CONTRACT_COLUMNS, [c.model_dump() for c in contracts])
    if dataset == "invoices":
        of_year = {
            c.id for c in list_contracts(session, viewer=None, round_id=round_id, year=year)[0]
        }
        page = orders.list_invoices(session, viewer=viewer, now=now, round_id=round_id)
        rows = [i.model_dump() for i in page.items if i.contract_id in of_year]
        return Table(name, INVOICE_COLUMNS, rows)
    if dataset == "prepayment-ledger":
        led = ledger.prepayment_ledger(
            session, round_id=round_id, year=year, viewer=viewer, institution_id=None, now=now
        )
        rows = [
            {"institution_id": i.institution_id, **m.model_dump()}
            for i in led.institutions
            for m in i.months
        ] + [{"institution_id": FUND, **m.model_dump()} for m in led.fund.months]
        return Table(name, LEDGER_COLUMNS, rows)
    ful = ledger.fulfilment(
        session, round_id=round_id, year=year, by="contract", viewer=viewer, now=now
    )
    rows = [{**row.key, **row.model_dump(exclude={"key"})} for row in ful.rows]
    return Table(name, FULFILMENT_COLUMNS, rows)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(getattr(value, "value", value))


def render_csv(table: Table, lang: Lang) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([getattr(c, lang) for c in table.columns])
    for row in table.rows:
        writer.writerow([_text(row.get(c.key)) for c in table.columns])
    return out.getvalue().encode("utf-8-sig")


def _cell(value: Any) -> Any:
    if value is None or isinstance(value, int | Decimal | date):
        return value
    return _text(value)


def render_xlsx(table: Table, lang: Lang) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = table.name[-31:]  # Excel's limit on sheet names
    sheet.append([getattr(c, lang) for c in table.columns])
    for row in table.rows:
        sheet.append([_cell(row.get(c.key)) for c in table.columns])
    for index, column in enumerate(table.columns, start=1):
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if column.money:
                cell.number_format = "0.00"
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
