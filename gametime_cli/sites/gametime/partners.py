"""The booking form's partners, as a player adds them (gametime-site.md, "Partners").

A member is chosen from the club's roster: the name typed into the row's field, the
page's suggestion that names the member clicked, which fills the row's user id; the
name as given first, then last name first. A guest's row has its guest box ticked, and
the page sets `guestof`. A form without those fields (an older one) takes bare names.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from gametime_cli.sites import page_input
from gametime_cli.sites.gametime.page_requests import PageRequests
from gametime_cli.sites.gametime.scripts import script

ROSTER_WAIT = 1.5
"""How long after typing a name the page may take to start asking its roster."""
FIELD_WAIT = 1.0
"""How long the page may take to fill a row's user id (or `guestof`) after a choice."""


class PartnerNotOffered(Exception):
    """The roster offers no member by that name; what it offered instead."""

    def __init__(self, name: str, offered: list[str]):
        shown = ", ".join(dict.fromkeys(offered)) if offered else "no one"
        super().__init__(f"the club's roster offers no member named {name!r} (for it, "
                         f"it offered: {shown}); check the name, or add them with --guest")
        self.name = name
        self.offered = offered


@dataclass(frozen=True)
class PartnerRow:
    number: int
    member_field: bool
    """The row has a user id field: members are chosen from the roster."""
    guest_box: bool


def name_words(name: str) -> tuple[str, ...]:
    """A name's words, lower case, in order, without punctuation: 'Smith, Jane' ->
    ('smith', 'jane')."""
    return tuple(re.findall(r"[^\W_]+(?:['\u2019-][^\W_]+)*", name.casefold()))


def last_name_first(name: str) -> str:
    """'Jane Smith' -> 'Smith, Jane'; a name already written so is turned round."""
    if "," in name:
        last, _, first = name.partition(",")
        return f"{first.strip()} {last.strip()}".strip()
    words = name.split()
    return f"{words[-1]}, {' '.join(words[:-1])}" if len(words) > 1 else name


def same_person(name: str, offered: str) -> bool:
    """Whether the roster's `offered` name is `name`, in either order."""
    wanted = name_words(name)
    return bool(wanted) and sorted(wanted) == sorted(name_words(offered))


def _field(row: int, part: str) -> str:
    return f'[name="players[{row}][{part}]"]'


async def _value(page: Any, selector: str) -> str:
    return str(await page.evaluate(
        "s => { const el = document.querySelector(s); return el ? el.value : ''; }", selector))


async def _filled(page: Any, selector: str, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while True:
        if await _value(page, selector):
            return True
        if time.monotonic() >= deadline:
            return False
        await page.wait_for_timeout(25)


async def choose_member(page: Any, requests: PageRequests | None, row: PartnerRow,
                        name: str, limit: float) -> None:
    """The member `name` chosen from the roster in `row`'s field: PartnerNotOffered when
    the roster has no such member, page_input.NotTyped when the page won't take it."""
    field = _field(row.number, "name")
    if not row.member_field:
        await page_input.type_text(page, field, name)
        return
    offered: list[str] = []
    for typed in dict.fromkeys([name, last_name_first(name)]):
        since = requests.started if requests is not None else 0
        await page_input.type_text(page, field, typed)
        if requests is not None:
            await requests.settled(since, limit, grace=ROSTER_WAIT)
        suggestions = await _suggestions(page, field)
        offered += [s["words"] for s in suggestions]
        match = next((s for s in suggestions if same_person(name, s["words"])), None)
        if match is None:
            continue
        point = await page_input.click_point(page, match["selector"])
        if point is not None:
            await page_input.click_at(page, point)
        else:
            await page.locator(match["selector"]).first.click(timeout=limit * 1000)
        if await _filled(page, _field(row.number, "user_id"), FIELD_WAIT):
            return
        raise page_input.NotTyped(f"choosing {match['words']!r} from the roster did not "
                                  f"fill the partner's member id")
    raise PartnerNotOffered(name, offered)


async def _suggestions(page: Any, field: str) -> list[dict[str, str]]:
    """The page's suggestions for the field, once it shows them (a moment after the
    roster's answer)."""
    deadline = time.monotonic() + 0.3
    while True:
        found = await page.evaluate(script("suggestions"), field)
        if found or time.monotonic() >= deadline:
            return list(found)
        await page.wait_for_timeout(25)


async def add_guest(page: Any, row: PartnerRow, name: str) -> None:
    """A guest in `row`: the guest box ticked (the page then marks the row a guest's),
    then the name typed."""
    if row.guest_box:
        await page_input.press_radio(page, _field(row.number, "guest"))
    await page_input.type_text(page, _field(row.number, "name"), name)
    if row.guest_box and await page.evaluate(
            "s => !!document.querySelector(s)", _field(row.number, "guestof")) and not (
            await _filled(page, _field(row.number, "guestof"), FIELD_WAIT)):
        raise page_input.NotTyped("ticking the guest box did not mark the row a guest's")
