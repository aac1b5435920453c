"""The idle check: whether a run has anything to do now. Cron pays it every minute, so
it loads no more than the store."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gametime_cli.store import Store


def has_work(store: Store, now: datetime, lookahead: float | None = None) -> bool:
    """Whether anything is due by `lookahead` seconds from now (default: the
    `lookahead` setting), or held by a run whose lease ran out."""
    if lookahead is None:
        from gametime_cli.settings import Settings

        lookahead = Settings(store.settings()).lookahead
    return store.has_due(now, now + timedelta(seconds=lookahead))
