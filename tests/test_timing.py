"""The site's clock from its Date headers, and waking on time."""

from __future__ import annotations

import threading
import time

import pytest

from gametime_cli.run.waiting import wait_until
from gametime_cli.sandbox import SandboxConfig, SandboxSite
from gametime_cli.sites import site_clock
from gametime_cli.sites.site_clock import ClockSample, DateProbes, estimate_offset, measure


def test_samples_around_a_second_change_pin_the_offset():
    # The server reads 100.xxx while we read 97.6..97.62: the offset is 2.4 to 2.42
    # (the change to 101 is seen at 98.6 local).
    samples = [ClockSample(97.60, 97.62, 100.0), ClockSample(98.59, 98.61, 100.0),
               ClockSample(98.61, 98.63, 101.0)]
    estimate = estimate_offset(samples)
    assert estimate.offset == pytest.approx(2.39, abs=0.02)
    assert estimate.uncertainty < 0.02


def test_inconsistent_samples_fall_back_to_the_median():
    samples = [ClockSample(10.0, 10.01, 20.0), ClockSample(11.0, 11.01, 30.0),
               ClockSample(12.0, 12.01, 22.0)]
    estimate = estimate_offset(samples)
    assert estimate.uncertainty == 0.5
    assert estimate.offset == pytest.approx(10.495, abs=0.01)


def test_a_probe_held_up_on_the_way_is_set_aside():
    # Two probes of 50 ms round trips, sent 4 ms apart on two connections, straddle the
    # change to 101 at 98.6 local (offset 2.4); a third took 300 ms (a busy machine) and
    # would pull the estimate 76 ms off.
    samples = [ClockSample(98.573, 98.623, 100.0), ClockSample(98.577, 98.627, 101.0),
               ClockSample(98.30, 98.60, 101.0)]
    estimate = estimate_offset(samples)
    assert estimate.offset == pytest.approx(2.4, abs=0.003)
    assert estimate.latency == pytest.approx(0.025, abs=0.001)


@pytest.mark.slow  # real probes against a sandbox, a few seconds each
@pytest.mark.parametrize(("offset", "latency", "nagle"), [(2.5, 0.0, True), (-1.3, 0.025, False)],
                         ids=["here-nagle", "25ms-one-write"])  # all four: the benchmark
def test_the_sites_clock_and_latency_from_the_same_probes(offset, latency, nagle):
    config = SandboxConfig(clock_offset=offset, latency=latency,
                           jitter=0.003 if latency else 0.0, nagle=nagle)
    with SandboxSite(config) as site:
        probes = DateProbes(site.base_url, timeout=5)
        try:
            estimate = measure(probes)
        finally:
            probes.close()
    # The benchmark's figure is within 5 ms; this bound only has to survive a busy machine.
    assert estimate.offset == pytest.approx(offset, abs=0.015)
    # Timed at the headers: in the Nagle mode the body comes ~40 ms after them.
    assert estimate.latency == pytest.approx(latency, abs=0.006)


@pytest.mark.slow
def test_accounts_preparing_together_share_one_measurement():
    site_clock.forget()
    with SandboxSite(SandboxConfig(clock_offset=1.0)) as site:
        results: list[site_clock.ClockEstimate] = []
        threads = [threading.Thread(target=lambda: results.append(
            site_clock.site_clock(site.base_url, 5))) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        probes = [r for r in site.requests() if r["path"] == "/auth"]
    site_clock.forget()
    assert len(results) == 4 and len(set(results)) == 1
    assert len(probes) <= site_clock.CONNECTIONS * (site_clock.ROUNDS + 1) + 12


def test_wait_until_wakes_on_time_and_stops_when_told():
    target = time.time() + 0.3
    assert wait_until(target) is True
    assert 0 <= time.time() - target < 0.1  # generous: a loaded machine may be late
    stop = threading.Event()
    threading.Timer(0.1, stop.set).start()
    started = time.monotonic()
    assert wait_until(time.time() + 30, stop=stop) is False
    assert time.monotonic() - started < 1


def test_the_idle_path_knows_the_lookahead_default(cli, now, monkeypatch):
    # A window opening 60 s from now: within the default lookahead (90 s), the idle tick
    # leaves it to the full run; with lookahead set to 30 s it is idle.
    from datetime import UTC, datetime, timedelta
    from datetime import time as time_of_day

    from gametime_cli.cli import idle_tick
    from gametime_cli.clock import restart_pinned

    opens = datetime.combine(now.date(), time_of_day(8), UTC)
    monkeypatch.setenv("GAMETIME_NOW", (opens - timedelta(seconds=60)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"))
    restart_pinned()
    assert cli("club", "add", "sim", "--url", "simulate:", "--timezone", "UTC",
               "--window-days", "2", "--opens-at", "08:00").exit_code == 0
    assert cli("book", "+2d", "19:00", "--club", "sim").exit_code == 0
    assert idle_tick({}) is None
    assert cli("config", "set", "lookahead", "30").exit_code == 0
    assert idle_tick({}) == 0
