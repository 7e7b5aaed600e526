"""Synced traits built from a protocol ``TypedDict``: one definition of a widget's state.

Why: a widget's synced traits are what the browser reads (``LabState`` in ``protocol.ts``). If
the traits were written out by hand beside the ``TypedDict`` they would be two copies to keep in
step; here the traits are generated from the protocol's shape, and
:func:`state_of` reads them back as that shape.
"""

from __future__ import annotations

import types
from typing import Any, Literal, Union, get_args, get_origin, is_typeddict

import traitlets

from symtorch_lab.ui.schema import fields

_SIMPLE = {str: traitlets.Unicode, int: traitlets.Int, float: traitlets.Float, bool: traitlets.Bool}


def _trait(tp: Any, where: str) -> traitlets.TraitType:
    origin = get_origin(tp)
    if origin is Union or origin is types.UnionType:
        options = [a for a in get_args(tp) if a is not type(None)]
        if len(options) != 1 or len(get_args(tp)) != 2:
            raise TypeError(f"{where}: only `T | None` unions become traits, got {tp!r}")
        trait = _trait(options[0], where)
        trait.allow_none, trait.default_value = True, None
        return trait
    if origin is Literal:
        values = get_args(tp)
        return traitlets.Enum(values, default_value=values[0])
    if origin is list or tp is list:
        return traitlets.List()
    if origin is dict or tp is dict or is_typeddict(tp):
        return traitlets.Dict()
    if tp in _SIMPLE:
        return _SIMPLE[tp]()
    raise TypeError(f"{where}: no trait for schema type {tp!r}")


def synced_traits(td: type, **defaults: Any) -> dict[str, traitlets.TraitType]:
    """A synced trait per field of ``td`` (``X | None`` fields start as None; ``defaults``
    overrides the starting value of the named fields)."""
    hints, _ = fields(td)
    unknown = sorted(set(defaults) - set(hints))
    if unknown:
        raise TypeError(f"{td.__name__} has no field(s) {unknown}; fields: {sorted(hints)}")
    traits = {}
    for name, tp in hints.items():
        trait = _trait(tp, f"{td.__name__}.{name}")
        if name in defaults:
            trait.default_value = defaults[name]
        traits[name] = trait.tag(sync=True)
    return traits


def state_of(widget: traitlets.HasTraits, td: type) -> dict[str, Any]:
    """The widget's values of ``td``'s fields, copied (lists and dicts are new objects)."""
    out = {}
    for name in fields(td)[0]:
        value = getattr(widget, name)
        out[name] = list(value) if isinstance(value, list) else (
            dict(value) if isinstance(value, dict) else value
        )  # fmt: skip
    return out
