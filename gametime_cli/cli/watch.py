"""`gametime watch`: the long-lived alternative to cron."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import typer


def watch(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per event, per line."),
    headed: bool = typer.Option(False, "--headed", help="Show the browser while booking."),
    on_result: str | None = typer.Option(None, "--on-result", metavar="CMD",
                                         help="Run CMD after each result (see run-pending)."),
) -> None:
    """Book each booking at its window's opening, until Ctrl-C or SIGTERM.

    It sleeps until the next booking needs preparing and notices new, changed or
    cancelled bookings within half a second. In a terminal it shows the next bookings and
    the last results, redrawn when they change (countdowns at most once a second);
    otherwise it prints one line per event. One watch per data home.
    """
    import collections
    import signal
    import sys

    from gametime_cli.cli.common import open_store
    from gametime_cli.clock import utcnow
    from gametime_cli.output import watch
    from gametime_cli.run.watch import WatchEvent, WatchLock
    from gametime_cli.run.watch import watch as run_watch

    store = open_store()
    lock = WatchLock(store.path.parent)
    lock.acquire()
    stop = threading.Event()
    signalled: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        signalled.append(signum)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, on_signal)
    zones = {c.name: c.zone for c in store.list_clubs()}
    state = {"pending": store.next_pending(watch.WATCH_ROWS),
             "results": collections.deque(maxlen=8)}
    changed = threading.Event()

    def remember(event: WatchEvent) -> None:
        if event.kind == "result" and event.result is not None:
            state["results"].appendleft(event.result)
        elif event.kind in ("started", "waiting", "changed"):
            # The watch loop's thread (the store's); only what the screen shows.
            state["pending"] = store.next_pending(watch.WATCH_ROWS)
            zones.update({c.name: c.zone for c in store.list_clubs()})
        changed.set()

    live_terminal = sys.stdout.isatty() and not as_json
    try:
        if live_terminal:
            def screen() -> tuple[Any, float]:
                now, pending = utcnow(), state["pending"]
                return (watch.watch_rows(pending, list(state["results"]), zones, now),
                        watch.watch_redraw_in(pending, now))

            _watch_live(screen, changed, lambda: run_watch(
                store, stop=stop, on_event=remember, headed=headed,
                on_result_command=on_result))
        else:
            def log_line(event: WatchEvent) -> None:
                remember(event)
                line = watch.watch_event(event, as_json)
                if line:
                    print(line, flush=True)

            run_watch(store, stop=stop, on_event=log_line, headed=headed,
                      on_result_command=on_result)
    finally:
        lock.release()
    if signalled:  # stopped cleanly, and says how: 130, as Ctrl-C or SIGTERM end a run
        from gametime_cli.errors import ExitCode

        raise typer.Exit(int(ExitCode.INTERRUPTED))


TICK = 0.05
"""A redraw waits this much past the instant its countdown changes (clocks differ)."""


def _watch_live(screen: Callable[[], tuple[Any, float]], changed: threading.Event,
                run: Callable[[], None]) -> None:
    """Run the watch under a live screen drawn only when what it says changes: at once
    on an event, else when a countdown next reads differently (each second in its last
    hour, each minute or hour before)."""
    from rich.live import Live

    from gametime_cli.output import streams, watch

    done = threading.Event()
    shown, wait = screen()
    with Live(watch.watch_view(shown), console=streams.console(), auto_refresh=False,
              transient=False) as live:

        def redraw() -> None:
            nonlocal shown, wait
            while not done.is_set():
                if changed.wait(wait + TICK):
                    changed.clear()
                now_showing, wait = screen()
                if now_showing != shown:
                    shown = now_showing
                    live.update(watch.watch_view(shown), refresh=True)

        drawer = threading.Thread(target=redraw, name="watch-screen", daemon=True)
        drawer.start()
        try:
            run()
        finally:
            done.set()
            changed.set()
            drawer.join()


def register(app: typer.Typer) -> None:
    app.command("watch")(watch)
