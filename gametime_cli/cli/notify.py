"""`gametime notify add|list|remove|test`."""

from __future__ import annotations

import typer

from gametime_cli.cli.common import JSON_OPTION, id_argument, open_store, say, subapp

app = subapp("Be told of each result on your phone or by mail (apprise URLs).")


@app.command("add")
def add(url: str = typer.Argument(..., metavar="URL",
                               help="An apprise URL, e.g. tgram://TOKEN/CHAT.")) -> None:
    """Add a place to send results to."""
    from gametime_cli.clock import utcnow
    from gametime_cli.output.notify import check_url

    check_url(url)
    notifier = open_store().add_notifier(url, utcnow())
    say(f"Added notifier {notifier}.")


@app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """The places results are sent to."""
    from gametime_cli.output import streams

    found = open_store().notifiers()
    if as_json:
        streams.print_json([{"id": i, "url": url} for i, url in found])
    elif found:
        for notifier, url in found:
            typer.echo(f"{notifier}  {url}")
    else:
        say("No notifiers; add one with 'gametime notify add URL'.", err=True)


@app.command("remove")
def remove(notifier: int = id_argument("gametime notify list")) -> None:
    """Stop sending results to one place."""
    from gametime_cli.errors import BadInput

    if not open_store().remove_notifier(notifier):
        raise BadInput(f"no notifier {notifier}; 'gametime notify list' shows them")
    say(f"Removed notifier {notifier}.")


@app.command("test")
def test() -> None:
    """Send a test message to every notifier (exit 3 if one fails)."""
    from gametime_cli.errors import EnvironmentProblem
    from gametime_cli.output.notify import _apprise

    urls = [url for _, url in open_store().notifiers()]
    if not urls:
        raise EnvironmentProblem("no notifiers; add one with 'gametime notify add URL'")
    hub = _apprise().Apprise()
    for url in urls:
        hub.add(url)
    if not hub.notify(title="gametime-cli test", body="Notifications reach you."):
        raise EnvironmentProblem("a notifier did not take the test message; check its URL")
    say(f"Sent a test message to {len(urls)} notifier(s).")
