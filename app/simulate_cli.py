"""`vbp simulate` and `vbp compare`: round documents from files, outcomes to stdout.

Only the engine is imported here (no FastAPI, no database).  Bad input exits 2 with every
problem named by path on stderr, never a traceback.
"""

import argparse
import gc
import json
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import yaml

from solver.document import Round, parse_round_document
from solver.engine import EngineError, iter_outcome_text, simulate
from solver.errors import DocumentError
from solver.solvers import SolverConfig
from solver.year import YearSettings, contracts_from_outcome, simulate_year

LARGE_DOCUMENT_LINES = 20_000


class InputError(Exception):
    pass


def load_document(source: str, stdin: TextIO | None = None) -> Any:
    """Decode a JSON or YAML round document: by suffix (.json, .yaml, .yml), else by content."""
    try:
        if source == "-":
            text = (stdin or sys.stdin).read()
            suffix = ""
        else:
            path = Path(source)
            text = path.read_text(encoding="utf-8-sig")  # a byte-order mark is not content
            suffix = path.suffix.lower()
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"{source} is not UTF-8 text") from None
    text = text.removeprefix("\ufeff")
    if suffix in (".yaml", ".yml"):
        return decode_document(text, yaml_=True, name=source)
    if suffix == ".json":
        return decode_document(text, yaml_=False, name=source)
    try:  # no telling suffix: JSON if it is JSON, else YAML (a superset of JSON)
        return decode_document(text, yaml_=False, name=source)
    except InputError:
        return decode_document(text, yaml_=True, name=source)


# YAML aliases (*name) repeat a node without writing it again: a few hundred bytes of nested
# aliases stand for billions of values ("billion laughs"). A document is refused when it
# stands for more than this many times its own nodes (and more than _ALIAS_SLACK besides).
_ALIAS_EXPANSION = 10
_ALIAS_SLACK = 100_000


class _DocumentLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing a document whose aliases expand it beyond reason before
    anything is built from it."""

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        sizes: dict[int, int] = {}

        def expanded(n: yaml.Node) -> int:
            known = sizes.get(id(n))
            if known is None:
                if isinstance(n, yaml.MappingNode):
                    known = 1 + sum(expanded(k) + expanded(v) for k, v in n.value)
                elif isinstance(n, yaml.SequenceNode):
                    known = 1 + sum(expanded(v) for v in n.value)
                else:
                    known = 1
                sizes[id(n)] = known
            return known

        total = expanded(node)
        if total > _ALIAS_EXPANSION * len(sizes) + _ALIAS_SLACK:
            raise yaml.YAMLError(
                f"its aliases (*name) make {len(sizes):,} nodes stand for {total:,}; "
                "write the values out"
            )
        return self.construct_document(node)


def decode_document(text: str, *, yaml_: bool, name: str = "document") -> Any:
    """JSON numbers become exact decimals; a document too deep, with an absurd integer or
    with YAML aliases that multiply it is refused like any other bad input, never with a
    traceback."""
    try:
        if yaml_:
            return yaml.load(text, Loader=_DocumentLoader)  # a SafeLoader
        return json.loads(text, parse_float=Decimal)
    except yaml.YAMLError as exc:
        raise InputError(f"{name} is not valid YAML: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise InputError(f"{name} is nested too deeply to be a round document") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise InputError(f"{name} cannot be read: {exc}") from None


def parse_overrides(pairs: list[str]) -> dict[str, Any]:
    """`--set key=value`; the value is read as YAML, so 0.35, null, batch10 and [1, 2] work.
    Decimal-looking values stay exact (as strings)."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise InputError(f"--set {pair!r}: expected KEY=VALUE")
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise InputError(f"--set {key}: cannot read value {raw!r}") from None
        if isinstance(value, float):
            value = raw.strip()  # keep the decimal exactly as typed
        overrides[key.strip()] = value
    return overrides


def solver_config(name: str, time_limit: float) -> SolverConfig:
    try:
        return SolverConfig(name=name, time_limit=time_limit)  # type: ignore[arg-type]
    except ValueError as exc:
        raise InputError(f"--time-limit: {exc}") from None


def parse_max_share(raw: str | None, allocation: str) -> Decimal | None:
    if raw is None:
        return None
    if allocation != "min_cost":
        raise InputError("--max-share needs --allocation min_cost")
    try:
        share = Decimal(raw)
    except ArithmeticError:
        raise InputError(f"--max-share: {raw!r} is not a decimal") from None
    if not share.is_finite() or not 0 < share <= 1:
        raise InputError(f"--max-share must be above 0 and at most 1, got {raw}")
    return share


class _TerminalProgress:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.started = time.perf_counter()

    def __call__(self, stage: str, done: int, total: int) -> None:
        elapsed = time.perf_counter() - self.started
        self.stream.write(f"\r[{done}/{total}] {stage:<45} {elapsed:6.1f} s")
        if done == total:
            self.stream.write("\n")
        self.stream.flush()


def _progress_for(data: Any) -> _TerminalProgress | None:
    if not sys.stderr.isatty():
        return None
    lines = len(data.get("demands", ())) if isinstance(data, dict) else 0
    return _TerminalProgress(sys.stderr) if lines >= LARGE_DOCUMENT_LINES else None


def run(args: argparse.Namespace) -> int:
    # A one-shot command building a few hundred thousand records and no reference cycles:
    # the cyclic collector would only walk them again and again (≈ 20 % of the run).
    gc.disable()
    try:
        data = load_document(args.file)
        if args.command == "simulate-year":
            return _simulate_year(args, data)
        if args.command == "compare":
            profiles = [p.strip() for p in args.profiles.split(",") if p.strip()]
            rounds = [(p, parse_round_document(data, profile=p)) for p in profiles]
            solver = SolverConfig(name=args.solver)
            outcomes = [(p, simulate(r, solver=solver)) for p, r in rounds]
            text = (
                json.dumps(compare_json(outcomes), ensure_ascii=False, indent=2) + "\n"
                if args.format == "json"
                else compare_table(outcomes)
            )
            sys.stdout.write(text)
            return 0
        progress = _progress_for(data)
        round_: Round = parse_round_document(
            data, profile=args.rules, overrides=parse_overrides(args.set)
        )
        del data  # the decoded JSON is no longer needed: at national scale it is a gigabyte
        outcome = simulate(
            round_,
            solver=solver_config(args.solver, args.time_limit),
            allocation=args.allocation,
            max_share=parse_max_share(args.max_share, args.allocation),
            progress=progress,
        )
    except InputError as exc:
        print(f"vbp: {exc}", file=sys.stderr)
        return 2
    except DocumentError as exc:
        print(f"vbp: invalid round document {args.file}:", file=sys.stderr)
        for path, message in exc.problems:
            print(f"  {path}: {message}", file=sys.stderr)
        return 2
    except EngineError as exc:
        print(f"vbp: internal error: {exc}", file=sys.stderr)
        return 1
    if args.format == "table":
        sys.stdout.write(outcome_table(outcome, round_))
    else:
        sys.stdout.writelines(iter_outcome_text(outcome))
    return 0


def _simulate_year(args: argparse.Namespace, data: Any) -> int:
    round_ = parse_round_document(data, profile=args.rules, overrides=parse_overrides(args.set))
    start = round_.document.round.agreement_start
    if start is None:
        raise InputError("round.agreement_start is needed to simulate the agreement year")
    if start.year + (args.months + 11) // 12 > 9999:
        raise InputError("round.agreement_start: the simulated period would end after 9999")
    try:
        settings = YearSettings(
            seed=args.seed,
            months=args.months,
            failure_probability=args.failure_probability,
            late_payment_probability=args.late_payment_probability,
            delivery_days=round_.rules.delivery_days,
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    outcome = simulate(round_, solver=SolverConfig(name=args.solver))
    regions = {i.id: i.region for i in round_.document.institutions}
    report = simulate_year(
        contracts_from_outcome(outcome, regions),
        agreement_start=start,
        prepay_ratio=round_.rules.prepay_ratio,
        settings=settings,
    )
    report = {"round": {"id": round_.document.round.id}, **report}
    if args.format == "json":
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=1) + "\n")
    else:
        sys.stdout.write(year_table(report))
    return 0


def year_table(report: dict[str, Any]) -> str:
    """Month by month: purchases, invoices due and overdue, prepayment offsets and balance,
    the fund's cash flow, fulfilment, failures."""
    cols = [
        ("month", "month", 8),
        ("orders", "orders", 7),
        ("accepted yuan", "accepted_amount", 14),
        ("due yuan", "invoices_due_amount", 13),
        ("paid yuan", "paid_amount", 13),
        ("overdue", "overdue_invoices", 8),
        ("overdue yuan", "overdue_amount", 13),
        ("prepay offset", "prepayment_offset", 14),
        ("prepay balance", "prepayment_closing", 15),
        ("fund net out", "fund_net_cash_out", 14),
        ("failures", "supply_failures", 9),
        ("backup", "backup_activations", 7),
        ("fulfil %", "fulfilment_percent", 9),
    ]
    out = [
        f"Agreement year of round {report['round']['id']}: {report['agreement_start']} to "
        f"{report['period_end']} (seed {report['settings']['seed']})",
        "",
        "".join(title.rjust(width) for title, _, width in cols),
    ]
    for row in report["months"]:
        out.append("".join(str(row[key]).rjust(width) for _, key, width in cols))
    s = report["summary"]
    out += [
        "",
        f"orders {s['orders']:,}; supply failures {s['supply_failures']:,} "
        f"(backup activated {s['backup_activations']:,}); accepted {s['accepted_amount']} yuan",
        f"prepayment {s['prepayment_total']} yuan, fully offset by year end; "
        f"unpaid invoices at period end {s['unpaid_at_period_end']:,} "
        f"(overdue {s['overdue_at_period_end']:,}); fulfilment {s['fulfilment_percent']} %",
        "",
        "supplier          orders  on time     late   failed  backup deliveries",
    ]
    for rec in report["suppliers"]:
        out.append(
            f"{rec['enterprise']:<16}{rec['orders']:>8}{rec['on_time']:>9}{rec['late']:>9}"
            f"{rec['failed']:>9}{rec['backup_deliveries']:>19}"
        )
    return "\n".join(out) + "\n"


# -- human summaries ----------------------------------------------------------------------


def _pct(part: Decimal, whole: Decimal) -> str:
    return f"{(1 - part / whole) * 100:5.1f} %" if whole else "   -  "


def outcome_table(outcome: dict[str, Any], round_: Round) -> str:
    """Per group: winners, prices, cut against ceiling and pre-VBP price, volumes; totals."""
    info = {g.id: g for g in round_.document.groups}
    rnd = outcome["round"]
    solver = outcome["solver"]
    out = [
        f"Round {rnd['id']}  {rnd.get('name') or ''}".rstrip(),
        f"rules {rnd.get('profile')}   solver {solver['name']} {solver['status']} "
        f"{solver['seconds']:.2f} s",
        "",
    ]
    for g in outcome["groups"]:
        ceiling = info[g["id"]].ceiling
        pre_vbp = info[g["id"]].pre_vbp_unit_price
        head = (
            f"{g['id']}  {g['status'].upper()}  valid bidders {g['valid_bidders']}, "
            f"cap {g['winner_cap']}"
        )
        if g["winners"]:
            head += f", ratio {g['agreed_ratio']}, term {g['term_years']} y"
        out.append(head)
        out.append(
            f"  volumes: base {g['base_volume']:,}  agreed {g['agreed_volume']:,}  "
            f"unallocated {g['unallocated_volume']:,}   payment standard "
            f"{g['payment_standard'] or '-'}"
        )
        if g["winners"]:
            out.append("  winner  enterprise        price     cut vs ceiling  cut vs pre-VBP")
            for w in g["winners"]:
                price = Decimal(w["price"])
                out.append(
                    f"  {w['rank']:>6}  {w['enterprise']:<16}  {w['price']:>8}  "
                    f"{_pct(price, ceiling):>14}  {_pct(price, pre_vbp):>14}"
                )
        losers = [b for b in g["bids"] if b["reason"]]
        for b in losers:
            out.append(
                f"          {b['enterprise']:<16}  {b['ucp']:>8}  not awarded: {b['reason']}"
            )
        for u in g.get("unallocated_regions", []):
            out.append(f"  unallocated region {u['region']}: {u['volume']:,} ({u['reason']})")
        out.append("")
    s = outcome["summary"]
    pre, contract = Decimal(s["pre_vbp_amount"]), Decimal(s["contract_amount"])
    out += [
        "Totals (yuan)",
        f"  pre-VBP amount    {s['pre_vbp_amount']:>16}",
        f"  contract amount   {s['contract_amount']:>16}",
        f"  savings           {s['savings']:>16}  ({_pct(contract, pre).strip()})",
        f"  prepayment total  {s['prepayment_total']:>16}",
        "",
    ]
    return "\n".join(out)


def _winners_lines(group: dict[str, Any], width: int) -> list[str]:
    """The group's winners as `E01@0.2059`, wrapped to `width` (never cut: every winner and
    every digit of its price is shown)."""
    if not group["winners"]:
        return ["failed"]
    lines: list[str] = []
    for word in (f"{w['enterprise']}@{w['price']}" for w in group["winners"]):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def compare_json(outcomes: list[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    return {
        "profiles": [p for p, _ in outcomes],
        "summary": {p: o["summary"] for p, o in outcomes},
        "groups": [
            {
                "id": gid,
                **{
                    p: {
                        "status": g["status"],
                        "winners": g["winners"],
                        "agreed_volume": g["agreed_volume"],
                        "unallocated_volume": g["unallocated_volume"],
                    }
                    for p, o in outcomes
                    for g in o["groups"]
                    if g["id"] == gid
                },
            }
            for gid in [g["id"] for g in outcomes[0][1]["groups"]]
        ]
        if outcomes
        else [],
    }


def compare_table(outcomes: list[tuple[str, dict[str, Any]]]) -> str:
    """Winners, prices, savings, fund prepayment and shortfalls under each profile."""
    if not outcomes:
        return ""
    width = 34
    profiles = [p for p, _ in outcomes]
    by_profile = [{g["id"]: g for g in o["groups"]} for _, o in outcomes]
    first = max([14, *(len(gid) + 2 for gid in by_profile[0])])
    out = ["group".ljust(first) + "".join(p.ljust(width) for p in profiles)]
    for gid in by_profile[0]:
        cells = [_winners_lines(gp[gid], width - 2) for gp in by_profile]
        for k in range(max(len(c) for c in cells)):
            out.append(
                (gid if k == 0 else "").ljust(first)
                + "".join((c[k] if k < len(c) else "").ljust(width) for c in cells).rstrip()
            )
    out.append("")
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("contract amount", lambda o: o["summary"]["contract_amount"]),
        ("savings", lambda o: o["summary"]["savings"]),
        ("prepayment total", lambda o: o["summary"]["prepayment_total"]),
        ("unallocated volume", lambda o: f"{sum(g['unallocated_volume'] for g in o['groups']):,}"),
        ("failed groups", lambda o: str(sum(g["status"] == "failed" for g in o["groups"]))),
    ]
    for label, fn in rows:
        out.append(
            label.ljust(20) + "".join(str(fn(o)).rjust(width - 6).ljust(width) for _, o in outcomes)
        )
    return "\n".join(out) + "\n"
