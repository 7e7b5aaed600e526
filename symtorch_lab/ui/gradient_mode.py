"""The Lab's symbolic-gradient mode (issue 11): explain a classifier output or a latent neuron.

Why a module of its own: distilling records a module and searches in the background through the
session; explaining a classifier instead needs the inputs and the network's gradients
(:func:`symtorch_lab.explain_classifier`), and its result is shown as a decision boundary with
the level sets of the picked formula (:class:`~symtorch_lab.ui.widgets.boundary.BoundaryWidget`).
The Lab hands ``distill(path, mode="gradient", output=k)`` here; ``path`` ``""`` is the model's
own output (Wetzel's unsure-point band applies), any other path one unit of that module's output
(every row counts: a hidden unit has no sigmoid to be unsure about).
"""

from __future__ import annotations

import inspect
import time
from typing import Any

import numpy as np
import torch

from symtorch_lab.front import ParetoFront
from symtorch_lab.gradients import DEFAULT_BAND, explain_classifier
from symtorch_lab.ui import protocol as P
from symtorch_lab.ui.widgets.boundary import BoundaryWidget

_IGNORED = ("k_in", "k_out")  # PCA settings of distill mode: meaningless for one scalar output


def inputs_of(data: Any, path: str) -> np.ndarray:
    """The Lab's data as an ``(n, d)`` array, or a ValueError that says what is needed."""
    if isinstance(data, torch.Tensor):
        data = data.detach().cpu().numpy()
    if not isinstance(data, np.ndarray) or data.ndim != 2:
        got = type(data).__name__ if not isinstance(data, np.ndarray) else f"shape {data.shape}"
        raise ValueError(
            f"module {path!r}: gradient mode needs the Lab's data as one (n, d) tensor or "
            f"array of inputs, got {got}"
        )
    return data


def explain(lab: Any, path: str, output: int | None = None, **params: Any) -> ParetoFront:
    """Run :func:`explain_classifier` on ``lab.model`` and show the pick on ``lab.boundary``.

    The Lab's search defaults apply where :func:`explain_classifier` has the same parameter
    (``niterations``, ``population_size``, ``maxsize``, ...); ``params`` override them.
    Synchronous: with the default budget a 2-input classifier takes a few CPU seconds.
    """
    X = inputs_of(lab.session.data, path)
    accepted = inspect.signature(explain_classifier).parameters
    defaults = {k: v for k, v in lab.session.distiller_params.items() if k in accepted}
    params = {**defaults, **{k: v for k, v in params.items() if k not in _IGNORED}}
    module = path or None
    band = DEFAULT_BAND if module is None else None
    started = time.monotonic()
    front = explain_classifier(lab.model, X, module=module, output=output, band=band, **params)
    title = "model output" if module is None else f"{path} [{output if output is not None else 0}]"
    lab.boundary = BoundaryWidget.from_front(
        lab.model, X, front, module=module, output=output, title=f"{title}: level sets of g"
    )
    lab.widget.boundary, lab.widget.boundary_grid = lab.boundary.state(), lab.boundary.grid
    lab.gradient_fronts[path] = front
    lab.gradient_elapsed[path] = time.monotonic() - started
    return front


def status(lab: Any, model: str, path: str) -> P.SearchStatus:
    """The finished explanation of ``path`` as the protocol's search status."""
    front = lab.gradient_fronts[path]
    pick = front.selected
    return {
        "model": model, "path": path, "state": "done", "generation": 0,
        "elapsed": float(lab.gradient_elapsed[path]), "n_candidates": len(front),
        "message": f"g = {pick.expression} (mean cos {pick.metrics['cos_mean']:.4f})",
    }  # fmt: skip
