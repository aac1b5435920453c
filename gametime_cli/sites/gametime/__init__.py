"""GameTime, driven in Chromium with Playwright, as a player would.

Everything here follows the recorded behaviour of the site (shared/gametime-site.md):
the login form, the day's JSON, the booking form and its hold, its save (posted from
the session with the page's own reCAPTCHA token, or by the page's own button), and the
confirmation redirect. What a player types or clicks goes through the browser's
keyboard and mouse (`page_input`). Court ids, booking types and the sport come from the
site or the club's settings, never from constants here.

The driver is one class built in layers, each a module that uses those before it:
`pages` (the context, loading and fetching, origins), `reading` (a page's words, the
error page's, the evidence of a failure), `login`, `day` (the day's JSON, one's own
bookings), `aiming` (the opening), `form` (the hold and filling the form, with
`partners` and the boxes agreed to), `save`, `cancelling`. Its JavaScript lives in
`js/`; `words` holds what the site's pages say.
"""

from gametime_cli.sites.gametime.cancelling import Cancelling
from gametime_cli.sites.gametime.pages import SUBMIT_MODES


class GameTimeSite(Cancelling):
    """One account at one club, on the run's browser: the site driver for GameTime."""


__all__ = ["SUBMIT_MODES", "GameTimeSite"]
