"""UTC instants as the store keeps them: fixed-width ISO 8601 text that sorts as time does."""

from __future__ import annotations

from datetime import UTC, datetime

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_iso(instant: datetime) -> str:
    """`2026-11-27T14:00:00.000Z`: milliseconds, always the same width."""
    text = instant.astimezone(UTC).strftime(_FORMAT)
    return text[:-4] + "Z"


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
