"""app.demand.bulk.LineChecker: the quick path for plainly good lines decides exactly as the
full check does (which names every problem)."""

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.demand.bulk import Line, LineChecker

GROUPS = {"G1", "G2", "G3"}
ENTERPRISES = {"E1"}
MAX = 1000

_text_values = st.sampled_from(
    ["0", "7", " 12 ", "1000", "1001", "-3", "1.5", "", "  ", "x", "١٢", "²", "999999999999"]
)
_json_values = st.one_of(
    st.sampled_from([0, 7, 1000, 1001, -3, True, False, 1.5, None, "7", [1]]),
    st.integers(min_value=-5, max_value=1005),
)
_groups = st.sampled_from(["G1", "G2", "G3", " G1 ", "", "  ", "G9", 5, None])
_preferred = st.sampled_from([None, "E1", " E1 ", "", "  ", "E9", 3, ["E1"]])


def _rows(values: st.SearchStrategy[Any]) -> st.SearchStrategy[list[dict[str, Any]]]:
    row = st.fixed_dictionaries(
        {},
        optional={
            "group": _groups,
            "reported": values,
            "last_year_usage": values,
            "preferred_enterprise": _preferred,
            "comment": st.just("extra"),
        },
    )
    return st.lists(row, max_size=8)


def _check(rows: list[dict[str, Any]], *, text: bool, quick: bool) -> tuple[list[Line], list[Any]]:
    checker = LineChecker(text=text, groups=GROUPS, max_volume=MAX, enterprises=ENTERPRISES)
    if not quick:
        checker._quick = lambda number, row: None  # type: ignore[method-assign]
    numbered = list(enumerate(rows, start=2))
    lines = checker.check(numbered[:3]) + checker.check(numbered[3:])
    return lines, checker.errors


@settings(max_examples=400, deadline=None)
@given(rows=_rows(_text_values))
def test_csv_lines_quick_or_not(rows: list[dict[str, Any]]) -> None:
    assert _check(rows, text=True, quick=True) == _check(rows, text=True, quick=False)


@settings(max_examples=400, deadline=None)
@given(rows=_rows(_json_values))
def test_json_lines_quick_or_not(rows: list[dict[str, Any]]) -> None:
    assert _check(rows, text=False, quick=True) == _check(rows, text=False, quick=False)


def test_a_plain_good_line_takes_the_quick_path() -> None:
    checker = LineChecker(text=True, groups=GROUPS, max_volume=MAX, enterprises=ENTERPRISES)
    row = {"group": " G1 ", "reported": "10", "last_year_usage": "12", "preferred_enterprise": ""}
    assert checker._quick(2, row) == Line(2, "G1", 10, 12, None)
    # the same group again is for the full check, which names the first line
    assert checker._quick(3, dict(row)) is None
    assert checker.check([(3, dict(row))]) == []
    assert "first at line 2" in checker.errors[0].message
