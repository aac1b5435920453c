"""Boxes the player must tick on the booking form: a waiver, a club's policy.

The tool ticks such a box only where the player agreed, once for the club, to its words
(`gametime club set NAME --accept-waiver`): the words agreed to, or, agreed before any
form was seen, any box whose words speak of a waiver, policy or terms. Any other field
the browser's own check (`checkValidity`) finds unfilled stops the booking before the
save, named by its label, rather than a submit that never leaves the page.
"""

from __future__ import annotations

import re
from typing import Any

WAIVER_LIKE = re.compile(r"\b(waiver|polic(y|ies)|terms|agree|consent|rules)\b", re.IGNORECASE)


def squashed(words: str) -> str:
    return " ".join(words.split()).casefold()


def agreed_to(words: str, accepted: Any) -> bool:
    """Whether the club's accepted agreement covers a box with these words."""
    if not isinstance(accepted, dict):
        return False
    wanted = accepted.get("words")
    if wanted:
        listed = [wanted] if isinstance(wanted, str) else list(wanted)
        return squashed(words) in {squashed(str(w)) for w in listed}
    return bool(WAIVER_LIKE.search(words))
