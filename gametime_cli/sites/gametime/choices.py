"""The booking form's durations, by value or by label ("90 minutes", "1.5 hours")."""

from __future__ import annotations

import re


def offered_minutes(options: list[dict[str, str]] | None) -> tuple[int, ...]:
    """The durations a form's select lists, in minutes (its placeholder left out)."""
    found = []
    for option in options or []:
        value = option["value"].strip()
        minutes = label_minutes(option["label"]) or (int(value) if value.isdigit() else None)
        if minutes:
            found.append(minutes)
    return tuple(sorted(set(found)))


def choose_duration(minutes: int,
                     options: list[dict[str, str]] | None) -> tuple[str | None, str | None]:
    """The duration option's value for `minutes` (by value or label), else what the
    form offers instead. A form without a duration choice needs none."""
    if options is None:
        return None, None
    for option in options:
        if option["value"] == str(minutes) or label_minutes(option["label"]) == minutes:
            return option["value"], None
    offered = [" ".join(o["label"].split()) or o["value"] for o in options]
    return None, (f"the site offers no {minutes}-minute booking here "
                  f"(it offers: {', '.join(offered)})")


def label_minutes(label: str) -> int | None:
    """'90 minutes' -> 90, '1.5 hours' -> 90, '1 hour' -> 60."""
    found = re.match(r"^\s*(\d+(?:\.\d+)?)\s*(min|minutes?|h|hours?|hr)\b", label.lower())
    if not found:
        return None
    amount = float(found.group(1))
    return round(amount * 60) if found.group(2).startswith("h") else round(amount)
