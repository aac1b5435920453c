"""What a club's site serves, as last read: its courts, its slot times and the durations
its booking form offers; and, in the player's words, what a request asks that it hasn't."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ClubOffer:
    """A club's courts and slots (from the day's JSON) and durations (from its form)."""

    courts: Mapping[int, int] = field(default_factory=dict)
    """Court number, as players know it -> the site's court id."""
    slots: tuple[int, ...] | None = None
    """Start times of the day's slots, minutes since local midnight (the JSON's `t`);
    None when the site doesn't list them."""
    durations: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    """Booking type (singles, doubles) -> the minutes its form offered."""
    read_at: datetime | None = None
    """When the courts were read (UTC)."""
    boxes: tuple[str, ...] = ()
    """The words of the boxes the booking form asks the player to tick (a waiver)."""

    def learnt(self, newer: ClubOffer) -> ClubOffer:
        """This offer brought up to date by `newer`: its courts and slots when it read
        any, and the durations of every type it saw."""
        return ClubOffer(
            courts=newer.courts or self.courts,
            slots=newer.slots if newer.courts else self.slots,
            durations={**self.durations, **newer.durations},
            read_at=newer.read_at if newer.courts else self.read_at,
            boxes=tuple(dict.fromkeys((*newer.boxes, *self.boxes))),
        )


WAIVER_LIKE = re.compile(r"\b(waiver|polic(y|ies)|terms|agree|consent|rules)\b", re.IGNORECASE)
"""The words of a box agreed to ahead, before the club's form was seen."""
AGREEMENT_ASKED = "--accept-waiver"
"""The words by which a booking's last error asks the player to agree to a box of the
club's booking form (`gametime club set NAME --accept-waiver`)."""


LENGTH_NOTE = "booked {booked} minutes, not the {asked} asked for"
"""`length_note`'s words; `output/booking_json` builds the same words in SQL from them."""


def length_note(booked: int | None, asked: int) -> str | None:
    """What a player must be told of a booking the site holds for another length."""
    if booked is None or booked == asked:
        return None
    return LENGTH_NOTE.format(booked=booked, asked=asked)


def agreed_to(words: str, accepted: Any) -> bool:
    """Whether the club's agreement (its `accept_waiver` setting: the words agreed to,
    or None for a box that speaks of a waiver) covers a box with these words."""
    if not isinstance(accepted, dict):
        return False
    wanted = accepted.get("words")
    if wanted:
        listed = [wanted] if isinstance(wanted, str) else list(wanted)
        return _squashed(words) in {_squashed(str(w)) for w in listed}
    return bool(WAIVER_LIKE.search(words))


def _squashed(words: str) -> str:
    return " ".join(words.split()).casefold()


def booking_type(chosen: str | None, partners: int) -> str:
    """singles or doubles: as asked, else by how many partners come along."""
    return chosen or ("doubles" if partners >= 2 else "singles")


def clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def court_ranges_label(numbers: Iterable[int]) -> str:
    """'courts 1-4', 'courts 1-4 and 7', 'court 2'."""
    ordered = sorted(set(numbers))
    runs: list[list[int]] = []
    for number in ordered:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    parts = [f"{r[0]}-{r[-1]}" if len(r) > 2 else ", ".join(map(str, r)) for r in runs]
    return ("court " if len(ordered) == 1 else "courts ") + _either(parts, "and")


def slots_label(slots: tuple[int, ...]) -> str:
    """'slots start every 30 minutes from 07:00 to 22:00', or the times themselves."""
    ordered = sorted(set(slots))
    steps = {b - a for a, b in itertools.pairwise(ordered)}
    if len(steps) == 1 and len(ordered) > 2:
        return (f"slots start every {steps.pop()} minutes from {clock(ordered[0])} to "
                f"{clock(ordered[-1])}")
    shown = [clock(m) for m in ordered[:12]] + (["…"] if len(ordered) > 12 else [])
    return "slots start at " + ", ".join(shown)


def _either(parts: list[str], word: str = "or") -> str:
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} {word} {parts[-1]}"


def court_problem(offer: ClubOffer, club: str, courts: Iterable[int]) -> str | None:
    """'court 9: Riverside has courts 1-4', when a court asked for isn't the club's."""
    if not offer.courts:
        return None
    missing = [c for c in courts if c not in offer.courts]
    if not missing:
        return None
    asked = ("court " if len(missing) == 1 else "courts ") + ", ".join(map(str, missing))
    return f"{asked}: {club} has {court_ranges_label(offer.courts)}"


def time_problem(offer: ClubOffer, club: str, minutes: int) -> str | None:
    """'19:10 is not a slot at Riverside; slots start every 30 minutes from 07:00 …'."""
    if not offer.slots or minutes in offer.slots:
        return None
    return f"{clock(minutes)} is not a slot at {club}; {slots_label(offer.slots)}"


def duration_problem(offer: ClubOffer, club: str, minutes: int,
                     booking_type: str) -> str | None:
    """'duration 120: Riverside offers 60 or 90 minutes', once its form has shown them."""
    offered = offer.durations.get(booking_type)
    if not offered or minutes in offered:
        return None
    others = {t: d for t, d in offer.durations.items() if d}
    kind = f" for {booking_type}" if len(set(others.values())) > 1 else ""
    return (f"duration {minutes}: {club} offers "
            f"{_either([str(m) for m in sorted(offered)])} minutes{kind}")


def request_problems(offer: ClubOffer | None, club: str, *, courts: Iterable[int],
                     times: Iterable[int], duration: int, booking_type: str) -> list[str]:
    """What a request asks that the club, as last read, doesn't have; nothing when
    nothing has been read."""
    if offer is None:
        return []
    found = [court_problem(offer, club, courts),
             *(time_problem(offer, club, m) for m in times),
             duration_problem(offer, club, duration, booking_type)]
    return [p for p in found if p]
