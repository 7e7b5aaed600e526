"""Closed-form interpretation of classifiers and latent neurons through symbolic gradients.

A classifier decides on some quantity ``q(x)`` through an arbitrary increasing squashing, so
its logit cannot be distilled one-to-one into a formula. Wetzel ("Closed-Form Interpretation of
Neural Network Classifiers with Symbolic Gradients", arXiv 2401.04978) compares directions
instead: any ``g`` with ``∇g ∥ ∇f`` on the decision boundary encodes the same concept. The
search minimises ``mean ‖∇g/‖∇g‖ − ∇f/‖∇f‖‖²`` over the network's unsure points
(``1e-4 < σ(f) < 0.9999``, ``f`` the pre-sigmoid output). This module finds those points and
their gradients (of the model's output, or of one unit of any submodule, by module path), asks
Operon for candidate formulas (see :mod:`symtorch_lab._gradient_search` and
docs/symbolic_gradients.md for why the default path won), refits their constants under the
alignment loss, and returns a :class:`~symtorch_lab.front.ParetoFront` whose candidates carry
cosine metrics on held-out boundary points.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from . import _gradient_search as _search
from ._gradient_fit import (
    BoundaryPoints,
    alignment_loss,
    cosines,
    expression_gradient,
    expression_loss,
    refit_alignment,
)
from .backends.base import SearchSpec
from .expression import Expression
from .front import Candidate, ParetoFront
from .hooks import HookSet, eval_mode, resolve_module
from .polish import _drop_identities, _snap, tidy

__all__ = [
    "DEFAULT_BAND",
    "BoundaryPoints",
    "alignment_loss",
    "boundary_points",
    "cosines",
    "explain_classifier",
    "expression_gradient",
]

DEFAULT_BAND = (1e-4, 0.9999)  # Wetzel's unsure points: σ(f) strictly inside this band
NOISE_FLOOR = 1e-3
"""The alignment loss a trained network's own gradients leave against the law they learned:
a direction known to about 1.8° (``2 − 2·cos 1.8° ≈ 1e-3``; A1's network sits 1.6e-3 from ∇q
while a bent formula fits it to 3e-4). Held-out losses below it are the network's error, not
the law's, so the default pick (``model_selection="floor"``) is the simplest formula within
1.5× of it (issue: ``0.48·x0² + x1²`` was passed over for a complexity-15 ``… + 0.1·x0²x1²``).
A front whose best formula reaches round-off (:data:`_EXACT`) is a network that *is* a formula:
no floor then, and pass ``noise_floor=0`` for exact gradients."""
_EXACT = 1e-10  # a held-out alignment loss this small is round-off: the gradients are exact
_TIE = 1e-6  # relative loss difference below which two candidates score the same


def scalar_output(model: nn.Module, X, module: str | None = None, output: int | None = None):
    """The scalar ``f`` (n,) and ``∇_x f`` (n, d) of the model output or a submodule's unit.

    ``module`` is a dotted path (``"net.2"``) whose output is read by a forward hook; ``output``
    picks the column when that output (or the model's) has more than one.
    """
    X = torch.as_tensor(np.asarray(X), dtype=_dtype(model)).detach().clone()
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n_rows, n_features), got shape {tuple(X.shape)}")
    X.requires_grad_(True)
    where = "model output" if module is None else f"module {module!r}"
    captured: list[torch.Tensor] = []
    with eval_mode(model), HookSet() as hooks, torch.enable_grad():
        if module is not None:
            target = resolve_module(model, module)
            hooks.add_forward_hook(target, lambda _m, _i, out: captured.append(out))
        out = model(X)
        values = _column(captured[0] if module is not None else out, output, where, len(X))
        (grad,) = torch.autograd.grad(values.sum(), X, allow_unused=True)
    if grad is None:
        raise ValueError(f"{where}: output {output} does not depend on the input X")
    return values.detach().double().numpy(), grad.detach().double().numpy()


def _dtype(model: nn.Module) -> torch.dtype:
    param = next(iter(model.parameters()), None)
    return param.dtype if param is not None and param.is_floating_point() else torch.float32


def _column(out, output: int | None, where: str, n: int) -> torch.Tensor:
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"{where}: expected a tensor output, got {type(out).__name__}")
    if out.ndim == 1 or (out.ndim == 2 and out.shape[1] == 1 and output in (None, 0)):
        return out.reshape(n)
    if out.ndim != 2 or out.shape[0] != n:
        raise ValueError(f"{where}: expected an output of shape ({n}, k), got {tuple(out.shape)}")
    if output is None:
        raise ValueError(
            f"{where} has {out.shape[1]} columns: pass output= (0..{out.shape[1] - 1})"
        )
    if not 0 <= output < out.shape[1]:
        raise ValueError(f"{where}: output={output} outside 0..{out.shape[1] - 1}")
    return out[:, output]


def boundary_points(
    model: nn.Module,
    X,
    *,
    module: str | None = None,
    output: int | None = None,
    band: tuple[float, float] | None = DEFAULT_BAND,
    validation_fraction: float = 0.3,
    max_points: int = 1000,
    random_state: int = 0,
) -> BoundaryPoints:
    """The rows of ``X`` where the network is unsure, with ``f`` and ``∇f``.

    ``band=None`` keeps every row (a latent neuron has no sigmoid to be unsure about). At most
    ``max_points`` rows are fitted on; the held-out share is drawn first.

    Raises
    ------
    ValueError
        If no row (or only one) is unsure: the network is confident everywhere on ``X``, so
        there is no boundary to explain (sample ``X`` closer to it, or widen ``band``).
    """
    f, grad = scalar_output(model, X, module, output)
    keep = np.isfinite(f) & np.all(np.isfinite(grad), axis=1) & (np.linalg.norm(grad, axis=1) > 0)
    if band is not None:
        low, high = band
        with np.errstate(over="ignore"):
            sigma = 1.0 / (1.0 + np.exp(-f))
        keep &= (sigma > low) & (sigma < high)
    rows = np.flatnonzero(keep)
    if len(rows) < 2:
        raise ValueError(_no_boundary(module, output, band, len(rows), len(f)))
    rng = np.random.default_rng(random_state)
    rows = rng.permutation(rows)
    n_val = max(1, int(round(validation_fraction * len(rows)))) if validation_fraction else 0
    val, train = rows[:n_val], rows[n_val:][:max_points]
    if not len(train):
        train = val
    Xn = np.asarray(X, dtype=np.float64)
    return BoundaryPoints(Xn, f, grad, np.sort(train), np.sort(val))


def _no_boundary(module, output, band, n_rows: int, n_total: int) -> str:
    where = "model output" if module is None else f"module {module!r}"
    where += "" if output is None else f" [{output}]"
    if band is None:
        return f"{where}: {n_rows} of {n_total} rows have a finite, non-zero gradient (need 2)"
    return (
        f"{where}: {n_rows} of {n_total} rows are unsure ({band[0]} < sigmoid(f) < {band[1]}): "
        "the network is confident everywhere on X, so there is no decision boundary to "
        "explain; sample X near the boundary or pass a wider band="
    )


def explain_classifier(
    model: nn.Module,
    X,
    *,
    module: str | None = None,
    output: int | None = None,
    method: str = "surrogate",
    binary_operators: Sequence[str] = ("+", "-", "*", "/"),
    unary_operators: Sequence[str] = (),
    maxsize: int = 15,
    niterations: int | None = 30,
    timeout_in_seconds: float | None = 60.0,
    population_size: int = 300,
    model_selection: str = "floor",
    noise_floor: float = NOISE_FLOOR,
    random_state: int = 0,
    n_threads: int = 1,
    band: tuple[float, float] | None = DEFAULT_BAND,
    validation_fraction: float = 0.3,
    max_points: int = 1000,
    variable_names: Sequence[str] | None = None,
    callbacks: Sequence = (),
) -> ParetoFront:
    """A front of formulas ``g`` whose gradients align with the classifier's on its boundary.

    Parameters
    ----------
    model : nn.Module
        Returns pre-sigmoid logits (one column, or pick one with ``output``).
    X : array (n, d)
        Inputs to look for unsure points in (Wetzel used 10,000 samples).
    module, output : str, int, optional
        Explain one unit of a submodule's output (a latent neuron) instead of the model output.
    method : {"search", "surrogate"}
        How Operon proposes candidates (see docs/symbolic_gradients.md).
    maxsize, niterations, timeout_in_seconds, population_size, random_state, n_threads
        Operon's budget, with PySR's names (see :class:`~symtorch_lab.distill.Distiller`).
    model_selection, noise_floor
        The pick's rule (:func:`~symtorch_lab.pick_rules.select_index`) on ``val_loss``; the default
        is the simplest formula within 1.5× of :data:`NOISE_FLOOR` or of the best held-out loss
        (see :data:`NOISE_FLOOR`); ``"best"`` is PySR's rule.
    band, validation_fraction, max_points
        See :func:`boundary_points`.
    callbacks : sequence of callables
        ``on_generation_end(progress)`` with the backend's raw front; ``True`` stops.

    Returns
    -------
    ParetoFront
        Candidates sorted by complexity: ``loss`` is the alignment loss on the fitting points;
        ``metrics`` hold ``val_loss`` (the same on held-out points), ``cos_mean`` and
        ``cos_p05`` (mean and 5th percentile of ``cos(∇g, ∇f)`` there). The pick uses
        ``val_loss``; ``front.selected.expression.latex()`` is the picked ``g``.
    """
    points = boundary_points(
        model, X, module=module, output=output, band=band, max_points=max_points,
        validation_fraction=validation_fraction, random_state=random_state,
    )  # fmt: skip
    names = _names(variable_names, points.X.shape[1])
    spec = SearchSpec(
        binary_operators=tuple(binary_operators), unary_operators=tuple(unary_operators),
        maxsize=maxsize, population_size=population_size, niterations=niterations,
        timeout_in_seconds=timeout_in_seconds, random_state=random_state,
        n_threads=n_threads, max_rows=max(2, max_points),
    )  # fmt: skip
    raw = _search.propose(method, points, names, spec, on_generation=_callback(callbacks))
    return rank(raw, points, model_selection, maxsize, noise_floor)


def _names(variable_names, d: int) -> tuple[str, ...]:
    names = (
        tuple(variable_names) if variable_names is not None else tuple(f"x{j}" for j in range(d))
    )
    if len(names) != d:
        raise ValueError(f"variable_names has {len(names)} names for X with {d} columns")
    return names


def _callback(callbacks: Sequence):
    if not callbacks:
        return None

    def on_generation(progress) -> bool:
        return any([bool(cb(progress)) for cb in callbacks])

    return on_generation


def rank(
    expressions: Sequence[Expression],
    points: BoundaryPoints,
    model_selection: str = "floor",
    maxsize: int | None = None,
    noise_floor: float = NOISE_FLOOR,
) -> ParetoFront:
    """Refit every candidate (and its direction-preserving forms) under the alignment loss,
    score it on the held-out points and keep the Pareto front (picked by ``val_loss`` with
    ``model_selection`` and ``noise_floor``, see :data:`NOISE_FLOOR`). Its members are shown as
    Distiller's are (:func:`tidied`).

    As in PySR, no candidate is more complex than ``maxsize`` (Operon's length limit counts
    weighted variables as one node); the simplest one is kept if none fits.
    """
    unit, tr = points.unit, points.train
    cands: dict[Expression, Candidate] = {}
    for raw in expressions:
        for form in _search.direction_forms(raw):
            if form in cands or (maxsize is not None and form.complexity > maxsize):
                continue  # the tidy forms are exact rewrites: refit only what can be kept
            fitted = refit_alignment(form, points.X[tr], unit[tr])
            cands[form] = score(fitted, points)
    if not cands:  # nothing within maxsize: keep the simplest proposal, refitted
        simplest = min(expressions, key=lambda e: e.complexity)
        cands[simplest] = score(refit_alignment(simplest, points.X[tr], unit[tr]), points)
    front = ParetoFront(_clear_gains(cands.values()), selection_loss="val_loss")
    shown = [score(tidied(c.expression, points), points) for c in front]
    kept = [c for c in shown if maxsize is None or c.complexity <= maxsize]
    kept = _clear_gains(kept or list(front))
    if min(c.metrics["val_loss"] for c in kept) <= _EXACT:
        noise_floor = 0.0  # some formula is exact: the floor of a trained network is not there
    return ParetoFront(kept, model_selection, selection_loss="val_loss", noise_floor=noise_floor)


def tidied(expr: Expression, points: BoundaryPoints) -> Expression:
    """``expr`` as Distiller fronts show theirs (:func:`~symtorch_lab.polish.tidy`): constants
    merged, snapped where the alignment loss does not measurably change (relative 1e-6, or
    absolute 1e-12: the loss lies in [0, 4], so that is round-off) and written through sympy
    (``a + 0.1*b``, not ``a - (-0.1*b)``; a ``1e-8*x1`` that carries nothing drops out)."""
    X, unit = points.X[points.train], points.unit[points.train]

    def loss(e: Expression) -> float:
        return expression_loss(e, X, unit)

    def fit(e: Expression) -> Expression:
        return refit_alignment(e, X, unit)

    expr = _drop_identities(_snap(expr, loss, _Within(loss(expr))))  # 1e-8*x1 → 0 before merging
    shown, shown_loss = tidy(expr, loss(expr), loss, fit, lambda _r, ref: _Within(ref), _ROUNDOFF)
    within = _Within(shown_loss)  # then the direction forms again: 0.0016*x1 - 0.0026*x0 → x1 - …
    forms = [f for f in _search.direction_forms(shown) if within.accepts(f, loss(f))]
    return min(forms or [shown], key=lambda f: f.complexity)


_ROUNDOFF = 1e-12


class _Within:
    """Accepts a rewrite whose alignment loss is no measurably worse than ``loss``."""

    def __init__(self, loss: float):
        self.loss = loss

    def accepts(self, _expr: Expression, loss: float) -> bool:
        return np.isfinite(loss) and loss <= self.loss * (1 + 1e-6) + _ROUNDOFF


def _clear_gains(cands) -> list[Candidate]:
    """Drop candidates that beat every simpler one only by rounding (relative 1e-6).

    Exact rewrites of one formula (``-12.1*x0 - 26.3 - 16.9*x1`` and ``-x0 - 1.4*x1``) score
    the same up to float noise; without this the longer one stays on the front as a "gain".
    """
    kept: list[Candidate] = []
    for cand in sorted(cands, key=lambda c: (c.complexity, c.loss)):
        if not kept or cand.loss < min(c.loss for c in kept) * (1 - _TIE):
            kept.append(cand)
    return kept


def score(expr: Expression, points: BoundaryPoints) -> Candidate:
    """``expr`` as a :class:`Candidate`: alignment loss on the fitting points, ``val_loss``,
    ``cos_mean`` and ``cos_p05`` on the held-out points (constants as given)."""
    tr, val = points.train, points.val
    unit = points.unit
    grad_val = expression_gradient(expr, points.X[val])
    cos = cosines(grad_val, points.grad[val])
    return Candidate(
        complexity=expr.complexity,
        loss=expression_loss(expr, points.X[tr], unit[tr]),
        expression=expr,
    ).with_metrics(
        val_loss=expression_loss(expr, points.X[val], unit[val]),
        cos_mean=float(np.mean(cos)),
        cos_p05=float(np.quantile(cos, 0.05)),
    )


def boundary_grid(
    model: nn.Module,
    expression: Expression,
    X,
    *,
    module: str | None = None,
    output: int | None = None,
    dims: tuple[int, int] = (0, 1),
    resolution: int = 60,
) -> dict:
    """The network's output and a formula ``g`` on a 2-D grid, for drawing level sets.

    The grid spans the range of ``X`` in the two input ``dims``; with more than two inputs the
    others are held at their median (a 2-D slice). Returns ``x`` (r,), ``y`` (r,), ``f`` and
    ``g`` (r, r; row ``i`` is ``y[i]``), ``dims``, ``fixed`` (the held values, by column) and
    ``g_boundary``: the median of ``g`` on the rows of ``X`` nearest to ``f = 0``, i.e. the
    level of ``g`` that should trace the decision boundary.
    """
    X = np.asarray(X, dtype=np.float64)
    d = X.shape[1] if X.ndim == 2 else 0
    a, b = dims
    if d < 2 or not (0 <= a < d and 0 <= b < d and a != b):
        raise ValueError(f"dims={dims} must name two different columns of X with shape {X.shape}")
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2, got {resolution}")
    xs = np.linspace(X[:, a].min(), X[:, a].max(), resolution)
    ys = np.linspace(X[:, b].min(), X[:, b].max(), resolution)
    fixed = np.median(X, axis=0)
    grid = np.tile(fixed, (resolution * resolution, 1))
    gx, gy = np.meshgrid(xs, ys)
    grid[:, a], grid[:, b] = gx.ravel(), gy.ravel()
    f_grid, _ = scalar_output(model, grid, module, output)
    f_rows, _ = scalar_output(model, X, module, output)
    nearest = np.argsort(np.abs(f_rows))[: max(1, len(X) // 50)]
    g_rows = expression.numpy(X[nearest])
    return {
        "x": xs,
        "y": ys,
        "f": f_grid.reshape(resolution, resolution),
        "g": expression.numpy(grid).reshape(resolution, resolution),
        "dims": (a, b),
        "fixed": {j: float(fixed[j]) for j in range(d) if j not in (a, b)},
        "g_boundary": float(np.nanmedian(g_rows)) if np.any(np.isfinite(g_rows)) else 0.0,
    }
