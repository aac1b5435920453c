"""The environment variables gametime reads a secret from, kept away from its children.

A secret given in the environment (GAMETIME_PASSPHRASE, the encrypted file's key) is
for this process only. `withhold()` moves each such variable out of `os.environ` into
memory as the command starts, so nothing started later inherits it: not the Playwright
driver (which copies `os.environ` as it starts), not Chromium and its helpers, not the
`--on-result` command. `child_environment()` is the environment every child that gametime
starts itself is given. Kept tiny: the idle cron tick imports it.
"""

from __future__ import annotations

import os

PASSPHRASE_ENV = "GAMETIME_PASSPHRASE"
SECRET_VARIABLES = (PASSPHRASE_ENV,)
"""Every variable gametime reads a secret from; none of them reaches a child."""

_withheld: dict[str, str] = {}


def withhold() -> None:
    """Take each secret-bearing variable out of `os.environ`, keeping its value here.

    Safe to call again: a value set in the environment since replaces the kept one.
    The value is kept before the variable is removed, so a reader in another thread
    finds it in one place or the other."""
    for name in SECRET_VARIABLES:
        value = os.environ.get(name)
        if value is not None:
            _withheld[name] = value
            os.environ.pop(name, None)


def secret_variable(name: str) -> str | None:
    """The value of a secret-bearing variable: the environment's, else the one withheld."""
    value = os.environ.get(name)
    return value if value is not None else _withheld.get(name)


def child_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment plus `extra`, without any secret-bearing variable."""
    env = {**os.environ, **(extra or {})}
    for name in SECRET_VARIABLES:
        env.pop(name, None)
    return env
