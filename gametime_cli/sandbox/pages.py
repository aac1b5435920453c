"""The sandbox site's HTML: one small function per page, every value escaped.

Markup the driver relies on follows gametime-site.md (field names, `table.courtViewer`,
`div.timeslot`, the wording of refusals); the rest is plain and the sandbox's own.
"""

from __future__ import annotations

from datetime import date
from html import escape

from gametime_cli.sandbox.state import Booking

SAVE_ACTION = "/scheduling/index/save?errs="
TOKEN_PATH = "/recaptcha/api3/token"
CLUB = "Sandbox Tennis Club"

_STYLE = """
body { font-family: sans-serif; margin: 0; color: #222; }
header { background: #1d4f91; color: #fff; padding: .6em 1em; }
header a { color: #fff; margin-right: 1em; }
main { padding: 1em; max-width: 60em; }
.error { color: #a00; border: 1px solid #a00; padding: .5em; margin: .5em 0; }
table.courtViewer { border-collapse: collapse; }
table.courtViewer td, table.courtViewer th { border: 1px solid #ccc; padding: 0; }
div.timeslot { min-width: 7em; padding: .2em .4em; font-size: .85em; }
div.timeslot.booked { background: #eee; color: #777; }
label { margin-right: 1em; }
"""


def clock(minutes: int) -> str:
    """Minutes since midnight as `19:00`."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def day_label(day: date) -> str:
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


def duration_label(minutes: int) -> str:
    """`30 minutes`, `1 hour`, `1.5 hours`, `2 hours`."""
    if minutes < 60:
        return f"{minutes} minutes"
    hours = minutes / 60
    return "1 hour" if hours == 1 else f"{hours:g} hours"


def layout(title: str, body: str, logged_in: bool = True) -> str:
    """The page around `body`, which must already be escaped HTML."""
    nav = '<a href="/">My bookings</a>' if logged_in else ""
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)} - {CLUB}</title><style>{_STYLE}</style></head>\n"
        f"<body><header><strong>{CLUB}</strong> {nav}</header>\n"
        f"<main>{body}</main></body></html>\n"
    )


def login_page(error: str | None = None) -> str:
    problem = f'<div class="error">{escape(error)}</div>' if error else ""
    return layout("Log in", f"""<h1>Log in</h1>{problem}
<form method="post" action="/auth">
<p><label for="username">Username</label><input id="username" name="username" type="text"
 autocomplete="username"></p>
<p><label for="password">Password</label><input id="password" name="password" type="password"
 autocomplete="current-password"></p>
<p><button type="submit">Log in</button></p>
</form>""", logged_in=False)


def _booking_line(booking: Booking) -> str:
    return (f"Court {booking.court}, {escape(day_label(booking.day))} at "
            f"{clock(booking.minutes)} for {escape(duration_label(booking.duration))}")


def home_page(name: str, bookings: list[Booking], sport: int) -> str:
    rows = "".join(
        f'<li class="booking" data-booking-id="{b.id}">{_booking_line(b)} '
        f"(confirmation {b.id}) "
        f'<a class="cancel" href="/scheduling/index/cancel/id/{b.id}">Cancel</a></li>'
        for b in bookings
    )
    listing = f'<ul class="bookings">{rows}</ul>' if rows else "<p>No upcoming bookings.</p>"
    return layout("My bookings", f"<h1>Welcome, {escape(name)}</h1>"
                                 f'<p><a href="/scheduling/index/index/sport/{sport}">Book a '
                                 f"court</a></p><h2>Upcoming bookings</h2>{listing}")


_SCHEDULE_SCRIPT = """
(function () {
  var grid = document.querySelector('table.courtViewer');
  var sport = grid.dataset.sport;
  function chosenDate() {
    var match = /date=(\\d{4}-\\d{2}-\\d{2})/.exec(location.hash);
    return match ? match[1] : grid.dataset.today;
  }
  function load() {
    var day = chosenDate();
    var parts = day.split('-').map(Number);
    document.getElementById('day').textContent = day;
    fetch('/scheduling/index/jsoncourtdata/sport/' + sport + '/date/' + day,
          {headers: {'X-Requested-With': 'XMLHttpRequest'}, credentials: 'same-origin'})
      .then(function (response) { return response.json(); })
      .then(function (data) {
        var taken = {};
        data.e.forEach(function (court) {
          court.b.forEach(function (b) {
            for (var t = b.t; t < b.t + b.d; t += 30) {
              taken[court.i + ':' + t] = b.p.map(function (p) { return p.n; }).join(' / ');
            }
          });
        });
        grid.querySelectorAll('div.timeslot').forEach(function (slot) {
          var key = slot.dataset.court + ':' + slot.dataset.time;
          slot.textContent = '';
          slot.classList.toggle('booked', key in taken);
          if (key in taken) {
            slot.textContent = taken[key];
          } else {
            var link = document.createElement('a');
            link.href = '/scheduling/index/book/sport/' + sport + '/court/' + slot.dataset.court
              + '/date/' + parts.join('-') + '/time/' + slot.dataset.time;
            link.textContent = 'Book';
            slot.appendChild(link);
          }
        });
      });
  }
  window.addEventListener('hashchange', load);
  load();
})();
"""


def schedule_page(sport: int, courts: list[tuple[int, int]], slots: list[int],
                  today: date) -> str:
    head = "".join(f'<th data-court="{court_id}">Court {number}</th>'
                   for number, court_id in courts)
    rows = "".join(
        f"<tr><th>{clock(minutes)}</th>"
        + "".join(f'<td><div class="timeslot" data-court="{court_id}" data-time="{minutes}">'
                  "</div></td>" for _, court_id in courts)
        + "</tr>"
        for minutes in slots
    )
    return layout("Courts", f"""<h1>Courts on <span id="day">{today.isoformat()}</span></h1>
<table class="courtViewer" data-sport="{sport}" data-today="{today.isoformat()}">
<thead><tr><th>Time</th>{head}</tr></thead><tbody>{rows}</tbody></table>
<script>{_SCHEDULE_SCRIPT}</script>""")


_FORM_SCRIPT = """
(function () {
  var form = document.getElementById('booking-form');
  var duration = form.elements['duration'];
  var sending = false;
  form.querySelectorAll('input[name=rtype]').forEach(function (radio) {
    radio.addEventListener('change', function () { duration.disabled = false; });
  });
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (sending) { return; }
    sending = true;
    fetch('TOKEN_PATH', {
      method: 'POST', credentials: 'same-origin',
      headers: {'X-Requested-With': 'XMLHttpRequest'},
      body: new URLSearchParams({temp: form.elements['temp'].value})
    }).then(function (response) { return response.json(); })
      .then(function (data) {
        form.elements['g-recaptcha-response'].value = data.token;
        form.submit();
      })
      .catch(function () { sending = false; });
  });
})();
""".replace("TOKEN_PATH", TOKEN_PATH)


def booking_form(*, court: int, court_id: int, day: date, minutes: int, temp: int,
                 user_id: int | None, user_name: str, booking_types: dict[str, int],
                 durations: list[int]) -> str:
    types = "".join(
        f'<input type="radio" name="rtype" id="rtype-{value}" value="{value}">'
        f'<label for="rtype-{value}">{escape(label)}</label>'
        for label, value in booking_types.items()
    )
    options = "".join(f'<option value="{m}">{escape(duration_label(m))}</option>'
                      for m in durations)
    partners = "".join(
        f'<p><label for="player-{i}">Player {i}</label>'
        f'<input id="player-{i}" type="text" name="players[{i}][name]"></p>'
        for i in (2, 3, 4)
    )
    member_id = ("" if user_id is None else
                 f'<input type="hidden" name="players[1][user_id]" value="{user_id}">')
    return layout("Book a court", f"""<h1>Book Court {court}</h1>
<p class="slot">{escape(day_label(day))} at {clock(minutes)}</p>
<form id="booking-form" method="post" action="{escape(SAVE_ACTION)}">
<fieldset><legend>Booking type</legend>{types}</fieldset>
<p><label for="duration">Duration</label><select id="duration" name="duration" disabled>
<option value="">Select a duration</option>{options}</select></p>
<p><label for="player-1">Player 1</label>
{member_id}
<input id="player-1" type="text" name="players[1][name]" value="{escape(user_name)}" readonly>
</p>{partners}
<input type="hidden" name="court" value="{court_id}">
<input type="hidden" name="date" value="{day.isoformat()}">
<input type="hidden" name="time" value="{minutes}">
<input type="hidden" name="temp" value="{temp}">
<input type="hidden" name="g-recaptcha-response" value="">
<p><button type="submit" id="book-button">Book court</button></p>
</form>
<script>{_FORM_SCRIPT}</script>""")


def not_available(message: str) -> str:
    return layout("Booking Not Available", f"<h1>Booking Not Available</h1>"
                                           f'<div class="error">{escape(message)}</div>')


_COUNTDOWN_SCRIPT = """
(function () {
  var el = document.getElementById('countdown');
  var end = Date.now() + Number(el.dataset.seconds) * 1000;
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function show() {
    var left = Math.max(0, Math.round((end - Date.now()) / 1000));
    var days = Math.floor(left / 86400);
    el.textContent = (days ? days + 'd ' : '') + pad(Math.floor(left % 86400 / 3600)) + ':'
      + pad(Math.floor(left % 3600 / 60)) + ':' + pad(left % 60);
  }
  show();
  setInterval(show, 1000);
})();
"""


def bookerror_page(seconds_left: float | None) -> str:
    """The too-early page, counting down to the opening this session last hit."""
    if seconds_left is None:
        body = "<p>Booking for this date is not open yet.</p>"
    else:
        left = max(0, int(seconds_left))
        body = (f'<p>Booking for this date opens in <span id="countdown" data-seconds="{left}">'
                f"{left} seconds</span>.</p><script>{_COUNTDOWN_SCRIPT}</script>")
    return layout("Booking not open yet", f"<h1>Booking not open yet</h1>{body}")


def save_refused(reason: str) -> str:
    return layout("Booking failed", f"<h1>Booking failed</h1>"
                                    f'<div class="error">{escape(reason)}</div>'
                                    '<p><a href="/">My bookings</a></p>')


def confirmation_page(booking: Booking) -> str:
    players = "".join(f"<li>{escape(name)}</li>" for name, _ in booking.players)
    return layout("Booking confirmed", f"""<h1>Booking confirmed</h1>
<p>Confirmation number <strong class="confirmation">{booking.id}</strong></p>
<p>{_booking_line(booking)}</p><ul class="players">{players}</ul>
<p><a href="/">My bookings</a></p>""")


def cancel_page(booking: Booking) -> str:
    return layout("Cancel booking", f"""<h1>Cancel this booking?</h1>
<p>{_booking_line(booking)} (confirmation {booking.id})</p>
<form method="post" action="/scheduling/index/cancel/id/{booking.id}">
<button type="submit">Cancel booking</button> <a href="/">Keep it</a></form>""")


def message_page(title: str, message: str) -> str:
    """404, 400 and 500 pages."""
    return layout(title, f"<h1>{escape(title)}</h1><p>{escape(message)}</p>")
