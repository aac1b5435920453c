"""Settings a player may change with `gametime config`, with their defaults."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from gametime_cli.errors import BadInput


@dataclass(frozen=True)
class Setting:
    key: str
    default: Any
    parse: Callable[[str], Any]
    help: str
    check: Callable[[Any], None] | None = None
    """Extra validation when the player sets it (not when reading a stored value)."""


def _bounded(kind: Callable[[str], Any], low: float, high: float) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            what = "a whole number" if kind is int else "a number"
            raise ValueError(f"it takes {what} from {low:g} to {high:g}") from None
        if not low <= value <= high:
            raise ValueError(f"must be between {low:g} and {high:g}")
        return value

    return parse


def _executable(text: str) -> None:
    import os
    import shutil

    if text and not (os.path.isfile(text) and os.access(text, os.X_OK)) and not shutil.which(text):
        raise ValueError("not an executable file")


def _choice(*choices: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in choices:
            raise ValueError(f"it takes {' or '.join(choices)}")
        return value

    return parse


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "on", "1"):
        return True
    if lowered in ("false", "no", "off", "0"):
        return False
    raise ValueError("it takes true or false")


def _cutoff(text: str) -> str:
    from gametime_cli.run.keep_trying import check_until

    try:
        return check_until(text)
    except BadInput:
        raise ValueError("write how long before the slot (2h, 90m) or a time (17:00)") from None


KNOWN: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting("max_attempts", 3, _bounded(int, 1, 50),
                "attempts before a booking fails on transient errors"),
        Setting("retry_base", 2.0, _bounded(float, 0.1, 3600),
                "seconds before the first retry; doubles with each retry"),
        Setting("retry_cap", 300.0, _bounded(float, 0.1, 86400),
                "longest wait between retries, in seconds"),
        Setting("max_wait", 45.0, _bounded(float, 0, 3600),
                "how long run-pending stays to retry bookings it has just tried, in seconds"),
        Setting("lease_seconds", 300.0, _bounded(float, 2, 86400),
                "how long a run's claim on a booking lasts before another run may take it"),
        Setting("browser", "", str,
                "the Chromium to drive (a path); empty: GAMETIME_BROWSER, Playwright's, PATH",
                check=_executable),
        Setting("browser_mode", "headless", _choice("headless", "lean", "headed"),
                "headless: the full Chromium without a window; lean: its headless shell "
                "(least memory, easiest for a club to tell from a player's browser); "
                "headed: in a window, on an Xvfb of its own where there is no display"),
        Setting("submit", "post", _choice("post", "page"),
                "how a booking form is sent: post (the page's reCAPTCHA token, then the "
                "form's fields posted by HTTP from the session) or page (a click on the "
                "page's own button); a refused save is sent once more the other way"),
        Setting("navigation_timeout", 15.0, _bounded(float, 1, 300),
                "seconds a page may take to load"),
        Setting("action_timeout", 5.0, _bounded(float, 0.5, 120),
                "seconds a click or a form field may take"),
        Setting("artifacts_days", 30, _bounded(int, 1, 3650),
                "days to keep the screenshots and pages of failed attempts"),
        Setting("lookahead", 90.0, _bounded(float, 0, 3600),
                "run-pending claims bookings whose window opens within this many seconds "
                "and waits for the opening in-process"),
        Setting("lead_seconds", 60.0, _bounded(float, 5, 3600),
                "how long before the opening the browser starts, logs in, reads the courts "
                "and measures the site's clock"),
        Setting("on_result", "", str,
                "a shell command run after each result, with it in GAMETIME_* variables"),
        Setting("fire_retry_seconds", 20.0, _bounded(float, 0, 600),
                "at the opening, how long to keep reloading a booking form the site still "
                "calls too early (at once, then at most every 100 ms)"),
        Setting("hold_wait", 300.0, _bounded(float, 0, 3600),
                "how long to keep coming back to a court another member holds (the site's "
                "hold lapses in minutes), in seconds"),
        Setting("hold_retry", 15.0, _bounded(float, 5, 30),
                "how often a court another member holds is tried again, in seconds"),
        Setting("keep_trying", False, _boolean,
                "book --keep-trying by default: with every court taken, watch for one to "
                "free until the cut-off"),
        Setting("keep_trying_every", 30.0, _bounded(float, 10, 3600),
                "how often a booking that keeps trying reads the day's courts, in seconds "
                "(± 20 %)"),
        Setting("keep_trying_until", "2h", _cutoff,
                "when a booking stops trying: how long before the slot (2h, 90m) or a "
                "time that day (17:00)"),
    )
}


def parse_setting(key: str, text: str) -> Any:
    setting = KNOWN.get(key)
    if setting is None:
        raise BadInput(f"unknown setting {key!r}; 'gametime config list' shows the settings")
    try:
        value = setting.parse(text)
        if setting.check:
            setting.check(value)
        return value
    except ValueError as exc:
        raise BadInput(f"{key} = {text!r} is not valid: {exc}") from None


def attempt_span(values: Mapping[str, Any]) -> float:
    """The longest one attempt may take between the lease renewals at its start and at
    its submit: the burst of too-early reloads, three page loads and the form's steps."""
    return (values["fire_retry_seconds"] + 3 * values["navigation_timeout"]
            + 6 * values["action_timeout"] + 10)


TIMING_KEYS = frozenset({"lease_seconds", "fire_retry_seconds", "navigation_timeout",
                         "action_timeout", "lead_seconds"})
"""The settings whose values must fit together (see `check_together`)."""


def check_together(values: Mapping[str, Any]) -> None:
    """Refuse settings that can't work together (BadInput, with the reason)."""
    lease = values["lease_seconds"]
    span = attempt_span(values)
    if lease < span:
        raise BadInput(
            f"lease_seconds = {lease:g} is too short for fire_retry_seconds = "
            f"{values['fire_retry_seconds']:g}, navigation_timeout = "
            f"{values['navigation_timeout']:g} and action_timeout = "
            f"{values['action_timeout']:g}: one attempt may take {span:g} s, and another run "
            f"could take the booking back in the middle of it; set lease_seconds to at "
            f"least {span:g}, or lower the others"
        )
    if lease < values["lead_seconds"]:
        raise BadInput(
            f"lease_seconds = {lease:g} is shorter than lead_seconds = "
            f"{values['lead_seconds']:g}: a run preparing for an opening could lose the "
            f"booking to another run before it fires; set lease_seconds to at least "
            f"{values['lead_seconds']:g}"
        )


class Settings:
    """Typed view of the stored settings, defaults filling the gaps."""

    def __init__(self, stored: Mapping[str, str]):
        self._values = {k: s.default for k, s in KNOWN.items()}
        for key, text in stored.items():
            if key in KNOWN:
                with contextlib.suppress(ValueError):
                    self._values[key] = KNOWN[key].parse(text)

    def with_value(self, key: str, value: Any) -> dict[str, Any]:
        """Every value, with `key` changed: to check before storing it."""
        return {**self._values, key: value}

    def __getattr__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None
