"""Round-document validation: every refusal names the offending path (ROUND_DOCUMENT.md)."""

import copy
import json
from pathlib import Path

import pytest

from solver.document import parse_round_document
from solver.errors import DocumentError

EXAMPLE = json.loads(
    (Path(__file__).parents[2] / "examples" / "round-document-example.json").read_text()
)


def problems_of(doc, **kw):
    with pytest.raises(DocumentError) as err:
        parse_round_document(doc, **kw)
    return err.value.problems


def doc_with(mutate):
    doc = copy.deepcopy(EXAMPLE)
    mutate(doc)
    return doc


def test_the_contract_example_is_valid():
    r = parse_round_document(copy.deepcopy(EXAMPLE))
    assert r.document.bids[0].pack_price == __import__("decimal").Decimal("9.80")
    assert r.rules.profile == "batch7"


@pytest.mark.parametrize(
    ("mutate", "path"),
    [
        (lambda d: d["bids"][0].update(pack_price="0"), "bids[0].pack_price"),
        (lambda d: d["bids"][0].update(pack_price="-1.5"), "bids[0].pack_price"),
        (lambda d: d["bids"][0].update(pack_price="abc"), "bids[0].pack_price"),
        (lambda d: d["bids"][0].update(pack_price="NaN"), "bids[0].pack_price"),
        (lambda d: d["groups"][0].update(ceiling=0), "groups[0].ceiling"),
        (
            lambda d: d["groups"][0].update(pre_vbp_unit_price="0.00"),
            "groups[0].pre_vbp_unit_price",
        ),
        (lambda d: d["demands"][0].update(reported=-1), "demands[0].reported"),
        (lambda d: d["demands"][0].update(reported=1.5), "demands[0].reported"),
        (lambda d: d["demands"][0].update(last_year_usage="100"), "demands[0].last_year_usage"),
        (lambda d: d["bids"][0].update(capacity=-5), "bids[0].capacity"),
        (
            lambda d: d["bids"][0]["product"].update(units_per_pack=0),
            "bids[0].product.units_per_pack",
        ),
        (
            # more than the bid API takes (and, at 2**64, more than a database column holds)
            lambda d: d["bids"][0]["product"].update(units_per_pack=2**64),
            "bids[0].product.units_per_pack",
        ),
        (lambda d: d["bids"][0]["product"].update(quality="premium"), "bids[0].product.quality"),
        (lambda d: d["bids"][0].update(colour="red"), "bids[0].colour"),
        (lambda d: d["bids"][0].update(submitted_at="2026-12-01T10:00:00"), "bids[0].submitted_at"),
        (lambda d: d["enterprises"][0].update(credit_level="bad"), "enterprises[0].credit_level"),
        (lambda d: d["groups"][0].update(ratio_table="special"), "groups[0].ratio_table"),
        (lambda d: d.pop("groups"), "groups"),
    ],
)
def test_field_errors_name_the_path(mutate, path):
    assert path in [p for p, _ in problems_of(doc_with(mutate))]


@pytest.mark.parametrize(
    ("mutate", "path", "words"),
    [
        (lambda d: d["demands"][0].update(institution="H999"), "demands[0].institution", "unknown institution"),
        (lambda d: d["demands"][0].update(group="NOPE"), "demands[0].group", "unknown group"),
        (lambda d: d["demands"][0].update(preferred_enterprise="E99"), "demands[0].preferred_enterprise",
         "unknown enterprise"),
        (lambda d: d["bids"][0].update(enterprise="E99"), "bids[0].enterprise", "unknown enterprise"),
        (lambda d: d["bids"][0].update(group="NOPE"), "bids[0].group", "unknown group"),
        (lambda d: d["institutions"].append(dict(d["institutions"][0])), "institutions[1].id", "duplicate id"),
        (lambda d: d["enterprises"].append(dict(d["enterprises"][0])), "enterprises[1].id", "duplicate id"),
        (lambda d: d["groups"].append(dict(d["groups"][0], generic_names=["x"])), "groups[1].id", "duplicate id"),
        (lambda d: d["bids"].append(copy.deepcopy(d["bids"][0])), "bids[1]", "two bids"),
        (lambda d: d["demands"].append(dict(d["demands"][0])), "demands[1]", "duplicate demand"),
        (lambda d: d["demands"][0].update(reported=10**9 + 1), "demands[0].reported", "max_unit_volume"),
        (lambda d: d["bids"][0]["product"].update(strength_unit="ml"), "bids[0].product.strength_unit",
         "cannot be compared"),
    ],
)  # fmt: skip
def test_reference_errors_name_the_path(mutate, path, words):
    problems = problems_of(doc_with(mutate))
    assert any(p == path and words in m for p, m in problems), problems


def test_more_than_two_groups_per_generic_name_names_the_name_and_groups():
    def three_groups(d):
        for gid in ("AML-B", "AML-C"):
            d["groups"].append(dict(d["groups"][0], id=gid))

    problems = problems_of(doc_with(three_groups))
    message = dict(problems)["groups"]
    assert "'amlodipine'" in message and "AML-ORAL, AML-B, AML-C" in message


def test_two_groups_per_generic_name_are_fine():
    parse_round_document(doc_with(lambda d: d["groups"].append(dict(d["groups"][0], id="AML-B"))))


def test_merged_group_counts_for_each_generic_name():
    def merged(d):
        d["groups"].append(dict(d["groups"][0], id="AML-B"))
        d["groups"].append(
            dict(d["groups"][0], id="MIX", generic_names=["amlodipine", "nifedipine"])
        )

    assert "'amlodipine'" in dict(problems_of(doc_with(merged)))["groups"]


def test_every_problem_is_reported_at_once():
    def many(d):
        d["demands"][0]["group"] = "NOPE"
        d["bids"][0]["enterprise"] = "E99"

    paths = {p for p, _ in problems_of(doc_with(many))}
    assert {"demands[0].group", "bids[0].enterprise"} <= paths


def test_schema_rule_and_reference_problems_are_reported_together():
    def mixed(d):
        d["institutions"][0]["colour"] = "red"  # schema
        d["bids"][0]["pack_price"] = "0"  # schema
        d["demands"][0]["group"] = "NOPE"  # reference
        d["enterprises"].append({"id": "E01"})  # duplicate id
        d["bids"].append({**d["bids"][0], "pack_price": "9.00", "enterprise": "E99"})

    paths = {p for p, _ in problems_of(doc_with(mixed))}
    assert paths == {
        "institutions[0].colour",
        "bids[0].pack_price",
        "demands[0].group",
        "enterprises[1].id",
        "bids[1].enterprise",
    }

    def rules_too(d):
        mixed(d)
        d["rules"]["overrides"] = {"prepay_ratio": "0.20", "bogus": 1}

    paths = {p for p, _ in problems_of(doc_with(rules_too))}
    assert {"bids[0].pack_price", "rules.overrides.prepay_ratio", "rules.overrides.bogus"} <= paths


def test_a_reference_to_an_item_refused_for_another_reason_is_not_unknown():
    def bad_group(d):
        d["groups"][0]["ceiling"] = "0"

    # the demand and the bid name AML-ORAL, which the document does define
    assert [p for p, _ in problems_of(doc_with(bad_group))] == ["groups[0].ceiling"]


def test_numbers_are_accepted_for_prices_and_stay_exact():
    r = parse_round_document(doc_with(lambda d: d["bids"][0].update(pack_price=9.8)))
    assert str(r.document.bids[0].pack_price) == "9.8"


def test_liquid_group_needs_fill_volume_on_bids():
    def liquid(d):
        d["groups"][0]["representative"].update(fill_volume="2", fill_unit="ml")

    problems = problems_of(doc_with(liquid))
    assert "bids[0].product.fill_volume" in [p for p, _ in problems]


def test_rule_overrides_are_validated_with_their_path():
    problems = problems_of(doc_with(lambda d: d["rules"]["overrides"].update(prepay_ratio="0.2")))
    assert problems[0][0] == "rules.overrides.prepay_ratio"


def test_command_line_profile_and_overrides_win():
    r = parse_round_document(
        copy.deepcopy(EXAMPLE), profile="batch11", overrides={"prepay_ratio": "0.5"}
    )
    assert (r.rules.profile, str(r.rules.prepay_ratio), r.rules.spread_basis) == (
        "batch11",
        "0.5",
        "anchor",
    )


@pytest.mark.parametrize(
    ("in_document", "on_command_line"),
    [("term_years_table", "term_years"), ("term_years", "term_years_table")],
)
def test_the_command_line_replaces_a_rule_the_document_set_under_its_other_name(
    in_document, on_command_line
):
    doc = copy.deepcopy(EXAMPLE)
    doc["rules"]["overrides"][in_document] = {"1": 5}
    r = parse_round_document(doc, overrides={on_command_line: {"1": 2, "2": 2, "3": 2, "4": 3}})
    assert r.rules.term_years_table == {1: 2, 2: 2, 3: 2, 4: 3}


def test_not_an_object():
    assert problems_of([1, 2])[0][0] == "(document)"


@pytest.mark.parametrize(
    ("mutate", "path", "words"),
    [
        (lambda d: d["groups"][0].update(pre_vbp_unit_price="1e22"), "groups[0].pre_vbp_unit_price", "between"),
        (lambda d: d["bids"][0]["product"].update(strength="1e-1000"), "bids[0].product.strength", "between"),
        (lambda d: d["bids"][0].update(pack_price="1e100000000"), "bids[0].pack_price", "between"),
        (lambda d: d["bids"][0].update(pack_price="1.0000000000000000001"), "bids[0].pack_price", "digits"),
    ],
)  # fmt: skip
def test_absurd_decimals_are_refused_by_path(mutate, path, words):
    problems = problems_of(doc_with(mutate))
    assert any(p == path and words in m for p, m in problems), problems


def test_numeric_ids_are_read_as_text():
    def numeric(d):
        d["institutions"][0]["region"] = 530100
        d["institutions"][0]["id"] = 1
        d["demands"][0]["institution"] = "1"

    r = parse_round_document(doc_with(numeric))
    assert (r.document.institutions[0].id, r.document.institutions[0].region) == ("1", "530100")


def test_optional_submission_time_and_usage():
    def minimal(d):
        del d["bids"][0]["submitted_at"]
        del d["demands"][0]["last_year_usage"]

    r = parse_round_document(doc_with(minimal))
    assert r.document.bids[0].submitted_at is None and r.document.demands[0].last_year_usage == 0


def test_capacity_is_not_limited_by_the_demand_maximum():
    r = parse_round_document(doc_with(lambda d: d["bids"][0].update(capacity=5 * 10**9)))
    assert r.document.bids[0].capacity == 5 * 10**9


def test_units_other_than_mass_compare_case_insensitively():
    def iu(d):
        d["groups"][0]["representative"]["strength_unit"] = "IU"
        d["bids"][0]["product"]["strength_unit"] = "iu"

    parse_round_document(doc_with(iu))


def test_a_nul_anywhere_in_a_document_is_refused_by_its_path() -> None:
    import json
    from pathlib import Path

    import pytest

    from solver.document import parse_round_document
    from solver.errors import DocumentError

    example = Path(__file__).resolve().parents[2] / "examples" / "small-round.json"
    data = json.loads(example.read_text(encoding="utf-8"))
    data["bids"][2]["product"]["dosage_form"] = "tab\x00let"
    data["round"]["na\x00me"] = "x"
    data["institutions"][0]["name"] = "R\ud800x"  # JSON can spell a lone surrogate
    with pytest.raises(DocumentError) as caught:
        parse_round_document(data)
    message = "contains the NUL character (U+0000), which no field may hold"
    assert caught.value.problems == [
        ("round.na\\u0000me", message),
        ("institutions[0].name", "contains a lone surrogate (U+D800–U+DFFF), which is not text"),
        ("bids[2].product.dosage_form", message),
    ]


def test_a_generic_name_in_another_case_counts_as_the_same_name() -> None:
    from solver.catalog import generic_key

    assert (
        generic_key("Amlodipine")
        == generic_key(" AMLODIPINE ")
        == generic_key("ａｍｌｏｄｉｐｉｎｅ")
    )
    assert generic_key("氨氯地平") != generic_key("amlodipine")

    def three_spellings(d):
        for gid, name in (("AML-B", "Amlodipine"), ("AML-C", "AMLODIPINE ")):
            d["groups"].append(dict(d["groups"][0], id=gid, generic_names=[name]))

    message = dict(problems_of(doc_with(three_spellings)))["groups"]
    assert "'amlodipine' would have 3 groups (AML-ORAL, AML-B, AML-C)" in message
