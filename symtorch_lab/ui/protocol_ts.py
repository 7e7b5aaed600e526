"""Generate ``js/src/protocol.ts`` from :mod:`symtorch_lab.ui.protocol`.

Why: the browser code must use exactly the shapes the kernel checks. Generating the TypeScript
from the Python definitions (and diffing in CI) keeps the two from drifting apart.
"""

import argparse
import difflib
import inspect
import re
import sys
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, is_typeddict

from symtorch_lab.ui import protocol
from symtorch_lab.ui.schema import fields

_ALIASED = (Literal, Union, types.UnionType)
WIDTH = 100  # prettier's printWidth in package.json
HEADER = """\
// Generated from symtorch_lab/ui/protocol.py by
//   python -m symtorch_lab.ui.protocol_ts --ts js/src/protocol.ts
// Do not edit by hand: CI regenerates this file and fails if it differs.
"""


def _doc(obj: Any, indent: str = "") -> list[str]:
    text = inspect.cleandoc(obj.__doc__ or "")
    if not text or obj.__doc__ is dict.__doc__:
        return []
    text = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", text).replace("``", "`")
    lines = [f"{indent}/**"] + [f"{indent} * {ln}".rstrip() for ln in text.splitlines()]
    return lines + [f"{indent} */"]


class _Namer:
    """Map Python annotations to TypeScript type expressions, preferring declared alias names."""

    def __init__(self, aliases: dict[Any, str]) -> None:
        self.aliases = aliases

    def ts(self, tp: Any) -> str:
        if tp in self.aliases:
            return self.aliases[tp]
        origin = get_origin(tp)
        simple = {
            str: "string",
            int: "number",
            float: "number",
            bool: "boolean",
            type(None): "null",
            Any: "unknown",
            dict: "{ [key: string]: unknown }",
            list: "unknown[]",
        }
        if tp in simple:
            return simple[tp]
        if origin is Literal:
            return " | ".join(_literal(a) for a in get_args(tp))
        if origin is Union or origin is types.UnionType:
            return " | ".join(self.ts(a) for a in get_args(tp))
        if origin is list:
            inner = self.ts(get_args(tp)[0])
            return f"({inner})[]" if "|" in inner else f"{inner}[]"
        if origin is dict:
            return f"{{ [key: string]: {self.ts(get_args(tp)[1])} }}"
        if is_typeddict(tp):
            return tp.__name__
        raise TypeError(f"cannot translate {tp!r} to TypeScript")


def _literal(value: object) -> str:
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return repr(value).lower() if isinstance(value, bool) else repr(value)


def _interface(td: type, namer: _Namer) -> list[str]:
    hints, required = fields(td)
    lines = _doc(td) + [f"export interface {td.__name__} {{"]
    for key, tp in hints.items():
        optional = "" if key in required else "?"
        lines.append(f"  {key}{optional}: {namer.ts(tp)};")
    return lines + ["}"]


def _alias(name: str, tp: Any, namer: _Namer) -> list[str]:
    parts = [namer.ts(a) if get_origin(tp) is not Literal else _literal(a) for a in get_args(tp)]
    one_line = f"export type {name} = {' | '.join(parts)};"
    continued = f"  {' | '.join(parts)};"
    if len(one_line) <= WIDTH:  # the same layout prettier (printWidth 100) chooses
        return [one_line]
    if len(continued) <= WIDTH:
        return [f"export type {name} =", continued]
    return [f"export type {name} ="] + [f"  | {p}" for p in parts[:-1]] + [f"  | {parts[-1]};"]


def _section_items(section: types.ModuleType) -> list[tuple[str, Any]]:
    """The names a section exports, in ``__all__`` order; every shape it defines must be there."""
    items = [(name, getattr(section, name)) for name in section.__all__]
    defined = {
        n for n, v in vars(section).items() if is_typeddict(v) and v.__module__ == section.__name__
    }
    missing = sorted(defined - set(section.__all__))
    if missing:
        raise TypeError(f"{section.__name__}: TypedDicts {missing} are not in its __all__")
    return items


def generate() -> str:
    """Return the TypeScript source for the protocol (deterministic): the sections' shapes in
    :data:`~symtorch_lab.ui.protocol.SECTIONS` order, each in its ``__all__`` order."""
    items = [item for section in protocol.SECTIONS for item in _section_items(section)]
    aliases = {v: n for n, v in items if get_origin(v) in _ALIASED}
    namer = _Namer(aliases)
    out = [HEADER]
    out.append(f"export const PROTOCOL_VERSION = {protocol.PROTOCOL_VERSION};")
    out.append(f"export const COMM_TARGET = {_literal(protocol.COMM_TARGET)};\n")
    for name, value in items:
        if get_origin(value) in _ALIASED:
            out += _alias(name, value, _Namer({k: n for k, n in aliases.items() if n != name}))
            out.append("")
        elif is_typeddict(value):
            out += _interface(value, namer)
            out.append("")
    out += _doc(type("R", (), {"__doc__": "Result type of each request type."}))
    out.append("export interface ResultByRequest {")
    out += [f"  {key}: {td.__name__};" for key, td in protocol.RESULTS.items()]
    out.append("}")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--ts PATH`` writes the file; ``--check PATH`` exits 1 if it is stale."""
    parser = argparse.ArgumentParser(
        prog="python -m symtorch_lab.ui.protocol_ts", description=__doc__
    )
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--ts", type=Path, help="write the TypeScript types to this file")
    group.add_argument("--check", type=Path, help="fail if this file differs from the output")
    args = parser.parse_args(argv)
    text = generate()
    if args.ts:
        args.ts.write_text(text, encoding="utf-8")
        return 0
    current = args.check.read_text(encoding="utf-8") if args.check.exists() else ""
    if current == text:
        return 0
    diff = difflib.unified_diff(
        current.splitlines(True), text.splitlines(True), str(args.check), "generated"
    )
    sys.stderr.writelines(diff)
    sys.stderr.write(
        f"\n{args.check} is stale: run python -m symtorch_lab.ui.protocol_ts --ts {args.check}\n"
    )
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
