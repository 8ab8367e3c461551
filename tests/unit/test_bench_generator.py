"""bench/generate.py: seeded synthetic round documents are valid and hold every rule's case."""

import json
import os
import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from solver.document import Round, parse_round_document
from solver.pricing import unit_comparable_price

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # bench/ is not an installed package; make it importable
    sys.path.insert(0, str(ROOT))

from bench.generate import PRESETS, dumps, generate_round, main  # noqa: E402

SMALL: dict[str, int] = {
    "groups": 24,
    "institutions": 120,
    "regions": 5,
    "demand_lines": 1_200,
    "bids": 120,
}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return generate_round(seed=7, **SMALL)


@pytest.fixture(scope="module")
def parsed(document: dict[str, Any]) -> Round:
    # through JSON, as the CLI and the benchmark read it
    return parse_round_document(json.loads(dumps(document)))


def _valid(round_: Round, bid_index: int) -> bool:
    """SPEC §4 validity of one bid, by the engine's UCP."""
    doc, rules = round_.document, round_.rules
    bid = doc.bids[bid_index]
    group = next(g for g in doc.groups if g.id == bid.group)
    credit = {e.id: e.credit_level for e in doc.enterprises}
    eligible = group.eligible_quality or rules.eligible_quality
    return (
        bid.product.quality in eligible
        and unit_comparable_price(bid, group, rules) <= group.ceiling
        and bid.capacity > 0
        and credit[bid.enterprise] not in rules.barred_credit_levels
    )


def test_small_document_is_a_valid_round(parsed: Round) -> None:
    doc = parsed.document
    assert len(doc.groups) == SMALL["groups"]
    assert len(doc.institutions) == SMALL["institutions"]
    assert len({i.region for i in doc.institutions}) == SMALL["regions"]
    assert len(doc.demands) == SMALL["demand_lines"]
    assert len(doc.bids) == SMALL["bids"]
    assert parsed.rules.profile == "batch7"


@pytest.mark.parametrize("profile", ["batch7", "batch10", "batch11"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_seed_and_profile_gives_a_valid_round(seed: int, profile: str) -> None:
    data = generate_round(seed=seed, profile=profile, **SMALL)
    assert parse_round_document(json.loads(dumps(data))).rules.profile == profile


def test_ids_are_padded_strings(document: dict[str, Any]) -> None:
    assert document["groups"][0]["id"] == "G001"
    assert document["institutions"][0]["id"] == "H00001"
    assert document["enterprises"][0]["id"] == "E001"
    assert document["institutions"][0]["region"].startswith("R")


def test_same_seed_gives_identical_output() -> None:
    assert dumps(generate_round(seed=11, **SMALL)) == dumps(generate_round(seed=11, **SMALL))


def test_another_seed_gives_another_round() -> None:
    assert dumps(generate_round(seed=11, **SMALL)) != dumps(generate_round(seed=12, **SMALL))


def test_output_does_not_depend_on_hash_randomisation(tmp_path: Path) -> None:
    outputs = []
    for hash_seed in ("1", "2"):
        out = tmp_path / f"round-{hash_seed}.json"
        subprocess.run(
            [sys.executable, "-m", "bench.generate", "--seed", "5", "-o", str(out)]
            + [f"--{k.replace('_', '-')}={v}" for k, v in SMALL.items()],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            check=True,
            capture_output=True,
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]


def test_cli_writes_compact_json(tmp_path: Path) -> None:
    out = tmp_path / "nested" / "round.json"
    args = [f"--{k.replace('_', '-')}={v}" for k, v in SMALL.items()]
    assert main(["--seed", "3", "-o", str(out), *args]) == 0
    data = out.read_bytes()
    assert b"\n" not in data and b'", "' not in data
    assert data == dumps(generate_round(seed=3, **SMALL))


def test_presets_match_spec_sizes() -> None:
    # SPEC §12: Yunnan (16 regions, ~2,200 institutions) and national batch 11 (~46,000)
    assert PRESETS["provincial"].__dict__ == {
        "groups": 100,
        "institutions": 2_200,
        "regions": 16,
        "demand_lines": 90_000,
        "bids": 800,
    }
    assert PRESETS["national"].institutions == 46_000
    assert PRESETS["national"].demand_lines == 1_100_000
    assert PRESETS["national"].groups == 60


def test_at_most_two_groups_per_generic_name(document: dict[str, Any]) -> None:
    per_name = Counter(name for g in document["groups"] for name in g["generic_names"])
    assert max(per_name.values()) <= 2
    assert 2 in per_name.values()  # some generic names are split into two groups
    assert any(len(g["generic_names"]) == 2 for g in document["groups"])  # and some merged


def test_one_bid_per_enterprise_per_group(document: dict[str, Any]) -> None:
    pairs = Counter((b["enterprise"], b["group"]) for b in document["bids"])
    assert max(pairs.values()) == 1


def test_prices_are_decimal_strings_and_pre_vbp_is_above_the_ceiling(
    document: dict[str, Any],
) -> None:
    for g in document["groups"]:
        ceiling, pre_vbp = Decimal(g["ceiling"]), Decimal(g["pre_vbp_unit_price"])
        assert ceiling > 0
        assert ceiling * Decimal("1.49") <= pre_vbp <= ceiling * Decimal("3.01")
    for b in document["bids"]:
        assert isinstance(b["pack_price"], str) and Decimal(b["pack_price"]) > 0


def test_bids_use_several_strengths_packs_and_units(document: dict[str, Any]) -> None:
    reps = {g["id"]: g["representative"] for g in document["groups"]}
    strengths = [
        (b["product"]["strength"], b["product"]["strength_unit"])
        != (reps[b["group"]]["strength"], reps[b["group"]]["strength_unit"])
        for b in document["bids"]
    ]
    assert any(strengths)  # converted by the 1.7 rule
    assert len({b["product"]["units_per_pack"] for b in document["bids"]}) >= 5
    assert any("fill_volume" in r for r in reps.values())  # liquid injections


def test_submitted_at_carries_an_offset(parsed: Round) -> None:
    assert all(b.submitted_at.utcoffset() is not None for b in parsed.document.bids)


def test_every_invalid_bid_reason_occurs(parsed: Round) -> None:
    doc, rules = parsed.document, parsed.rules
    groups = {g.id: g for g in doc.groups}
    credit = {e.id: e.credit_level for e in doc.enterprises}
    ucp = [unit_comparable_price(b, groups[b.group], rules) for b in doc.bids]
    assert any(u > groups[b.group].ceiling for u, b in zip(ucp, doc.bids, strict=True))
    assert any(
        b.product.quality not in (groups[b.group].eligible_quality or rules.eligible_quality)
        for b in doc.bids
    )
    assert any(credit[b.enterprise] in rules.barred_credit_levels for b in doc.bids)
    assert any(b.capacity == 0 for b in doc.bids)


def test_small_groups_and_groups_without_a_valid_bid(parsed: Round) -> None:
    valid_bidders = Counter({g.id: 0 for g in parsed.document.groups})
    for i, bid in enumerate(parsed.document.bids):
        valid_bidders[bid.group] += _valid(parsed, i)
    counts = Counter(valid_bidders.values())
    assert counts[0] >= 2  # a couple of groups fail (流标)
    assert counts[1] + counts[2] >= 1  # some have only one or two valid bidders


def test_demand_has_preferred_enterprises_and_below_floor_reports(parsed: Round) -> None:
    demands = parsed.document.demands
    floor = parsed.rules.demand_floor_ratio
    below = [d for d in demands if d.reported < floor * d.last_year_usage]
    assert below
    assert any(d.accepted_below_floor for d in below)
    assert not any(d.accepted_below_floor for d in demands if d not in below)
    assert any(d.preferred_enterprise is not None for d in demands)
    assert any(d.last_year_usage == 0 for d in demands)


@pytest.mark.parametrize(
    "sizes",
    [
        {"groups": 1, "institutions": 1, "regions": 1, "demand_lines": 0, "bids": 0},
        {"groups": 1, "institutions": 3, "regions": 2, "demand_lines": 3, "bids": 1},
        {"groups": 3, "institutions": 10, "regions": 3, "demand_lines": 30, "bids": 15},
        {"groups": 10, "institutions": 10, "regions": 10, "demand_lines": 5, "bids": 3},
        # every institution reports every group; every enterprise bids in every group
        {
            "groups": 4,
            "institutions": 5,
            "regions": 2,
            "demand_lines": 20,
            "bids": 20,
            "enterprises": 5,
        },
    ],
)
def test_tiny_and_extreme_sizes_are_valid(sizes: dict[str, int]) -> None:
    data = generate_round(seed=1, **sizes)
    doc = parse_round_document(json.loads(dumps(data))).document
    assert (len(doc.demands), len(doc.bids)) == (sizes["demand_lines"], sizes["bids"])
    assert len(doc.groups) == sizes["groups"]
    assert len({i.region for i in doc.institutions}) == sizes["regions"]


@pytest.mark.parametrize(
    "change",
    [
        {"groups": 0},
        {"regions": 200},  # more regions than institutions
        {"demand_lines": 24 * 120 + 1},  # more lines than institution × group pairs
        {"bids": 24 * 5 + 1, "enterprises": 5},  # more bids than enterprise × group pairs
    ],
)
def test_impossible_sizes_are_refused(change: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        generate_round(seed=1, **{**SMALL, **change})


# -- bench/run.py: the measuring, not the figures --------------------------------------------------


def test_benchmark_measures_a_childs_own_peak_memory() -> None:
    from bench.run import measure

    # Only a lower bound: a forked child may briefly count its parent's pages (a pytest worker
    # can be hundreds of MB), so "python -c pass" is not reliably small here.
    big = measure([sys.executable, "-c", "x = bytearray(150 * 1024 * 1024)"], 2)
    assert big.error is None and len(big.seconds) == 2
    assert big.peak_rss_bytes is not None and big.peak_rss_bytes >= 150 * 1024 * 1024


def test_benchmark_reports_a_failing_command() -> None:
    from bench.run import measure

    result = measure([sys.executable, "-c", "import sys; sys.exit('no such round')"], 3)
    assert result.error is not None and "exit 1" in result.error and "no such round" in result.error
    assert len(result.seconds) == 1  # stops at the first failure
