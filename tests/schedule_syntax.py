"""How cron, sh and systemd read back the lines `gametime cron|systemd install` write,
written out from their manuals, for the tests to recover the exact values from a line:
`cron_reads` (man 5 crontab, and what Debian's cron was seen to do), `sh_words` (the
real /bin/sh) and `read_service` (systemd.syntax "Quoting", systemd.unit specifiers,
systemd.service "Command lines"). Each raises ModelError on anything the writers should
never produce, so a test fails rather than guesses."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass


class ModelError(AssertionError):
    """The text is not what the writers promise to produce."""


def cron_reads(command: str, *, collapses_backslashes: bool) -> str:
    """The command part of a crontab line as cron hands it to sh: `\\%` is a `%`, and
    a `%` that isn't escaped would end the command (the rest becoming its standard
    input), which the writer must never leave. Debian's cron (3.0pl1) also turns `\\\\`
    into `\\` (`collapses_backslashes`); vixie-cron 4 and cronie keep both. Any other
    backslash stays, and so does the character after it."""
    out: list[str] = []
    escaped = False
    for char in command:
        if escaped:
            escaped = False
            if char == "%" or (char == "\\" and collapses_backslashes):
                out[-1] = char
                continue
        elif char == "\\":
            escaped = True
        elif char == "%":
            raise ModelError(f"an unescaped % in {command!r} ends cron's command there")
        elif char == "\n":
            raise ModelError(f"a newline in {command!r} ends the crontab line")
        out.append(char)
    return "".join(out)


def sh_words(command: str) -> list[str]:
    """The words the real /bin/sh makes of `command` (no expansions expected)."""
    script = f"set -- {command}\nfor word do printf '%s\\0' \"$word\"; done"
    done = subprocess.run(["/bin/sh", "-c", script], capture_output=True, timeout=30)
    if done.returncode != 0 or done.stderr:
        raise ModelError(f"sh could not read {command!r}: {done.stderr!r}")
    return done.stdout.decode("utf-8").split("\0")[:-1]


_ESCAPES = {"\\": "\\", '"': '"', "'": "'", "s": " ", "n": "\n", "t": "\t"}


def unit_words(value: str) -> list[str]:
    """A unit-file value split into words as systemd.syntax's "Quoting" says: words
    separated by whitespace, each made of bare, "double-" and 'single-quoted' parts, C
    escapes (only the ones here) inside and outside quotes."""
    words: list[str] = []
    word: list[str] | None = None
    quote = ""
    chars = iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            if following not in _ESCAPES:
                raise ModelError(f"escape \\{following} in {value!r}")
            char = _ESCAPES[following]
        elif quote and char == quote:
            quote = ""
            continue
        elif not quote and char in "\"'":
            quote = char
            word = word if word is not None else []
            continue
        elif not quote and char in " \t":
            if word is not None:
                words.append("".join(word))
            word = None
            continue
        word = word if word is not None else []
        word.append(char)
    if quote:
        raise ModelError(f"unterminated {quote} in {value!r}")
    if word is not None:
        words.append("".join(word))
    return words


def specifiers(word: str) -> str:
    """systemd.unit's specifiers on one unquoted word: `%%` is `%`; no other is expected."""
    def one(match: re.Match[str]) -> str:
        if match.group(1) != "%":
            raise ModelError(f"specifier %{match.group(1)} in {word!r}")
        return "%"

    return re.sub(r"%(.?)", one, word, flags=re.S)


def dollars(word: str) -> str:
    """An ExecStart= argument's variables (systemd.service "Command lines"): `$$` is `$`;
    no variable is expected."""
    def one(match: re.Match[str]) -> str:
        if match.group(1) != "$":
            raise ModelError(f"variable ${match.group(1)} in {word!r}")
        return "$"

    return re.sub(r"\$(.?)", one, word, flags=re.S)


@dataclass
class Service:
    environment: dict[str, str]
    argv: list[str]
    """What runs: the program, then its arguments."""


def read_service(text: str) -> Service:
    """The environment and command line systemd takes from a .service file."""
    environment: dict[str, str] = {}
    argv: list[str] = []
    for line in text.split("\n"):  # systemd ends lines at \n only
        if line.endswith("\\"):
            raise ModelError(f"{line!r} would continue on the next line")
        if not line or line[0] in "#;[":
            continue
        key, _, value = line.partition("=")
        if key == "Environment":
            for word in unit_words(value):
                name, equals, setting = specifiers(word).partition("=")
                if not equals or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                    raise ModelError(f"not an assignment: {word!r}")
                environment[name] = setting
        elif key == "ExecStart":
            if argv:
                raise ModelError("a second ExecStart=")
            program, *arguments = unit_words(value)
            program = specifiers(program)
            if not program.startswith("/") or set(program) & set("'\"\\"):
                raise ModelError(f"systemd refuses the program {program!r}")
            argv = [program, *(dollars(specifiers(word)) for word in arguments)]
    return Service(environment, argv)


def runs(service: Service) -> list[str]:
    """The command that in the end runs: past `/bin/sh -c 'exec "$0" "$@"' ...`."""
    if service.argv[:3] == ["/bin/sh", "-c", 'exec "$0" "$@"']:
        return service.argv[3:]
    return service.argv
