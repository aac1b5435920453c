"""Aiming the form's request at the opening: how far ahead to send it, and accounts that
fire together rehearsing together (no browser: the rehearsal's loads are stand-ins)."""

from __future__ import annotations

import asyncio
import time

import pytest

from gametime_cli.browser import REHEARSALS, BrowserHost
from gametime_cli.site_clock import AIM_AFTER, ClockEstimate, send_ahead


def test_the_request_leaves_early_by_the_path_and_the_browser_less_the_doubt():
    estimate = ClockEstimate(offset=2.5, uncertainty=0.001, samples=36, latency=0.025,
                             spread=0.003)
    ahead = send_ahead(estimate, browser_delay=0.010)
    assert ahead == pytest.approx(0.025 + 0.010 - 0.001 - AIM_AFTER)
    # Sent that far ahead, over the fastest path and with the browser at its quickest,
    # the request still arrives after the opening.
    assert -ahead + 0.010 + 0.025 >= AIM_AFTER
    # A site on this machine, with no delay to speak of: sent at the opening, not before.
    assert send_ahead(ClockEstimate(0.0, 0.004, 28, 0.0002, 0.0), 0.0) == 0.0


def _rehearse(together: int, delays: list[float], wait: float = 5.0
              ) -> tuple[list[float | None], list[list[float]]]:
    """`len(delays)` accounts rehearsing on one host: what each was told, and when each
    account's loads started."""
    host = BrowserHost()
    started: list[list[float]] = [[] for _ in delays]

    def account(n: int):
        async def load() -> float:
            started[n].append(time.monotonic())
            await asyncio.sleep(0.01)
            return delays[n]
        return load

    async def main() -> list[float | None]:
        async def join(n: int) -> float | None:
            await asyncio.sleep(0.05 * n)  # they finish logging in at different times
            return await host.rehearse("https://club.example", together, account(n), wait)
        return list(await asyncio.gather(*(join(n) for n in range(len(delays)))))

    return asyncio.run(main()), started


def test_accounts_firing_together_rehearse_together_and_aim_alike():
    told, started = _rehearse(3, [0.060, 0.045, 0.070])
    assert told == [0.045, 0.045, 0.045]  # the first request to leave, the same for all
    assert all(len(times) == REHEARSALS for times in started)
    for round_starts in zip(*started, strict=True):  # each round's loads go at once
        assert max(round_starts) - min(round_starts) < 0.005


def test_a_rehearsal_does_not_wait_past_its_time_for_an_account_that_never_comes():
    begun = time.monotonic()
    told, started = _rehearse(3, [0.030, 0.020], wait=0.3)
    assert told == [0.020, 0.020]
    assert 0.3 <= min(times[0] for times in started) - begun < 2


def test_an_opening_counts_the_accounts_firing_at_it():
    host = BrowserHost()
    site, instant = "https://club.example", 1_800_000_000.0
    assert host.together(site, instant) == 1
    with host.opening(site, instant, "jo"), host.opening(site, instant, "sam"):
        with host.opening(site, instant, "jo"):  # jo's second booking at the same opening
            assert host.together(site, instant) == 2
        assert host.together(site, instant + 60) == 1
        assert host.together(site, instant) == 2
    assert host.together(site, instant) == 1
