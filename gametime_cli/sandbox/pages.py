"""The sandbox site's HTML: one small function per page, every value escaped.

Markup the driver relies on follows gametime-site.md (field names and their order,
`table.courtViewer`, `div.timeslot`, the wording of refusals, the reCAPTCHA script and
its `grecaptcha.execute('KEY', {action: '...'})` calls); the rest is plain and the
sandbox's own.
"""

from __future__ import annotations

import re
import string
from datetime import date
from html import escape
from urllib.parse import quote

from gametime_cli.sandbox.botcheck import LOGIN_ACTION, SCRIPT_PATH
from gametime_cli.sandbox.state import (
    CANCEL_NOT_CONFIRMED,
    NOT_VALIDATED,
    PLEASE_WAIT,
    ROSTER_MIN_QUERY,
    TIME_LABEL,
    Booking,
)

SAVE_ACTION = "/scheduling/index/save?errs="
HOLD_UPDATE_PATH = "/scheduling/index/updatetemp"
"""Where the form's script posts a hold update (`hold_follows_form`)."""
ROSTER_PATH = "/scheduling/index/rostersearch"
"""Where the form's script asks for roster names (`roster`): GET `?q=...`, XHR."""
ROSTER_DEBOUNCE_MS = 150
"""The script asks the roster this long after the last keystroke in a name field."""
CLUB = "Sandbox Tennis Club"
NOT_AVAILABLE_TITLE = "Booking Not Available"
"""The title (and heading) of the bookerror and not-available pages."""
WAIVER_WORDS = ("I have read and agree to the club's court-use waiver and cancellation "
                "policy.")
"""The label of the form's waiver box (`waiver`)."""
BACK_TO_BOOKINGS = "Back to my bookings"
"""The cancel page's first button (`cancel_steps=2`): home, nothing cancelled."""
CANCEL_THIS_BOOKING = "Cancel this booking"
"""The cancel page's second button (`cancel_steps=2`): it asks `CANCEL_QUESTION` first."""
CANCEL_QUESTION = "Are you sure you want to cancel this booking?"
"""The `window.confirm` dialog of the cancel page (`cancel_steps=2`)."""
CANCEL_BUTTON = "Cancel booking"
"""The cancel page's one button (`cancel_steps=1`)."""
GUEST_LABEL = "Guest"
"""The label of each partner row's guest box (`roster`)."""
HOLD_WORDS = "Your temporary booking will be held for {} minutes"
"""The booking form's words for its hold (`hold_follows_form`), with its time as m:ss."""

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
.cancel-buttons form { display: inline; margin-right: 1em; }
.name-box { position: relative; display: inline-block; }
ul.suggestions { position: absolute; left: 0; top: 100%; z-index: 10; min-width: 100%;
  margin: 0; padding: 0; list-style: none; background: #fff; border: 1px solid #888; }
ul.suggestions li { padding: .2em .5em; cursor: pointer; white-space: nowrap; }
ul.suggestions li.active, ul.suggestions li:hover { background: #cde; }
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


_JS_PLAIN = frozenset(string.ascii_letters + string.digits + "-_/.")


def js_string(text: str) -> str:
    """`text` as a single-quoted JavaScript literal, safe inside an HTML <script>: each
    UTF-16 unit but letters, digits and `-_/.` written as a `\\uXXXX` escape."""
    data = text.encode("utf-16-be")
    units = (int.from_bytes(data[i:i + 2], "big") for i in range(0, len(data), 2))
    return "'" + "".join(chr(u) if chr(u) in _JS_PLAIN else f"\\u{u:04x}" for u in units) + "'"


def with_strings(script: str, **values: str) -> str:
    """The script with each placeholder word (KEY, ACTION) written as a JS string, in
    one pass: a value is never read as another's placeholder."""
    return re.sub(r"\b(" + "|".join(values) + r")\b",
                  lambda match: js_string(values[match.group(1)]), script)


def recaptcha_script(site_key: str) -> str:
    """The tag that loads the reCAPTCHA stand-in, as Google's `api.js?render=KEY`."""
    return f'<script src="{escape(SCRIPT_PATH)}?render={escape(quote(site_key, safe=""))}">' \
        "</script>"


def with_agent(page: str, source: str) -> str:
    """The page loading the agent script at `source` first thing in its head."""
    head = '<meta charset="utf-8">'
    return page.replace(head, f'{head}<script src="{escape(source)}"></script>', 1)


def layout(title: str, body: str, logged_in: bool = True) -> str:
    """The page around `body`, which must already be escaped HTML."""
    nav = '<a href="/">My bookings</a>' if logged_in else ""
    return (
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{escape(title)} - {CLUB}</title><style>{_STYLE}</style></head>\n"
        f"<body><header><strong>{CLUB}</strong> {nav}</header>\n"
        f"<main>{body}</main></body></html>\n"
    )


_LOGIN_SCRIPT = """
(function () {
  var form = document.getElementById('login-form');
  var field = form.querySelector('input[name="g-recaptcha-response"]');
  var sending = false;
  form.addEventListener('submit', function (event) {
    if (!window.grecaptcha) { return; }
    event.preventDefault();
    if (sending) { return; }
    sending = true;
    function send() { form.submit(); }
    grecaptcha.execute(KEY, {action: ACTION}).then(function (token) {
      field.value = token;
      send();
    }, send);
  });
})();
"""


def login_page(site_key: str, error: str | None = None) -> str:
    """The login form; its script takes a reCAPTCHA token (action `login`) on submit."""
    problem = f'<div class="error">{escape(error)}</div>' if error else ""
    script = with_strings(_LOGIN_SCRIPT, KEY=site_key, ACTION=LOGIN_ACTION)
    return layout("Log in", f"""<h1>Log in</h1>{problem}
{recaptcha_script(site_key)}
<form id="login-form" method="post" action="/auth">
<p><label for="username">Username</label><input id="username" name="username" type="text"
 autocomplete="username"></p>
<p><label for="password">Password</label><input id="password" name="password" type="password"
 autocomplete="current-password"></p>
<input type="hidden" name="g-recaptcha-response" value="">
<p><button type="submit">Log in</button></p>
</form>
<script>{script}</script>""", logged_in=False)


def _booking_line(booking: Booking) -> str:
    return (f"Court {booking.court}, {escape(day_label(booking.day))} at "
            f"{clock(booking.minutes)} for {escape(duration_label(booking.duration))}")


def home_page(name: str, bookings: list[Booking], sport: int) -> str:
    rows = "".join(
        f'<li class="booking" data-booking-id="{b.id}">{_booking_line(b)} '
        f"(confirmation {b.confirmation}) "
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
  var duration = document.getElementById('duration');
  var field = form.querySelector('input[name="g-recaptcha-response"]');
  var sending = false;
  form.querySelectorAll('input[name=rtype]').forEach(function (radio) {
    radio.addEventListener('change', function () { duration.disabled = false; });
  });
  if (!window.grecaptcha) { return; }
  grecaptcha.ready(function () {
    grecaptcha.execute(KEY, {action: ACTION}).then(function (token) {
      if (!sending) { field.value = token; }
    });
  });
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    if (sending) { return; }
    sending = true;
    grecaptcha.execute(KEY, {action: ACTION}).then(function (token) {
      field.value = token;
      form.submit();
    }, function () { sending = false; });
  });
})();
"""


def _hidden(name: str, value: object, extra: str = "") -> str:
    return f'<input type="hidden" name="{escape(name)}"{extra} value="{escape(str(value))}">\n'


def _waiver(box: bool) -> str:
    """The waiver: a required box the player ticks, or (before) a hidden field."""
    if not box:
        return _hidden("bookingWaiverPolicy", "true")
    return ('<p class="waiver"><input type="checkbox" id="waiver" name="bookingWaiverPolicy" '
            f'value="true" required> <label for="waiver">{escape(WAIVER_WORDS)}</label></p>\n')


def _partner_row(i: int) -> str:
    """A partner's row as recorded (`roster`): the member's hidden user id, the name (its
    suggestions under it), the guest box and its hidden `guestof`."""
    return (f'<div class="player" data-player="{i}"><label for="player-{i}">Player {i}</label>'
            f'\n{_hidden(f"players[{i}][user_id]", "")}'
            f'<span class="name-box"><input id="player-{i}" type="text" '
            f'name="players[{i}][name]" autocomplete="off">'
            f'<ul class="suggestions" id="suggestions-{i}" role="listbox" hidden></ul></span>\n'
            f'<input type="checkbox" id="guest-{i}" name="players[{i}][guest]"> '
            f'<label for="guest-{i}">{GUEST_LABEL}</label>\n'
            f'{_hidden(f"players[{i}][guestof]", "")}</div>\n')


def _players(user_id: int | None, user_name: str, roster: bool = False) -> str:
    """The account holder (readonly) and three partners: name fields, or (`roster`) rows
    of a member's or a guest's fields."""
    member_id = "" if user_id is None else _hidden("players[1][user_id]", user_id)
    partners = "".join(
        _partner_row(i) if roster else
        f'<p><label for="player-{i}">Player {i}</label>'
        f'<input id="player-{i}" type="text" name="players[{i}][name]"></p>\n'
        for i in (2, 3, 4)
    )
    return (f'<p><label for="player-1">Player 1</label>\n{member_id}'
            f'<input id="player-1" type="text" name="players[1][name]" '
            f'value="{escape(user_name)}" readonly></p>\n{partners}')


_HOLD_SCRIPT = """
(function () {
  var form = document.getElementById('booking-form');
  var duration = document.getElementById('duration');
  var summary = document.getElementById('hold-summary');
  var temp = form.querySelector('input[name=temp]').value;
  var pending = 0;
  var failed = false;
  function update() {
    var chosen = form.querySelector('input[name=rtype]:checked');
    var body = 'temp=' + encodeURIComponent(temp)
      + '&rtype=' + encodeURIComponent(chosen ? chosen.value : '')
      + '&duration=' + encodeURIComponent(duration.value);
    pending += 1;
    form.dataset.hold = 'updating';
    fetch(HOLD_PATH, {
      method: 'POST', credentials: 'same-origin', body: body,
      headers: {'X-Requested-With': 'XMLHttpRequest',
                'Content-Type': 'application/x-www-form-urlencoded'}
    }).then(function (response) { return response.json(); }).then(function (data) {
      failed = data.code !== 200;
      if (failed) { summary.textContent = data.msg; return; }
      summary.dataset.rtype = data.rtype;
      summary.dataset.duration = data.duration;
      summary.textContent = data.summary;
    }, function () { failed = true; }).then(function () {
      pending -= 1;
      if (pending === 0) { form.dataset.hold = failed ? 'failed' : 'held'; }
    });
  }
  form.querySelectorAll('input[name=rtype]').forEach(function (radio) {
    radio.addEventListener('change', update);
  });
  duration.addEventListener('change', update);
})();
"""


_ROSTER_SCRIPT = """
(function () {
  var form = document.getElementById('booking-form');
  form.querySelectorAll('div.player[data-player]').forEach(function (row) {
    var n = row.dataset.player;
    function field(part) { return row.querySelector('[name="players[' + n + '][' + part + ']"]'); }
    var name = field('name'), userId = field('user_id');
    var guest = field('guest'), guestOf = field('guestof');
    var list = row.querySelector('ul.suggestions');
    var asked = 0, timer = null;
    function hide() { list.hidden = true; list.innerHTML = ''; delete list.dataset.query; }
    function items() { return Array.prototype.slice.call(list.querySelectorAll('li')); }
    function choose(item) {
      name.value = item.dataset.name;
      userId.value = item.dataset.userId;
      guest.checked = false;
      guestOf.value = '';
      asked += 1;
      hide();
    }
    function show(query, members) {
      list.innerHTML = '';
      members.forEach(function (member) {
        var item = document.createElement('li');
        item.dataset.userId = member.id;
        item.dataset.name = member.n;
        item.textContent = member.n;
        item.setAttribute('role', 'option');
        item.addEventListener('mousedown', function (event) { event.preventDefault(); });
        item.addEventListener('click', function () { choose(item); });
        list.appendChild(item);
      });
      list.dataset.query = query;
      list.hidden = members.length === 0;
    }
    function search() {
      var query = name.value.trim();
      var mine = ++asked;
      if (guest.checked || query.length < MIN_QUERY) { hide(); return; }
      fetch(ROSTER_PATH + '?q=' + encodeURIComponent(query), {
        credentials: 'same-origin', headers: {'X-Requested-With': 'XMLHttpRequest'}
      }).then(function (response) { return response.json(); }).then(function (data) {
        if (mine === asked) { show(query, data.results || []); }
      });
    }
    name.addEventListener('input', function () {
      userId.value = '';
      clearTimeout(timer);
      timer = setTimeout(search, DEBOUNCE_MS);
    });
    name.addEventListener('keydown', function (event) {
      var all = items();
      if (list.hidden || !all.length) { return; }
      var at = all.findIndex(function (item) { return item.classList.contains('active'); });
      if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
        event.preventDefault();
        var next = event.key === 'ArrowDown' ? Math.min(at + 1, all.length - 1)
                                             : Math.max(at - 1, 0);
        all.forEach(function (item, k) {
          item.classList.toggle('active', k === next);
          item.setAttribute('aria-selected', k === next ? 'true' : 'false');
        });
      } else if (event.key === 'Enter' && at >= 0) {
        event.preventDefault();
        choose(all[at]);
      } else if (event.key === 'Escape') {
        asked += 1;
        hide();
      }
    });
    name.addEventListener('blur', function () {
      setTimeout(function () { asked += 1; hide(); }, 200);
    });
    guest.addEventListener('change', function () {
      guestOf.value = guest.checked ? '1' : '';
      if (guest.checked) { userId.value = ''; asked += 1; hide(); }
    });
  });
})();
"""


def form_script(site_key: str, action: str, *, hold_updates: bool = False,
                roster: bool = False) -> str:
    """The booking form's own script: a type enables the duration, a reCAPTCHA token at
    load and a fresh one on submit. With `hold_updates`, the hold update on each change of
    type or duration (`#booking-form[data-hold]`: "updating" while any is under way, then
    "held", or "failed" when the last answer was an error). With `roster`, each partner
    row's suggestions and guest box."""
    parts = [_FORM_SCRIPT, _HOLD_SCRIPT if hold_updates else "",
             _ROSTER_SCRIPT if roster else ""]
    script = with_strings("".join(parts), KEY=site_key, ACTION=action,
                           HOLD_PATH=HOLD_UPDATE_PATH, ROSTER_PATH=ROSTER_PATH)
    return (script.replace("MIN_QUERY", str(ROSTER_MIN_QUERY))
            .replace("DEBOUNCE_MS", str(ROSTER_DEBOUNCE_MS)))


def hold_words(seconds: float) -> str:
    """"Your temporary booking will be held for 5:00 minutes"."""
    whole = max(0, int(seconds))
    return HOLD_WORDS.format(f"{whole // 60}:{whole % 60:02d}")


def hold_summary(type_name: str, minutes: int) -> str:
    """What the form says is held: "Singles, 1 hour"."""
    return f"{type_name}, {duration_label(minutes)}"


def _hold_line(held: tuple[str, int, int] | None, hold_seconds: float) -> str:
    if held is None:
        return ""
    name, rtype, minutes = held
    return (f'<p class="hold"><span id="hold-time">{escape(hold_words(hold_seconds))}</span>. '
            f'Held: <span id="hold-summary" data-rtype="{rtype}" data-duration="{minutes}">'
            f"{escape(hold_summary(name, minutes))}</span></p>\n")


def booking_form(*, court: int, court_id: int, day: date, minutes: int, temp: int,
                 user_id: int | None, user_name: str, booking_types: dict[str, int],
                 durations: list[int], sport: int, site_key: str, action: str,
                 waiver: bool = False, held: tuple[str, int, int] | None = None,
                 hold_seconds: float = 300.0, script_src: str | None = None,
                 roster: bool = False) -> str:
    """The form with its fields in the order a player's own save sends them (two
    `duration`s: a fixed hidden 30, then the chosen one), its reCAPTCHA token taken at
    load and again on submit. `held` (type name, rtype, minutes): the hold follows the
    form, which says so; `script_src`: its script comes from there, not inline."""
    types = "".join(
        f'<input type="radio" name="rtype" id="rtype-{value}" value="{value}">'
        f'<label for="rtype-{value}">{escape(label)}</label>'
        for label, value in booking_types.items()
    )
    options = "".join(f'<option value="{m}">{escape(duration_label(m))}</option>'
                      for m in durations)
    script = script_tag(script_src, form_script(site_key, action, roster=roster,
                                                hold_updates=held is not None))
    hidden = (_hidden("edit", "") + _hidden("is_register", "") + _hidden("rt_key", "")
              + _hidden("temp", temp, ' id="tempId"') + _hidden("upd", "")
              + _hidden("duration", 30) + _hidden("g-recaptcha-response", "")
              + _hidden("court", court_id) + _hidden("date", day.isoformat())
              + _hidden("time", minutes) + _hidden("sportSel", sport))
    tail = (_hidden("invite_for", "Singles") + _players(user_id, user_name, roster)
            + _hidden("payee_hide", "" if user_id is None else user_id)
            + _waiver(waiver))
    return layout("Book a court", f"""<h1>Book Court {court}</h1>
<p class="slot">{escape(day_label(day))} at {clock(minutes)}</p>
{_hold_line(held, hold_seconds)}{recaptcha_script(site_key)}
<form id="booking-form" method="post" action="{escape(SAVE_ACTION)}"\
{' data-hold="held"' if held else ''}>
{hidden}<p><label for="duration">Duration</label><select id="duration" name="duration" disabled>
<option value="">Select a duration</option>{options}</select></p>
<fieldset><legend>Booking type</legend>{types}</fieldset>
{tail}<p><button type="submit" id="book-button">Book court</button></p>
</form>
{script}""")


def not_available(message: str) -> str:
    return layout(NOT_AVAILABLE_TITLE, f"<h1>{NOT_AVAILABLE_TITLE}</h1>"
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


def countdown_text(seconds: float) -> str:
    """What the countdown shows: `[Nd ]HH:MM:SS`, as its script writes it."""
    left = max(0, round(seconds))
    days, rest = divmod(left, 86400)
    clock_text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"{days}d {clock_text}" if days else clock_text


def please_wait(seconds_left: float) -> str:
    """The bookerror page of a window not open yet, as recorded (`bookerror_words`)."""
    left = max(0, int(seconds_left))
    return layout(NOT_AVAILABLE_TITLE, f"""<h1>{NOT_AVAILABLE_TITLE}</h1>
<div class="error"><p class="wait">{escape(PLEASE_WAIT)}</p>
<p class="time">{escape(TIME_LABEL)} <span id="countdown" data-seconds="{left}">\
{countdown_text(left)}</span></p></div><script>{_COUNTDOWN_SCRIPT}</script>""")


def not_validated() -> str:
    """The bookerror page after a save the bot check refused."""
    return not_available(NOT_VALIDATED)


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
    players = "".join(f"<li>{escape(p.name)}{' (guest)' if p.guest else ''}</li>"
                      for p in booking.players)
    return layout("Booking confirmed", f"""<h1>Booking confirmed</h1>
<p>Confirmation number <strong class="confirmation">{booking.confirmation}</strong></p>
<p>{_booking_line(booking)}</p><ul class="players">{players}</ul>
<p><a href="/">My bookings</a></p>""")


_CANCEL_SCRIPT = """
(function () {
  var form = document.getElementById('cancel-form');
  var confirmed = form.querySelector('input[name=confirmed]');
  form.addEventListener('submit', function (event) {
    if (confirmed.value === '1') { return; }
    event.preventDefault();
    if (window.confirm(QUESTION)) {
      confirmed.value = '1';
      form.submit();
    }
  });
})();
"""


def cancel_script() -> str:
    """The two-step cancel page's script: the dialog, then the post with `confirmed=1`."""
    return with_strings(_CANCEL_SCRIPT, QUESTION=CANCEL_QUESTION)


def script_tag(source: str | None, inline: str) -> str:
    """The page's own script: loaded from `source` (another origin) when given."""
    if source:
        return f'<script src="{escape(source)}"></script>'
    return f"<script>{inline}</script>"


def cancel_page(booking: Booking, steps: int = 1, script_src: str | None = None) -> str:
    """One button that posts the cancel, or (two steps) "Back to my bookings" and "Cancel
    this booking", whose script asks the dialog and only then posts `confirmed=1`."""
    action = f"/scheduling/index/cancel/id/{booking.id}"
    line = f"<p>{_booking_line(booking)} (confirmation {booking.confirmation})</p>"
    if steps == 1:
        return layout("Cancel booking", f"""<h1>Cancel this booking?</h1>
{line}
<form method="post" action="{action}">
<button type="submit">{CANCEL_BUTTON}</button> <a href="/">Keep it</a></form>""")
    return layout("Cancel booking", f"""<h1>Cancel this booking?</h1>
{line}
<div class="cancel-buttons">
<form id="back-form" method="get" action="/"><button type="submit" id="back-button">\
{BACK_TO_BOOKINGS}</button></form>
<form id="cancel-form" method="post" action="{action}">
<input type="hidden" name="confirmed" value="">
<button type="submit" id="cancel-button">{CANCEL_THIS_BOOKING}</button></form>
</div>
{script_tag(script_src, cancel_script())}""")


def cancel_not_confirmed() -> str:
    """A cancel posted without the dialog's confirmation: nothing was cancelled."""
    return layout("Booking not cancelled", f"<h1>Booking not cancelled</h1>"
                                           f'<div class="error">{escape(CANCEL_NOT_CONFIRMED)}'
                                           '</div><p><a href="/">My bookings</a></p>')


def message_page(title: str, message: str) -> str:
    """404, 400 and 500 pages."""
    return layout(title, f"<h1>{escape(title)}</h1><p>{escape(message)}</p>")
