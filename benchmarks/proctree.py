"""A benchmark's processes and everything below them, from /proc: for killing a run
together with its Playwright driver and Chromium (which starts in a process group of
its own). Shared by soak.py and window_race.py, run as scripts from this folder."""

from __future__ import annotations

import collections
import contextlib
import os
import signal
from pathlib import Path


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, read from /proc."""
    children: dict[int, list[int]] = collections.defaultdict(list)
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                children[int(stat.rsplit(")", 1)[1].split()[1])].append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_tree(pid: int) -> None:
    """SIGKILL a process's group and every process below it, whatever their group."""
    below = descendants(pid)
    with contextlib.suppress(ProcessLookupError):  # it may have just ended
        os.killpg(pid, signal.SIGKILL)
    for child in below:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGKILL)
