"""The `vbp` command.

`vbp simulate` needs only the engine (solver/); `serve` and `tokens` import the service lazily,
so a simulation never pays for FastAPI or the database.
"""

import argparse
import os
import sys
from collections.abc import Sequence


def _add_simulate(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("simulate", help="evaluate a round document and print its outcome")
    p.add_argument("file", help="round document, JSON or YAML ('-' reads standard input)")
    p.add_argument("--format", choices=["json", "table"], default="json")
    p.add_argument("--rules", metavar="PROFILE", help="rule profile: batch7, batch10, batch11")
    p.add_argument(
        "--set",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="override one rule-set field (VALUE is JSON/YAML: 0.35, null, batch10, [1,2,3])",
    )
    p.add_argument("--allocation", choices=["rule", "min_cost"], default="rule")
    p.add_argument(
        "--max-share",
        metavar="RATIO",
        help="with --allocation min_cost: the largest share of a group's agreed volume one winner may get",
    )
    p.add_argument("--solver", choices=["cbc", "highs"], default="cbc")
    p.add_argument("--time-limit", type=float, default=60.0, metavar="SECONDS")


def _add_compare(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("compare", help="the same round under several rule profiles, side by side")
    p.add_argument("file")
    p.add_argument(
        "--profiles", default="batch7,batch10,batch11", help="comma-separated rule profiles"
    )
    p.add_argument("--format", choices=["json", "table"], default="table")
    p.add_argument("--solver", choices=["cbc", "highs"], default="cbc")


def _add_simulate_year(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser(
        "simulate-year",
        help="award a round document, then simulate its agreement year month by month",
    )
    p.add_argument("file", help="round document (its round.agreement_start starts the year)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--months", type=int, default=12)
    p.add_argument("--failure-probability", type=float, default=0.02, metavar="P")
    p.add_argument("--late-payment-probability", type=float, default=0.10, metavar="P")
    p.add_argument("--format", choices=["json", "table"], default="table")
    p.add_argument("--rules", metavar="PROFILE")
    p.add_argument("--set", metavar="KEY=VALUE", action="append", default=[])
    p.add_argument("--solver", choices=["cbc", "highs"], default="cbc")


def _add_serve(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("serve", help="run the HTTP service (applies migrations first)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes (default: VBP_WORKERS, else 1; always 1 on SQLite)",
    )


def _add_migrate(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    sub.add_parser("migrate", help="apply the database migrations (VBP_DATABASE_URL) and exit")


def _add_tokens(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    p = sub.add_parser("tokens", help="manage API tokens")
    tsub = p.add_subparsers(dest="tokens_command", required=True)
    c = tsub.add_parser("create", help="create a token; it is printed once, on the last line")
    c.add_argument("--role", choices=["bureau"], required=True)
    c.add_argument("--name", required=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vbp", description="drug volume-based procurement")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_simulate(sub)
    _add_compare(sub)
    _add_simulate_year(sub)
    _add_serve(sub)
    _add_migrate(sub)
    _add_tokens(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command in ("simulate", "compare", "simulate-year"):
        from app import simulate_cli

        try:
            return int(simulate_cli.run(args))
        except BrokenPipeError:
            # the reader went away (`vbp simulate FILE | head`): not an error of ours, and no
            # traceback; stdout goes to /dev/null so the interpreter's final flush is quiet
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 141  # as a shell reports a process ended by SIGPIPE
    if args.command == "serve":
        from app.main import serve

        return serve(host=args.host, port=args.port, workers=args.workers)
    if args.command == "migrate":
        from app.db import upgrade
        from app.settings import Settings

        upgrade(Settings().database_url)
        return 0
    if args.command == "tokens":
        from app.auth.cli import create_token_command

        return int(create_token_command(role=args.role, name=args.name))
    return 2


if __name__ == "__main__":
    sys.exit(main())
