"""Text the service stores and prints: names with letters in them, reasons with words.

Control characters, zero-width and other invisible format characters, private-use and
unassigned code points are refused in every such field: they make a name that looks like
another, or a contract that prints differently from what was stored.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator

_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

def _clean(value: str) -> str:
    for ch in value:
        if unicodedata.category(ch) in _INVISIBLE and ch not in "\t":
            raise ValueError(f"contains an invisible or control character (U+{ord(ch):04X})")
    return " ".join(value.split())

def _has_letters(value: str) -> str:
    value = _clean(value)
    if not any(ch.isalpha() for ch in value):
        raise ValueError("must contain letters")
    return value

def _has_words(value: str) -> str:
    value = _clean(value)
    if sum(ch.isalpha() for ch in value) < 3:
        raise ValueError("must say why, in words")
    return value

def _plain(value: str) -> str:
    return _clean(value)

#: A person's or a programme's name: letters required, whitespace collapsed.
Name = Annotated[str, AfterValidator(_has_letters)]
#: A reason a person gives (a risk decision): at least a few letters.
Reason = Annotated[str, AfterValidator(_has_words)]
#: Any other stored text: visible characters only, whitespace collapsed.
PlainText = Annotated[str, AfterValidator(_plain)]
