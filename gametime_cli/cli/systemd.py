"""`gametime systemd install|remove`."""

from __future__ import annotations

import typer

from gametime_cli.cli.common import say, subapp

app = subapp("Run run-pending from a systemd user timer every minute (instead of cron).")


@app.command("install")
def install(no_enable: bool = typer.Option(False, "--no-enable",
                                           help="Write the units, don't start the timer.")) -> None:
    """Write the user service and timer (every minute, AccuracySec=1s, Persistent=true)."""
    from gametime_cli import paths
    from gametime_cli.errors import GametimeError
    from gametime_cli.system import systemd

    home = paths.data_home()
    systemd.units(home, None)  # a home or command a unit can't hold: refused first (exit 3)
    browser = None
    try:
        from gametime_cli.sites.browser import find_browser

        browser = find_browser()
    except GametimeError:
        typer.echo("warning: no browser found yet (apt-get install chromium)", err=True)
    written, problem = systemd.install(home, browser, enable=not no_enable)
    for path in written:
        say(f"Wrote {path}")
    if problem:
        typer.echo(f"warning: the timer is not running: {problem}; start it with "
                   f"'systemctl --user enable --now {systemd.UNIT}.timer' (and "
                   "'loginctl enable-linger' to run without you logged in)", err=True)
    elif not no_enable:
        say(f"Started {systemd.UNIT}.timer.")


@app.command("remove")
def remove() -> None:
    """Stop the timer and delete the units."""
    from gametime_cli.system import systemd

    removed, _ = systemd.remove()
    say(f"Removed {len(removed)} unit file(s).")
