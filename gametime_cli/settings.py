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


def _bounded(kind: Callable[[str], Any], low: float, high: float) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value = kind(text)
        if not low <= value <= high:
            raise ValueError(f"must be between {low:g} and {high:g}")
        return value

    return parse


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
        Setting("lease_seconds", 300.0, _bounded(float, 10, 86400),
                "how long a run's claim on a booking lasts before another run may take it"),
    )
}


def parse_setting(key: str, text: str) -> Any:
    setting = KNOWN.get(key)
    if setting is None:
        raise BadInput(f"unknown setting {key!r}; 'gametime config list' shows the settings")
    try:
        return setting.parse(text)
    except ValueError as exc:
        raise BadInput(f"{key} = {text!r} is not valid: {exc}") from None


class Settings:
    """Typed view of the stored settings, defaults filling the gaps."""

    def __init__(self, stored: Mapping[str, str]):
        self._values = {k: s.default for k, s in KNOWN.items()}
        for key, text in stored.items():
            if key in KNOWN:
                with contextlib.suppress(ValueError):
                    self._values[key] = KNOWN[key].parse(text)

    def __getattr__(self, key: str) -> Any:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(key) from None
