"""Rule sets: profiles, overrides, and refusal of bad rule sets (SPEC §2–§9 defaults)."""

from decimal import Decimal

import pytest

from solver.errors import DocumentError
from solver.rules import build_rules


def test_batch7_defaults_are_the_spec_numbers():
    r = build_rules("batch7")
    assert r.spread_multiplier == Decimal("1.8")
    assert r.min_cut_vs_ceiling == Decimal("0.50")
    assert r.absolute_floor == {"oral_regular": Decimal("0.10"), "oral_sustained": Decimal("0.10")}
    assert r.revival is False
    assert r.winner_cap_table == "batch9"
    assert r.demand_floor_ratio == Decimal("0.80")
    assert r.below_floor_policy == "raise"
    assert r.max_unit_volume == 10**9
    assert r.prepay_ratio == Decimal("0.30")
    assert r.max_groups_per_generic == 2
    assert r.payment_standard_basis == "highest_winner"
    assert r.delivery_days == 3
    assert r.bar_months == {"serious": 9, "particularly_serious": 24}
    assert r.eligible_quality == ("originator", "reference", "gqce")


@pytest.mark.parametrize(
    ("profile", "cut", "revival", "cap_table", "basis"),
    [
        ("batch7", Decimal("0.50"), False, "batch9", "lowest"),
        ("batch10", None, True, "batch10", "lowest"),
        ("batch11", None, True, "batch10", "anchor"),
    ],
)
def test_profiles(profile, cut, revival, cap_table, basis):
    r = build_rules(profile)
    assert (r.min_cut_vs_ceiling, r.revival, r.winner_cap_table, r.spread_basis) == (
        cut,
        revival,
        cap_table,
        basis,
    )
    assert r.price_floor("oral_regular") == Decimal("0.10")
    assert r.price_floor("injection") is None


BATCH9 = {1: 1, 2: 2, 3: 2, 4: 3, 5: 4, 6: 4, 7: 5, 8: 6, 9: 7, 10: 8, 11: 9, 12: 9, 13: 10, 40: 10}
BATCH10 = {1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 3, 7: 4, 8: 5, 9: 6, 10: 6, 11: 7, 12: 8, 13: 8,
           14: 9, 15: 9, 16: 10, 99: 10}  # fmt: skip


@pytest.mark.parametrize(("n", "cap"), sorted(BATCH9.items()))
def test_batch9_cap_table(n, cap):
    assert build_rules("batch7").winner_cap(n) == cap


@pytest.mark.parametrize(("n", "cap"), sorted(BATCH10.items()))
def test_batch10_cap_table(n, cap):
    assert build_rules("batch10").winner_cap(n) == cap
    assert build_rules("batch11").winner_cap(n) == cap


def test_no_valid_bidder_has_cap_zero():
    assert build_rules().winner_cap(0) == 0


def test_explicit_cap_list_holds_its_last_value():
    r = build_rules("batch7", {"winner_cap_table": [1, 1, 2]})
    assert [r.winner_cap(n) for n in range(1, 6)] == [1, 1, 2, 2, 2]


@pytest.mark.parametrize(
    ("winners", "standard", "antimicrobial", "term"),
    [(1, "0.50", "0.30", 1), (2, "0.60", "0.40", 1), (3, "0.70", "0.50", 2), (4, "0.80", "0.50", 3),
     (10, "0.80", "0.50", 3)],
)  # fmt: skip
def test_agreed_ratio_and_term(winners, standard, antimicrobial, term):
    r = build_rules()
    assert r.agreed_ratio("standard", winners) == Decimal(standard)
    assert r.agreed_ratio("antimicrobial", winners) == Decimal(antimicrobial)
    assert r.term_years(winners) == term


def test_overrides_apply_on_top_of_the_profile():
    r = build_rules("batch10", {"prepay_ratio": "0.40", "min_cut_vs_ceiling": "0.6"})
    assert r.prepay_ratio == Decimal("0.40")
    assert r.min_cut_vs_ceiling == Decimal("0.6")
    assert r.revival is True


@pytest.mark.parametrize(
    ("overrides", "path", "words"),
    [
        ({"demand_floor_ratio": "1.2"}, "rules.overrides.demand_floor_ratio", "between 0 and 1"),
        ({"min_cut_vs_ceiling": "-0.1"}, "rules.overrides.min_cut_vs_ceiling", "between 0 and 1"),
        ({"prepay_ratio": "0.25"}, "rules.overrides.prepay_ratio", "0.30"),
        ({"no_such_rule": 1}, "rules.overrides.no_such_rule", "unknown field"),
        ({"winner_cap_table": {1: 1, 2: 2, 4: 3}}, "rules.overrides.winner_cap_table", "gap"),
        ({"winner_cap_table": "batch99"}, "rules.overrides.winner_cap_table", "unknown cap table"),
        ({"winner_cap_table": [1, 0]}, "rules.overrides.winner_cap_table", "at least 1"),
        ({"spread_multiplier": "0.9"}, "rules.overrides.spread_multiplier", "at least 1"),
        ({"below_floor_policy": "ignore"}, "rules.overrides.below_floor_policy", "raise"),
        # bounds: each beyond it once made a 500 in the service (a date, a volume or a
        # price out of what it stores)
        ({"max_unit_volume": 10**19}, "rules.overrides.max_unit_volume", "less than or equal"),
        ({"delivery_days": 10**9}, "rules.overrides.delivery_days", "less than or equal"),
        ({"term_years_table": {1: 10**6}}, "rules.overrides.term_years_table", "between 1 and 10"),
        ({"bar_months": {"serious": 10**9}}, "rules.overrides.bar_months", "between 0 and 120"),
        ({"bar_months": {"serious": -1}}, "rules.overrides.bar_months", "between 0 and 120"),
        ({"strength_coefficient": "1e400"}, "rules.overrides.strength_coefficient", "less than"),
        ({"spread_multiplier": "1e400"}, "rules.overrides.spread_multiplier", "at most 100"),
        (
            {"dosage_form_ratios": {"capsule": {"tablet": "1e-400"}}},
            "rules.overrides.dosage_form_ratios",
            "between 0.01 and 100",
        ),
        (
            {"pack_count_coefficients": ["0", "2"]},
            "rules.overrides.pack_count_coefficients",
            "above 1",
        ),
        (
            {"absolute_floor": {"oral_regular": "1e13"}},
            "rules.overrides.absolute_floor",
            "between 0",
        ),
        (
            {
                "agreed_ratio_tables": {
                    "standard": {1: "0.5", 3: "0.7"},
                    "antimicrobial": {1: "0.3"},
                }
            },
            "rules.overrides.agreed_ratio_tables",
            "gap",
        ),
    ],
)
def test_bad_rule_sets_are_refused_naming_the_field(overrides, path, words):
    with pytest.raises(DocumentError) as err:
        build_rules("batch7", overrides)
    assert any(p == path and words in m for p, m in err.value.problems), err.value.problems


def test_unknown_profile_is_refused():
    with pytest.raises(DocumentError) as err:
        build_rules("batch99")
    assert err.value.problems[0][0] == "rules.profile"


def test_map_overrides_merge_into_the_profile():
    r = build_rules("batch7", {"absolute_floor": {"injection": "0.05"}})
    assert r.absolute_floor == {
        "oral_regular": Decimal("0.10"),
        "oral_sustained": Decimal("0.10"),
        "injection": Decimal("0.05"),
    }
    r = build_rules("batch7", {"absolute_floor": {"oral_sustained": None}})
    assert r.absolute_floor == {"oral_regular": Decimal("0.10")}
    r = build_rules("batch7", {"agreed_ratio_tables": {"standard": {1: "0.55", 2: "0.65"}}})
    assert r.agreed_ratio("standard", 4) == Decimal("0.65")
    assert r.agreed_ratio("antimicrobial", 1) == Decimal("0.30")


@pytest.mark.parametrize(
    "overrides",
    [{"max_groups_per_generic": True}, {"max_unit_volume": True}, {"winner_cap_table": [True, 2]}],
)
def test_booleans_are_not_numbers(overrides):
    with pytest.raises(DocumentError) as err:
        build_rules("batch7", overrides)
    assert err.value.problems[0][0].startswith(f"rules.overrides.{next(iter(overrides))}")
    assert "[" not in err.value.problems[0][0]  # no pydantic union tags in the path


def test_spec_names_agreed_ratio_and_term_years_are_accepted():
    # SPEC §7 names the rules `agreed_ratio` and `term_years`
    r = build_rules("batch7", {"agreed_ratio": {"1": "0.55", "2": "0.65"}, "term_years": {"1": 2}})
    assert [r.agreed_ratio("standard", n) for n in (1, 2, 5)] == [
        Decimal("0.55"),
        Decimal("0.65"),
        Decimal("0.65"),
    ]
    assert r.agreed_ratio("antimicrobial", 1) == Decimal("0.30")
    assert [r.term_years(n) for n in (1, 4)] == [2, 2]
    r = build_rules("batch7", {"agreed_ratio": {"antimicrobial": {"1": "0.35", "2": "0.45"}}})
    assert r.agreed_ratio("antimicrobial", 3) == Decimal("0.45")
    assert r.agreed_ratio("standard", 4) == Decimal("0.80")


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"agreed_ratio": {"1": "1.5"}}, "between 0 and 1"),
        ({"agreed_ratio": {"1": "0.5", "3": "0.7"}}, "gap"),
        ({"agreed_ratio": {"1": "0.5"}, "agreed_ratio_tables": {}}, "not both"),
    ],
)
def test_errors_name_the_rule_as_the_overrides_did(overrides, words):
    with pytest.raises(DocumentError) as err:
        build_rules("batch7", overrides)
    assert any(p == "rules.overrides.agreed_ratio" and words in m for p, m in err.value.problems), (
        err.value.problems
    )
