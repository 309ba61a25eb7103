"""Input no field of the service may carry, refused before any rule or database sees it.

PostgreSQL cannot store NUL in text (psycopg raises ``DataError``) and no UTF-8 database
can store a lone surrogate; SQLite would store both and hand them back to the next
reader. Both are refused alike, as a 422 that points at the field. Query parameters a
route does not declare are refused too, so a misspelt filter is never silently ignored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request

from app.core.errors import Unprocessable

# JSON escapes of NUL and of UTF-16 surrogates; a body without them needs no parsing.
_SUSPECT_ESCAPE = re.compile(rb"\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_BAD_CHAR = re.compile("[\x00\ud800-\udfff]")


def _pointer(path: Iterable[str | int]) -> str:
    return "#/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _bad_strings(value: Any, path: tuple[str | int, ...] = ()) -> Iterable[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, str):
        if _BAD_CHAR.search(value):
            yield path, "value"
    elif isinstance(value, dict):
        for k, v in value.items():
            if _BAD_CHAR.search(k):
                yield (*path, k), "name"
            yield from _bad_strings(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _bad_strings(v, (*path, i))


def refuse_unstorable_text(request: Request, body: bytes) -> None:
    """422 for NUL or a lone surrogate in the query, the path or the JSON body."""
    errors: list[dict[str, str]] = []
    for name, value in request.query_params.multi_items():
        if _BAD_CHAR.search(name) or _BAD_CHAR.search(value):
            errors.append({"parameter": name, "detail": "contains NUL or an unpaired surrogate"})
    for name, value in request.path_params.items():
        if isinstance(value, str) and _BAD_CHAR.search(value):
            errors.append({"parameter": name, "detail": "contains NUL or an unpaired surrogate"})
    if b"\x00" in body or _SUSPECT_ESCAPE.search(body):
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError, RecursionError):
            parsed = None  # not JSON at all: the body's own validation answers that
        for path, what in _bad_strings(parsed):
            errors.append({"pointer": _pointer(path), "detail": f"the {what} contains NUL or an unpaired surrogate"})
    if errors:
        raise Unprocessable(
            "Text with NUL or unpaired surrogate characters cannot be stored.",
            errors=errors,
        )


def refuse_unknown_query(request: Request, known: frozenset[str]) -> None:
    unknown = sorted({name for name in request.query_params if name not in known})
    if unknown:
        raise Unprocessable(
            f"Unknown query parameter(s): {', '.join(unknown)[:200]}.",
            errors=[{"parameter": name[:100], "detail": "this operation takes no such parameter"} for name in unknown],
        )
