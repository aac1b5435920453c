"""The SQLite store: one file in the data home, its tables kept by concern.

`Store` is one connection with every table's methods: `base` opens and migrates it
(`migrations` holds the schema), `clubs` keeps clubs and accounts, `bookings` bookings
and what falls due, `attempts` each try and its outcome, `leases` how a run claims,
holds, fences and hands back a booking, `series` recurring rules, `settings` settings
and notifiers.
"""

from __future__ import annotations

from gametime_cli.store.base import BUSY_TIMEOUT_S, SCHEMA_VERSION, StoreBase, database_error
from gametime_cli.store.bookings import BookingStore
from gametime_cli.store.clubs import ClubStore
from gametime_cli.store.series import SeriesStore
from gametime_cli.store.settings import SettingsStore

__all__ = ["BUSY_TIMEOUT_S", "SCHEMA_VERSION", "Store", "database_error"]


class Store(ClubStore, BookingStore, SeriesStore, SettingsStore, StoreBase):
    """One connection to the data home's database, with every table's methods."""
