"""Retired: every shared helper is in tests/support.py; import from there.

This module only re-exports the names that test_leases.py and test_fixed_instants.py
still import from here (those two files are being reworked on another branch); delete
it once they import from tests.support."""

from tests.support import db_rows, db_snapshot, iso_z, pin_clock, run_in_process

__all__ = ["db_rows", "db_snapshot", "iso_z", "pin_clock", "run_in_process"]
