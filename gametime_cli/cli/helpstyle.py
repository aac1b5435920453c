"""How `--help` names values: a metavar only where a value is taken, in capitals.

Typer 0.29 labels every parameter with its Python type (`--json <bool>`, `--court
<list[int]>`) and writes a required argument as `{name}` in the usage line. The help
reads better as HTTPie's and sqlite-utils' do: flags stand alone, an option taking a
value names it (`--court N`), and arguments are `DATE` when required, `[DATE]` when not.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperOption

_VALUE_NAMES = {"int": "N", "float": "NUMBER", "str": "TEXT", "Path": "PATH"}


def _value_name(param: Any, ctx: Any) -> str | None:
    if param.metavar is not None:
        return param.metavar
    if param.is_flag or param.count:
        return None
    desc = param.type_descriptor
    if desc.is_choice:
        return "|".join(str(c) for c in desc.choices or ())
    annotation = desc.annotation
    inner = getattr(annotation, "__args__", None) if desc.is_list else None
    kind = inner[0] if inner else annotation
    return _VALUE_NAMES.get(getattr(kind, "__name__", ""), "VALUE")


def _argument_name(param: Any) -> str:
    return (param.metavar or param.name or "").upper()


def _usage_name(param: Any) -> str:
    name = _argument_name(param)
    name = name if param.required else f"[{name}]"
    return name + ("..." if param.nargs != 1 else "")


def install() -> None:
    """Apply the style; a Typer without these hooks keeps its own."""
    if hasattr(TyperOption, "display_type_rich"):
        TyperOption.display_type_rich = _value_name  # type: ignore[method-assign]
    if hasattr(TyperArgument, "_usage_display_name"):
        TyperArgument.display_type_rich = lambda self, ctx: None  # type: ignore[method-assign]
        TyperArgument.display_name_raw = property(_argument_name)  # type: ignore[assignment]
        TyperArgument._usage_display_name = _usage_name  # type: ignore[method-assign]
