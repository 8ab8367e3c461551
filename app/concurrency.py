"""ETag / If-Match for mutable resources (412 on mismatch).

A resource with a `version` column has the strong ETag `"v<version>"`. Reads send it; a write
with `If-Match` proceeds only if it still matches (`*` matches anything). Without `If-Match`
the write proceeds (last writer wins), as HTTP allows.
"""

from typing import Annotated

from fastapi import Header, Response

from app.errors import PreconditionFailed

IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='the ETag you last read, e.g. "v3"; the write fails with 412 if it changed',
    ),
]
IfNoneMatch = Annotated[
    str | None,
    Header(alias="If-None-Match", description="an ETag you hold; 304 if it is still current"),
]


def etag(version: int) -> str:
    return f'"v{version}"'


def _tags(header: str) -> list[str]:
    return [t.strip() for t in header.split(",") if t.strip()]


def check_if_match(if_match: str | None, version: int, *, what: str) -> None:
    if if_match is None:
        return
    tags = _tags(if_match)
    current = etag(version)
    if "*" in tags or current in tags:  # strong comparison: a weak W/ tag never matches
        return
    raise PreconditionFailed(
        f"{what} has changed: If-Match {if_match} does not match its current ETag {current}",
        current_etag=current,
    )


def not_modified(if_none_match: str | None, version: int) -> bool:
    if if_none_match is None:
        return False
    tags = [t.removeprefix("W/") for t in _tags(if_none_match)]
    return "*" in tags or etag(version) in tags


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = etag(version)
