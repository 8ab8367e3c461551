"""Bid validity (SPEC §4) and the plain reference of winner selection (SPEC §6).

Prices are written as UCPs (4 places); every limit in a comment is worked by hand.
"""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from solver.document import Bid, Enterprise, Group, Product, Representative
from solver.rules import RuleSet, build_rules
from solver.selection import (
    BidResult,
    Candidate,
    GroupInput,
    GroupSelection,
    Winner,
    evaluate_bids,
    group_input,
    price_rule,
    rank_group,
    select_reference,
)

BATCH7 = build_rules("batch7")
BATCH10 = build_rules("batch10")
BATCH11 = build_rules("batch11")
T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)

# -- validity (SPEC §4) ----------------------------------------------------------------------


def doc_group(eligible: tuple[Any, ...] | None = None) -> Group:
    return Group(
        id="G",
        generic_names=("amlodipine",),
        form_family="oral_regular",
        representative=Representative(
            strength=Decimal(5), strength_unit="mg", dosage_form="tablet"
        ),
        ceiling=Decimal("0.5000"),
        pre_vbp_unit_price=Decimal("0.9"),
        eligible_quality=eligible,
    )


def doc_bid(
    enterprise: str = "E01",
    *,
    quality: Any = "gqce",
    pack_price: str = "0.40",
    capacity: int = 1000,
) -> Bid:
    # one 5 mg tablet per pack: UCP = pack price
    return Bid(
        enterprise=enterprise,
        group="G",
        product=Product(
            strength=Decimal(5),
            strength_unit="mg",
            units_per_pack=1,
            dosage_form="tablet",
            quality=quality,
        ),
        pack_price=Decimal(pack_price),
        capacity=capacity,
        submitted_at=T0,
    )


def evaluate_one(
    bid: Bid, credit: Any = None, group: Group | None = None, rules: RuleSet = BATCH7
) -> Candidate:
    enterprises = {bid.enterprise: Enterprise(id=bid.enterprise, credit_level=credit)}
    (candidate,) = evaluate_bids(group or doc_group(), [bid], enterprises, rules)
    return candidate


@pytest.mark.parametrize(
    ("quality", "pack_price", "capacity", "credit", "reason"),
    [
        ("gqce", "0.40", 1000, None, None),
        ("originator", "0.40", 1000, None, None),
        ("reference", "0.40", 1000, None, None),
        ("gqce", "0.40", 1000, "general", None),
        ("gqce", "0.40", 1000, "moderate", None),
        ("non_gqce", "0.40", 1000, None, "ineligible_quality"),
        ("gqce", "0.5001", 1000, None, "above_ceiling"),
        ("gqce", "0.40", 0, None, "no_capacity"),
        ("gqce", "0.40", 1000, "serious", "credit_barred"),
        ("gqce", "0.40", 1000, "particularly_serious", "credit_barred"),
    ],
)
def test_each_validity_reason(
    quality: str, pack_price: str, capacity: int, credit: str | None, reason: str | None
) -> None:
    c = evaluate_one(doc_bid(quality=quality, pack_price=pack_price, capacity=capacity), credit)
    assert (c.valid, c.reason) == (reason is None, reason)


@pytest.mark.parametrize(
    ("quality", "pack_price", "capacity", "credit", "reason"),
    [
        # every check fails: the first in SPEC order wins
        ("non_gqce", "0.60", 0, "serious", "ineligible_quality"),
        ("gqce", "0.60", 0, "serious", "above_ceiling"),
        ("gqce", "0.40", 0, "serious", "no_capacity"),
        ("non_gqce", "0.40", 1000, "serious", "ineligible_quality"),
        ("gqce", "0.60", 1000, "serious", "above_ceiling"),
    ],
)
def test_first_failing_check_is_the_reason(
    quality: str, pack_price: str, capacity: int, credit: str, reason: str
) -> None:
    c = evaluate_one(doc_bid(quality=quality, pack_price=pack_price, capacity=capacity), credit)
    assert c.reason == reason


@pytest.mark.parametrize(
    ("pack_price", "ucp", "valid"),
    [
        ("0.5000", "0.5000", True),  # exactly at the ceiling: valid (≤)
        ("0.50004", "0.5000", True),  # rounds to the ceiling: the rounded UCP is compared
        ("0.50005", "0.5001", False),  # rounds half up above it
    ],
)
def test_ceiling_compares_the_rounded_ucp(pack_price: str, ucp: str, valid: bool) -> None:
    c = evaluate_one(doc_bid(pack_price=pack_price))
    assert (c.ucp, c.valid) == (Decimal(ucp), valid)


def test_invalid_bid_reports_its_ucp() -> None:
    c = evaluate_one(doc_bid(quality="non_gqce", pack_price="0.7777"))
    assert (c.valid, c.ucp) == (False, Decimal("0.7777"))


@pytest.mark.parametrize(
    ("quality", "reason"), [("non_gqce", None), ("gqce", "ineligible_quality")]
)
def test_group_eligible_quality_replaces_the_rule_set(quality: str, reason: str | None) -> None:
    c = evaluate_one(doc_bid(quality=quality), group=doc_group(eligible=("non_gqce",)))
    assert c.reason == reason


def test_rule_set_eligible_quality_is_used_when_the_group_has_none() -> None:
    rules = build_rules("batch7", {"eligible_quality": ["gqce", "non_gqce"]})
    assert evaluate_one(doc_bid(quality="non_gqce"), rules=rules).valid


def test_barred_credit_levels_are_rule_set_data() -> None:
    rules = build_rules("batch7", {"barred_credit_levels": ["moderate"]})
    assert evaluate_one(doc_bid(), "moderate", rules=rules).reason == "credit_barred"
    assert evaluate_one(doc_bid(), "serious", rules=rules).valid


def test_candidate_carries_the_bid_facts() -> None:
    bid = doc_bid(capacity=1234).model_copy(update={"accept_revival": True})
    c = evaluate_one(bid)
    assert c == Candidate("E01", Decimal("0.4000"), 1234, T0, True, True, None)


def test_candidates_keep_the_order_of_the_bids() -> None:
    bids = [doc_bid("E02"), doc_bid("E01"), doc_bid("E03")]
    candidates = evaluate_bids(doc_group(), bids, {}, BATCH7)
    assert [c.enterprise for c in candidates] == ["E02", "E01", "E03"]


def test_an_enterprise_without_a_record_is_unrated() -> None:
    (c,) = evaluate_bids(doc_group(), [doc_bid()], {}, BATCH7)
    assert c.valid


def test_a_bid_of_another_group_is_refused() -> None:
    bid = doc_bid().model_copy(update={"group": "OTHER"})
    with pytest.raises(ValueError, match="OTHER"):
        evaluate_bids(doc_group(), [bid], {}, BATCH7)


def test_group_input_carries_the_group_facts() -> None:
    gi = group_input(doc_group(), [doc_bid()], {}, BATCH7)
    assert (gi.group_id, gi.form_family, gi.ceiling, len(gi.candidates)) == (
        "G",
        "oral_regular",
        Decimal("0.5000"),
        1,
    )


# -- selection helpers -----------------------------------------------------------------------


def cand(
    enterprise: str,
    ucp: str,
    *,
    capacity: int = 1000,
    at: datetime = T0,
    revival: bool = False,
    reason: Any = None,
) -> Candidate:
    return Candidate(enterprise, Decimal(ucp), capacity, at, revival, reason is None, reason)


def group_of(
    *candidates: Candidate, ceiling: str = "10", family: str = "injection", gid: str = "G"
) -> GroupInput:
    return GroupInput(gid, family, Decimal(ceiling), candidates)


def select(rules: RuleSet, *candidates: Candidate, **kw: Any) -> GroupSelection:
    return select_reference(group_of(*candidates, **kw), rules)


def by_enterprise(sel: GroupSelection) -> dict[str, BidResult]:
    return {b.enterprise: b for b in sel.bids}


def winners(sel: GroupSelection) -> list[str]:
    return [w.enterprise for w in sel.winners]


def ranked(sel: GroupSelection) -> list[str]:
    return [b.enterprise for b in sel.bids if b.rank is not None]


# -- ranking (SPEC §6.1) ---------------------------------------------------------------------


def test_rank_by_ucp_ascending() -> None:
    sel = select(BATCH7, cand("A", "0.3000"), cand("B", "0.1000"), cand("C", "0.2000"))
    assert ranked(sel) == ["B", "C", "A"]
    assert [b.rank for b in sel.bids] == [1, 2, 3]


def test_tie_on_ucp_goes_to_larger_capacity() -> None:
    sel = select(BATCH7, cand("A", "0.1000", capacity=100), cand("B", "0.1000", capacity=200))
    assert ranked(sel) == ["B", "A"]


def test_tie_on_capacity_goes_to_earlier_instant_whatever_the_offset() -> None:
    # A: 10:00+08:00 = 02:00 UTC; B: 01:30+00:00 = 01:30 UTC.  B is earlier although its
    # wall-clock text and its enterprise id both sort after A's.
    a = cand("A", "0.1000", at=datetime(2026, 12, 1, 10, 0, tzinfo=timezone(timedelta(hours=8))))
    b = cand("B", "0.1000", at=datetime(2026, 12, 1, 1, 30, tzinfo=UTC))
    assert ranked(select(BATCH7, a, b)) == ["B", "A"]


def test_same_instant_in_different_offsets_goes_to_enterprise_id() -> None:
    a = cand("A", "0.1000", at=datetime(2026, 12, 1, 10, 0, tzinfo=timezone(timedelta(hours=8))))
    b = cand("B", "0.1000", at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    assert ranked(select(BATCH7, b, a)) == ["A", "B"]


def test_enterprise_ids_compare_as_plain_strings() -> None:
    sel = select(BATCH7, cand("E9", "0.1000"), cand("E10", "0.1000"))
    assert ranked(sel) == ["E10", "E9"]  # "E10" < "E9" as strings


def test_capacity_beats_submission_time() -> None:
    early = cand("A", "0.1000", capacity=100, at=T0)
    late = cand("B", "0.1000", capacity=101, at=T0 + timedelta(days=1))
    assert ranked(select(BATCH7, early, late)) == ["B", "A"]


def test_naive_submission_time_is_refused() -> None:
    naive = Candidate("A", Decimal("0.1"), 1, datetime(2026, 12, 1), False, True, None)
    with pytest.raises(ValueError, match="UTC offset"):
        select(BATCH7, naive)


def test_two_bids_of_one_enterprise_are_refused() -> None:
    with pytest.raises(ValueError, match="two bids"):
        select(BATCH7, cand("A", "0.1"), cand("A", "0.2"))


# -- price rule (SPEC §6.2) ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ucp", "qualified"),
    [
        # lowest 0.6000 → 1.8 × 0.6 = 1.08; the 50 % leg gives 0.5 × 2.0 = 1.00 (lower)
        ("1.0800", True),  # exactly 1.8 × lowest qualifies (≤)
        ("1.0801", False),
    ],
)
def test_spread_leg_at_exactly_1_8_times_lowest(ucp: str, qualified: bool) -> None:
    sel = select(BATCH7, cand("L", "0.6000"), cand("X", ucp), ceiling="2.0")
    assert by_enterprise(sel)["X"].qualified is qualified


@pytest.mark.parametrize(
    ("ucp", "qualified"),
    [
        # lowest 0.3000 → 1.8 × = 0.54; the 50 % leg gives 0.5 × 2.0 = 1.00 (higher)
        ("1.0000", True),  # exactly half the ceiling qualifies (≤)
        ("1.0001", False),
    ],
)
def test_ceiling_leg_at_exactly_half_the_ceiling(ucp: str, qualified: bool) -> None:
    sel = select(BATCH7, cand("L", "0.3000"), cand("X", ucp), ceiling="2.0")
    assert by_enterprise(sel)["X"].qualified is qualified


def test_ceiling_leg_is_exact_for_an_odd_ceiling() -> None:
    # 0.5 × 0.3333 = 0.16665 exactly (not rounded): 0.1666 qualifies, 0.1667 does not
    sel = select(
        BATCH7, cand("L", "0.0100"), cand("A", "0.1666"), cand("B", "0.1667"), ceiling="0.3333"
    )
    assert (by_enterprise(sel)["A"].qualified, by_enterprise(sel)["B"].qualified) == (True, False)


@pytest.mark.parametrize(
    ("profile", "qualified"),
    [("batch7", True), ("batch10", False), ("batch11", False)],
)
def test_ceiling_leg_only_in_batch7(profile: str, qualified: bool) -> None:
    # lowest 0.3 → spread limit 0.54; 0.9 is within half the 2.0 ceiling
    sel = select(build_rules(profile), cand("L", "0.3000"), cand("X", "0.9000"), ceiling="2.0")
    assert by_enterprise(sel)["X"].qualified is qualified


@pytest.mark.parametrize(
    ("family", "ucp", "qualified"),
    [
        # batch10 (no 50 % leg); lowest 0.0100 → spread limit 0.018; floor 0.10 for oral solids
        ("oral_regular", "0.1000", True),
        ("oral_sustained", "0.1000", True),
        ("oral_regular", "0.1001", False),
        ("oral_sustained", "0.1001", False),
        ("injection", "0.1000", False),
        ("oral_liquid", "0.1000", False),
    ],
)
def test_absolute_floor_for_oral_solids_only(family: str, ucp: str, qualified: bool) -> None:
    sel = select(BATCH10, cand("L", "0.0100"), cand("X", ucp), family=family)
    assert by_enterprise(sel)["X"].qualified is qualified


def test_absolute_floor_is_rule_set_data() -> None:
    rules = build_rules("batch10", {"absolute_floor": {"injection": "0.05"}})
    sel = select(rules, cand("L", "0.0100"), cand("X", "0.0500"), cand("Y", "0.0501"))
    assert (by_enterprise(sel)["X"].qualified, by_enterprise(sel)["Y"].qualified) == (True, False)


def test_spread_multiplier_is_rule_set_data() -> None:
    rules = build_rules("batch10", {"spread_multiplier": "1.5"})
    sel = select(rules, cand("L", "0.2000"), cand("X", "0.3000"), cand("Y", "0.3001"))
    assert (by_enterprise(sel)["X"].qualified, by_enterprise(sel)["Y"].qualified) == (True, False)


def test_anchor_is_half_the_mean_when_above_the_lowest() -> None:
    # batch11: UCPs 0.10, 0.27, 0.53: mean 0.30, anchor max(0.10, 0.15) = 0.15, limit 0.27
    sel = select(BATCH11, cand("A", "0.1000"), cand("B", "0.2700"), cand("C", "0.5300"))
    assert [b.qualified for b in sel.bids] == [True, True, False]


def test_anchor_just_above_the_limit() -> None:
    # UCPs 0.10, 0.2701, 0.53: mean 0.300033…, anchor 0.1500166…, limit 0.27003 < 0.2701
    sel = select(BATCH11, cand("A", "0.1000"), cand("B", "0.2701"), cand("C", "0.5300"))
    assert by_enterprise(sel)["B"].qualified is False


def test_anchor_is_the_lowest_when_half_the_mean_is_below_it() -> None:
    # UCPs 0.30, 0.40, 0.54, 0.5401: half the mean ≈ 0.22 < 0.30 → anchor 0.30, limit 0.54
    sel = select(
        BATCH11, cand("A", "0.3000"), cand("B", "0.4000"), cand("C", "0.5400"), cand("D", "0.5401")
    )
    assert [b.qualified for b in sel.bids] == [True, True, True, False]


@pytest.mark.parametrize(
    ("ucps", "bid", "qualified"),
    [
        # S = 1.4907, mean = S/7 = 0.2129571428…, anchor 0.1064785714…, limit 0.1916614285…:
        # 0.1917 fails; with the anchor rounded to 0.1065 the limit would be 0.1917.
        (("0.1000", "0.1765", "0.1917", "0.2415", "0.2425", "0.2572", "0.2813"), "0.1917", False),
        # S = 1.4646, anchor 0.1046142857…, limit 0.1883057142…: 0.1883 qualifies; with the
        # anchor rounded to 0.1046 the limit would be 0.18828.
        (("0.1000", "0.1696", "0.1883", "0.2043", "0.2583", "0.2638", "0.2803"), "0.1883", True),
    ],
)
def test_anchor_mean_is_exact_never_rounded(
    ucps: tuple[str, ...], bid: str, qualified: bool
) -> None:
    sel = select(BATCH11, *(cand(f"E{i}", u) for i, u in enumerate(ucps)))
    (row,) = [b for b in sel.bids if b.ucp == Decimal(bid)]
    assert row.qualified is qualified


def test_anchor_mean_counts_valid_bids_only() -> None:
    # the invalid 9.0000 bid would raise the mean; valid mean 0.30 → limit 0.27
    sel = select(
        BATCH11,
        cand("A", "0.1000"),
        cand("B", "0.2700"),
        cand("C", "0.5300"),
        cand("Z", "9.0000", reason="above_ceiling"),
    )
    assert by_enterprise(sel)["B"].qualified is True
    assert by_enterprise(sel)["C"].qualified is False


def test_lowest_counts_valid_bids_only() -> None:
    # the invalid 0.0100 bid is not the lowest: lowest 0.2000 → limit 0.36
    sel = select(
        BATCH10, cand("A", "0.2000"), cand("B", "0.3600"), cand("Z", "0.0100", reason="no_capacity")
    )
    assert by_enterprise(sel)["B"].qualified is True


def test_price_rule_limits_are_exact_fractions() -> None:
    rule = price_rule(group_of(ceiling="0.3333"), [Decimal("0.1001")], BATCH7)
    assert (str(rule.spread_limit), str(rule.ceiling_limit), rule.floor) == (
        "9009/50000",  # 1.8 × 0.1001 = 0.18018
        "3333/20000",  # 0.5 × 0.3333 = 0.16665
        None,  # injection
    )


# -- cap (SPEC §6.3) -------------------------------------------------------------------------

# SPEC §6.3, copied by hand (not from the code): caps for N = 1, 2, …
BATCH9_CAPS = [1, 2, 2, 3, 4, 4, 5, 6, 7, 8, 9, 9, 10, 10, 10]
BATCH10_CAPS = [1, 2, 2, 3, 3, 3, 4, 5, 6, 6, 7, 8, 8, 9, 9, 10, 10, 10]


def all_qualified(n: int) -> list[Candidate]:
    # UCPs 0.1000 … within 1.8 × lowest; every bid qualifies
    return [cand(f"E{i:02d}", f"0.{1000 + i:04d}") for i in range(n)]


@pytest.mark.parametrize(("n", "cap"), list(enumerate(BATCH9_CAPS, start=1)))
def test_batch9_cap_table(n: int, cap: int) -> None:
    sel = select(BATCH7, *all_qualified(n))
    assert (sel.valid_bidders, sel.winner_cap, len(sel.winners)) == (n, cap, cap)


@pytest.mark.parametrize(("n", "cap"), list(enumerate(BATCH10_CAPS, start=1)))
@pytest.mark.parametrize("profile", ["batch10", "batch11"])
def test_batch10_cap_table(profile: str, n: int, cap: int) -> None:
    sel = select(build_rules(profile), *all_qualified(n))
    assert (sel.valid_bidders, sel.winner_cap, len(sel.winners)) == (n, cap, cap)


@pytest.mark.parametrize(("n", "cap"), [(1, 1), (2, 1), (3, 2), (4, 2), (9, 2)])
def test_explicit_cap_list_override(n: int, cap: int) -> None:
    rules = build_rules("batch7", {"winner_cap_table": [1, 1, 2]})
    assert len(select(rules, *all_qualified(n)).winners) == cap


def test_cap_counts_valid_bidders_only() -> None:
    # 3 valid (batch9 cap 2) plus 2 invalid: N is 3, not 5
    sel = select(
        BATCH7,
        *all_qualified(3),
        cand("Y", "0.1", reason="no_capacity"),
        cand("Z", "0.1", reason="credit_barred"),
    )
    assert (sel.valid_bidders, sel.winner_cap) == (3, 2)


# -- winners, reasons, revival (SPEC §6.4–§6.7) ----------------------------------------------


def test_qualified_beyond_the_cap_is_over_cap() -> None:
    sel = select(BATCH7, *all_qualified(3))  # cap 2
    assert [(b.enterprise, b.qualified, b.reason) for b in sel.bids] == [
        ("E00", True, None),
        ("E01", True, None),
        ("E02", True, "over_cap"),
    ]


def test_non_qualified_is_price_rule() -> None:
    # limits: 1.8 × 0.10 = 0.18 and half the 0.20 ceiling = 0.10
    sel = select(BATCH7, cand("A", "0.1000"), cand("B", "0.1801"), ceiling="0.2")
    assert (by_enterprise(sel)["B"].qualified, by_enterprise(sel)["B"].reason) == (
        False,
        "price_rule",
    )


def test_winners_are_paid_their_own_ucp_numbered_by_rank() -> None:
    sel = select(
        BATCH10, cand("A", "0.1500"), cand("B", "0.1000"), cand("C", "0.1200"), cand("D", "0.1700")
    )
    assert sel.winners == (  # N = 4 → cap 3
        Winner("B", Decimal("0.1000"), 1, 1000, False),
        Winner("C", Decimal("0.1200"), 2, 1000, False),
        Winner("A", Decimal("0.1500"), 3, 1000, False),
    )
    assert [b.winner_rank for b in sel.bids] == [1, 2, 3, None]


def test_revival_fills_the_cap_at_the_highest_qualified_winner_price() -> None:
    # batch10, N = 4 → cap 3.  Qualified (≤ 1.8 × 0.10 = 0.18): A 0.10, B 0.15.
    # C 0.50 and D 0.60 fail the price rule and accept revival; C is better ranked.
    sel = select(
        BATCH10,
        cand("A", "0.1000"),
        cand("B", "0.1500"),
        cand("C", "0.5000", revival=True),
        cand("D", "0.6000", revival=True),
    )
    assert sel.winners == (
        Winner("A", Decimal("0.1000"), 1, 1000, False),
        Winner("B", Decimal("0.1500"), 2, 1000, False),
        Winner("C", Decimal("0.1500"), 3, 1000, True),
    )
    c, d = by_enterprise(sel)["C"], by_enterprise(sel)["D"]
    assert (c.qualified, c.reason, c.rank, c.winner_rank) == (False, None, 3, 3)
    assert (d.qualified, d.reason, d.winner_rank) == (False, "over_cap", None)


def test_reviving_bid_without_room_is_over_cap() -> None:
    # N = 3 → cap 2, filled by the two qualified bids
    sel = select(
        BATCH10, cand("A", "0.1000"), cand("B", "0.1500"), cand("C", "0.5000", revival=True)
    )
    assert winners(sel) == ["A", "B"]
    assert by_enterprise(sel)["C"].reason == "over_cap"


def test_non_qualified_without_accept_revival_is_price_rule() -> None:
    sel = select(
        BATCH10, cand("A", "0.1000"), cand("B", "0.5000"), cand("C", "0.6000", revival=True)
    )
    assert winners(sel) == ["A", "C"]  # N = 3 → cap 2; C revives, B declined revival
    assert by_enterprise(sel)["B"].reason == "price_rule"


def test_no_revival_in_batch7() -> None:
    sel = select(BATCH7, cand("A", "0.1000"), cand("B", "0.5000", revival=True), ceiling="0.5")
    # 0.5 > 0.18 and > 0.5 × 0.5 = 0.25: fails the price rule; batch7 has no revival
    assert winners(sel) == ["A"]
    assert by_enterprise(sel)["B"].reason == "price_rule"


def test_revival_in_batch11() -> None:
    # UCPs 0.10, 0.27, 0.53, 0.60: mean 0.375, anchor 0.1875, limit 0.3375; N = 4 → cap 3.
    # C revives at B's 0.27; D declined revival.
    sel = select(
        BATCH11,
        cand("A", "0.1000"),
        cand("B", "0.2700"),
        cand("C", "0.5300", revival=True),
        cand("D", "0.6000"),
    )
    assert [(w.enterprise, w.price, w.revived) for w in sel.winners] == [
        ("A", Decimal("0.1000"), False),
        ("B", Decimal("0.2700"), False),
        ("C", Decimal("0.2700"), True),
    ]
    assert by_enterprise(sel)["D"].reason == "price_rule"


def test_revived_winner_is_numbered_after_the_qualified_winners() -> None:
    # injection, batch10: lowest 0.02 → limit 0.036: A 0.02 and D 0.03 qualify; B 0.05
    # revives; C 0.06 declined.  N = 4 → cap 3.
    sel = select(
        BATCH10,
        cand("A", "0.0200"),
        cand("B", "0.0500", revival=True),
        cand("C", "0.0600"),
        cand("D", "0.0300"),
    )
    assert [(w.enterprise, w.rank, w.price, w.revived) for w in sel.winners] == [
        ("A", 1, Decimal("0.0200"), False),
        ("D", 2, Decimal("0.0300"), False),
        ("B", 3, Decimal("0.0300"), True),
    ]
    assert [(b.enterprise, b.rank, b.winner_rank) for b in sel.bids] == [
        ("A", 1, 1),
        ("D", 2, 2),
        ("B", 3, 3),
        ("C", 4, None),
    ]


@pytest.mark.parametrize(
    "candidates",
    [
        (),
        (cand("B", "0.1", reason="above_ceiling"), cand("A", "0.2", reason="no_capacity")),
    ],
)
def test_no_valid_bid_fails_the_group(candidates: tuple[Candidate, ...]) -> None:
    sel = select(BATCH7, *candidates)
    assert (sel.status, sel.valid_bidders, sel.winner_cap, sel.winners) == ("failed", 0, 0, ())
    assert [b.enterprise for b in sel.bids] == sorted(c.enterprise for c in candidates)


def test_invalid_bids_follow_ranked_bids_by_enterprise_id() -> None:
    sel = select(
        BATCH7,
        cand("Z", "0.3000"),
        cand("C", "0.1000", reason="credit_barred"),
        cand("A", "0.2000"),
        cand("B", "0.9000", reason="above_ceiling"),
    )
    assert [(b.enterprise, b.rank) for b in sel.bids] == [
        ("A", 1),
        ("Z", 2),
        ("B", None),
        ("C", None),
    ]


def test_invalid_bid_result() -> None:
    sel = select(BATCH7, cand("A", "0.2000"), cand("B", "0.0100", capacity=0, reason="no_capacity"))
    assert by_enterprise(sel)["B"] == BidResult(
        "B", Decimal("0.0100"), False, False, None, "no_capacity", 0, None
    )


def test_awarded_group_summary() -> None:
    sel = select(BATCH7, cand("A", "0.2000"), gid="AML")
    assert (sel.group_id, sel.status, sel.valid_bidders, sel.winner_cap) == ("AML", "awarded", 1, 1)


def test_rank_group_flags() -> None:
    prepared = rank_group(
        group_of(cand("A", "0.1000"), cand("B", "0.5000", revival=True), cand("C", "0.6000")),
        BATCH10,
    )
    assert [c.enterprise for c in prepared.ranked] == ["A", "B", "C"]
    assert (prepared.qualified, prepared.reviving, prepared.cap) == (
        (True, False, False),
        (False, True, False),
        2,
    )
