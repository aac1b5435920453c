"""Can cron read the passwords? Run as `python -m gametime_cli.secrets.cron_probe [CLUB]` in
cron's environment (`credentials.check_from_cron` does that for `login` and `credentials
check`). It prints one JSON list: per account, its club, username and the error reading
its password (null when it could be read). Kept free of Typer and Rich, so the check
costs a `login` a bare interpreter's start, not the whole command's."""

from __future__ import annotations

import json
import sys

from gametime_cli import paths
from gametime_cli.errors import GametimeError
from gametime_cli.secrets import credentials
from gametime_cli.store import Store


def main(argv: list[str]) -> int:
    store = Store.open()
    try:
        found = store.accounts(store.get_club(argv[0]) if argv else None)
        home = paths.data_home()
        rows = []
        for account in found:
            try:
                credentials.load(home, account)
                error = None
            except GametimeError as exc:
                error = str(exc)
            rows.append({"club": account.club, "username": account.username, "error": error})
    finally:
        store.close()
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
