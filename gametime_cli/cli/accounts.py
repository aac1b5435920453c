"""`gametime login|logout|accounts` and `gametime credentials check`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import typer

from gametime_cli.cli.common import JSON_OPTION, OUTPUT, open_store, say, subapp

if TYPE_CHECKING:
    from gametime_cli.models import Club
    from gametime_cli.store import Store

NO_ACCOUNTS = "No accounts yet; add one with 'gametime login --club NAME'."

credentials_app = subapp("Check that the stored passwords can be read, here and from cron.")


def _read_password(from_stdin: bool) -> str:
    from gametime_cli.errors import BadInput

    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
    elif sys.stdin.isatty():
        password = typer.prompt("Password", hide_input=True, prompt_suffix=": ")
    else:
        raise BadInput("no terminal to ask for the password; pipe it in with --password-stdin")
    if not password:
        raise BadInput("the password is empty; nothing was stored")
    return password


def login(
    club: str = typer.Option(..., "--club", metavar="NAME", help="The club's name."),
    username: str | None = typer.Option(None, "--username", metavar="USERNAME",
                                        help="Your GameTime username."),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the password from the first line of stdin."),
    where: str = typer.Option("keyring", "--store", metavar="keyring|file",
                              help="The OS keyring (default) or the encrypted file."),
    no_verify: bool = typer.Option(False, "--no-verify",
                                   help="Store without checking with the club's site."),
    headed: bool = typer.Option(False, "--headed", help="Show the browser while checking."),
) -> None:
    """Store your GameTime password for a club, after checking it with the site.

    There is no option that takes the password itself: it would show in `ps` and
    in your shell's history.
    """
    from gametime_cli import paths
    from gametime_cli.clock import utcnow
    from gametime_cli.errors import BadInput
    from gametime_cli.secrets import credentials
    from gametime_cli.secrets.login import check_store_kind, clean_username, cron_problem, log_in

    check_store_kind(where)
    store = open_store()
    the_club = store.get_club(club)
    if username is None:
        if not sys.stdin.isatty() or password_stdin:
            raise BadInput("give your GameTime username with --username")
        username = typer.prompt("Username")
    username = clean_username(username)
    secret = credentials.Secret(_read_password(password_stdin))
    home = paths.data_home()
    done = log_in(store, the_club, username, secret, home, utcnow, where=where,
                  verify=not no_verify, headed=headed)
    saved, offer = done.saved, done.offer
    if saved.store == "keyring":
        say(f"Saved the password of {username} at {the_club.name} in the OS keyring "
                   f"({credentials.keyring_name()}).")
        problem = cron_problem(home, the_club, username)
        if problem:
            typer.echo(f"warning: cron won't be able to read it: {problem}", err=True)
    else:
        from gametime_cli.secrets.vault import PASSPHRASE_ENV, VAULT_NAME, Vault

        if saved.fell_back:
            say(f"The OS keyring can't be used here: {saved.fell_back}.")
        vault = Vault(home)
        how = ("with a key from GAMETIME_PASSPHRASE"
               if vault.key_source() == "passphrase" else f"with the key in {vault.key_path}")
        say(f"Saved the password of {username} at {the_club.name} encrypted in "
                   f"{home / VAULT_NAME} ({how}).")
        if vault.key_source() == "passphrase":
            typer.echo(f"Cron needs {PASSPHRASE_ENV} in its environment to read it.", err=True)
    if offer is not None and offer.courts:
        from gametime_cli.booking.offer import court_ranges_label, slots_label

        slots = f"; {slots_label(offer.slots)}" if offer.slots else ""
        say(f"{the_club.name} has {court_ranges_label(offer.courts)}{slots}.")
    _ask_about_the_waiver(store, the_club)


def _ask_about_the_waiver(store: Store, club: Club) -> None:
    """A box the club's booking form asks to be ticked, seen by an earlier run and not
    agreed to: shown, and (at a terminal) the player asked to agree."""
    from gametime_cli.booking.offer import agreed_to
    from gametime_cli.cli.clubs import agree_now
    from gametime_cli.errors import BadInput

    offer = store.club_offer(club.id)
    unagreed = [w for w in (offer.boxes if offer else ())
                if not agreed_to(w, club.settings.get("accept_waiver"))]
    if not unagreed:
        return
    if sys.stdin.isatty():
        try:
            agree_now(store, club, yes=False)
        except BadInput:
            say("Not agreed: a booking that meets the box waits for you to agree.")
    else:
        say(f"{club.name}'s booking form asks you to agree to a box; read it and agree with "
            f"'gametime club set {club.name} --accept-waiver'.")


def logout(
    club: str = typer.Option(..., "--club", metavar="NAME", help="The club's name."),
    username: str | None = typer.Option(None, "--username", metavar="USERNAME",
                                        help="Which account."),
) -> None:
    """Forget an account and its password."""
    from gametime_cli import paths
    from gametime_cli.errors import BadInput
    from gametime_cli.secrets import credentials

    store = open_store()
    the_club = store.get_club(club)
    if username is None and not store.accounts(the_club):
        raise BadInput(f"no account at {the_club.name} to log out of")
    account = store.account_for(the_club, username)
    assert account is not None
    credentials.forget(paths.data_home(), account)
    store.remove_account(account)
    say(f"Forgot {account.username} at {the_club.name} and its password.")


def accounts(as_json: bool = JSON_OPTION) -> None:
    """The accounts and where each password is kept (never the password)."""
    from gametime_cli.output import json_shapes, tables
    from gametime_cli.output.listing import json_or_table

    found = open_store().accounts()
    json_or_table(as_json, lambda: found, table=tables.accounts_table, empty=NO_ACCOUNTS,
                  quiet=OUTPUT.quiet,
                  to_json=lambda rows: [json_shapes.account_json(a) for a in rows])


@credentials_app.command("check")
def check(
    club: str | None = typer.Option(None, "--club", metavar="NAME",
                                    help="Only this club's accounts."),
    no_cron: bool = typer.Option(False, "--no-cron", help="Skip the cron-like check."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Can each password be read now, and would it be from cron? Exit 3 if not."""
    from gametime_cli import paths
    from gametime_cli.errors import ExitCode, GametimeError
    from gametime_cli.output import json_shapes, tables
    from gametime_cli.output.listing import json_or_table
    from gametime_cli.secrets import credentials

    store = open_store()
    found = store.accounts(store.get_club(club) if club else None)
    home = paths.data_home()
    now: dict[tuple[str, str], str | None] = {}
    for account in found:
        try:
            credentials.load(home, account)
            now[(account.club, account.username)] = None
        except GametimeError as exc:
            now[(account.club, account.username)] = str(exc)
    cron = {} if no_cron or not found else credentials.check_from_cron(home, club)
    rows = [json_shapes.check_json(a, now[(a.club, a.username)],
                                   None if no_cron else cron.get((a.club, a.username),
                                                                 cron.get(("*", "*"),
                                                                          "not checked")),
                                   cron_checked=not no_cron)
            for a in found]
    json_or_table(as_json, lambda: rows, table=tables.check_table, empty=NO_ACCOUNTS,
                  quiet=OUTPUT.quiet, to_json=list)
    failed = any(not r["now"]["ok"] or r["cron"]["ok"] is False for r in rows)
    raise typer.Exit(int(ExitCode.ENVIRONMENT if failed else ExitCode.OK))


def register(app: typer.Typer) -> None:
    app.command("login")(login)
    app.command("logout")(logout)
    app.command("accounts")(accounts)
    app.add_typer(credentials_app, name="credentials")
