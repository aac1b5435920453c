"""`gametime watch`: the long-lived alternative to cron."""

from __future__ import annotations

import typer


def watch(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per event, per line."),
    headed: bool = typer.Option(False, "--headed", help="Show the browser while booking."),
    on_result: str | None = typer.Option(None, "--on-result", metavar="CMD",
                                         help="Run CMD after each result (see run-pending)."),
) -> None:
    """Book each booking at its window's opening, until Ctrl-C or SIGTERM.

    It sleeps until the next booking needs preparing and notices new, changed or
    cancelled bookings within half a second. In a terminal it shows a live table; otherwise
    it prints one line per event. One watch per data home.
    """
    import collections
    import signal
    import sys
    import threading

    from gametime_cli import render
    from gametime_cli.cli.common import open_store
    from gametime_cli.watcher import WatchEvent, WatchLock
    from gametime_cli.watcher import watch as run_watch

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
    state = {"pending": store.list_bookings("pending"),
             "results": collections.deque(maxlen=8)}

    def remember(event: WatchEvent) -> None:
        if event.kind == "result" and event.result is not None:
            state["results"].appendleft(event.result)
        elif event.kind in ("started", "waiting", "changed"):
            state["pending"] = store.list_bookings("pending")  # the watch loop's thread
            zones.update({c.name: c.zone for c in store.list_clubs()})

    live_terminal = sys.stdout.isatty() and not as_json
    try:
        if live_terminal:
            from rich.live import Live

            with Live(get_renderable=lambda: render.watch_view(state["pending"],
                                                               list(state["results"]), zones),
                      console=render.console(), refresh_per_second=4, transient=False):
                run_watch(store, stop=stop, on_event=remember, headed=headed,
                          on_result_command=on_result)
        else:
            def log_line(event: WatchEvent) -> None:
                remember(event)
                line = render.watch_event(event, as_json)
                if line:
                    print(line, flush=True)

            run_watch(store, stop=stop, on_event=log_line, headed=headed,
                      on_result_command=on_result)
    finally:
        lock.release()
    if signalled:  # stopped cleanly, and says how: 130, as Ctrl-C or SIGTERM end a run
        from gametime_cli.errors import ExitCode

        raise typer.Exit(int(ExitCode.INTERRUPTED))


def register(app: typer.Typer) -> None:
    app.command("watch")(watch)
