"""`gametime cron install|remove|show`."""

from __future__ import annotations

import typer

from gametime_cli.cli.common import JSON_OPTION, say, subapp

app = subapp("Run run-pending from your crontab every minute.")


@app.command("install")
def install() -> None:
    """Add (or replace) the crontab entry: every minute, this gametime, this data home."""
    from gametime_cli import paths
    from gametime_cli.errors import GametimeError
    from gametime_cli.system import crontab

    home = paths.data_home()
    crontab.entry(home, None)  # a home or command the line can't hold: refused first (exit 3)
    browser = None
    try:
        from gametime_cli.sites.browser import find_browser

        browser = find_browser()
    except GametimeError:
        typer.echo("warning: no browser found yet; GameTime clubs need one "
                   "(apt-get install chromium)", err=True)
    line = crontab.install(home, browser)
    say(f"Installed: {line}")


@app.command("remove")
def remove() -> None:
    """Remove the crontab entry."""
    from gametime_cli.system import crontab

    removed = crontab.remove()
    say("Removed the crontab entry." if removed else "There was no entry to remove.")


@app.command("show")
def show(as_json: bool = JSON_OPTION) -> None:
    """Show the crontab entry, if there is one."""
    from gametime_cli.output import streams
    from gametime_cli.system import crontab

    found = crontab.ours(crontab.read())
    if as_json:
        streams.print_json({"installed": bool(found), "entries": found})
    elif found:
        for line in found:
            typer.echo(line)
    else:
        say("No crontab entry; add one with 'gametime cron install'.", err=True)
