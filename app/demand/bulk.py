"""Bulk demand uploads: JSON arrays or CSV, parsed and checked line by line.

All or nothing: every bad line is reported (line number, field, message) and nothing is
stored unless every line is good. Line numbers: in CSV the header is line 1, so the first
report is line 2; in JSON, line n is the n-th element of the array.
"""

import csv
import io
import json
from typing import Any, NamedTuple

from app.errors import FieldError
from solver.text import text_problem

COLUMNS = ("group", "reported", "last_year_usage", "preferred_enterprise")
REQUIRED = ("group", "reported", "last_year_usage")
_COLUMN_SET = frozenset(COLUMNS)


class Line(NamedTuple):
    """A good line, typed (a tuple: made once per line of an upload of up to 100,000)."""

    line: int
    group: str
    reported: int
    last_year_usage: int
    preferred_enterprise: str | None


# what a number too long for Python to read stands for: it can only be too large
_TOO_LARGE = 10**4300


def _read_int(text: str) -> int:
    """json's reader of whole numbers, for any length: Python refuses to read one of more than
    4,300 digits (ValueError, which json does not catch); such a number is over any
    max_unit_volume, or, negative, below zero, and is checked as such."""
    try:
        return int(text)
    except ValueError:
        return -1 if text.startswith("-") else _TOO_LARGE


def parse_json(data: bytes) -> tuple[list[tuple[int, dict[str, Any]]], list[FieldError]]:
    try:
        items = json.loads(data, parse_int=_read_int)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return [], [FieldError(field="body", message=f"invalid JSON: {exc}")]
    if not isinstance(items, list):
        return [], [FieldError(field="body", message="expected a JSON array of demand lines")]
    rows, errors = [], []
    for i, item in enumerate(items, start=1):
        if isinstance(item, dict):
            rows.append((i, item))
        else:
            errors.append(FieldError(line=i, field="(line)", message="expected an object"))
    return rows, errors


def parse_csv(data: bytes) -> tuple[list[tuple[int, dict[str, Any]]], list[FieldError]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return [], [FieldError(field="body", message=f"CSV must be UTF-8: {exc}")]
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return [], [FieldError(line=1, field="(header)", message="empty file: expected a header")]
    except csv.Error as exc:
        return [], [FieldError(line=1, field="(header)", message=f"unreadable CSV: {exc}")]
    names = [h.strip() for h in header]
    errors = [
        FieldError(
            line=1, field=n or "(empty)", message=f"unknown column; expected {', '.join(COLUMNS)}"
        )
        for n in names
        if n not in COLUMNS
    ]
    errors += [
        FieldError(line=1, field=n, message="missing column") for n in REQUIRED if n not in names
    ]
    errors += [
        FieldError(line=1, field=n, message="duplicate column")
        for n in sorted({n for n in names if names.count(n) > 1})
    ]
    if errors:
        return [], errors
    rows: list[tuple[int, dict[str, Any]]] = []
    width = len(names)
    try:
        for record in reader:
            if not record or (len(record) == 1 and not record[0].strip()):
                continue  # blank line
            if len(record) != width:
                errors.append(
                    FieldError(
                        line=reader.line_num,
                        field="(line)",
                        message=f"expected {width} values, found {len(record)}",
                    )
                )
                continue
            rows.append((reader.line_num, dict(zip(names, record, strict=True))))
    except csv.Error as exc:
        errors.append(
            FieldError(line=reader.line_num, field="(line)", message=f"unreadable CSV: {exc}")
        )
    return rows, errors


def _volume(value: Any, *, text: bool, max_volume: int) -> tuple[int | None, str | None]:
    if text:
        value = value.strip() if isinstance(value, str) else value
        if not isinstance(value, str) or not value.isdigit() or not value.isascii():
            return None, "must be a whole number ≥ 0"
        digits = value.lstrip("0") or "0"  # zeros in front: Python reads at most 4,300 digits
        if len(digits) > len(str(max_volume)):
            return None, f"exceeds max_unit_volume {max_volume}"
        number = int(digits)
    else:
        if isinstance(value, bool) or not isinstance(value, int):
            return None, "must be a whole number ≥ 0"
        number = value
        if number < 0:
            return None, "must be a whole number ≥ 0"
    if number > max_volume:
        return None, f"exceeds max_unit_volume {max_volume}"
    return number, None


def named_enterprises(rows: list[tuple[int, dict[str, Any]]]) -> set[str]:
    """The preferred enterprises that `rows` name, to be looked up before they are checked.
    A name no field may hold (NUL, a lone surrogate: `solver.text`) is no enterprise's and
    is not looked up: the database driver refuses it as a parameter. Its line is reported as
    naming an unknown one."""
    named = (row.get("preferred_enterprise") for _, row in rows)
    return {
        value.strip()
        for value in named
        if isinstance(value, str) and value.strip() and text_problem(value) is None
    }


class LineChecker:
    """Checks an upload's lines a chunk at a time (so that the good ones can be written while
    the next are checked); `errors` collects every problem found so far."""

    def __init__(
        self, *, text: bool, groups: set[str], max_volume: int, enterprises: set[str]
    ) -> None:
        self.text = text
        self.groups = groups
        self.max_volume = max_volume
        self._max_digits = len(str(max_volume))  # a longer text: zeros in front, or too large
        self.enterprises = enterprises  # those that exist, of `named_enterprises`
        self.errors: list[FieldError] = []
        self._first_line: dict[str, int] = {}

    def check(self, rows: list[tuple[int, dict[str, Any]]]) -> list[Line]:
        """The good lines of `rows`, typed; the problems of the others go to `errors`."""
        lines: list[Line] = []
        quick = self._quick
        for number, row in rows:
            line = quick(number, row)
            if line is None:
                line = self._check_line(number, row)
            if line is not None:
                lines.append(line)
        return lines

    def _quick(self, number: int, row: dict[str, Any]) -> Line | None:
        """The line if it is plainly good (the common case, checked in few steps), else None:
        `_check_line` then decides, and names every problem."""
        if not row.keys() <= _COLUMN_SET:
            return None
        group, reported, usage = row.get("group"), row.get("reported"), row.get("last_year_usage")
        preferred = row.get("preferred_enterprise")
        if type(group) is not str:
            return None
        group = group.strip()
        if group not in self.groups or group in self._first_line:
            return None
        if self.text:
            if type(reported) is not str or type(usage) is not str:
                return None
            reported, usage = reported.strip(), usage.strip()
            if (
                not (
                    reported.isdigit()
                    and reported.isascii()
                    and usage.isdigit()
                    and usage.isascii()
                )
                or max(len(reported), len(usage)) > self._max_digits
            ):  # the full check reads it
                return None
            reported, usage = int(reported), int(usage)
        elif type(reported) is not int or type(usage) is not int or reported < 0 or usage < 0:
            return None
        if reported > self.max_volume or usage > self.max_volume:
            return None
        if preferred is not None:
            if type(preferred) is not str:
                return None
            preferred = preferred.strip() or None
            if preferred is not None and preferred not in self.enterprises:
                return None
        self._first_line[group] = number
        return Line(number, group, reported, usage, preferred)

    def _check_line(self, number: int, row: dict[str, Any]) -> Line | None:
        """The line, typed, if it is good; else None, its problems added to `errors`."""
        errors = self.errors
        groups, first_line = self.groups, self._first_line
        bad = False
        for key in row:
            if key not in COLUMNS:
                errors.append(FieldError(line=number, field=str(key), message="unknown field"))
                bad = True
        group = row.get("group")
        if isinstance(group, str):
            group = group.strip()
        if not isinstance(group, str) or not group:
            errors.append(FieldError(line=number, field="group", message="required"))
            bad = True
        elif group not in groups:
            errors.append(
                FieldError(line=number, field="group", message=f"unknown group {group!r}")
            )
            bad = True
        elif group in first_line:
            errors.append(
                FieldError(
                    line=number,
                    field="group",
                    message=f"second line for group {group!r} (first at line {first_line[group]})",
                )
            )
            bad = True
        else:
            first_line[group] = number
        values: dict[str, int] = {}
        for field in ("reported", "last_year_usage"):
            if field not in row:
                errors.append(FieldError(line=number, field=field, message="required"))
                bad = True
                continue
            value, problem = _volume(row[field], text=self.text, max_volume=self.max_volume)
            if problem is not None:
                errors.append(FieldError(line=number, field=field, message=problem))
                bad = True
            else:
                assert value is not None
                values[field] = value
        preferred = row.get("preferred_enterprise")
        if isinstance(preferred, str):
            preferred = preferred.strip() or None
        if preferred is not None and not isinstance(preferred, str):
            errors.append(
                FieldError(
                    line=number,
                    field="preferred_enterprise",
                    message="must be an enterprise id",
                )
            )
            bad = True
        elif preferred is not None and preferred not in self.enterprises:
            errors.append(
                FieldError(
                    line=number,
                    field="preferred_enterprise",
                    message=f"unknown enterprise {preferred!r}",
                )
            )
            bad = True
        if bad:
            return None
        assert isinstance(group, str)
        return Line(number, group, values["reported"], values["last_year_usage"], preferred)
