"""Seeded generator of synthetic round documents (ROUND_DOCUMENT.md) for benchmarks and tests.

    python -m bench.generate --preset provincial --seed 1 -o bench/out/provincial.json

The same arguments give the same document, byte for byte (each part of the document draws from
its own `random.Random` seeded with a string, so nothing depends on hash randomisation or on the
order other parts are drawn in).  What a document contains, so that every rule of SPEC §3–§8 has
something to bite on:

- groups: oral regular-release, sustained-release and injections (liquids with fill volumes, and
  powders); a few antimicrobial ratio tables; about a fifth of the generic names split into two
  groups (by form family, by route, or by quality tier) and a few groups merging two generic
  names, never more than 2 groups per generic name; ceilings per representative unit and pre-VBP
  prices 1.5–3× the ceiling;
- bids: one per enterprise per group, in several strengths (µg, mg, g; ×0.5 … ×4 the
  representative, so the 1.7 rule converts them) and pack sizes; most cut 5–70 % below the
  ceiling, some deeper, about 6 % above the ceiling, a few non-eligible quality tiers, a few
  zero capacities, some exact price ties, some enterprises barred by their credit rating, some
  groups with only 1–2 bidders and a couple with no valid bid at all;
- demand: institutions of four kinds (tertiary and secondary hospitals, township and community
  health centres) of very different sizes in regions of uneven size; about 3.5 % of reports
  below the 80 % floor (some accepted by the bureau), some with no usage last year, about 8 %
  naming a preferred enterprise.

Fields equal to their default (`preferred_enterprise: null`, `accepted_below_floor: false`,
`accept_revival: false`) are left out to keep the large documents small.
"""

import argparse
import json
import math
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

MAX_UNIT_VOLUME = 10**9  # SPEC §3 default `max_unit_volume`


@dataclass(frozen=True)
class Preset:
    groups: int
    institutions: int
    regions: int
    demand_lines: int
    bids: int


# SPEC §12: a Yunnan-sized provincial round and a batch-11-sized national one.
PRESETS: dict[str, Preset] = {
    "provincial": Preset(groups=100, institutions=2_200, regions=16, demand_lines=90_000, bids=800),
    "national": Preset(
        groups=60, institutions=46_000, regions=31, demand_lines=1_100_000, bids=600
    ),
}

GENERIC_NAMES = (
    "amlodipine", "atorvastatin", "rosuvastatin", "metformin", "clopidogrel", "losartan",
    "valsartan", "irbesartan", "telmisartan", "candesartan", "nifedipine", "felodipine",
    "bisoprolol", "metoprolol", "entecavir", "tenofovir", "omeprazole", "pantoprazole",
    "esomeprazole", "rabeprazole", "montelukast", "cetirizine", "levocetirizine", "loratadine",
    "sertraline", "escitalopram", "paroxetine", "duloxetine", "olanzapine", "quetiapine",
    "aripiprazole", "risperidone", "levetiracetam", "lamotrigine", "pregabalin", "gabapentin",
    "donepezil", "memantine", "tamsulosin", "finasteride", "sildenafil", "tadalafil",
    "glimepiride", "gliclazide", "acarbose", "sitagliptin", "linagliptin", "dapagliflozin",
    "empagliflozin", "ticagrelor", "rivaroxaban", "apixaban", "dabigatran", "warfarin",
    "levothyroxine", "allopurinol", "febuxostat", "celecoxib", "meloxicam", "ibuprofen",
    "paracetamol", "tramadol", "ondansetron", "mosapride", "itopride", "levofloxacin",
    "moxifloxacin", "ciprofloxacin", "azithromycin", "clarithromycin", "cefuroxime",
    "cefixime", "cefdinir", "amoxicillin", "linezolid", "fluconazole", "voriconazole",
    "oseltamivir", "valaciclovir", "imatinib", "gefitinib", "erlotinib", "capecitabine",
    "anastrozole", "letrozole", "bicalutamide", "tofacitinib", "methotrexate", "prednisone",
    "methylprednisolone", "dexamethasone", "budesonide", "salbutamol", "tiotropium",
    "ambroxol", "acetylcysteine", "ceftriaxone", "cefoperazone", "meropenem", "imipenem",
    "vancomycin", "piperacillin", "heparin", "enoxaparin", "insulin glargine", "bortezomib",
    "pemetrexed", "docetaxel", "paclitaxel", "oxaliplatin", "gemcitabine", "zoledronic acid",
    "iohexol", "iodixanol", "propofol", "dexmedetomidine", "sugammadex", "esmolol",
)  # fmt: skip

ANTIMICROBIALS = frozenset(
    {
        "levofloxacin", "moxifloxacin", "ciprofloxacin", "azithromycin", "clarithromycin",
        "cefuroxime", "cefixime", "cefdinir", "amoxicillin", "linezolid", "fluconazole",
        "voriconazole", "ceftriaxone", "cefoperazone", "meropenem", "imipenem", "vancomycin",
        "piperacillin",
    }
)  # fmt: skip

# fmt: off
ORAL_STRENGTHS_MG = (0.05, 0.1, 0.25, 0.5, 1, 2, 2.5, 4, 5, 8, 10, 12.5, 20, 25, 40, 50, 75, 80,
                     100, 150, 200, 250, 300, 500)
# fmt: on
INJECTION_STRENGTHS_MG = (1, 2, 4, 5, 10, 20, 40, 50, 100, 200, 250, 500, 1000)
INJECTION_STRENGTHS_IU = (1000, 2500, 5000, 10000)
FILL_VOLUMES_ML = (1, 2, 5, 10, 20, 50, 100)
ORAL_PACKS = (7, 10, 12, 14, 20, 24, 28, 30, 36, 42, 48, 50, 56, 60, 84, 100)
INJECTION_PACKS = (1, 1, 2, 5, 6, 10)
STRENGTH_MULTIPLIERS = (Decimal("0.5"), Decimal("1.5"), Decimal(2), Decimal(4))

INSTITUTION_KINDS = (
    # kind, share of institutions, median size (an average hospital = 1), spread
    ("tertiary hospital", 0.04, 25.0, 0.5),
    ("secondary hospital", 0.16, 6.0, 0.5),
    ("township health centre", 0.55, 0.6, 0.6),
    ("community health centre", 0.25, 0.8, 0.6),
)
# fmt: off
ENTERPRISE_SYLLABLES = ("Dian", "Yun", "Hua", "Kang", "Heng", "Qi", "Lu", "Xin", "Tai", "Bai",
                        "Jin", "Shen", "Ming", "Rui", "An", "De", "Fu", "Hai", "Long", "Sheng")
# fmt: on
ENTERPRISE_SUFFIXES = ("Pharmaceutical", "Pharma", "Biotech", "Drug Co.", "Medicine")
# (value, probability); the probabilities of a table sum to 1
CREDIT_LEVELS: tuple[tuple[str | None, float], ...] = (
    ("general", 0.06),
    ("moderate", 0.04),
    ("serious", 0.035),
    ("particularly_serious", 0.015),
    (None, 0.85),
)
QUALITY_MIX = (("non_gqce", 0.04), ("originator", 0.12), ("reference", 0.08), ("gqce", 0.76))
REST_TIER_MIX = (("non_gqce", 0.9), ("gqce", 0.1))  # a group for non-GQCE products only
BARRED = ("serious", "particularly_serious")
BIDDING_OPENS = datetime(2026, 11, 20, 9, 0, tzinfo=timezone(timedelta(hours=8)))
BIDDING_SECONDS = 7 * 24 * 3600


@dataclass
class _GroupPlan:
    """A group and what its bids need to know; only `doc` goes into the document."""

    doc: dict[str, Any]
    rep_strength: Decimal  # in the representative's strength unit
    strength_unit: str  # "mg" or "IU"
    rep_fill_ml: Decimal | None
    forms: tuple[str, ...]  # dosage forms its bids use
    packs: tuple[int, ...]
    multipliers: tuple[Decimal, ...]  # bid strength / representative strength
    fill_multipliers: tuple[Decimal, ...]
    quality_split_rest: bool = False  # eligible: non_gqce only
    kind: str = "normal"  # normal | small | no_bids | all_invalid
    bidders: list[int] = field(default_factory=list)
    base_volume: int = 0


def _rng(seed: int, part: str) -> random.Random:
    # A string seed is hashed with SHA-512 by random.Random: stable across runs and versions.
    return random.Random(f"vbp-bench:{seed}:{part}")


def _plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 500, 0.25, 12.5."""
    return format(value.normalize(), "f")


def _pick(rng: random.Random, table: Sequence[tuple[T, float]]) -> T:
    """One value of a (value, probability) table."""
    r = rng.random()
    for value, probability in table:
        if r < probability:
            return value
        r -= probability
    return table[-1][0]


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _apportion(total: int, weights: Sequence[float], caps: Sequence[int]) -> list[int]:
    """Split `total` into integer counts roughly proportional to `weights`, each ≤ its cap."""
    if total > sum(caps):
        raise ValueError(f"cannot place {total} items under caps summing to {sum(caps)}")
    counts = [0] * len(weights)
    remaining = total
    active = [i for i, c in enumerate(caps) if c > 0 and weights[i] > 0] or [
        i for i, c in enumerate(caps) if c > 0
    ]
    while remaining > 0:
        weight_sum = sum(weights[i] for i in active) or float(len(active))
        given = 0
        for i in active:
            add = min(caps[i] - counts[i], int(remaining * weights[i] / weight_sum))
            counts[i] += add
            given += add
        remaining -= given
        if given == 0:  # the rounding left a few: hand them out by weight, one each
            for i in sorted(active, key=lambda i: (-weights[i], i)):
                if remaining == 0:
                    break
                if counts[i] < caps[i]:
                    counts[i] += 1
                    remaining -= 1
        active = [i for i in active if counts[i] < caps[i]]
        if remaining and not active:
            active = [i for i, c in enumerate(caps) if counts[i] < c]
    return counts


def _id(prefix: str, number: int, width: int) -> str:
    return f"{prefix}{number:0{width}d}"


# -- groups -------------------------------------------------------------------------------------


def _representative(
    rng: random.Random, family: str
) -> tuple[dict[str, Any], Decimal, str, Decimal | None, tuple[str, ...], tuple[int, ...]]:
    """The representative spec of a group of `family` and its bids' dosage forms and packs."""
    if family in ("oral_regular", "oral_sustained"):
        strength = Decimal(str(rng.choice(ORAL_STRENGTHS_MG)))
        if family == "oral_sustained":
            forms: tuple[str, ...] = ("sustained_release_tablet",)
        else:
            first = "tablet" if rng.random() < 0.7 else "capsule"
            forms = (first, "capsule" if first == "tablet" else "tablet")
        if strength < 1:  # small strengths are written in µg, as on the label
            rep = {"strength": _plain(strength * 1000), "strength_unit": "µg"}
        else:
            rep = {"strength": _plain(strength), "strength_unit": "mg"}
        rep["dosage_form"] = forms[0]
        return rep, strength, "mg", None, forms, ORAL_PACKS
    # injections: liquids carry a fill volume; powders do not; a few are dosed in IU
    unit = "IU" if rng.random() < 0.1 else "mg"
    pool = INJECTION_STRENGTHS_IU if unit == "IU" else INJECTION_STRENGTHS_MG
    strength = Decimal(rng.choice(pool))
    liquid = rng.random() < 0.6
    form = "injection" if liquid else "powder_for_injection"
    rep = {"strength": _plain(strength), "strength_unit": unit, "dosage_form": form}
    fill: Decimal | None = None
    if liquid:
        fill = Decimal(rng.choice(FILL_VOLUMES_ML))
        rep["fill_volume"] = _plain(fill)
        rep["fill_unit"] = "ml"
    return rep, strength, unit, fill, (form,), INJECTION_PACKS


def _ceiling(rng: random.Random, family: str) -> float:
    """Ceiling per representative unit, yuan (最高有效申报价)."""
    low, high = {
        "oral_regular": (0.05, 8.0),
        "oral_sustained": (0.3, 12.0),
        "injection": (1.0, 300.0),
    }[family]
    return round(_log_uniform(rng, low, high), 4)


def _make_group(
    rng: random.Random, gid: str, names: list[str], family: str, *, rest_tier: bool = False
) -> _GroupPlan:
    rep, strength, unit, fill, forms, packs = _representative(rng, family)
    ceiling = _ceiling(rng, family)
    pre_vbp = round(ceiling * rng.uniform(1.5, 3.0), 4)
    doc: dict[str, Any] = {
        "id": gid,
        "generic_names": names,
        "form_family": family,
        "representative": rep,
        "ceiling": f"{ceiling:.4f}",
        "pre_vbp_unit_price": f"{pre_vbp:.4f}",
    }
    if any(n in ANTIMICROBIALS for n in names) and rng.random() < 0.5:
        doc["ratio_table"] = "antimicrobial"
    if rest_tier:
        doc["eligible_quality"] = ["non_gqce"]
    others = rng.sample(STRENGTH_MULTIPLIERS, rng.randint(1, 2))
    multipliers = (
        Decimal(1),
        Decimal(1),
        *others,
    )  # the representative strength is the most common
    fill_multipliers: tuple[Decimal, ...] = (Decimal(1),)
    if fill is not None:
        fill_multipliers = (Decimal(1), Decimal(1), rng.choice((Decimal("0.5"), Decimal(2))))
    return _GroupPlan(
        doc=doc,
        rep_strength=strength,
        strength_unit=unit,
        rep_fill_ml=fill,
        forms=forms,
        packs=packs,
        multipliers=multipliers,
        fill_multipliers=fill_multipliers,
        quality_split_rest=rest_tier,
    )


def _generic_name(index: int) -> str:
    base = GENERIC_NAMES[index % len(GENERIC_NAMES)]
    cycle = index // len(GENERIC_NAMES)
    return base if cycle == 0 else f"{base} {cycle + 1}"


def _single_family(rng: random.Random) -> str:
    r = rng.random()
    return "oral_regular" if r < 0.6 else "oral_sustained" if r < 0.72 else "injection"


def _make_groups(rng: random.Random, count: int) -> list[_GroupPlan]:
    """Groups with at most 2 per generic name: singles, two-group splits and merged groups."""
    width = max(3, len(str(count)))
    plans: list[_GroupPlan] = []
    next_name = 0

    def take_name() -> str:
        nonlocal next_name
        name = _generic_name(next_name)
        next_name += 1
        return name

    while len(plans) < count:
        gid = _id("G", len(plans) + 1, width)
        r = rng.random()
        if r < 0.18 and count - len(plans) >= 2:
            # one generic name in two groups (SPEC §2 typical splits)
            name = take_name()
            gid2 = _id("G", len(plans) + 2, width)
            split = rng.choice(("form", "route", "quality"))
            if split == "form":
                plans.append(_make_group(rng, gid, [name], "oral_regular"))
                plans.append(_make_group(rng, gid2, [name], "oral_sustained"))
            elif split == "route":
                plans.append(_make_group(rng, gid, [name], "oral_regular"))
                plans.append(_make_group(rng, gid2, [name], "injection"))
            else:
                plans.append(_make_group(rng, gid, [name], "oral_regular"))
                plans.append(_make_group(rng, gid2, [name], "oral_regular", rest_tier=True))
        elif r < 0.23:
            # different generic names with similar indications merged into one group
            plans.append(_make_group(rng, gid, [take_name(), take_name()], _single_family(rng)))
        else:
            plans.append(_make_group(rng, gid, [take_name()], _single_family(rng)))
    return plans


# -- enterprises and who bids where --------------------------------------------------------------


def _make_enterprises(rng: random.Random, count: int) -> list[dict[str, Any]]:
    width = max(3, len(str(count)))
    enterprises = []
    for i in range(count):
        name = (
            f"{rng.choice(ENTERPRISE_SYLLABLES)}{rng.choice(ENTERPRISE_SYLLABLES).lower()} "
            f"{rng.choice(ENTERPRISE_SUFFIXES)}"
        )
        level = _pick(rng, CREDIT_LEVELS)
        entry: dict[str, Any] = {"id": _id("E", i + 1, width), "name": name, "credit_level": level}
        enterprises.append(entry)
    if count >= 5 and not any(e["credit_level"] in BARRED for e in enterprises):
        enterprises[rng.randrange(count)]["credit_level"] = "serious"
    return enterprises


def _plan_bidders(
    rng: random.Random, plans: list[_GroupPlan], enterprises: list[dict[str, Any]], bids: int
) -> None:
    """Decide how many bids each group gets and from which enterprises (one bid each)."""
    n_groups, n_ent = len(plans), len(enterprises)
    order = list(range(n_groups))
    rng.shuffle(order)
    n_failed = 2 if n_groups >= 10 else 1 if n_groups >= 4 else 0
    n_small = max(1, round(0.08 * n_groups)) if n_groups >= 3 else 0
    special = order[: n_failed + n_small]
    for i in special[:n_failed]:
        plans[i].kind = "no_bids" if i == order[0] else "all_invalid"
    for i in special[n_failed:]:
        plans[i].kind = "small"

    def bounds(plan: _GroupPlan) -> tuple[int, int, float]:
        """(minimum bids, maximum bids, weight for the rest) of a group."""
        if plan.kind == "no_bids":
            return 0, 0, 0.0
        if plan.kind == "all_invalid":
            return min(2, n_ent), min(2, n_ent), 0.0
        if plan.kind == "small":
            size = min(rng.choice((1, 2)), n_ent)
            return size, size, 0.0
        return min(3, n_ent), n_ent, rng.lognormvariate(0, 0.6)

    rows = [bounds(plan) for plan in plans]
    # more bids than the normal groups can hold: special groups become normal, smallest first
    while sum(r[1] for r in rows) < bids and special:
        i = special.pop()
        plans[i].kind = "normal"
        rows[i] = bounds(plans[i])
    mins = [r[0] for r in rows]
    caps = [r[1] for r in rows]
    weights = [r[2] for r in rows]
    # too few bids for the minimums: take one from the largest minimum until they fit
    while sum(mins) > bids:
        largest = max(range(n_groups), key=lambda i: (mins[i], -i))
        mins[largest] -= 1
        if plans[largest].kind != "normal":
            caps[largest] = mins[largest]
    extra = _apportion(bids - sum(mins), weights, [c - m for c, m in zip(caps, mins, strict=True)])
    barred = [i for i, e in enumerate(enterprises) if e["credit_level"] in BARRED]
    clean = [i for i, e in enumerate(enterprises) if e["credit_level"] not in BARRED]
    for plan, low, add in zip(plans, mins, extra, strict=True):
        count = low + add
        if plan.kind == "all_invalid" and count and barred:
            # a barred enterprise bidding a fine price, the others above the ceiling
            first = rng.choice(barred)
            rest = rng.sample([i for i in range(n_ent) if i != first], count - 1)
            plan.bidders = [first, *rest]
        elif plan.kind == "small" and clean:
            # a group with 1–2 bidders should still award: bidders in good standing
            plan.bidders = rng.sample(clean, min(count, len(clean)))
            others = [i for i in range(n_ent) if i not in plan.bidders]
            plan.bidders += rng.sample(others, count - len(plan.bidders))
        else:
            plan.bidders = rng.sample(range(n_ent), count)


# -- institutions and demand ---------------------------------------------------------------------


def _make_institutions(
    rng: random.Random, count: int, regions: int
) -> tuple[list[dict[str, Any]], list[float]]:
    width = max(5, len(str(count)))
    region_ids = [_id("R", r + 1, 2) for r in range(regions)]
    # uneven regions: the capital's prefecture is largest (Zipf-like weights)
    weights = [1 / (r + 1) ** 0.7 for r in range(regions)]
    assigned = list(range(regions)) + rng.choices(range(regions), weights, k=count - regions)
    rng.shuffle(assigned)
    kinds = [k[0] for k in INSTITUTION_KINDS]
    kind_weights = [k[1] for k in INSTITUTION_KINDS]
    size_of = {k[0]: (k[2], k[3]) for k in INSTITUTION_KINDS}
    institutions, sizes = [], []
    serial = [0] * regions
    for i in range(count):
        kind = rng.choices(kinds, kind_weights)[0]
        median, spread = size_of[kind]
        region = assigned[i]
        serial[region] += 1
        institutions.append(
            {
                "id": _id("H", i + 1, width),
                "name": f"{region_ids[region]} {kind} {serial[region]}",
                "region": region_ids[region],
            }
        )
        sizes.append(median * rng.lognormvariate(0, spread))
    return institutions, sizes


def _make_demands(
    rng: random.Random,
    plans: list[_GroupPlan],
    institutions: list[dict[str, Any]],
    sizes: list[float],
    enterprise_ids: list[str],
    demand_lines: int,
) -> list[dict[str, Any]]:
    n_inst = len(institutions)
    popularity = [rng.lognormvariate(0, 0.5) for _ in plans]
    counts = _apportion(demand_lines, popularity, [n_inst] * len(plans))
    iids = [inst["id"] for inst in institutions]
    demands: list[dict[str, Any]] = []
    append = demands.append
    rand, uniform, lognorm = rng.random, rng.uniform, rng.lognormvariate
    ceil = math.ceil
    for plan, count in zip(plans, counts, strict=True):
        gid = plan.doc["id"]
        # annual units for an average hospital: tablets by the ten thousand, injections fewer
        typical = (
            rng.lognormvariate(math.log(800), 0.6)
            if plan.doc["form_family"] == "injection"
            else rng.lognormvariate(math.log(8_000), 0.8)
        )
        bidders = [enterprise_ids[i] for i in plan.bidders]
        total = 0
        for i in sorted(rng.sample(range(n_inst), count)):
            usage = min(MAX_UNIT_VOLUME, int(typical * sizes[i] * lognorm(0, 0.4)))
            line: dict[str, Any] = {"institution": iids[i], "group": gid}
            r = rand()
            if r < 0.01:
                # new to the drug: no usage last year, so never below the floor
                usage = 0
                reported = int(typical * sizes[i] * uniform(0.2, 1.0))
            elif r < 0.045:
                reported = int(usage * uniform(0.40, 0.79))  # below the 80 % floor
                if rand() < 0.3:
                    line["accepted_below_floor"] = True
            elif r < 0.047:
                reported = 0  # reports no demand (below the floor unless usage is 0)
            else:
                reported = min(MAX_UNIT_VOLUME, ceil(usage * uniform(0.8, 1.25)))
            line["reported"] = reported
            line["last_year_usage"] = usage
            if rand() < 0.08:
                # by-brand reporting: usually an enterprise that bids in the group
                line["preferred_enterprise"] = (
                    rng.choice(bidders) if bidders and rand() < 0.85 else rng.choice(enterprise_ids)
                )
            total += reported
            append(line)
        plan.base_volume = total
    return demands


# -- bids ---------------------------------------------------------------------------------------


def _strength_text(mg_or_iu: Decimal, unit: str, rng: random.Random) -> tuple[str, str]:
    """A bid's strength as written on its label: µg below 1 mg, sometimes g from 1000 mg."""
    if unit != "mg":
        return _plain(mg_or_iu), unit
    if mg_or_iu < 1:
        return _plain(mg_or_iu * 1000), rng.choice(("µg", "mcg"))
    if mg_or_iu >= 1000 and rng.random() < 0.5:
        return _plain(mg_or_iu / 1000), "g"
    return _plain(mg_or_iu), "mg"


def _price_factor(rng: random.Random) -> float:
    """Bid UCP as a share of the ceiling."""
    r = rng.random()
    if r < 0.06:
        return rng.uniform(1.05, 1.6)  # above the ceiling: invalid
    if r < 0.12:
        return rng.uniform(0.03, 0.2)  # a deep cut (single products over 90 %)
    return rng.uniform(0.3, 0.95)


def _make_bids(
    rng: random.Random, plans: list[_GroupPlan], enterprises: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    bids: list[dict[str, Any]] = []
    for plan in plans:
        ceiling = float(plan.doc["ceiling"])
        previous: dict[str, Any] | None = None
        for e in plan.bidders:
            enterprise = enterprises[e]["id"]
            quality = _pick(rng, REST_TIER_MIX if plan.quality_split_rest else QUALITY_MIX)
            factor = _price_factor(rng)
            barred = enterprises[e]["credit_level"] in BARRED
            if plan.kind == "all_invalid" and not barred:
                factor = rng.uniform(1.2, 1.6)  # no valid bid in this group
            elif plan.kind == "small":
                # a group with 1–2 bidders should still award: a valid bid
                factor = rng.uniform(0.3, 0.9)
                quality = "non_gqce" if plan.quality_split_rest else "gqce"

            if previous is not None and rng.random() < 0.05 and plan.kind == "normal":
                # an exact price tie with the previous bid: same product, same pack price
                product = dict(previous["product"])
                product["quality"] = quality
                pack_price = previous["pack_price"]
            else:
                m = rng.choice(plan.multipliers)
                strength, unit = _strength_text(plan.rep_strength * m, plan.strength_unit, rng)
                product = {
                    "strength": strength,
                    "strength_unit": unit,
                    "units_per_pack": rng.choice(plan.packs),
                    "dosage_form": rng.choice(plan.forms) if rng.random() < 0.15 else plan.forms[0],
                    "quality": quality,
                }
                # SPEC §4 price-ratio rules in reverse: the unit price that gives the intended UCP
                unit_price = ceiling * factor * 1.7 ** math.log2(m)
                if plan.rep_fill_ml is not None:
                    f = rng.choice(plan.fill_multipliers)
                    product["fill_volume"] = _plain(plan.rep_fill_ml * f)
                    product["fill_unit"] = "ml"
                    unit_price *= 1.9 ** math.log2(f)
                pack_price = f"{max(0.01, unit_price * product['units_per_pack']):.2f}"

            if plan.base_volume > 0:
                # most enterprises can supply the whole group; some only a small share
                share = rng.uniform(0.6, 2.5) if rng.random() < 0.85 else rng.uniform(0.1, 0.6)
                capacity = int(plan.base_volume * share)
            else:
                capacity = rng.randint(10_000, 1_000_000)
            capacity = max(1, min(MAX_UNIT_VOLUME, capacity))
            if plan.kind == "normal" and rng.random() < 0.015:
                capacity = 0  # declares no capacity: invalid
            if previous is not None and rng.random() < 0.01:
                submitted_at = previous["submitted_at"]  # the same instant as another bid
            else:
                moment = BIDDING_OPENS + timedelta(seconds=rng.randrange(BIDDING_SECONDS))
                if rng.random() < 0.1:
                    moment = moment.astimezone(UTC)
                submitted_at = moment.isoformat()
            bid: dict[str, Any] = {
                "enterprise": enterprise,
                "group": plan.doc["id"],
                "product": product,
                "pack_price": pack_price,
                "capacity": capacity,
                "submitted_at": submitted_at,
            }
            if rng.random() < 0.3:
                bid["accept_revival"] = True
            bids.append(bid)
            previous = bid
    return bids


# -- the document -------------------------------------------------------------------------------


def generate_round(
    *,
    seed: int,
    groups: int,
    institutions: int,
    regions: int,
    demand_lines: int,
    bids: int,
    profile: str = "batch7",
    enterprises: int | None = None,
) -> dict[str, Any]:
    """A valid round document (ROUND_DOCUMENT.md) as plain JSON-ready data.

    `enterprises` defaults to 40 % of `bids` (at least 5): national batches see 150–450
    enterprises for 250–800 bids (SPEC §12).
    """
    if groups < 1 or institutions < 1 or regions < 1:
        raise ValueError("groups, institutions and regions must be at least 1")
    if regions > institutions:
        raise ValueError(f"{regions} regions need at least as many institutions")
    if not 0 <= demand_lines <= groups * institutions:
        raise ValueError(
            f"demand_lines must be between 0 and groups × institutions = {groups * institutions}"
        )
    n_ent = enterprises if enterprises is not None else max(5, round(bids * 0.4))
    if n_ent < 1:
        raise ValueError("enterprises must be at least 1")
    if not 0 <= bids <= groups * n_ent:
        raise ValueError(f"bids must be between 0 and groups × enterprises = {groups * n_ent}")

    plans = _make_groups(_rng(seed, "groups"), groups)
    enterprise_list = _make_enterprises(_rng(seed, "enterprises"), n_ent)
    _plan_bidders(_rng(seed, "bidders"), plans, enterprise_list, bids)
    institution_list, sizes = _make_institutions(_rng(seed, "institutions"), institutions, regions)
    demands = _make_demands(
        _rng(seed, "demand"),
        plans,
        institution_list,
        sizes,
        [e["id"] for e in enterprise_list],
        demand_lines,
    )
    bid_list = _make_bids(_rng(seed, "bids"), plans, enterprise_list)
    return {
        "round": {
            "id": f"SYN-{profile}-{seed}",
            "name": (
                f"Synthetic round, seed {seed}: {groups} groups, {institutions} institutions, "
                f"{demand_lines} demand lines, {bids} bids"
            ),
            "agreement_start": "2027-01-01",
        },
        "rules": {"profile": profile, "overrides": {}},
        "groups": [plan.doc for plan in plans],
        "institutions": institution_list,
        "demands": demands,
        "enterprises": enterprise_list,
        "bids": bid_list,
    }


def dumps(document: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON (the C encoder; no indentation)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate", description="write a synthetic round document"
    )
    parser.add_argument("--preset", choices=sorted(PRESETS), default="provincial")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", choices=["batch7", "batch10", "batch11"], default="batch7")
    for name in ("groups", "institutions", "regions", "demand_lines", "bids", "enterprises"):
        parser.add_argument(
            f"--{name.replace('_', '-')}", type=int, help=f"override the preset's {name}"
        )
    parser.add_argument("-o", "--output", help="file to write (default: standard output)")
    args = parser.parse_args(argv)

    sizes = dict(PRESETS[args.preset].__dict__)
    for name in ("groups", "institutions", "regions", "demand_lines", "bids"):
        if getattr(args, name) is not None:
            sizes[name] = getattr(args, name)
    started = time.perf_counter()
    document = generate_round(
        seed=args.seed, profile=args.profile, enterprises=args.enterprises, **sizes
    )
    data = dumps(document)
    if args.output:
        path = Path(args.output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    seconds = time.perf_counter() - started
    print(
        f"{args.output or '(stdout)'}: {len(document['demands'])} demand lines, "
        f"{len(document['bids'])} bids, {len(data) / 1e6:.1f} MB in {seconds:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
