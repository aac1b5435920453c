"""`gametime config list|set|unset`."""

from __future__ import annotations

import typer

from gametime_cli.cli.common import JSON_OPTION, open_store, say, subapp

app = subapp("Show and change settings (attempts, retry timing, leases).")


@app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """Every setting with its value and what it does."""
    from gametime_cli.output import streams
    from gametime_cli.settings import KNOWN, Settings

    settings = Settings(open_store().settings())
    if as_json:
        streams.print_json({key: getattr(settings, key) for key in KNOWN})
        return
    for key, setting in KNOWN.items():
        typer.echo(f"{key} = {getattr(settings, key)}    # {setting.help}")


def _keys() -> str:
    """The settings and what each does, for `config set --help`."""
    from gametime_cli.settings import KNOWN

    return "Keys (default):\n\n" + "\n\n".join(
        f"{key} ({setting.default if setting.default != '' else 'none'}): {setting.help}"
        for key, setting in KNOWN.items())


@app.command("set", epilog=_keys(),
             context_settings={"ignore_unknown_options": True})  # `lookahead -5`
def set_(key: str = typer.Argument(..., metavar="KEY", help="A setting's name (below)."),
         value: str = typer.Argument(..., metavar="VALUE")) -> None:
    """Set a setting (KEY VALUE); 'gametime config list' shows them all with their values."""
    from gametime_cli.settings import TIMING_KEYS, Settings, check_together, parse_setting

    parsed = parse_setting(key, value)
    store = open_store()
    if key in TIMING_KEYS:
        check_together(Settings(store.settings()).with_value(key, parsed))
    store.set_setting(key, str(parsed))
    say(f"{key} = {parsed}")


@app.command("unset")
def unset(key: str = typer.Argument(..., metavar="KEY")) -> None:
    """Return a setting to its default."""
    from gametime_cli.settings import (
        KNOWN,
        TIMING_KEYS,
        Settings,
        check_together,
        parse_setting,
    )

    parse_setting(key, str(KNOWN[key].default) if key in KNOWN else "")
    store = open_store()
    if key in TIMING_KEYS:
        check_together(Settings(store.settings()).with_value(key, KNOWN[key].default))
    store.set_setting(key, None)
    say(f"{key} = {KNOWN[key].default} (default)")
