"""Input checks and PySR parameter vocabulary shared by the Distiller and the facade.

Kept apart from :mod:`symtorch_lab.distill` so the search loop reads as a loop: everything
here validates, converts or names things, and raises errors that name the offending value.
"""

from __future__ import annotations

import difflib
import inspect
import math
import warnings
from collections.abc import Sequence

import numpy as np
import torch

from ._batches import check_arrays, check_names
from ._warn import warn_outside
from .expression import Expression

# PySR parameters that have no meaning on the embedded Operon backend: accepted so PySR
# (and SymTorch) configurations run unchanged, ignored with a warning.
PYSR_ONLY = frozenset(
    {
        "populations",
        "procs",
        "parsimony",
        "deterministic",
        "verbosity",
        "progress",
        "batching",
        "batch_size",
        "turbo",
        "bumper",
        "extra_sympy_mappings",
        "extra_torch_mappings",
        "complexity_of_operators",
        "complexity_of_constants",
        "complexity_of_variables",
        "constraints",
        "nested_constraints",
        "elementwise_loss",
        "loss_function",
        "maxdepth",
        "warm_start",
        "output_directory",
        "run_id",
        "temp_equation_file",
        "delete_tempfiles",
        "update",
        "multithreading",
        "cluster_manager",
        "ncycles_per_iteration",
        "weight_optimize",
        "adaptive_parsimony_scaling",
        "should_optimize_constants",
        "optimizer_iterations",
        "precision",
        "select_k_features",
        "denoise",
        "random_state_seed",
        "early_stop_condition",
        "max_evals",
        "tournament_selection_n",
        "topn",
        "fraction_replaced",
        "fraction_replaced_hof",
        "migration",
        "hof_migration",
        "should_simplify",
        "model_selection_kwargs",
        "logger_spec",
        "dimensional_constraint_penalty",
        "use_frequency",
        "use_frequency_in_tournament",
        "annealing",
        "alpha",
        "perturbation_factor",
        "skip_mutation_failures",
        "optimizer_algorithm",
        "optimizer_nrestarts",
        "optimize_probability",
        "equation_file",
    }
)


FIT_ARGUMENTS = ("variable_names", "sample_weight", "output_dims", "network")
"""Names PySR users pass to ``fit``, which are sometimes tried on the constructor."""


def check_pysr_kwargs(kwargs: dict, backend, own: Sequence[str]) -> dict:
    """Accept known PySR names (warn when ignored), reject unknown ones with suggestions.

    ``own`` are the caller's own parameter names, offered as suggestions next to PySR's.
    """
    own = list(own)
    for name in kwargs:
        if name in FIT_ARGUMENTS:
            raise TypeError(
                f"Distiller got an unexpected keyword argument {name!r}: it belongs to "
                f"fit(), as in PySR (Distiller(...).fit(X, y, {name}=...))."
            )
        if name not in PYSR_ONLY:
            close = difflib.get_close_matches(name, own + sorted(PYSR_ONLY), n=3)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise TypeError(f"Distiller got an unexpected keyword argument {name!r}.{hint}")
    if kwargs and backend == "operon":
        warnings.warn(
            f"PySR parameters {sorted(kwargs)} have no meaning on the operon backend and are "
            "ignored (they are passed on with backend='pysr').",
            stacklevel=3,
        )
    return dict(kwargs)


def check_data(X, y, sample_weight, variable_names):
    """Return float64 ``X (n, d)``, ``Y (n, k)``, weights ``(n,)`` and variable names.

    The checks are the engine's one X/y/weight validator (:func:`_batches.check_arrays`).
    """
    X, Y, w = check_arrays(X, y, sample_weight, where="Distiller.fit", min_rows=2)
    return X, Y, w, check_names(variable_names, X.shape[1])


def check_dims(output_dims, n_outputs: int) -> tuple[int, ...]:
    if output_dims is None:
        return tuple(range(n_outputs))
    dims = (output_dims,) if isinstance(output_dims, int | np.integer) else tuple(output_dims)
    if not dims:
        raise ValueError(f"output_dims is empty: name at least one of the {n_outputs} outputs")
    for d in dims:
        if not 0 <= int(d) < n_outputs:
            raise ValueError(f"output dim {d} is out of range for {n_outputs} output columns")
    return tuple(int(d) for d in dims)


def split_rows(n: int, fraction: float, seed: int):
    """Indices of training and validation rows (validation empty when fraction is 0)."""
    if not 0.0 <= fraction < 1.0:
        raise ValueError(f"validation_fraction must be in [0, 1), got {fraction}")
    order = np.random.default_rng(seed).permutation(n)
    n_val = int(round(n * fraction))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def subsample(X, y, w, max_rows: int, spec):
    """At most ``max_rows`` rows, drawn reproducibly (weights stay attached to rows).

    Same draw as the backends' own subsampling, so a search handed these rows keeps them all.
    """
    from .backends._data import subsample as row_indices

    if len(X) <= max_rows:
        return X, y, w
    idx = row_indices(len(X), max_rows, spec.random_state)
    return X[idx], y[idx], w[idx]


def loss_value(expr: Expression, X, y, w, loss) -> float:
    """Weighted MSE, or the custom loss, of an expression on the given rows."""
    if loss is None:
        pred = expr.numpy(X)
        val = float(np.sum(w * (pred - y) ** 2) / np.sum(w))
    else:
        with torch.no_grad():
            module = expr.torch().double()
            pred = module(torch.as_tensor(X, dtype=torch.float64))
            val = float(loss(pred, torch.as_tensor(y), torch.as_tensor(w)))
    return val if math.isfinite(val) else math.inf


def describe(obj) -> str:
    """sklearn-like repr: only parameters that differ from their defaults."""
    sig = inspect.signature(type(obj).__init__)
    parts = []
    for name, p in sig.parameters.items():
        if name == "self" or p.kind is p.VAR_KEYWORD:
            continue
        value = getattr(obj, name, p.default)
        if isinstance(value, list):
            value = tuple(value)
        if value is not p.default and value != p.default:
            parts.append(f"{name}={value!r}")
    return ", ".join(parts)


def warn_substitutions(backend, spec) -> None:
    """Warn, at the user's line, about each operator the backend searches an equivalent of."""
    for name, stand_in in getattr(backend, "substitutions", lambda _spec: ())(spec):
        warn_outside(f"{backend.name} has no {name!r}; searching with {stand_in!r} instead")
