"""The round document (ROUND_DOCUMENT.md): parsed, validated, frozen.

`parse_round_document(data)` takes the decoded JSON/YAML (plain dicts and lists) and returns a
`RoundDocument`, or raises `DocumentError` listing every problem by path
(`bids[3].pack_price: must be a positive decimal`).  Reading files is the caller's business.
"""

import contextlib
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
)

from solver.catalog import generic_name_problems
from solver.errors import DocumentError, errors_from_pydantic, format_path
from solver.rules import (
    CreditLevel,
    QualityTier,
    RatioTableName,
    RuleSet,
    build_rules,
    layered_overrides,
)
from solver.text import TEXT_LIMIT, bad_text
from solver.units import UnitError, fill_unit_family, strength_unit_family


def positive_decimal(value: Any) -> Decimal:
    """Money, prices and strengths: decimal strings, numbers accepted; zero, negatives, NaN
    refused. Written with an exponent (`"1e2"`) it is taken as plain text (`100`), as it is
    written back. The service's catalog, bids and payments take the same rule."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise ValueError('must be a positive decimal (a string such as "9.80" or a number)')
    try:
        # a float goes through its shortest repr, so 9.8 stays 9.8 and not 9.800000000000000710
        number = Decimal(repr(value) if isinstance(value, float) else value)
    except InvalidOperation:
        raise ValueError(f"must be a positive decimal, got {value!r}") from None
    if not number.is_finite() or number <= 0:
        raise ValueError(f"must be a positive decimal, got {value!r}")
    # Bounded so that every product the engine forms stays exact: 1e-9 … 1e12, 18 digits.
    if not MIN_DECIMAL <= number <= MAX_DECIMAL:
        raise ValueError(f"must be between {MIN_DECIMAL} and {MAX_DECIMAL:,}, got {value!r}")
    if len(number.normalize().as_tuple().digits) > MAX_DIGITS:
        raise ValueError(f"has more than {MAX_DIGITS} significant digits: {value!r}")
    if len(str(number)) > MAX_TEXT:
        number = number.normalize()  # "0.5" and fifty zeros is 0.5
    return plain(number)


def plain(number: Decimal) -> Decimal:
    """A finite decimal written without an exponent: 1E+2 as 100 (it is written back as
    text, and the API's pattern for decimals has no exponent)."""
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    return number.quantize(ONE_UNIT) if exponent > 0 else number


MIN_DECIMAL = Decimal("1e-9")
MAX_DECIMAL = Decimal("1e12")
MAX_DIGITS = 18
# Written back as at most this many characters (the service stores decimals as text of this
# length): within the bounds above, only trailing zeros can make a value longer, and they go.
MAX_TEXT = 40
ONE_UNIT = Decimal(1)


def _identifier(value: Any) -> Any:
    """Ids are strings; a whole number (a region code such as 530100) is taken as its text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


PositiveDecimal = Annotated[Decimal, BeforeValidator(positive_decimal)]
Volume = Annotated[StrictInt, Field(ge=0)]
Identifier = Annotated[str, BeforeValidator(_identifier), Field(min_length=1, max_length=200)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RoundInfo(_Frozen):
    id: Identifier
    name: str = ""
    agreement_start: date | None = None


class RulesSpec(_Frozen):
    profile: str = "batch7"
    overrides: dict[str, Any] = Field(default_factory=dict)


class Representative(_Frozen):
    """代表品: the representative specification that prices are converted to."""

    strength: PositiveDecimal
    strength_unit: str
    dosage_form: str
    fill_volume: PositiveDecimal | None = None
    fill_unit: str | None = None

    @field_validator("strength_unit")
    @classmethod
    def _unit(cls, v: str) -> str:
        strength_unit_family(v)
        return v


class Group(_Frozen):
    """分组: the unit of competition."""

    id: Identifier
    generic_names: Annotated[tuple[str, ...], Field(min_length=1)]
    form_family: str
    representative: Representative
    ceiling: PositiveDecimal
    pre_vbp_unit_price: PositiveDecimal
    ratio_table: RatioTableName = "standard"
    eligible_quality: tuple[QualityTier, ...] | None = None


class Institution(_Frozen):
    id: Identifier
    name: str = ""
    region: Identifier


class Demand(_Frozen):
    institution: Identifier
    group: Identifier
    reported: Volume
    last_year_usage: Volume = 0  # no usage on record: never below the floor (SPEC §3)
    preferred_enterprise: Identifier | None = None
    accepted_below_floor: StrictBool = False
    # An extension of ROUND_DOCUMENT.md: the report as the bureau reviewed it (SPEC §3: "base
    # volume = its reviewed report") when that is not `reported` - an adjusted volume, or 0 for
    # a rejected report. The floor rule then applies to it (0 without accepted_below_floor is a
    # rejection: the floor, whatever the policy); `reported` keeps the institution's own
    # figure, so an exported round still shows what was reported.
    reviewed: Volume | None = None


class Enterprise(_Frozen):
    id: Identifier
    name: str = ""
    credit_level: CreditLevel | None = None


class Product(_Frozen):
    strength: PositiveDecimal
    strength_unit: str
    units_per_pack: Annotated[StrictInt, Field(ge=1, le=100_000)]  # as the bid API takes
    dosage_form: str
    quality: QualityTier
    fill_volume: PositiveDecimal | None = None
    fill_unit: str | None = None

    @field_validator("strength_unit")
    @classmethod
    def _unit(cls, v: str) -> str:
        strength_unit_family(v)
        return v


class Bid(_Frozen):
    enterprise: Identifier
    group: Identifier
    product: Product
    pack_price: PositiveDecimal
    capacity: Annotated[StrictInt, Field(ge=0, le=10**15)]  # a declaration, not a demand volume
    submitted_at: datetime | None = None
    accept_revival: StrictBool = False

    @field_validator("submitted_at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.utcoffset() is None:
            raise ValueError("must carry a UTC offset, e.g. 2026-12-01T10:00:00+08:00")
        return v


class RoundDocument(_Frozen):
    round: RoundInfo
    rules: RulesSpec = Field(default_factory=RulesSpec)
    groups: tuple[Group, ...]
    institutions: tuple[Institution, ...]
    demands: tuple[Demand, ...] = ()
    enterprises: tuple[Enterprise, ...] = ()
    bids: tuple[Bid, ...] = ()


class Round(BaseModel):
    """A validated document together with the rule set it resolves to."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    document: RoundDocument
    rules: RuleSet


def parse_round_document(
    data: Any,
    *,
    profile: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> Round:
    """Validate a decoded round document.  `profile`/`overrides` replace or extend its rules
    (the command line's `--rules` and `--set`)."""
    if not isinstance(data, dict):
        raise DocumentError([("(document)", "a round document is an object with round, groups, …")])
    unstorable = [(format_path(loc), m) for loc, m in islice(bad_text(data), TEXT_LIMIT)]
    if unstorable:
        raise DocumentError(unstorable)
    try:
        doc = RoundDocument.model_validate(data)
    except ValidationError as exc:
        # Every problem at once: what the schema refuses, then what the rules and the parts
        # that did validate show (a person fixing a document should not resubmit it three times).
        raise DocumentError(
            errors_from_pydantic(exc) + _problems_beside_schema(data, profile, overrides)
        ) from None
    rules = build_rules(
        profile or doc.rules.profile, layered_overrides(doc.rules.overrides, overrides)
    )
    problems = _cross_check(_Parts.of(doc), rules)
    if problems:
        raise DocumentError(problems)
    return Round(document=doc, rules=rules)


_Indexed = list[tuple[int, Any]]


@dataclass(frozen=True)
class _Parts:
    """What `_cross_check` looks at: the items that validated, each with its index in the
    document (paths name it), and every id the document gives, valid item or not (a reference
    to an item refused for another reason is not also reported as unknown)."""

    groups: _Indexed
    institutions: _Indexed
    enterprises: _Indexed
    demands: _Indexed
    bids: _Indexed
    ids: dict[str, set[str]]

    @classmethod
    def of(cls, doc: RoundDocument) -> "_Parts":
        lists = {name: list(enumerate(getattr(doc, name))) for name in _ITEM_MODELS}
        ids = {
            name: {item.id for item in getattr(doc, name)}
            for name in ("groups", "institutions", "enterprises")
        }
        return cls(**lists, ids=ids)

    @classmethod
    def of_raw(cls, data: dict[str, Any]) -> "_Parts":
        lists: dict[str, _Indexed] = {}
        ids: dict[str, set[str]] = {}
        for name, model in _ITEM_MODELS.items():
            raw = data.get(name)
            items = raw if isinstance(raw, list) else []
            valid = []
            for i, item in enumerate(items):
                with contextlib.suppress(ValidationError):  # the schema reported it
                    valid.append((i, model.model_validate(item)))
            lists[name] = valid
            ids[name] = {
                item["id"]
                for item in items
                if isinstance(item, dict) and isinstance(item.get("id"), str)
            }
        return cls(**lists, ids=ids)


_ITEM_MODELS: dict[str, type[BaseModel]] = {
    "groups": Group,
    "institutions": Institution,
    "enterprises": Enterprise,
    "demands": Demand,
    "bids": Bid,
}


def _problems_beside_schema(
    data: dict[str, Any], profile: str | None, overrides: dict[str, Any] | None
) -> list[tuple[str, str]]:
    """For a document the schema refused: the problems of its rules and of the references
    between the parts that did validate (nothing when its rules cannot be read, since the
    checks depend on them)."""
    try:
        spec = RulesSpec.model_validate(data.get("rules", {}))
    except ValidationError:
        return []  # the schema's errors name the rules already
    try:
        rules = build_rules(profile or spec.profile, layered_overrides(spec.overrides, overrides))
    except DocumentError as exc:
        return list(exc.problems)
    return _cross_check(_Parts.of_raw(data), rules)


def _duplicates(items: _Indexed, key: str, path: str) -> list[tuple[str, str]]:
    seen: dict[str, int] = {}
    problems = []
    for i, item in items:
        value = getattr(item, key)
        if value in seen:
            problems.append(
                (f"{path}[{i}].{key}", f"duplicate id {value!r} (first at {path}[{seen[value]}])")
            )
        else:
            seen[value] = i
    return problems


def _cross_check(doc: _Parts, rules: RuleSet) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    problems += _duplicates(doc.groups, "id", "groups")
    problems += _duplicates(doc.institutions, "id", "institutions")
    problems += _duplicates(doc.enterprises, "id", "enterprises")
    groups = {g.id: g for _, g in doc.groups}
    group_ids, institutions, enterprises = (
        doc.ids["groups"],
        doc.ids["institutions"],
        doc.ids["enterprises"],
    )

    # SPEC §2: at most `max_groups_per_generic` groups per generic name.
    problems.extend(
        ("groups", p)
        for p in generic_name_problems(
            ((g.id, g.generic_names) for _, g in doc.groups), rules.max_groups_per_generic
        )
    )

    for i, g in doc.groups:
        rep = g.representative
        if (rep.fill_volume is None) != (rep.fill_unit is None):
            problems.append(
                (f"groups[{i}].representative.fill_unit", "fill_volume and fill_unit go together")
            )
        elif rep.fill_unit is not None:
            try:
                fill_unit_family(rep.fill_unit)
            except UnitError as exc:
                problems.append((f"groups[{i}].representative.fill_unit", str(exc)))

    seen_demand: dict[tuple[str, str], int] = {}
    for i, d in doc.demands:
        path = f"demands[{i}]"
        if d.institution not in institutions:
            problems.append((f"{path}.institution", f"unknown institution {d.institution!r}"))
        if d.group not in group_ids:
            problems.append((f"{path}.group", f"unknown group {d.group!r}"))
        if d.preferred_enterprise is not None and d.preferred_enterprise not in enterprises:
            problems.append(
                (f"{path}.preferred_enterprise", f"unknown enterprise {d.preferred_enterprise!r}")
            )
        for field in ("reported", "last_year_usage", "reviewed"):
            if (getattr(d, field) or 0) > rules.max_unit_volume:
                problems.append(
                    (f"{path}.{field}", f"exceeds max_unit_volume {rules.max_unit_volume}")
                )
        key = (d.institution, d.group)
        if key in seen_demand:
            problems.append(
                (
                    path,
                    f"duplicate demand for institution {d.institution!r} in group {d.group!r} (first at demands[{seen_demand[key]}])",
                )
            )
        else:
            seen_demand[key] = i

    seen_bid: dict[tuple[str, str], int] = {}
    for i, b in doc.bids:
        path = f"bids[{i}]"
        if b.enterprise not in enterprises:
            problems.append((f"{path}.enterprise", f"unknown enterprise {b.enterprise!r}"))
        group = groups.get(b.group)
        if b.group not in group_ids:
            problems.append((f"{path}.group", f"unknown group {b.group!r}"))
        key = (b.enterprise, b.group)
        if key in seen_bid:
            problems.append(
                (
                    path,
                    f"enterprise {b.enterprise!r} has two bids in group {b.group!r} (first at bids[{seen_bid[key]}]); a document holds final bids only",
                )
            )
        else:
            seen_bid[key] = i
        if group is None:
            continue
        rep = group.representative
        try:
            if strength_unit_family(b.product.strength_unit) != strength_unit_family(
                rep.strength_unit
            ):
                problems.append(
                    (
                        f"{path}.product.strength_unit",
                        f"{b.product.strength_unit!r} cannot be compared with the representative's {rep.strength_unit!r}",
                    )
                )
        except UnitError as exc:
            problems.append((f"{path}.product.strength_unit", str(exc)))
        if rep.fill_volume is not None:
            if b.product.fill_volume is None or b.product.fill_unit is None:
                problems.append(
                    (
                        f"{path}.product.fill_volume",
                        f"group {group.id!r} is a liquid: the bid must give fill_volume and fill_unit",
                    )
                )
            else:
                try:
                    fill_unit_family(b.product.fill_unit)
                except UnitError as exc:
                    problems.append((f"{path}.product.fill_unit", str(exc)))
        elif b.product.fill_volume is not None and b.product.fill_unit is None:
            problems.append((f"{path}.product.fill_unit", "fill_volume needs fill_unit"))
    return problems
