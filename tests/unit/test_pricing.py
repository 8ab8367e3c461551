"""Unit comparable price (单位可比价), SPEC §4.  Every expected value is worked by hand in the
comment of its row: unit = pack / units, then ÷ 1.7 per doubling of strength, ÷ 1.9 per
doubling of fill volume, ÷ the dosage-form ratio, half-up to 4 places."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from solver.document import Bid, Group, Product, Representative
from solver.pricing import unit_comparable_price
from solver.rules import RuleSet, build_rules

BATCH7 = build_rules("batch7")


def make_group(
    strength: str = "5",
    unit: str = "mg",
    *,
    form: str = "tablet",
    fill: str | None = None,
    fill_unit: str | None = None,
) -> Group:
    return Group(
        id="G",
        generic_names=("amlodipine",),
        form_family="oral_regular",
        representative=Representative(
            strength=Decimal(strength),
            strength_unit=unit,
            dosage_form=form,
            fill_volume=None if fill is None else Decimal(fill),
            fill_unit=fill_unit,
        ),
        ceiling=Decimal("100"),
        pre_vbp_unit_price=Decimal("100"),
    )


def make_bid(
    pack_price: str,
    units_per_pack: int,
    strength: str = "5",
    unit: str = "mg",
    *,
    form: str = "tablet",
    fill: str | None = None,
    fill_unit: str | None = None,
) -> Bid:
    return Bid(
        enterprise="E01",
        group="G",
        product=Product(
            strength=Decimal(strength),
            strength_unit=unit,
            units_per_pack=units_per_pack,
            dosage_form=form,
            quality="gqce",
            fill_volume=None if fill is None else Decimal(fill),
            fill_unit=fill_unit,
        ),
        pack_price=Decimal(pack_price),
        capacity=1000,
        submitted_at=datetime(2026, 12, 1, tzinfo=UTC),
    )


def ucp(group: Group, bid: Bid, rules: RuleSet = BATCH7) -> Decimal:
    return unit_comparable_price(bid, group, rules)


def test_spec_worked_example() -> None:
    # SPEC §4: 23.80 / 14 = 1.70 per 40 mg; 40/20 = 2 → ÷ 1.7 → 1.0000
    assert ucp(make_group("20"), make_bid("23.80", 14, "40")) == Decimal("1.0000")


def test_round_document_example() -> None:
    # ROUND_DOCUMENT: 9.80 / 28 = 0.35 per 10 mg; ÷ 1.7 = 0.205882… → 0.2059
    assert ucp(make_group("5"), make_bid("9.80", 28, "10")) == Decimal("0.2059")


def test_result_has_four_decimal_places() -> None:
    assert ucp(make_group("5"), make_bid("3.5", 10)).as_tuple().exponent == -4


@pytest.mark.parametrize(
    ("rep", "rep_unit", "strength", "unit", "pack", "units", "expected"),
    [
        # same strength in other units: UCP = unit price
        ("500", "µg", "0.5", "mg", "2.00", 10, "0.2000"),
        ("500", "μg", "0.5", "mg", "2.00", 10, "0.2000"),  # Greek mu
        ("1", "g", "1000", "mg", "2.00", 10, "0.2000"),
        ("0.25", "mg", "250", "ug", "2.00", 10, "0.2000"),
        # 0.5 g / 250 mg = 2: 17.00 / 10 = 1.70 ÷ 1.7 = 1.0000
        ("250", "mg", "0.5", "g", "17.00", 10, "1.0000"),
        # 0.2 mg / 100 mcg = 2: 34.00 / 10 = 3.40 ÷ 1.7 = 2.0000
        ("100", "mcg", "0.2", "mg", "34.00", 10, "2.0000"),
        # 20 mg / 5 mg = 4 = 2²: 28.90 / 10 = 2.89 ÷ 1.7² (2.89) = 1.0000
        ("5", "mg", "20", "mg", "28.90", 10, "1.0000"),
        # 5 mg / 10 mg = 1/2: 1.00 / 10 = 0.10 × 1.7 = 0.1700
        ("10", "mg", "5", "mg", "1.00", 10, "0.1700"),
        # 30 mg / 10 mg = 3: 2.32 ÷ 1.7^log2(3) (2.318745…) = 1.000541… → 1.0005
        ("10", "mg", "30", "mg", "23.20", 10, "1.0005"),
        # 15 mg / 10 mg = 1.5: 2.32 ÷ 1.7^log2(1.5) (1.363967…) = 1.700920… → 1.7009
        ("10", "mg", "15", "mg", "23.20", 10, "1.7009"),
        # 1 g / 1 mg = 1000: 300 ÷ 1.7^log2(1000) (197.9723…) = 1.515364… → 1.5154
        ("1", "mg", "1", "g", "3000", 10, "1.5154"),
        # a unit outside µg/mg/g compares only with itself: 2 IU / 1 IU → ÷ 1.7
        ("1", "IU", "2", "IU", "17.00", 10, "1.0000"),
    ],
)
def test_strength_conversion(
    rep: str, rep_unit: str, strength: str, unit: str, pack: str, units: int, expected: str
) -> None:
    assert ucp(make_group(rep, rep_unit), make_bid(pack, units, strength, unit)) == Decimal(
        expected
    )


@pytest.mark.parametrize(
    ("rep", "strength", "pack", "units", "expected"),
    [
        # 2.0001 / 2 = 1.00005 exactly → half up → 1.0001 (half-even would give 1.0000)
        ("5", "5", "2.0001", 2, "1.0001"),
        # 0.0001 / 2 = 0.00005 → 0.0001
        ("5", "5", "0.0001", 2, "0.0001"),
        # 2.00007 / 2 = 1.000035 → 1.0000 (below the half)
        ("5", "5", "2.00007", 2, "1.0000"),
        # 2.09865 / 10 = 0.209865; strength ×2 → ÷ 1.7 = 0.12345 exactly → 0.1235
        ("5", "10", "2.09865", 10, "0.1235"),
        # 0.005 / 10 = 0.0005; strength ×1/2 → × 1.7 = 0.00085 exactly → 0.0009
        ("10", "5", "0.005", 10, "0.0009"),
        # strength ×4: 0.7225 / 2.89 = 0.25 exactly; 7.225 / 10 → 0.2500 (no drift)
        ("5", "20", "7.225", 10, "0.2500"),
    ],
)
def test_exact_half_rounds_up(
    rep: str, strength: str, pack: str, units: int, expected: str
) -> None:
    assert ucp(make_group(rep), make_bid(pack, units, strength)) == Decimal(expected)


@pytest.mark.parametrize(
    ("strength", "fill", "fill_unit", "pack", "expected"),
    [
        # same strength, same fill in litres: UCP = unit price
        ("5", "0.002", "l", "3.00", "3.0000"),
        # fill 4 ml / 2 ml = 2 → ÷ 1.9
        ("5", "4", "ml", "1.90", "1.0000"),
        ("5", "0.004", "l", "1.90", "1.0000"),
        # fill 1 ml / 2 ml = 1/2 → × 1.9
        ("5", "1", "ml", "1.00", "1.9000"),
        # strength ×2 and fill ×2 → ÷ (1.7 × 1.9 = 3.23)
        ("10", "4", "ml", "3.23", "1.0000"),
        # fill 6 ml / 2 ml = 3: 1.00 ÷ 1.9^log2(3) (2.765757…) = 0.361565… → 0.3616
        ("5", "6", "ml", "1.00", "0.3616"),
    ],
)
def test_fill_volume_for_liquids(
    strength: str, fill: str, fill_unit: str, pack: str, expected: str
) -> None:
    group = make_group("5", form="injection", fill="2", fill_unit="ml")
    bid = make_bid(pack, 1, strength, form="injection", fill=fill, fill_unit=fill_unit)
    assert ucp(group, bid) == Decimal(expected)


def test_fill_volume_of_a_bid_is_ignored_in_a_solid_group() -> None:
    # SPEC §4: the fill-volume factor applies to liquids only (the representative has a fill)
    bid = make_bid("3.00", 1, fill="4", fill_unit="ml")
    assert ucp(make_group("5"), bid) == Decimal("3.0000")


def test_liquid_group_needs_the_bid_fill_volume() -> None:
    group = make_group("5", form="injection", fill="2", fill_unit="ml")
    with pytest.raises(ValueError, match="liquid"):
        ucp(group, make_bid("3.00", 1, form="injection"))


def test_strength_units_of_different_families_are_refused() -> None:
    with pytest.raises(ValueError, match="cannot be compared"):
        ucp(make_group("5", "mg"), make_bid("3.00", 1, "5", "IU"))


FORM_RULES = build_rules("batch7", {"dosage_form_ratios": {"capsule": {"tablet": "1.25"}}})


@pytest.mark.parametrize(
    ("rep_form", "bid_form", "pack", "expected"),
    [
        ("tablet", "capsule", "1.25", "1.0000"),  # listed pair: ÷ 1.25
        ("capsule", "tablet", "1.25", "1.2500"),  # reverse pair not listed: ratio 1
        ("tablet", "tablet", "1.25", "1.2500"),  # same form: ratio 1
        ("tablet", "dispersible_tablet", "1.25", "1.2500"),  # unlisted form: ratio 1
    ],
)
def test_dosage_form_ratio(rep_form: str, bid_form: str, pack: str, expected: str) -> None:
    group = make_group("5", form=rep_form)
    assert ucp(group, make_bid(pack, 1, form=bid_form), FORM_RULES) == Decimal(expected)


def test_form_ratio_combines_with_strength() -> None:
    # 10 mg capsule in a 5 mg tablet group: 2.125 ÷ 1.7 ÷ 1.25 = 1.0000
    group = make_group("5")
    assert ucp(group, make_bid("2.125", 1, "10", form="capsule"), FORM_RULES) == Decimal("1.0000")


@pytest.mark.parametrize(
    ("overrides", "pack", "expected"),
    [
        ({"strength_coefficient": "2"}, "2.00", "1.0000"),  # ÷ 2 per doubling
        ({"strength_coefficient": "1.5"}, "1.50", "1.0000"),
        ({}, "1.70", "1.0000"),
    ],
)
def test_coefficients_are_rule_set_data(
    overrides: dict[str, Any], pack: str, expected: str
) -> None:
    rules = build_rules("batch7", overrides)
    assert ucp(make_group("5"), make_bid(pack, 1, "10"), rules) == Decimal(expected)


def test_fill_volume_coefficient_is_rule_set_data() -> None:
    rules = build_rules("batch7", {"fill_volume_coefficient": "2"})
    group = make_group("5", form="injection", fill="2", fill_unit="ml")
    bid = make_bid("2.00", 1, form="injection", fill="4", fill_unit="ml")
    assert ucp(group, bid, rules) == Decimal("1.0000")
