"""SPEC §2: at most `max_groups_per_generic` groups per generic name (同通用名药品分组原则上不超过2个),
checked alike for a round document and for the service's catalog."""

import unicodedata
from collections.abc import Iterable, Sequence


def generic_key(name: str) -> str:
    """What makes two spellings one generic name: case (Amlodipine, AMLODIPINE), full-width
    letters (ＡＭＬ) and runs of spaces do not."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def generic_name_problems(
    groups: Iterable[tuple[str, Sequence[str]]], max_per_generic: int
) -> list[str]:
    """One message per generic name over the limit, naming it (as first written) and its
    groups, in the order given."""
    by_key: dict[str, tuple[str, list[str]]] = {}
    for group_id, names in groups:
        for key, name in {generic_key(n): n for n in reversed(names)}.items():
            entry = by_key.setdefault(key, (name, []))
            if group_id not in entry[1]:
                entry[1].append(group_id)
    return [
        f"generic name {name!r} would have {len(ids)} groups ({', '.join(ids)}); "
        f"at most {max_per_generic} allowed"
        for name, ids in sorted(by_key.values())
        if len(ids) > max_per_generic
    ]
