"""The sandbox's knobs for the site as recorded (gametime-site.md), each shown on and off:
the hold that follows the form, the bookerror page's words, a booking's two numbers, the
cancel page's two buttons and dialog, scripts from another origin, roster partners and
guests, the waiver box, and the day's JSON as recorded.

Over HTTP with the clean client of test_sandbox.py; a few tests drive the pages' own
scripts in Chromium (marked `browser`). Every date comes from the test's one instant (the
`day` fixture: tomorrow, open since long).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from datetime import date, datetime
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import pytest

from gametime_cli.sandbox import SandboxConfig, SandboxSite
from gametime_cli.sandbox.pages import (
    BACK_TO_BOOKINGS,
    CANCEL_BUTTON,
    CANCEL_QUESTION,
    CANCEL_THIS_BOOKING,
    NOT_AVAILABLE_TITLE,
    WAIVER_WORDS,
)
from gametime_cli.sandbox.state import (
    ALREADY_BOOKED,
    CANCEL_NOT_CONFIRMED,
    HELD_BY_ANOTHER,
    HOLD_EXPIRED,
    HOLD_UPDATED,
    LATER_UPDATE,
    NO_DURATION,
    NO_LONGER_AVAILABLE,
    NO_TYPE,
    NO_WAIVER,
    NOT_AVAILABLE,
    NOT_FREE_FOR_DURATION,
    NOT_VALIDATED,
    PLEASE_WAIT,
    RECORDED,
    TIME_LABEL,
)
from tests.support import debian, missing_part
from tests.test_sandbox import (
    BOOKERROR,
    SAVE,
    XHR,
    Client,
    Reply,
    _site_clock_near_opening,
    book_path,
    filled,
    form_fields,
    load_form,
)

if TYPE_CHECKING:
    from playwright.sync_api import Dialog, Page

CONFIRMED = "/scheduling/confirmation/history/sport/1/id/"
MakeSite = Callable[..., SandboxSite]


def logged_in(site: SandboxSite, username: str = "member", password: str = "secret") -> Client:
    client = Client(site.base_url, site.config.timezone)
    client.login(username, password)
    return client


def confirmation_number(reply: Reply) -> int:
    """The number a successful save's redirect carries."""
    assert reply.status == 302 and (reply.location or "").startswith(CONFIRMED), reply.text
    return int(reply.location.removeprefix(CONFIRMED))


def book(client: Client, site: SandboxSite, court: int, day: date, minutes: int,
         **choices: str) -> Reply:
    """Load the form and post it filled in (singles, an hour, a partner by name)."""
    form = load_form(client, site, court, day, minutes)
    return client.post(SAVE, {**filled(client.signed_form(form)), **choices})


def test_the_default_is_the_recorded_site_and_simple_the_older_one() -> None:
    recorded, simple = SandboxConfig.as_recorded(seed=3), SandboxConfig.simple()
    for name, value in RECORDED.items():
        assert getattr(recorded, name) == getattr(SandboxConfig(), name) == value
        assert getattr(simple, name) != value
    assert recorded.seed == 3
    assert SandboxConfig.as_recorded(cancel_steps=1).cancel_steps == 1


# The day's JSON as recorded

def test_the_days_json_as_recorded(make_simple_site: MakeSite, day: date) -> None:
    site = make_simple_site(json_as_recorded=True)
    client = logged_in(site)
    site.add_booking(2, day, 1140, 90, user_id=4512, name="Smith, Jane")
    data = client.day_json(day)
    assert "t" not in data  # no top-level list of slot times
    assert {"e", "m", "q", "c", "g"} <= set(data)
    court = data["e"][1]
    assert [(s["t"], s["d"]) for s in court["t"]] == [(360, 1410 - 360)]  # 06:00 to 23:30
    assert all(isinstance(s["i"], int) for c in data["e"] for s in c["t"])
    assert court["b"][0]["t"] == 1140 and court["b"][0]["d"] == 90
    assert court["b"][0]["p"] == [{"n": "Smith, Jane", "u": 4512}]
    types = data["m"]
    assert set(types) == {"13", "1"}
    assert (types["13"]["n"], types["13"]["d"], types["1"]["n"]) == ("Singles", 60, "Doubles")
    assert all({"conf_id", "d", "n", "color", "fees"} <= set(t) for t in types.values())
    assert sorted(data["g"][0]["c"]) == sorted(c["i"] for c in data["e"])


def test_the_days_json_as_before(make_simple_site: MakeSite, day: date) -> None:
    data = logged_in(make_simple_site()).day_json(day)
    assert set(data) == {"e", "t"} and data["t"][:2] == [360, 390]
    assert all("t" not in court for court in data["e"])
    recorded = logged_in(make_simple_site(json_as_recorded=True, slot_times=False)).day_json(day)
    assert "t" not in recorded and all("t" in court for court in recorded["e"])


# A booking's two numbers

def test_two_numbers_bkid_and_confirmation(make_simple_site: MakeSite, day: date) -> None:
    site = make_simple_site(two_numbers=True)
    client = logged_in(site)
    number = confirmation_number(book(client, site, 3, day, 1140))
    [booking] = site.bookings()
    bk_id = booking["id"]
    assert booking["confirmation"] == number != bk_id
    assert 10000 <= bk_id <= 12000 and 278000 <= number <= 280000

    [entry] = client.day_json(day)["e"][2]["b"]
    assert (entry["bkId"], entry["c"]) == (bk_id, number)
    shown = client.get(CONFIRMED + str(number))
    assert f'<strong class="confirmation">{number}</strong>' in shown.text
    assert client.get(CONFIRMED + str(bk_id)).status == 404
    assert site.saves()[-1]["booking_id"] == bk_id
    assert site.saves()[-1]["confirmation"] == number

    home = client.get("/").text  # the awkward case: the home page's ids are bkIds
    assert f'data-booking-id="{bk_id}"' in home
    assert f'href="/scheduling/index/cancel/id/{bk_id}"' in home
    assert f"/cancel/id/{number}" not in home
    assert client.get(f"/scheduling/index/cancel/id/{number}").status == 404
    assert client.post(f"/scheduling/index/cancel/id/{bk_id}", {}).location == "/"
    assert site.bookings() == []


def test_two_numbers_off_one_number(make_simple_site: MakeSite, day: date) -> None:
    site = make_simple_site()
    client = logged_in(site)
    number = confirmation_number(book(client, site, 3, day, 1140))
    [entry] = client.day_json(day)["e"][2]["b"]
    assert entry["bkId"] == number and "c" not in entry
    assert site.bookings()[0]["id"] == site.bookings()[0]["confirmation"] == number
    assert f'data-booking-id="{number}"' in client.get("/").text


def test_add_booking_returns_the_bkid(make_simple_site: MakeSite, day: date) -> None:
    site = make_simple_site(two_numbers=True)
    bk_id = site.add_booking(1, day, 600)
    other = site.add_booking(1, day, 720)
    assert [b["id"] for b in site.bookings()] == [bk_id, other]
    numbers = [b["confirmation"] for b in site.bookings()]
    assert len({*numbers, bk_id, other}) == 4
    [entry, _] = logged_in(site).day_json(day)["e"][0]["b"]
    assert re.fullmatch(r"\d{5}", str(entry["bkId"])) and entry["c"] == numbers[0]


# The bookerror page's words

def bookerror_text(client: Client) -> str:
    page = client.get(BOOKERROR)
    assert page.status == 200 and f"<title>{NOT_AVAILABLE_TITLE} - " in page.text
    return page.text


def test_every_refusal_of_the_book_url_goes_to_bookerror_which_tells_which(
        make_simple_site: MakeSite, now: datetime) -> None:
    day, opens_at, offset = _site_clock_near_opening(now, ZoneInfo("America/Toronto"), -5)
    site = make_simple_site(bookerror_words=True, opens_at=opens_at, clock_offset=offset)
    client = logged_in(site)
    reply = client.get(book_path(site, 1, day, 1140))
    assert (reply.status, reply.location) == (302, BOOKERROR)
    early = bookerror_text(client)
    assert PLEASE_WAIT in early and TIME_LABEL in early
    seconds = int(re.search(r'id="countdown" data-seconds="(\d+)">([\d:]+)<', early).group(1))
    assert 295 <= seconds <= 300  # five minutes to the opening
    assert re.search(r'id="countdown" data-seconds="\d+">00:0[45]:\d\d<', early)

    site.set_clock_offset(offset + 600)  # open now
    site.hold_for_other_member(1, day, 1140)
    reply = client.get(book_path(site, 1, day, 1140))
    assert (reply.status, reply.location) == (302, BOOKERROR)
    held = bookerror_text(client)
    assert HELD_BY_ANOTHER in held and PLEASE_WAIT not in held

    site.add_booking(2, day, 1140)
    assert client.get(book_path(site, 2, day, 1140)).location == BOOKERROR
    booked = bookerror_text(client)
    assert NO_LONGER_AVAILABLE in booked and HELD_BY_ANOTHER not in booked

    form = load_form(client, site, 3, day, 1140)
    assert NOT_AVAILABLE in bookerror_text(client)  # nothing refused since that form
    assert client.post(SAVE, filled(form)).location == BOOKERROR  # no token
    assert NOT_VALIDATED in bookerror_text(client)
    assert site.form_loads()[0]["court"] == 3 and site.bookings()[0]["court"] == 2


def test_without_bookerror_words_held_and_booked_answer_a_page(
        make_simple_site: MakeSite, now: datetime, day: date) -> None:
    site = make_simple_site()
    client = logged_in(site)
    site.hold_for_other_member(1, day, 1140)
    site.add_booking(2, day, 1140)
    held, booked = client.get(book_path(site, 1, day, 1140)), client.get(
        book_path(site, 2, day, 1140))
    assert held.status == booked.status == 200
    assert HELD_BY_ANOTHER in held.text and ALREADY_BOOKED in booked.text
    early_day, opens_at, offset = _site_clock_near_opening(now, ZoneInfo("America/Toronto"), -5)
    early = make_simple_site(opens_at=opens_at, clock_offset=offset)
    client = logged_in(early)
    assert client.get(book_path(early, 1, early_day, 1140)).location == BOOKERROR
    page = client.get(BOOKERROR).text
    assert "Booking not open yet" in page and PLEASE_WAIT not in page


# The waiver box

def test_the_waiver_is_a_box_to_tick(make_simple_site: MakeSite, day: date) -> None:
    site = make_simple_site(waiver=True)
    client = logged_in(site)
    page = client.get(book_path(site, 1, day, 1140)).text
    box = form_fields(page).attributes["bookingWaiverPolicy"]
    assert (box["type"], box["value"], "required" in box) == ("checkbox", "true", True)
    assert f'<label for="waiver">{escape(WAIVER_WORDS)}</label>' in page
    form = form_fields(page).fields
    del form["bookingWaiverPolicy"]  # left unticked: a checkbox posts nothing
    refused = client.post(SAVE, filled(client.signed_form(form)))
    assert refused.status == 200 and f'<div class="error">{NO_WAIVER}</div>' in refused.text
    assert site.bookings() == []
    ticked = {**form, "bookingWaiverPolicy": "true"}
    assert confirmation_number(client.post(SAVE, filled(client.signed_form(ticked))))


def test_without_the_waiver_knob_the_field_is_hidden_and_not_checked(
        make_simple_site: MakeSite, day: date) -> None:
    site = make_simple_site()
    client = logged_in(site)
    page = client.get(book_path(site, 1, day, 1140)).text
    assert escape(WAIVER_WORDS) not in page
    form = form_fields(page).fields
    assert form_fields(page).attributes["bookingWaiverPolicy"]["type"] == "hidden"
    del form["bookingWaiverPolicy"]
    assert confirmation_number(client.post(SAVE, filled(client.signed_form(form))))


# The cancel page's two buttons and its dialog

def test_a_cancel_needs_the_dialogs_confirmation(make_simple_site: MakeSite, day: date) -> None:
    site = make_simple_site(cancel_steps=2)
    client = logged_in(site)
    mine = site.add_booking(1, day, 1140, user_id=4411, name="Member, Test")
    link = f"/scheduling/index/cancel/id/{mine}"
    page = client.get(link).text
    buttons = re.findall(r"<button[^>]*>([^<]+)</button>", page)
    assert buttons == [BACK_TO_BOOKINGS, CANCEL_THIS_BOOKING]
    assert 'action="/"' in page and f'action="{link}"' in page
    assert form_fields(page).fields["confirmed"] == ""

    assert client.get("/").status == 200  # "Back to my bookings"
    refused = client.post(link, {})  # the button pressed, the dialog not accepted
    assert refused.status == 200 and CANCEL_NOT_CONFIRMED in refused.text
    assert client.post(link, {"confirmed": ""}).status == 200
    assert [b["id"] for b in site.bookings()] == [mine]
    assert (client.post(link, {"confirmed": "1"}).location) == "/"
    assert site.bookings() == []
    assert [(c["confirmed"], c["outcome"]) for c in site.cancels()] == [
        (None, "not confirmed in the dialog"), ("", "not confirmed in the dialog"),
        ("1", "cancelled")]


def test_one_step_cancel_as_before(make_simple_site: MakeSite, day: date) -> None:
    site = make_simple_site()
    client = logged_in(site)
    mine = site.add_booking(1, day, 1140, user_id=4411, name="Member, Test")
    page = client.get(f"/scheduling/index/cancel/id/{mine}").text
    assert re.findall(r"<button[^>]*>([^<]+)</button>", page) == [CANCEL_BUTTON]
    assert "confirm(" not in page
    assert client.post(f"/scheduling/index/cancel/id/{mine}", {}).location == "/"
    assert site.bookings() == []
    with pytest.raises(ValueError, match="cancel_steps"):
        SandboxSite(SandboxConfig(cancel_steps=3))


# The hold that follows the form

UPDATE = "/scheduling/index/updatetemp"


def update_hold(client: Client, form: dict[str, str], rtype: str = "1",
                duration: str = "90") -> dict:
    """What the form's script posts when the type or duration changes; its JSON answer."""
    reply = client.post(UPDATE, {"temp": form["temp"], "rtype": rtype, "duration": duration},
                        XHR)
    assert reply.status == 200, reply.text
    return json.loads(reply.text)


def test_the_form_says_what_it_holds(make_simple_site: MakeSite, day: date) -> None:
    site = make_simple_site(hold_follows_form=True)
    page = logged_in(site).get(book_path(site, 1, day, 1140)).text
    assert "Your temporary booking will be held for 5:00 minutes" in page
    assert re.search(r'id="hold-summary" data-rtype="13" data-duration="60">Singles, 1 hour<',
                     page)
    assert [(h["rtype"], h["duration"]) for h in site.holds()] == [(13, 60)]


def test_a_save_before_the_hold_update_books_the_holds_hour_of_singles(
        make_simple_site: MakeSite, day: date) -> None:
    site = make_simple_site(hold_follows_form=True)
    client = logged_in(site)
    form = load_form(client, site, 1, day, 1140)
    answers: list[dict] = []
    updating = threading.Thread(target=lambda: answers.append(update_hold(client, form)))
    updating.start()  # doubles, 90 minutes: lands half a second later
    saved = client.post(SAVE, filled(client.signed_form(form), rtype="1", duration="90"))
    updating.join()
    assert confirmation_number(saved)  # a normal confirmation
    [booking] = site.bookings()
    assert (booking["rtype"], booking["duration"]) == (13, 60)  # not what was posted
    assert (site.saves()[-1]["held_rtype"], site.saves()[-1]["held_duration"]) == (13, 60)
    assert answers == [{"code": 404, "msg": HOLD_EXPIRED}]  # the hold was spent by then


def test_a_save_after_the_hold_update_books_what_it_holds(make_simple_site: MakeSite,
                                                          day: date) -> None:
    site = make_simple_site(hold_follows_form=True)
    client = logged_in(site)
    form = load_form(client, site, 2, day, 1140)
    started = time.monotonic()
    answer = update_hold(client, form, "1", "90")
    assert time.monotonic() - started >= site.config.hold_update_delay > 0  # it takes its time
    assert answer == {"code": 200, "msg": HOLD_UPDATED, "temp": int(form["temp"]),
                      "rtype": 1, "duration": 90, "summary": "Doubles, 1.5 hours"}
    # The posted fields don't count: the hold does.
    assert confirmation_number(client.post(SAVE, filled(client.signed_form(form))))
    [booking] = site.bookings()
    assert (booking["rtype"], booking["duration"]) == (1, 90)
    assert site.saves()[-1]["held_duration"] == 90
    [update] = site.hold_updates()
    assert (update["temp"], update["rtype"], update["duration"], update["applied"]) == (
        int(form["temp"]), 1, 90, True)
    assert update["at"] - update["asked_at"] == pytest.approx(site.config.hold_update_delay,
                                                            abs=0.2)


def test_hold_updates_an_empty_field_keeps_the_held_one_and_order_of_arrival_wins(
        make_simple_site: MakeSite, day: date) -> None:
    site = make_simple_site(hold_follows_form=True, hold_update_delay=0)
    client = logged_in(site)
    form = load_form(client, site, 2, day, 1140)
    assert update_hold(client, form, "1", "")["duration"] == 60  # a type, no length yet
    assert update_hold(client, form, "", "120")["rtype"] == 1
    assert update_hold(client, form, "7", "60") == {"code": 400, "msg": NO_TYPE}
    assert update_hold(client, form, "13", "45") == {"code": 400, "msg": NO_DURATION}
    site.set_hold_update_delay(0.4)  # the first update waits longer than the second
    answers: list[dict] = []
    first = threading.Thread(target=lambda: answers.append(update_hold(client, form, "1", "90")))
    first.start()
    time.sleep(0.15)  # it has arrived, and waits
    site.set_hold_update_delay(0)
    assert update_hold(client, form, "13", "30")["duration"] == 30
    first.join()
    assert (answers[0]["msg"], answers[0]["duration"]) == (LATER_UPDATE, 30)
    assert [(h["rtype"], h["duration"]) for h in site.holds()] == [(13, 30)]
    assert [u["applied"] for u in site.hold_updates()] == [True, True, False, False, True, False]


def test_the_holds_length_is_checked_at_save_time(make_simple_site: MakeSite, day: date) -> None:
    site = make_simple_site(hold_follows_form=True, hold_update_delay=0)
    client = logged_in(site)
    site.add_booking(3, day, 1200)
    form = load_form(client, site, 3, day, 1140)
    assert update_hold(client, form, "1", "90")["code"] == 200  # accepted here
    refused = client.post(SAVE, filled(client.signed_form(form), duration="60"))
    assert refused.status == 200 and NOT_FREE_FOR_DURATION in refused.text
    assert update_hold(client, form, "1", "60")["code"] == 200
    assert confirmation_number(client.post(SAVE, filled(client.signed_form(form))))


def test_a_hold_update_is_the_pages_own_background_request(make_simple_site: MakeSite,
                                                           day: date) -> None:
    site = make_simple_site(hold_follows_form=True, hold_update_delay=0)
    client, other = logged_in(site), Client(site.base_url)
    form = load_form(client, site, 1, day, 1140)
    fields = {"temp": form["temp"], "rtype": "1", "duration": "90"}
    assert client.post(UPDATE, fields).status == 400  # not a script's
    assert client.post(UPDATE, fields, {**XHR, "Origin": "https://elsewhere.example"}
                       ).status == 403
    assert other.post(UPDATE, fields, XHR).location == "/auth"
    other.login()  # the same member, another session: not its hold
    assert update_hold(other, form)["code"] == 404
    assert [(h["rtype"], h["duration"]) for h in site.holds()] == [(13, 60)]


def test_without_the_knob_the_posted_type_and_duration_are_booked(make_simple_site: MakeSite,
                                                                  day: date) -> None:
    site = make_simple_site()
    client = logged_in(site)
    page = client.get(book_path(site, 1, day, 1140)).text
    assert "temporary booking will be held" not in page
    form = form_fields(page).fields
    assert client.post(UPDATE, {"temp": form["temp"]}, XHR).status == 404
    confirmation_number(client.post(SAVE, filled(client.signed_form(form), "1", "90")))
    assert (site.bookings()[0]["rtype"], site.bookings()[0]["duration"]) == (1, 90)
    assert site.saves()[-1]["held_duration"] is None


# Partners from the roster, or guests

ROSTER = "/scheduling/index/rostersearch"


def roster_names(client: Client, query: str) -> list[tuple[int, str]]:
    reply = client.get(f"{ROSTER}?{urlencode({'q': query})}", XHR)
    assert reply.status == 200, reply.text
    return [(m["id"], m["n"]) for m in json.loads(reply.text)["results"]]


def test_the_roster_search(make_simple_site: MakeSite) -> None:
    site = make_simple_site(roster=True)
    client = logged_in(site)
    assert roster_names(client, "smi") == [(4512, "Smith, Jane")]
    assert roster_names(client, " JANE ") == [(4512, "Smith, Jane")]  # a first name too
    assert roster_names(client, "smith, j") == [(4512, "Smith, Jane")]
    assert roster_names(client, "mem") == [(4411, "Member, Test")]  # the site's users
    assert roster_names(client, "l") == []  # too short to ask
    assert roster_names(client, "ith") == []  # a word's start, not its middle
    assert [n for _, n in roster_names(client, "ng")] == ["Nguyen, Ann"]
    assert client.get(f"{ROSTER}?q=smi").status == 400  # a script's request only
    assert Client(site.base_url).get(f"{ROSTER}?q=smi", XHR).location == "/auth"
    assert logged_in(make_simple_site()).get(f"{ROSTER}?q=smi", XHR).status == 404  # knob off


def test_the_partner_rows_carry_a_members_or_a_guests_fields(make_simple_site: MakeSite,
                                                             day: date) -> None:
    site = make_simple_site(roster=True)
    page = logged_in(site).get(book_path(site, 1, day, 1140)).text
    parsed = form_fields(page)
    for n in (2, 3, 4):
        names = [f"players[{n}][{part}]" for part in ("user_id", "name", "guest", "guestof")]
        assert all(name in parsed.attributes for name in names)
        assert [parsed.attributes[name]["type"] for name in names] == [
            "hidden", "text", "checkbox", "hidden"]
        assert parsed.fields[names[0]] == parsed.fields[names[3]] == ""
        assert f'<label for="guest-{n}">Guest</label>' in page
    order = re.findall(r'name="(players\[2\]\[\w+\])"', page)
    assert order == ["players[2][user_id]", "players[2][name]", "players[2][guest]",
                     "players[2][guestof]"]


def roster_save(client: Client, site: SandboxSite, day: date, court: int = 1,
                **partner: str) -> Reply:
    """A save with player 2's fields as given (the rest of the form as loaded)."""
    form = load_form(client, site, court, day, 1140)
    fields = {**filled(client.signed_form(form)), "players[2][name]": ""}
    fields.update({f"players[2][{part}]": value for part, value in partner.items()})
    return client.post(SAVE, fields)


@pytest.mark.parametrize("partner", [
    {"name": "Partner, Sam"},  # a bare name, as before
    {"name": "Smith, Jane"},  # a member's name without the member's id
    {"name": "Smith, Janet", "user_id": "4512"},  # an id with another name
    {"name": "Smith, Jane", "user_id": "4512", "guest": "on"},
    {"name": "Pat Doe", "guest": "on"},  # a guest without guestof
    {"name": "Pat Doe", "guest": "on", "guestof": "1", "user_id": "4512"},
    {"name": "Pat Doe", "user_id": "9999"},  # no one on the roster
])
def test_a_partner_neither_member_nor_guest_is_not_validated(
        make_simple_site: MakeSite, day: date, partner: dict[str, str]) -> None:
    site = make_simple_site(roster=True)
    client = logged_in(site)
    reply = roster_save(client, site, day, **partner)
    assert (reply.status, reply.location) == (302, BOOKERROR)
    assert NOT_VALIDATED in client.get(BOOKERROR).text
    assert site.bookings() == []
    assert site.saves()[-1]["reason"] == (
        "not validated: player 2 is neither a roster member nor a guest")


def test_a_member_partner_and_a_guest_are_booked_as_such(make_simple_site: MakeSite,
                                                         day: date) -> None:
    site = make_simple_site(roster=True)
    client = logged_in(site)
    assert confirmation_number(roster_save(client, site, day, 1, name="Smith, Jane",
                                           user_id="4512"))
    assert confirmation_number(roster_save(client, site, day, 2, name="Doe, Pat", guest="on",
                                           guestof="1"))
    member, guest = (b["players"][1] for b in site.bookings())
    assert member == {"name": "Smith, Jane", "u": 4512, "guest": False}
    assert guest == {"name": "Doe, Pat", "u": 0, "guest": True}
    courts = client.day_json(day)["e"]
    assert courts[0]["b"][0]["p"][1] == {"n": "Smith, Jane", "u": 4512}
    assert courts[1]["b"][0]["p"] == [{"n": "Member, Test", "u": 4411}, {"n": "Doe, Pat"}]
    shown = client.get(CONFIRMED + str(site.bookings()[1]["confirmation"])).text
    assert "<li>Doe, Pat (guest)</li>" in shown


def test_a_refused_partner_keeps_the_hold(make_simple_site: MakeSite, day: date) -> None:
    site = make_simple_site(roster=True)
    client = logged_in(site)
    form = load_form(client, site, 1, day, 1140)
    bare = filled(client.signed_form(form))  # "Partner, Sam", a bare name
    assert client.post(SAVE, bare).location == BOOKERROR
    chosen = {**filled(client.signed_form(form)), "players[2][name]": "Lee, Sam",
              "players[2][user_id]": "4513"}
    assert confirmation_number(client.post(SAVE, chosen))


def test_without_the_roster_partners_are_bare_names(make_simple_site: MakeSite, day: date) -> None:
    site = make_simple_site()
    client = logged_in(site)
    page = client.get(book_path(site, 1, day, 1140)).text
    assert "players[2][user_id]" not in page and "players[2][guest]" not in page
    assert confirmation_number(client.post(SAVE, filled(client.signed_form(
        form_fields(page).fields))))
    assert site.bookings()[0]["players"][1] == {"name": "Partner, Sam", "u": 0}


# Scripts from another origin

AGENT, BEACON, FORM_SCRIPT = "/nr/agent.js", "/nr/beacon", "/static/booking-form.js"


def fetch(url: str, data: bytes | None = None, method: str | None = None,
          headers: dict[str, str] | None = None) -> Reply:
    """One request to any origin, redirects not followed."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Reply(response.status, response.headers, response.read().decode())
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, error.headers, error.read().decode())


def test_the_pages_load_their_scripts_from_the_asset_origin(make_simple_site: MakeSite,
                                                           day: date) -> None:
    site = make_simple_site(scripts_elsewhere=True, cancel_steps=2)
    assets = site.asset_base_url
    assert assets.startswith("http://127.0.0.") and assets != site.base_url
    assert urlsplit(assets).netloc != urlsplit(site.base_url).netloc
    client = logged_in(site)
    agent_tag = f'<meta charset="utf-8"><script src="{assets}{AGENT}"></script>'
    for path in ("/auth", "/", "/scheduling/index/index/sport/1", book_path(site, 1, day, 1140)):
        assert agent_tag in client.get(path).text, path
    page = client.get(book_path(site, 2, day, 1140)).text
    assert f'<script src="{assets}{FORM_SCRIPT}"></script>' in page
    assert "grecaptcha.execute(" not in page  # no handler of its own
    assert '<script src="/recaptcha/api.js?render=' in page  # reCAPTCHA stays at the club
    mine = site.add_booking(1, day, 600, user_id=4411, name="Member, Test")
    cancel = client.get(f"/scheduling/index/cancel/id/{mine}").text
    assert f'<script src="{assets}/static/cancel.js"></script>' in cancel
    assert "confirm(" not in cancel

    script = fetch(assets + FORM_SCRIPT)
    assert script.status == 200 and "javascript" in script.headers["Content-Type"]
    assert f"grecaptcha.execute('{site.config.recaptcha_site_key}', {{action: 'homepage'}})" \
        in script.text
    assert "window.confirm(" in fetch(assets + "/static/cancel.js").text
    agent = fetch(assets + AGENT)
    assert agent.status == 200 and "fetch(" in agent.text
    assert [r["path"] for r in site.asset_requests()] == [FORM_SCRIPT, "/static/cancel.js",
                                                          AGENT]


def test_the_beacon_is_allowed_cross_origin_and_recorded(make_simple_site: MakeSite) -> None:
    site = make_simple_site(scripts_elsewhere=True)
    beacon = site.asset_base_url + BEACON
    origin = {"Origin": site.base_url}
    preflight = fetch(beacon, method="OPTIONS", headers={
        **origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == site.base_url
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    body = json.dumps({"agent": "sandbox-nr/1", "path": "/", "load_ms": 12}).encode()
    sent = fetch(beacon, body, headers={**origin, "Content-Type": "text/plain;charset=UTF-8"})
    assert sent.status == 204 and sent.headers["Access-Control-Allow-Origin"] == site.base_url
    recorded = site.asset_requests()[-1]
    assert (recorded["method"], recorded["path"], recorded["status"]) == ("POST", BEACON, 204)
    assert json.loads(recorded["body"]) == {"agent": "sandbox-nr/1", "path": "/", "load_ms": 12}
    assert recorded["headers"]["origin"] == site.base_url
    assert fetch(site.asset_base_url + "/nothing").status == 404


def test_stop_ends_the_asset_origin_too() -> None:
    site = SandboxSite(SandboxConfig(scripts_elsewhere=True))
    site.start()
    assets = site.asset_base_url
    assert fetch(assets + AGENT).status == 200
    site.stop()
    site.stop()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(assets + AGENT, timeout=2)


def test_without_the_knob_scripts_are_the_pages_own(make_simple_site: MakeSite, day: date) -> None:
    site = make_simple_site()
    assert site.asset_base_url == ""
    page = logged_in(site).get(book_path(site, 1, day, 1140)).text
    assert "<script src=\"http" not in page and AGENT not in page
    assert "grecaptcha.execute(" in page


# The pages' own scripts, in Chromium

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def browser_page() -> Iterator[Page]:
    """A page of a headless Chromium (the bot check is left off in these tests: they try
    the pages' scripts, not how a browser scores)."""
    if not CHROMIUM.exists():
        missing_part(f"{CHROMIUM} for the page scripts' tests", debian("chromium"))
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox"] if os.geteuid() == 0 else []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=args)
        try:
            yield browser.new_page()
        finally:
            browser.close()


def log_in_by_typing(page: Page, site: SandboxSite) -> None:
    page.goto(site.base_url + "/auth")
    page.click("#username")
    page.keyboard.type("member")
    page.click("#password")
    page.keyboard.type("secret")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == site.base_url + "/"


@pytest.mark.browser
def test_a_browser_books_through_the_recorded_form(browser_page: Page, day: date) -> None:
    page = browser_page
    with SandboxSite(SandboxConfig.as_recorded(seed=7, bot_check=False)) as site:
        log_in_by_typing(page, site)
        page.goto(site.base_url + book_path(site, 4, day, 1140))
        assert page.is_disabled("#duration")
        page.check("#rtype-1")
        assert page.is_enabled("#duration")
        with page.expect_response(lambda r: UPDATE in r.url
                                  and "duration=90" in (r.request.post_data or "")) as updated:
            page.select_option("#duration", "90")
        assert json.loads(updated.value.text())["duration"] == 90
        page.wait_for_selector("#booking-form[data-hold='held'] #duration")
        assert page.get_attribute("#hold-summary", "data-duration") == "90"
        assert page.inner_text("#hold-summary") == "Doubles, 1.5 hours"

        page.click("#player-2")
        page.keyboard.type("smi")  # a member, chosen with the mouse
        page.click("#suggestions-2 li[data-user-id='4512']")
        assert page.input_value("#player-2") == "Smith, Jane"
        assert page.input_value("input[name='players[2][user_id]']") == "4512"
        assert page.is_hidden("#suggestions-2")
        page.click("#player-3")
        page.keyboard.type("lee")  # another, by the keys
        page.wait_for_selector("#suggestions-3 li[data-user-id='4513']")
        assert page.inner_text("#suggestions-3 li") == "Lee, Sam"
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        assert page.input_value("input[name='players[3][user_id]']") == "4513"
        page.keyboard.type("x")  # typing again: no longer the member chosen
        assert page.input_value("input[name='players[3][user_id]']") == ""
        page.keyboard.press("Backspace")
        page.wait_for_selector("#suggestions-3 li[data-user-id='4513']")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        page.click("#player-4")
        page.keyboard.type("Doe, Pat")  # a guest
        page.check("#guest-4")
        assert page.input_value("input[name='players[4][guestof]']") == "1"
        assert page.input_value("input[name='players[4][user_id]']") == ""

        page.click("#book-button")  # the waiver unticked: the browser sends nothing
        page.wait_for_timeout(300)
        assert site.saves() == []
        page.check("#waiver")
        with page.expect_navigation():
            page.click("#book-button")
        assert CONFIRMED in page.url
        [booking] = site.bookings()
        requests = site.asset_requests()
    assert page.url.endswith(f"/id/{booking['confirmation']}")
    assert (booking["rtype"], booking["duration"]) == (1, 90)
    assert [(p["name"], p["u"], p["guest"]) for p in booking["players"]] == [
        ("Member, Test", 4411, False), ("Smith, Jane", 4512, False), ("Lee, Sam", 4513, False),
        ("Doe, Pat", 0, True)]
    # The asset origin served the scripts and heard beacons, and nothing of the forms.
    assert {(r["method"], r["path"]) for r in requests} >= {
        ("GET", AGENT), ("GET", FORM_SCRIPT), ("POST", BEACON)}
    told = json.dumps(requests)
    for secret in ("secret", "sandbox_session", "players[", "Smith", "Doe", "temp=",
                   "g-recaptcha-response", "bookingWaiverPolicy", "username"):
        assert secret not in told, secret
    beacons = [json.loads(r["body"]) for r in requests if r["path"] == BEACON]
    assert {"/auth", "/"} <= {b["path"] for b in beacons}
    assert all(set(b) == {"agent", "path", "load_ms"} for b in beacons)


@pytest.mark.browser
def test_a_blocked_asset_origin_leaves_the_form_dead(browser_page: Page, day: date,
                                                     make_simple_site: MakeSite) -> None:
    page = browser_page
    site = make_simple_site(scripts_elsewhere=True, bot_check=False)
    page.route(site.asset_base_url + "/**", lambda route: route.abort())
    log_in_by_typing(page, site)
    page.goto(site.base_url + book_path(site, 1, day, 1140))
    page.check("#rtype-13")
    page.wait_for_timeout(200)
    assert page.is_disabled("#duration")  # its handler never came
    assert site.asset_requests() == []


@pytest.mark.browser
def test_the_cancel_dialog(browser_page: Page, day: date, make_simple_site: MakeSite) -> None:
    page = browser_page
    site = make_simple_site(cancel_steps=2, scripts_elsewhere=True, bot_check=False)
    mine = site.add_booking(1, day, 1140, user_id=4411, name="Member, Test")
    log_in_by_typing(page, site)
    page.click(f"li[data-booking-id='{mine}'] a.cancel")
    page.get_by_role("button", name=BACK_TO_BOOKINGS).click()
    page.wait_for_url(site.base_url + "/?")
    page.click(f"li[data-booking-id='{mine}'] a.cancel")
    asked: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name=CANCEL_THIS_BOOKING).click()
    page.wait_for_timeout(200)
    assert asked == [CANCEL_QUESTION]
    assert site.cancels() == [] and [b["id"] for b in site.bookings()] == [mine]
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.get_by_role("button", name=CANCEL_THIS_BOOKING).click()
    page.wait_for_url(site.base_url + "/")
    assert site.bookings() == []
    assert [c["outcome"] for c in site.cancels()] == ["cancelled"]
    assert "No upcoming bookings." in page.content()
