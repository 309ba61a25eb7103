"""One pagination style for every list: ``limit`` + an opaque ``cursor`` -> ``next_cursor``.

A cursor is the keyset position after the last row of a page (the values of the sort
key), tagged with the list it belongs to, base64url-encoded so clients treat it as
opaque. Every page is one indexed query whatever the size of the table; a cursor from
another list or a hand-made one is a 422 on ``cursor``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.core.errors import Unprocessable


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int
    cursor: str | None


def encode_cursor(kind: str, position: Sequence[Any]) -> str:
    raw = json.dumps([kind, *position], separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str, *, arity: int = 1) -> list[Any]:
    """The position a cursor of list ``kind`` stands for; 422 if it is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
        if not isinstance(value, list) or len(value) != arity + 1 or value[0] != kind:
            raise ValueError("foreign cursor")
        return value[1:]
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise Unprocessable(
            "The cursor is not one this list gave out; start without it.",
            errors=[{"parameter": "cursor", "detail": "not a cursor of this list"}],
        ) from exc


def int_position(kind: str, cursor: str | None) -> int | None:
    """The last id of the previous page of a list ordered by an integer id."""
    if cursor is None:
        return None
    (last,) = decode_cursor(kind, cursor)
    if isinstance(last, bool) or not isinstance(last, int) or not 0 <= last < 2**31:
        raise Unprocessable(
            "The cursor is not one this list gave out; start without it.",
            errors=[{"parameter": "cursor", "detail": "not a cursor of this list"}],
        )
    return last


def str_position(kind: str, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    (last,) = decode_cursor(kind, cursor)
    if not isinstance(last, str) or len(last) > 200:
        raise Unprocessable(
            "The cursor is not one this list gave out; start without it.",
            errors=[{"parameter": "cursor", "detail": "not a cursor of this list"}],
        )
    return last
