"""Where the MLP blocks of a causal language model live, by module path.

Hugging Face models name their blocks differently (GPT-2 ``transformer.h.{i}.mlp``, Llama/Qwen/
Mistral ``model.layers.{i}.mlp``, GPT-NeoX ``gpt_neox.layers.{i}.mlp``, ...). The workflow in
:mod:`symtorch_lab.llm` works on plain dotted paths, so any model works when given them; this
module only turns layer numbers into paths for the known layouts and says which paths exist when
a path does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from torch import nn

# the first template whose layer 0 exists is the model's layout
TEMPLATES = (
    "transformer.h.{i}.mlp",  # GPT-2, GPT-J, Bloom-style
    "model.layers.{i}.mlp",  # Llama, Qwen2, Mistral, Gemma, Phi-3
    "model.decoder.layers.{i}.mlp",
    "gpt_neox.layers.{i}.mlp",
    "layers.{i}.mlp",
)


class MLPPathError(KeyError):
    """A module path (or layer number) that the model does not have; names the ones it has."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def candidate_paths(model: nn.Module) -> list[str]:
    """Paths of ``model`` that look like a block's MLP (name ends in ``mlp``/``feed_forward``)."""
    pattern = re.compile(r"(^|\.)(mlp|feed_forward|ffn)$")
    return [name for name, _ in model.named_modules() if pattern.search(name)]


def layer_template(model: nn.Module) -> str:
    """The known ``...{i}.mlp`` template of ``model``; raises naming the MLP-like paths."""
    names = dict(model.named_modules())
    for template in TEMPLATES:
        if template.format(i=0) in names:
            return template
    raise MLPPathError(
        f"{type(model).__name__}: no known MLP layout ({', '.join(TEMPLATES)}); pass module "
        f"paths instead; MLP-like paths it has: {_listed(candidate_paths(model), names)}"
    )


def mlp_paths(model: nn.Module, layers: int | str | Iterable[int | str] = "all") -> list[str]:
    """Module paths of the MLPs of ``layers``: layer numbers, dotted paths, or ``"all"``.

    Numbers use the model's known layout (:data:`TEMPLATES`); strings are taken as paths and
    checked. A missing one raises :class:`MLPPathError` naming the paths that do exist.
    """
    names = dict(model.named_modules())
    if isinstance(layers, int | str) and not (isinstance(layers, str) and layers == "all"):
        layers = [layers]
    if isinstance(layers, str):  # "all"
        template = layer_template(model)
        count = 0
        while template.format(i=count) in names:
            count += 1
        return [template.format(i=i) for i in range(count)]
    paths = []
    for layer in layers:
        path = layer_template(model).format(i=int(layer)) if _is_int(layer) else str(layer)
        if path not in names:
            raise MLPPathError(
                f"{type(model).__name__} has no module {path!r}; MLP paths it has: "
                f"{_listed(candidate_paths(model), names)}"
            )
        paths.append(path)
    return paths


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _listed(paths: Sequence[str], names) -> str:
    if not paths:  # no MLP-like names at all: show the top of the tree instead
        paths = [n for n in names if n and n.count(".") <= 2]
        if not paths:
            return "(none: the model has no submodules)"
    shown = ", ".join(repr(p) for p in paths[:12])
    return shown + (f", ... ({len(paths) - 12} more)" if len(paths) > 12 else "")
