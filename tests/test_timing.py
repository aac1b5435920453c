"""The site's clock from its Date headers, and waking on time."""

from __future__ import annotations

import threading
import time
import urllib.request

import pytest

from gametime_cli.sandbox import SandboxConfig, SandboxSite
from gametime_cli.timing import ClockSample, estimate_offset, measure_offset, wait_until


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


@pytest.mark.slow  # real probes against a sandbox, a second and more each
@pytest.mark.parametrize("offset", [2.5, -1.3, 0.0])
def test_the_offset_of_a_site_ahead_or_behind(offset):
    with SandboxSite(SandboxConfig(clock_offset=offset)) as site:
        def probe() -> str:
            with urllib.request.urlopen(site.base_url + "/auth", timeout=5) as response:
                return response.headers["Date"]

        estimate = measure_offset(probe)
    assert estimate.offset == pytest.approx(offset, abs=0.05)
    assert estimate.uncertainty < 0.05


def test_wait_until_wakes_on_time_and_stops_when_told():
    target = time.time() + 0.3
    assert wait_until(target) is True
    assert 0 <= time.time() - target < 0.1  # generous: a loaded machine may be late
    stop = threading.Event()
    threading.Timer(0.1, stop.set).start()
    started = time.monotonic()
    assert wait_until(time.time() + 30, stop=stop) is False
    assert time.monotonic() - started < 1


def test_the_idle_path_knows_the_lookahead_default():
    from gametime_cli.cli import LOOKAHEAD_DEFAULT
    from gametime_cli.settings import KNOWN

    assert KNOWN["lookahead"].default == LOOKAHEAD_DEFAULT
