"""Rule sets (规则集): every number of SPEC.md is a field here, never a constant in code.

A rule set is data: a named profile (`batch7`, `batch10`, `batch11`) plus overrides, validated
on construction.  A bad rule set (a ratio outside 0..1, an unknown field, a cap table with a
gap, a prepayment below 30 %) is refused with an error that names the field.
"""

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator

from solver.errors import DocumentError, errors_from_pydantic

ProfileName = Literal["batch7", "batch10", "batch11"]
QualityTier = Literal["originator", "reference", "gqce", "non_gqce"]
CreditLevel = Literal["general", "moderate", "serious", "particularly_serious"]
SurplusGrade = Literal["A", "B", "C", "D"]
RatioTableName = Literal["standard", "antimicrobial"]

PROFILES: tuple[str, ...] = ("batch7", "batch10", "batch11")

# SPEC §6.3: winner caps by N, the number of valid bidders.  The last entry holds for larger N.
CAP_TABLES: dict[str, tuple[int, ...]] = {
    "batch9": (1, 2, 2, 3, 4, 4, 5, 6, 7, 8, 9, 9, 10),
    "batch10": (1, 2, 2, 3, 3, 3, 4, 5, 6, 6, 7, 8, 8, 9, 9, 10),
}

# SPEC §9 defaults
_BAR_MONTHS: dict[CreditLevel, int] = {"serious": 9, "particularly_serious": 24}
_SURPLUS_GRADES: dict[SurplusGrade, Decimal] = {
    "A": Decimal("0.50"),
    "B": Decimal("0.40"),
    "C": Decimal("0.30"),
    "D": Decimal("0"),
}

ZERO = Decimal(0)
ONE = Decimal(1)

# Upper bounds of the rule numbers, far beyond any measure's (SPEC: 1.7, 1.9, 1.8, terms of
# 1–3 years, bars of 9 and 24 months): a rule set beyond them is a typing error, and dates,
# volumes and prices computed from it would leave what the service stores.
_COEFFICIENT_MAX = Decimal(10)
_FORM_RATIO_MIN, _FORM_RATIO_MAX = Decimal("0.01"), Decimal(100)
_SPREAD_MAX = Decimal(100)
_FLOOR_MAX = Decimal(10) ** 12  # a price bound of the round document (solver.document)
_TERM_YEARS_MAX = 10
_BAR_MONTHS_MAX = 120


def _check_ratio(name: str, value: Decimal) -> Decimal:
    if not ZERO <= value <= ONE:
        raise ValueError(f"{name} must be between 0 and 1, got {value}")
    return value


def _step_table(table: Mapping[int, Any], name: str) -> dict[int, Any]:
    """A table keyed by a count 1, 2, …, k; the value at k holds for every larger count."""
    if not table:
        raise ValueError(f"{name} is empty")
    keys = sorted(table)
    if keys != list(range(1, len(keys) + 1)):
        missing = sorted(set(range(1, keys[-1] + 1)) - set(keys))
        raise ValueError(
            f"{name} must have entries for 1, 2, … with no gap; missing {missing or keys[:1]}"
        )
    return dict(table)


class RuleSet(BaseModel):
    """The rules of one round.  Field names are the public names of ROUND_DOCUMENT.md."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    profile: ProfileName = "batch7"

    # SPEC §2 catalog
    max_groups_per_generic: StrictInt = Field(default=2, ge=1)
    eligible_quality: tuple[QualityTier, ...] = ("originator", "reference", "gqce")

    # SPEC §3 demand
    demand_floor_ratio: Decimal = Decimal("0.80")
    below_floor_policy: Literal["raise", "accept"] = "raise"
    # Bounded so that volumes summed over a national round still fit a 64-bit integer column.
    max_unit_volume: StrictInt = Field(default=10**9, ge=1, le=10**12)

    # SPEC §4 unit comparable price (药品差比价规则)
    strength_coefficient: Decimal = Field(default=Decimal("1.7"), gt=1, le=10)
    fill_volume_coefficient: Decimal = Field(default=Decimal("1.9"), gt=1, le=10)
    pack_count_coefficients: tuple[Decimal, Decimal] = (Decimal("1.95"), Decimal("2.0"))
    # form -> representative form -> ratio; a pair not listed has ratio 1.0
    dosage_form_ratios: dict[str, dict[str, Decimal]] = Field(default_factory=dict)
    barred_credit_levels: tuple[CreditLevel, ...] = ("serious", "particularly_serious")

    # SPEC §6 winner selection
    spread_multiplier: Decimal = Decimal("1.8")
    spread_basis: Literal["lowest", "anchor"] = "lowest"
    anchor_mean_factor: Decimal = Decimal("0.5")
    min_cut_vs_ceiling: Decimal | None = Decimal("0.50")
    absolute_floor: dict[str, Decimal] = Field(
        default_factory=lambda: {"oral_regular": Decimal("0.10"), "oral_sustained": Decimal("0.10")}
    )
    revival: bool = False
    winner_cap_table: str | list[StrictInt] | dict[int, StrictInt] = "batch9"

    # SPEC §7 agreed ratio and term
    agreed_ratio_tables: dict[str, dict[int, Decimal]] = Field(
        default_factory=lambda: {
            "standard": {
                1: Decimal("0.50"),
                2: Decimal("0.60"),
                3: Decimal("0.70"),
                4: Decimal("0.80"),
            },
            "antimicrobial": {1: Decimal("0.30"), 2: Decimal("0.40"), 3: Decimal("0.50")},
        }
    )
    term_years_table: dict[int, StrictInt] = Field(default_factory=lambda: {1: 1, 2: 1, 3: 2, 4: 3})

    # SPEC §8/§9 money
    prepay_ratio: Decimal = Decimal("0.30")
    payment_standard_basis: Literal["highest_winner", "lowest_winner"] = "highest_winner"
    delivery_days: StrictInt = Field(default=3, ge=1, le=365)
    bar_months: dict[CreditLevel, StrictInt] = Field(default_factory=lambda: dict(_BAR_MONTHS))
    surplus_grade_ratios: dict[SurplusGrade, Decimal] = Field(
        default_factory=lambda: dict(_SURPLUS_GRADES)
    )

    @field_validator("demand_floor_ratio", "anchor_mean_factor")
    @classmethod
    def _unit_interval(cls, v: Decimal, info: Any) -> Decimal:
        return _check_ratio(info.field_name, v)

    @field_validator("min_cut_vs_ceiling")
    @classmethod
    def _cut(cls, v: Decimal | None) -> Decimal | None:
        return None if v is None else _check_ratio("min_cut_vs_ceiling", v)

    @field_validator("prepay_ratio")
    @classmethod
    def _prepay(cls, v: Decimal) -> Decimal:
        # SPEC §9: the fund advances at least 30 % (NHSA/MoF 2024).
        if v < Decimal("0.30") or v > ONE:
            raise ValueError(f"prepay_ratio must be between 0.30 and 1, got {v}")
        return v

    @field_validator("spread_multiplier")
    @classmethod
    def _spread(cls, v: Decimal) -> Decimal:
        # Below 1 the lowest valid bid itself would fail the price rule.
        if v < ONE:
            raise ValueError(f"spread_multiplier must be at least 1, got {v}")
        if v > _SPREAD_MAX:
            raise ValueError(f"spread_multiplier must be at most {_SPREAD_MAX}, got {v}")
        return v

    @field_validator("absolute_floor")
    @classmethod
    def _floors(cls, v: dict[str, Decimal]) -> dict[str, Decimal]:
        for family, floor in v.items():
            if not ZERO <= floor <= _FLOOR_MAX:
                raise ValueError(f"absolute_floor[{family}] must be between 0 and {_FLOOR_MAX:,}")
        return v

    @field_validator("dosage_form_ratios")
    @classmethod
    def _form_ratios(cls, v: dict[str, dict[str, Decimal]]) -> dict[str, dict[str, Decimal]]:
        for form, row in v.items():
            for rep, ratio in row.items():
                if not _FORM_RATIO_MIN <= ratio <= _FORM_RATIO_MAX:
                    raise ValueError(
                        f"dosage_form_ratios[{form}][{rep}] must be between {_FORM_RATIO_MIN} "
                        f"and {_FORM_RATIO_MAX}, got {ratio}"
                    )
        return v

    @field_validator("pack_count_coefficients")
    @classmethod
    def _pack_counts(cls, v: tuple[Decimal, Decimal]) -> tuple[Decimal, Decimal]:
        if any(not ONE < c <= _COEFFICIENT_MAX for c in v):
            raise ValueError(
                f"pack_count_coefficients must each be above 1 and at most {_COEFFICIENT_MAX}"
            )
        return v

    @field_validator("bar_months")
    @classmethod
    def _bars(cls, v: dict[CreditLevel, int]) -> dict[CreditLevel, int]:
        for level, months in v.items():
            if not 0 <= months <= _BAR_MONTHS_MAX:
                raise ValueError(
                    f"bar_months[{level}] must be between 0 and {_BAR_MONTHS_MAX}, got {months}"
                )
        return v

    @field_validator("winner_cap_table")
    @classmethod
    def _cap_table(cls, v: str | list[int] | dict[int, int]) -> str | list[int] | dict[int, int]:
        if isinstance(v, str):
            if v not in CAP_TABLES:
                raise ValueError(f"unknown cap table {v!r}; known: {sorted(CAP_TABLES)}")
            return v
        caps = _step_table(
            dict(enumerate(v, start=1)) if isinstance(v, list) else v, "winner_cap_table"
        )
        for n, cap in caps.items():
            if cap < 1:
                raise ValueError(f"winner_cap_table: cap for N={n} must be at least 1")
        return v

    @field_validator("agreed_ratio_tables")
    @classmethod
    def _ratio_tables(cls, v: dict[str, dict[int, Decimal]]) -> dict[str, dict[int, Decimal]]:
        for name in ("standard", "antimicrobial"):
            if name not in v:
                raise ValueError(f"agreed_ratio_tables must define {name!r}")
        for name, table in v.items():
            _step_table(table, f"agreed_ratio_tables[{name}]")
            for k, ratio in table.items():
                _check_ratio(f"agreed_ratio_tables[{name}][{k}]", ratio)
        return v

    @field_validator("term_years_table")
    @classmethod
    def _terms(cls, v: dict[int, int]) -> dict[int, int]:
        _step_table(v, "term_years_table")
        if any(not 1 <= t <= _TERM_YEARS_MAX for t in v.values()):
            raise ValueError(
                f"term_years_table: every term must be between 1 and {_TERM_YEARS_MAX} years"
            )
        return v

    @field_validator("surplus_grade_ratios")
    @classmethod
    def _grades(cls, v: dict[SurplusGrade, Decimal]) -> dict[SurplusGrade, Decimal]:
        for grade, ratio in v.items():
            _check_ratio(f"surplus_grade_ratios[{grade}]", ratio)
        return v

    # -- lookups ---------------------------------------------------------------------------

    def winner_cap(self, valid_bidders: int) -> int:
        """SPEC §6.3: the most winners a group with N valid bidders may have (0 when N = 0)."""
        if valid_bidders <= 0:
            return 0
        table = self.winner_cap_table
        if isinstance(table, str):
            caps: tuple[int, ...] | list[int] = CAP_TABLES[table]
            return caps[min(valid_bidders, len(caps)) - 1]
        if isinstance(table, list):
            return table[min(valid_bidders, len(table)) - 1]
        return table[min(valid_bidders, max(table))]

    def agreed_ratio(self, table: str, winners: int) -> Decimal:
        """SPEC §7: 约定采购比例 by the number of winners."""
        rows = self.agreed_ratio_tables[table]
        return rows[min(winners, max(rows))]

    def term_years(self, winners: int) -> int:
        """SPEC §7: 采购周期 by the number of winners."""
        return self.term_years_table[min(winners, max(self.term_years_table))]

    def price_floor(self, form_family: str) -> Decimal | None:
        return self.absolute_floor.get(form_family)

    def form_ratio(self, dosage_form: str, representative_form: str) -> Decimal:
        if dosage_form == representative_form:
            return ONE
        return self.dosage_form_ratios.get(dosage_form, {}).get(representative_form, ONE)


# Map-valued fields whose overrides merge into the profile's map.
_MERGED = frozenset(
    {
        "absolute_floor",
        "agreed_ratio_tables",
        "bar_months",
        "surplus_grade_ratios",
        "dosage_form_ratios",
    }
)

_PROFILE_SETTINGS: dict[str, dict[str, Any]] = {
    "batch7": {},
    "batch10": {"min_cut_vs_ceiling": None, "revival": True, "winner_cap_table": "batch10"},
    "batch11": {
        "min_cut_vs_ceiling": None,
        "revival": True,
        "winner_cap_table": "batch10",
        "spread_basis": "anchor",
    },
}


def build_rules(
    profile: str = "batch7",
    overrides: Mapping[str, Any] | None = None,
    *,
    path: str = "rules",
) -> RuleSet:
    """A profile's defaults with overrides on top; errors name `rules.overrides.<field>`."""
    if profile not in _PROFILE_SETTINGS:
        raise DocumentError(
            [(f"{path}.profile", f"unknown profile {profile!r}; known: {', '.join(PROFILES)}")]
        )
    data: dict[str, Any] = {**_PROFILE_SETTINGS[profile]}
    defaults = RuleSet.model_fields
    given, problems = _unalias(dict(overrides or {}), path)
    if problems:
        raise DocumentError(problems)
    for key, value in given.items():
        if key in _MERGED and isinstance(value, Mapping):
            # A map overrides entry by entry ({"absolute_floor": {"injection": "0.05"}} keeps
            # the oral floors); an entry set to null is removed.
            base = dict(data.get(key) or defaults[key].get_default(call_default_factory=True))
            base.update(value)
            data[key] = {k: v for k, v in base.items() if v is not None}
        else:
            data[key] = value
    if "profile" in data and data["profile"] != profile:
        raise DocumentError([(f"{path}.overrides.profile", "set the profile with rules.profile")])
    data["profile"] = profile
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        problems = errors_from_pydantic(exc, prefix=f"{path}.overrides")
        # an error names the rule as the overrides did
        for alias, name in _ALIASES.items():
            if alias in (overrides or {}):
                was, now = f"{path}.overrides.{name}", f"{path}.overrides.{alias}"
                problems = [
                    (now + p[len(was) :] if p == was or p.startswith(was + ".") else p, m)
                    for p, m in problems
                ]
        raise DocumentError(problems) from None


# SPEC §7 calls these rules `agreed_ratio` and `term_years`: overrides may use those names for
# the tables. `agreed_ratio` may also be one table keyed by the number of winners
# ({"1": "0.55", "2": "0.65", ...}): the `standard` table, the one SPEC §7 lists first.
_ALIASES = {"agreed_ratio": "agreed_ratio_tables", "term_years": "term_years_table"}


def layered_overrides(base: Mapping[str, Any], top: Mapping[str, Any] | None) -> dict[str, Any]:
    """`top` over `base` (the command line's --set over a document's overrides): a rule that
    `top` sets under either of its names replaces the one `base` set under the other."""
    merged = dict(base)
    for key in top or {}:
        for alias, name in _ALIASES.items():
            if key in (alias, name):
                merged.pop(name if key == alias else alias, None)
    merged.update(top or {})
    return merged


def _is_count(key: object) -> bool:
    return (isinstance(key, int) and not isinstance(key, bool)) or (
        isinstance(key, str) and key.strip().isdigit()
    )


def _unalias(overrides: dict[str, Any], path: str) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The overrides under the rule set's own field names, or the problems of using both."""
    given: dict[str, Any] = {}
    problems: list[tuple[str, str]] = []
    for key, value in overrides.items():
        name = _ALIASES.get(key, key)
        if name != key and name in overrides:
            problems.append((f"{path}.overrides.{key}", f"set either {key} or {name}, not both"))
            continue
        if (
            key == "agreed_ratio"
            and isinstance(value, Mapping)
            and value
            and all(_is_count(k) for k in value)
        ):
            value = {"standard": value}
        given[name] = value
    return given, problems
