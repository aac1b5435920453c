"""A small GameTime-like club site on loopback, for the tests, the demo and the benchmark.

It implements what gametime-site.md records (log in, the day's JSON, the book URL and
its hold, the form with its fields in a player's order, the save, cancelling) and lets a
test shift its clock, slow it down or make saves fail. Its reCAPTCHA v3 stand-in
(`botcheck`: a script at `/recaptcha/api.js`, tokens from `/recaptcha/api3/token`)
scores browsers as reCAPTCHA is known to, and the save refuses a low score, a bad token
or an HTTP library's User-Agent with the live site's 302 to `bookerror`; on by default,
off with `SandboxConfig(bot_check=False)`. Standard library only.

Knobs imitate more of the site as recorded (the hold that follows the form, the bookerror
page's words, a booking's two numbers, a cancel in two steps with a dialog, scripts from
another origin, roster partners and guests, a waiver box, the day's JSON as recorded);
each is on by default (as recorded), and `SandboxConfig.simple()` turns them all off.
"""

from gametime_cli.sandbox.server import SandboxSite
from gametime_cli.sandbox.state import RosterMember, SandboxConfig, SandboxUser

__all__ = ["RosterMember", "SandboxConfig", "SandboxSite", "SandboxUser"]
