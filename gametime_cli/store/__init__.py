"""The SQLite store: one file in the data home, its tables kept by concern.

`Store` is one connection with every table's methods: `base` opens and migrates it,
`clubs` keeps clubs and accounts, `bookings` bookings, `attempts` attempts and their
outcomes, `leases` claims and leases, `series` recurring rules, `settings` settings and
notifiers.
"""

from __future__ import annotations

from gametime_cli.store.attempts import AttemptStore
from gametime_cli.store.base import BUSY_TIMEOUT_S, SCHEMA_VERSION, StoreBase, database_error
from gametime_cli.store.bookings import BookingStore
from gametime_cli.store.clubs import ClubStore
from gametime_cli.store.leases import LeaseStore
from gametime_cli.store.series import SeriesStore
from gametime_cli.store.settings import SettingsStore

__all__ = ["BUSY_TIMEOUT_S", "SCHEMA_VERSION", "Store", "database_error"]


class Store(ClubStore, BookingStore, AttemptStore, LeaseStore, SeriesStore, SettingsStore,
            StoreBase):
    """One connection to the data home's database, with every table's methods."""
