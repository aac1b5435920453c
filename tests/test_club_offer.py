"""Requests the club can't serve: `book` refuses them, naming what the club has, once
its courts, slots or durations have been read; a run fails them at once, without
loading a booking form for them. No browser: the store's cache is seeded directly, and
runs use the simulated site or a stand-in driver."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import pytest

from gametime_cli.booking.offer import ClubOffer, slots_label
from gametime_cli.booking.offer import court_ranges_label as courts_label
from gametime_cli.run.courts_asked import attempt_courts
from gametime_cli.run.next_step import decide
from gametime_cli.settings import Settings
from gametime_cli.sites.base import CourtDay, Outcome, OutcomeKind, SlotRequest
from gametime_cli.store import Store
from tests.support import db_snapshot

RIVERSIDE = ClubOffer(courts={1: 117, 2: 118, 3: 121, 4: 125},
                      slots=tuple(range(7 * 60, 22 * 60 + 1, 30)),
                      durations={"singles": (60, 90), "doubles": (60, 90)})


@pytest.fixture
def day(now: datetime) -> str:
    """Two days after the test's instant: ahead, and open (the club opens 7 days ahead)."""
    return (now + timedelta(days=2)).date().isoformat()


@pytest.fixture
def riverside(cli, home, now):
    """A club whose courts, slots and durations were read (as at login) at `now`."""
    added = cli("club", "add", "Riverside", "--url", "simulate:?success=1", "--timezone",
                "UTC", "--window-days", "7", "--opens-at", "00:00")
    assert added.exit_code == 0, added.stderr
    store = Store.open(home)
    try:
        store.remember_offer(store.get_club("Riverside").id, RIVERSIDE, now)
    finally:
        store.close()
    return "Riverside"


@pytest.mark.parametrize(("extra", "said"), [
    (["19:00", "--court", "9"], "court 9: Riverside has courts 1-4"),
    (["19:00", "--court", "2", "--court", "7", "--court", "9"],
     "courts 7, 9: Riverside has courts 1-4"),
    (["19:10"], "19:10 is not a slot at Riverside; slots start every 30 minutes from "
                "07:00 to 22:00"),
    (["19:00", "--or-time", "22:30"], "22:30 is not a slot at Riverside"),
    (["19:00", "--duration", "120"], "duration 120: Riverside offers 60 or 90 minutes"),
    (["19:00", "--duration", "30", "--type", "doubles"],
     "duration 30: Riverside offers 60 or 90 minutes"),
])
def test_book_refuses_what_the_club_has_not(cli, home, riverside, day, extra, said):
    before = db_snapshot(home)
    result = cli("book", day, *extra, "--club", riverside)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and said in result.stderr, result.stderr
    assert db_snapshot(home) == before  # nothing written


def test_book_takes_what_the_club_has(cli, riverside, day):
    result = cli("book", day, "21:30", "--club", riverside, "--court", "4", "--duration",
                 "90", "--or-time", "07:00", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["courts"] == [4]


def test_a_series_and_an_import_are_refused_alike(cli, home, riverside, day, tmp_path):
    series = cli("book", day, "19:00", "--club", riverside, "--court", "5", "--every", "week",
                 "--count", "3")
    assert series.exit_code == 2 and "court 5: Riverside has courts 1-4" in series.stderr
    rows = tmp_path / "rows.csv"
    rows.write_text(f"date,time,club\n{day},18:00,Riverside\n{day},18:15,Riverside\n")
    before = db_snapshot(home)
    imported = cli("import", str(rows))
    assert imported.exit_code == 2 and "18:15 is not a slot" in imported.stderr
    assert db_snapshot(home) == before


def test_nothing_read_yet_nothing_refused(cli, day):
    """Before any login has read the club, `book` can't know: it accepts, as before."""
    cli("club", "add", "fresh", "--url", "simulate:", "--timezone", "UTC", "--window-days",
        "7", "--opens-at", "00:00")
    result = cli("book", day, "19:10", "--club", "fresh", "--court", "9", "--duration", "120")
    assert result.exit_code == 0, result.stderr
    assert "Booking 1:" in result.stdout


def test_durations_are_known_by_booking_type(cli, home, now, day):
    """A form seen for singles says nothing of doubles: a doubles duration is accepted."""
    cli("club", "add", "duo", "--url", "simulate:", "--timezone", "UTC", "--window-days",
        "7", "--opens-at", "00:00")
    store = Store.open(home)
    try:
        store.remember_offer(store.get_club("duo").id,
                             ClubOffer(courts={1: 5, 2: 6}, durations={"singles": (60,)}), now)
    finally:
        store.close()
    assert cli("book", day, "19:00", "--club", "duo", "--duration", "90").exit_code == 2
    doubles = cli("book", day, "19:00", "--club", "duo", "--duration", "90",
                  "--partner", "Sam Lee", "--partner", "Ali Khan")
    assert doubles.exit_code == 0, doubles.stderr


def test_a_run_reads_the_clubs_courts_and_fails_a_missing_one_at_once(cli, day):
    """Booked before anything was read, court 9 at a 4-court club: the run fails it on
    its first attempt, naming the courts, and `book` then knows them."""
    cli("club", "add", "four", "--url", "simulate:?success=1&courts=4", "--timezone", "UTC",
        "--window-days", "7", "--opens-at", "00:00")
    booked = cli("book", day, "19:00", "--club", "four", "--court", "9", "--json")
    assert booked.exit_code == 0, booked.stderr
    ran = cli("run-pending", "--json")
    assert ran.exit_code == 1, ran.stderr
    [entry] = json.loads(ran.stdout)["bookings"]
    assert entry["status"] == "failed" and entry["attempts"] == 1
    assert (entry["outcome"], entry["error"]) == ("permanent", "court 9: four has courts 1-4")
    again = cli("book", day, "20:00", "--club", "four", "--court", "6")
    assert again.exit_code == 2 and "court 6: four has courts 1-4" in again.stderr


class StandIn:
    """A driver whose day has courts 1-4 and whose booking form is never to be loaded
    for what the club can't serve: each `book_court` (a form, a hold) is recorded."""

    def __init__(self, offer: ClubOffer | None):
        self.offer = offer
        self.user_id = None
        self.forms: list[tuple[int, time]] = []

    def candidate_courts(self, request: SlotRequest) -> list[int]:
        return list(request.courts) or [1, 2, 3, 4]

    def day_courts(self, day):  # pragma: no cover - not asked here
        return [CourtDay(n, 100 + n, f"Court {n}", []) for n in range(1, 5)]

    def book_court(self, request: SlotRequest, court: int) -> Outcome:
        self.forms.append((court, request.time))
        return Outcome(OutcomeKind.CONFIRMED, court, confirmation="1")


def request(now: datetime, at: time = time(19), duration: int = 60,
            courts: list[int] | None = None) -> SlotRequest:
    return SlotRequest(booking_id=1, attempt=1, day=(now + timedelta(days=2)).date(),
                       time=at, duration=duration, courts=courts or [])


def first_decision(outcome: Outcome, now: datetime):
    return decide(outcome, 1, Settings({}), now, now - timedelta(hours=1),
                  now + timedelta(days=2))


@pytest.mark.parametrize(("asked", "said"), [
    ({"duration": 120}, "duration 120: Riverside offers 60 or 90 minutes"),
    ({"at": time(19, 10)}, "19:10 is not a slot at Riverside"),
    ({"courts": [9]}, "court 9: Riverside has courts 1-4"),
])
def test_what_the_site_cant_serve_fails_on_the_first_attempt_without_a_form(now, asked, said):
    day_read = ClubOffer(courts=RIVERSIDE.courts, slots=RIVERSIDE.slots)
    driver = StandIn(day_read)  # the day's JSON: courts and slots; durations from the cache
    cached = ClubOffer(durations=RIVERSIDE.durations)
    outcome, _ = attempt_courts(driver, request(now, **asked), known=cached, club="Riverside")
    assert outcome.kind is OutcomeKind.PERMANENT and said in outcome.message
    assert driver.forms == []  # no form loaded: no hold taken
    decision = first_decision(outcome, now)
    assert decision.status == "failed" and said in decision.error


def test_an_alternative_time_that_is_a_slot_is_still_tried(now):
    driver = StandIn(ClubOffer(courts=RIVERSIDE.courts, slots=RIVERSIDE.slots))
    outcome, at = attempt_courts(driver, request(now, at=time(19, 10), courts=[2]),
                                 or_times=[time(19, 30)], club="Riverside")
    assert (outcome.kind, at, driver.forms) == (OutcomeKind.CONFIRMED, time(19, 30),
                                                [(2, time(19, 30))])


def test_a_missing_court_among_others_is_passed_over(now):
    driver = StandIn(ClubOffer(courts=RIVERSIDE.courts))
    outcome, _ = attempt_courts(driver, request(now, courts=[9, 3]), club="Riverside")
    assert outcome.kind is OutcomeKind.CONFIRMED and driver.forms == [(3, time(19))]


def test_nothing_known_everything_tried(now):
    driver = StandIn(None)
    outcome, _ = attempt_courts(driver, request(now, at=time(19, 10), duration=120,
                                                courts=[2]), club="Riverside")
    assert outcome.kind is OutcomeKind.CONFIRMED and driver.forms == [(2, time(19, 10))]


def test_the_cache_keeps_courts_as_last_read_and_durations_by_type(home, cli, now):
    cli("club", "add", "c", "--url", "simulate:", "--timezone", "UTC", "--window-days", "7",
        "--opens-at", "00:00")
    store = Store.open(home)
    try:
        club = store.get_club("c").id
        assert store.club_offer(club) is None
        store.remember_offer(club, ClubOffer(courts={1: 7, 2: 8}, slots=(420, 450)), now)
        later = now + timedelta(hours=1)
        store.remember_offer(club, ClubOffer(durations={"singles": (90, 60)}), later)
        store.remember_offer(club, ClubOffer(courts={1: 7, 2: 8, 3: 9}), later)
        kept = store.club_offer(club)
        assert kept.courts == {1: 7, 2: 8, 3: 9} and kept.slots is None
        assert kept.durations == {"singles": (60, 90)}
        assert abs(kept.read_at - later) < timedelta(milliseconds=1)  # stored to the ms
    finally:
        store.close()
    assert cli("club", "remove", "c").exit_code == 0  # the cache goes with the club


def test_labels_read_as_a_player_says_them():
    assert courts_label([1, 2, 3, 4]) == "courts 1-4"
    assert courts_label([1, 2, 5, 6, 7]) == "courts 1, 2 and 5-7"
    assert courts_label([3]) == "court 3"
    assert slots_label((420, 450, 480)) == "slots start every 30 minutes from 07:00 to 08:00"
    assert slots_label((420, 480, 570)) == "slots start at 07:00, 08:00, 09:30"


def test_the_days_slot_times_and_the_forms_durations_are_read_leniently():
    from gametime_cli.sites.gametime.choices import offered_minutes as _offered_minutes
    from gametime_cli.sites.gametime.day_json import slot_times

    assert slot_times({"t": [420, "450", {"t": 480}]}) == (420, 450, 480)
    assert slot_times({"t": None}) is None and slot_times({"t": []}) is None
    assert slot_times({"t": [420, "7pm"]}) is None  # not understood: not used
    assert slot_times({"t": [420, 1440]}) is None  # past midnight: not minutes since midnight
    options = [{"value": "", "label": "Select a duration"},
               {"value": "2", "label": "1 hour"}, {"value": "90", "label": "90 minutes"},
               {"value": "120", "label": ""}]
    assert _offered_minutes(options) == (60, 90, 120)
