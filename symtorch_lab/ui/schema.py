"""Structural checks of JSON values against the ``TypedDict`` s in :mod:`symtorch_lab.ui.protocol`.

Why: messages from the browser are untrusted input. Checking them against the same type
annotations that generate the TypeScript types keeps one definition of each shape, with no
schema library. Only the handful of typing forms the protocol uses are supported; anything else
is a programming error (``TypeError``), not a protocol error.
"""

import functools
import math
import types
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints, is_typeddict

MAX_STRING = 100_000
MAX_ITEMS = 1_000_000


class ProtocolError(ValueError):
    """A message does not match the protocol.

    Attributes
    ----------
    code : str
        One of the protocol's ``ErrorCode`` values.
    message : str
        What was wrong, naming the offending field and value.
    id : str
        The request id, when it could be read (else ``""``).
    """

    def __init__(self, code: str, message: str, id: str = "") -> None:  # noqa: A002
        super().__init__(message)
        self.code = code
        self.message = message
        self.id = id


@functools.cache
def fields(td: type) -> tuple[dict[str, Any], frozenset[str]]:
    """Field types (``NotRequired`` stripped) and required keys of a ``TypedDict``."""
    return get_type_hints(td), frozenset(td.__required_keys__)  # type: ignore[attr-defined]


def _fail(where: str, expected: str, value: object) -> ProtocolError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return ProtocolError("bad_message", f"{where}: expected {expected}, got {shown}")


def check(value: object, tp: Any, where: str) -> None:
    """Raise :class:`ProtocolError` unless ``value`` is a JSON value of type ``tp``."""
    origin = get_origin(tp)
    if tp is Any:
        return
    if tp is type(None) or tp is None:
        if value is not None:
            raise _fail(where, "null", value)
    elif tp is bool:
        if not isinstance(value, bool):
            raise _fail(where, "a boolean", value)
    elif tp is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _fail(where, "an integer", value)
    elif tp is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok or not math.isfinite(value):  # type: ignore[arg-type]
            raise _fail(where, "a finite number", value)
    elif tp is str:
        if not isinstance(value, str) or len(value) > MAX_STRING:
            raise _fail(where, f"a string of at most {MAX_STRING} characters", value)
    elif tp is dict or tp is list:
        if not isinstance(value, tp):
            raise _fail(where, "an object" if tp is dict else "an array", value)
    elif origin is Literal:
        if not any(value == a and type(value) is type(a) for a in get_args(tp)):
            raise _fail(where, " | ".join(repr(a) for a in get_args(tp)), value)
    elif origin is Union or origin is types.UnionType:
        _check_union(value, get_args(tp), where)
    elif origin is list:
        if not isinstance(value, list) or len(value) > MAX_ITEMS:
            raise _fail(where, "an array", value)
        for i, item in enumerate(value):
            check(item, get_args(tp)[0], f"{where}[{i}]")
    elif origin is dict:
        if not isinstance(value, dict):
            raise _fail(where, "an object", value)
        for key, item in value.items():
            if not isinstance(key, str):
                raise _fail(f"{where} key", "a string", key)
            check(item, get_args(tp)[1], f"{where}.{key}")
    elif is_typeddict(tp):
        _check_typeddict(value, tp, where)
    else:
        raise TypeError(f"{where}: schema type {tp!r} is not supported by symtorch_lab.ui.schema")


def _check_union(value: object, options: tuple[Any, ...], where: str) -> None:
    errors = []
    for option in options:
        try:
            check(value, option, where)
            return
        except ProtocolError as exc:
            errors.append(exc.message)
    raise ProtocolError("bad_message", " / ".join(errors))


def _check_typeddict(value: object, td: type, where: str) -> None:
    if not isinstance(value, dict):
        raise _fail(where, f"an object ({td.__name__})", value)
    hints, required = fields(td)
    missing = sorted(required - value.keys())
    if missing:
        raise ProtocolError("bad_message", f"{where}: missing field(s) {missing} ({td.__name__})")
    unknown = sorted(str(k) for k in value.keys() - hints.keys())
    if unknown:
        raise ProtocolError(
            "bad_message", f"{where}: unknown field(s) {unknown}; {td.__name__} has {sorted(hints)}"
        )
    for key, item in value.items():
        check(item, hints[key], f"{where}.{key}")
