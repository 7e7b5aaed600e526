"""One numpy function ``(n, d) -> (n,)`` out of whatever black box a user explains.

Why a module of its own: SLIME and LIME explain the *same* scalar (a regression output, or one
class's probability or logit), and users hand over many kinds of models: an ``nn.Module``, a
torch or numpy callable, an sklearn estimator or its bound ``predict`` / ``predict_proba``.
Everything here converts, checks the shape once, and names what is wrong (f raising, f
returning the wrong shape or NaN) before any search starts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ._misfit import DataMismatchError, call_checked, on_rows

MODES = ("regression", "classification")
OUTPUTS = ("proba", "logit")
_PROBA_TOL = 1e-4  # rows of f's output summing to 1 within this are probabilities
_CLIP = 1e-12  # probabilities are clipped to [CLIP, 1 - CLIP] before a logit


def _describe(f) -> str:
    name = getattr(f, "__qualname__", None) or type(f).__name__
    return f"f ({name})"


def resolve_callable(f, mode: str) -> Callable:
    """The function to call: a module, ``predict_proba`` / ``predict`` of an estimator, or f."""
    if isinstance(f, nn.Module):
        return f
    if mode == "classification" and hasattr(f, "predict_proba"):
        return f.predict_proba
    if hasattr(f, "predict") and not callable(f):
        return f.predict
    if hasattr(f, "predict") and hasattr(f, "fit"):  # an estimator that is also callable
        return f.predict
    if not callable(f):
        raise TypeError(
            f"slime: f must be an nn.Module, a callable or an estimator with predict / "
            f"predict_proba, got {type(f).__name__}"
        )
    return f


def _to_numpy(out, where: str) -> np.ndarray:
    if isinstance(out, torch.Tensor):
        out = out.detach().cpu().double().numpy()
    try:
        return np.asarray(out, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where} returned {type(out).__name__}, not numbers: {exc}") from None


def _call_module(module: nn.Module, X: np.ndarray):
    param = next(iter(module.parameters()), None)
    dtype = param.dtype if param is not None and param.is_floating_point() else torch.float32
    device = param.device if param is not None else "cpu"
    with torch.no_grad():
        return module(torch.as_tensor(X, dtype=dtype, device=device))


@dataclass
class BlackBox:
    """The explained scalar of ``f`` on rows of ``X``: ``box(X) -> (n,)`` float64.

    Built by :func:`black_box`, which calls ``f`` once on a few training rows to learn how
    to call it (numpy or torch input) and what it returns (probabilities or scores).
    """

    fn: Callable
    mode: str
    n_features: int
    name: str
    torch_input: bool = False
    n_outputs: int = 1
    is_proba: bool = True
    class_index: int | None = None
    output: str = "proba"

    def raw(self, X: np.ndarray) -> np.ndarray:
        """f's own output as float64 (n, k); errors name f, the rows and the shape."""
        X = np.ascontiguousarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise ValueError(f"slime: X must have shape (n, {self.n_features}), got {X.shape}")
        try:
            if isinstance(self.fn, nn.Module):
                out = _call_module(self.fn, X)
            elif self.torch_input:
                out = self.fn(torch.as_tensor(X))
            else:
                out = self.fn(X)
        except Exception as exc:
            raise RuntimeError(
                f"slime: {self.name} raised {type(exc).__name__} on an input of shape "
                f"{X.shape}: {exc}"
            ) from exc
        return self._check_shape(_to_numpy(out, f"slime: {self.name}"), len(X))

    def _check_shape(self, out: np.ndarray, n: int) -> np.ndarray:
        if out.ndim == 1 and out.shape[0] == n:
            out = out[:, None]
        want = "(n,) or (n, 1)" if self.mode == "regression" else "(n,), (n, 1) or (n, k)"
        if out.ndim != 2 or out.shape[0] != n or (self.mode == "regression" and out.shape[1] != 1):
            raise ValueError(
                f"slime: {self.name} returned shape {out.shape} for {n} rows; "
                f"{self.mode} mode needs {want}"
            )
        bad = ~np.isfinite(out).all(axis=1)
        if bad.any():
            row = int(np.argmax(bad))
            raise ValueError(
                f"slime: {self.name} returned NaN or inf on {int(bad.sum())} of {n} rows "
                f"(first: row {row}, output {out[row].tolist()})"
            )
        return out

    def probabilities(self, out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(probabilities, log-probabilities), each (n, k) with k >= 2."""
        if out.shape[1] == 1:  # one column: the positive class's probability or score
            if self.is_proba:
                p = np.clip(out[:, 0], _CLIP, 1 - _CLIP)
                logp = np.column_stack([np.log1p(-p), np.log(p)])
            else:
                z = out[:, 0]
                logp = np.column_stack([-np.logaddexp(0.0, z), -np.logaddexp(0.0, -z)])
            return np.exp(logp), logp
        if self.is_proba:
            p = np.clip(out, _CLIP, 1.0)
            return out, np.log(p)
        logp = out - np.logaddexp.reduce(out, axis=1, keepdims=True)
        return np.exp(logp), logp

    def __call__(self, X) -> np.ndarray:
        out = self.raw(np.asarray(X, dtype=np.float64))
        if self.mode == "regression":
            return out[:, 0]
        p, logp = self.probabilities(out)
        k = self.class_index
        if self.output == "proba":
            return p[:, k]
        others = np.delete(logp, k, axis=1)
        return logp[:, k] - np.logaddexp.reduce(others, axis=1)

    def predicted_class(self, x0: np.ndarray) -> int:
        p, _ = self.probabilities(self.raw(x0[None, :]))
        return int(np.argmax(p[0]))

    @property
    def n_classes(self) -> int:
        return max(2, self.n_outputs)


def black_box(f, mode: str, sample: np.ndarray, n_rows: int | None = None) -> BlackBox:
    """Wrap ``f`` for ``mode``; ``sample`` (the first rows of the training data, which has
    ``n_rows``) probes it once. An error names the training data's shape, not the probe's."""
    if mode not in MODES:
        raise ValueError(f"slime: mode must be one of {MODES}, got {mode!r}")
    fn = resolve_callable(f, mode)
    box = BlackBox(fn, mode, sample.shape[1], _describe(fn))
    shape = (len(sample) if n_rows is None else n_rows, sample.shape[1])
    if not isinstance(fn, nn.Module):
        box.torch_input = _needs_torch(fn, sample, shape)
        out = box.raw(sample)
    else:
        try:  # a module that refuses the rows: name it and what it expects
            out = call_checked(fn, lambda: box.raw(sample))
        except DataMismatchError as err:
            path, module, shapes, exc = err.found or ("", fn, [], err)
            torch_says = DataMismatchError("", (path, module, shapes, exc.__cause__ or exc))
            said = on_rows(torch_says, len(sample), shape[0])
            raise DataMismatchError(f"slime: {said}", said.found) from err
    box.n_outputs = out.shape[1]
    if mode == "classification":
        in_unit = bool(np.all((out >= 0) & (out <= 1)))
        sums_to_one = out.shape[1] == 1 or bool(np.allclose(out.sum(axis=1), 1, atol=_PROBA_TOL))
        box.is_proba = in_unit and sums_to_one
    return box


def _needs_torch(fn: Callable, sample: np.ndarray, shape: tuple[int, int]) -> bool:
    """True when ``fn`` fails on numpy input but runs on a tensor (a torch callable)."""
    try:
        fn(sample)
        return False
    except Exception as numpy_exc:
        try:
            fn(torch.as_tensor(sample))
        except Exception:
            raise RuntimeError(
                f"slime: {_describe(fn)} raised {type(numpy_exc).__name__} on training_data "
                f"of shape {shape} (tried on its first {len(sample)} rows): {numpy_exc}"
            ) from numpy_exc
        return True


def class_index(box: BlackBox, target, class_names: Sequence[str] | None) -> int | None:
    """The explained class as an index (None: the class predicted at each x0)."""
    if target is None:
        return None
    if isinstance(target, str):
        names = list(class_names or [])
        if target not in names:
            raise ValueError(f"slime: target {target!r} is not one of class_names {names}")
        return names.index(target)
    if isinstance(target, bool) or not isinstance(target, int | np.integer):
        raise TypeError(f"slime: target must be a class index or name, got {target!r}")
    if not 0 <= int(target) < box.n_classes:
        raise ValueError(f"slime: target class {target} outside 0..{box.n_classes - 1}")
    return int(target)
