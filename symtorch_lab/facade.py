"""A SymTorch-compatible facade: ``SymbolicModel`` (wrap → distill → switch).

Users of SymTorch's ``SymbolicModel`` can switch by changing the import. The names and
arguments are SymTorch's (``distill``, ``switch_to_symbolic``, ``switch_to_block``,
``show_symbolic_expression``, ``get_symbolic_function``, ``sr_params``, ``fit_params``,
``variable_transforms``, ``save_path``, ``setup_pruning`` / ``prune`` /
``get_active_dimensions``, ``clear_cache``, ``distill_data``, ``pysr_regressor``), the work is
the engine's: recording and search go through :class:`~symtorch_lab.session.Session`, so the
facade and the Lab share every fix. What SymTorch users hit and this avoids: ``output_dim=0``
means dimension 0, train/eval modes are restored, inputs of any rank are accepted, a changed
block is recorded again (no stale cache), ``torch.save(model)`` and ``state_dict`` work (the
fronts travel as JSON, never pickled), and a complexity that is not on the front takes the
closest one below it with a warning (see :func:`choose`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from . import _facade_state as state
from ._facade_block import CallableBlock, distill_params
from ._facade_slime import slime_fronts
from ._regressor_view import RegressorView
from ._warn import warn_outside
from .front import Candidate, ParetoFront
from .pruning import PruningPlan, keep_most_active
from .session import Session
from .surrogate import SymbolicSurrogate


class SymbolicModel(nn.Module):
    """Wrap a block (``nn.Module`` or any callable) so it can be distilled and switched.

    Parameters
    ----------
    block : nn.Module or callable
        The layer to interpret, or a function ``f(X) -> Y`` (model-agnostic mode).
    block_name : str, optional
        A name used in messages and as the folder name under ``save_path``.
    """

    def __init__(self, block: nn.Module | Callable, block_name: str | None = None):
        super().__init__()
        if isinstance(block, nn.Module):
            self.symtorch_block = block
        else:
            self._callable = block
        self.block_name = block_name or f"block_{id(self)}"
        self.fronts_: dict[int, ParetoFront] = {}
        self.slime_fronts_: dict[int, ParetoFront] = {}
        self.slime_explanations_: dict = {}  # dim -> Explanation of the last SLIME distill
        self._slime = False  # the switched expressions come from the SLIME fronts
        self._surrogate: SymbolicSurrogate | None = None
        self._shapes: tuple[tuple[int, ...], tuple[int, ...]] | None = None
        self._transforms: tuple = ()
        self._chosen: dict[int, int] = {}  # dim -> complexity in use while symbolic
        self._cache: state.Cache | None = None
        self.pruning: PruningPlan | None = None
        self.output_dims: int | None = None

    @property
    def block(self):
        return self.symtorch_block if hasattr(self, "symtorch_block") else self._callable

    @property
    def variable_transforms(self) -> list[Callable]:
        """The transforms of the last distill (set them again before ``load_state_dict`` of
        a model distilled with transforms: code is never saved)."""
        return list(self._transforms)

    @variable_transforms.setter
    def variable_transforms(self, transforms) -> None:
        self._transforms = tuple(transforms or ())

    @property
    def using_symbolic(self) -> bool:
        return self._surrogate is not None

    def forward(self, x, *args, **kwargs):
        if self._surrogate is None:
            out = self.block(x, *args, **kwargs)
            return out * self.pruning_mask if self.pruning is not None else out
        is_numpy = isinstance(x, np.ndarray)
        out = self._surrogate(torch.as_tensor(x, dtype=torch.float32) if is_numpy else x)
        out = self._scatter(out)
        return out.detach().cpu().numpy() if is_numpy else out

    def _scatter(self, out: torch.Tensor) -> torch.Tensor:
        """Symbolic outputs of the switched dims into zeros of the block's output shape."""
        dims, (_, out_shape) = sorted(self._chosen), self._shapes
        n_out = int(np.prod(out_shape))
        if dims == list(range(n_out)):
            return out.reshape(*out.shape[:-1], *out_shape)
        full = out.new_zeros(*out.shape[:-1], n_out)
        full[..., dims] = out
        return full.reshape(*out.shape[:-1], *out_shape)

    # --- distill -----------------------------------------------------------------------
    def distill(
        self,
        inputs,
        output_dim: int | Sequence[int] | None = None,
        parent_model: nn.Module | None = None,
        variable_transforms: Sequence[Callable] | None = None,
        save_path: str | None = None,
        sr_params: dict | None = None,
        fit_params: dict | None = None,
        SLIME: bool = False,  # noqa: N803 - SymTorch's name
        slime_params: dict | None = None,
    ):
        """Record the block on ``inputs`` and search expressions for its outputs.

        ``inputs`` are the block's own inputs, or the parent model's inputs when
        ``parent_model`` is given. With pruning set up, only the active dims are searched.
        ``save_path`` writes each front as JSON to ``save_path/block_name/dim<d>.json``.
        Returns the front of ``output_dim`` (an int) or a dict of fronts.

        ``SLIME=True`` explains the block locally at ``slime_params["x"]`` (SymTorch's
        ``J_nn``, ``num_synthetic``, ``real_weighting``; see :mod:`symtorch_lab._facade_slime`);
        its fronts are ``slime_fronts_`` and the other methods take ``SLIME=True`` to use them.
        """
        if SLIME:
            dims = None if output_dim is None else [int(d) for d in np.atleast_1d(output_dim)]
            found = slime_fronts(self, inputs, dims, parent_model, variable_transforms,
                                 sr_params, fit_params, slime_params)  # fmt: skip
            self.slime_fronts_.update(found)
            return found[int(output_dim)] if isinstance(output_dim, int | np.integer) else found
        if parent_model is not None and not isinstance(self.block, nn.Module):
            raise ValueError(f"{self.block_name}: parent_model needs an nn.Module block")
        names, weights = state.split_fit_params(fit_params, self.block_name)
        session, path = self._recorded(inputs, parent_model, variable_transforms, names)
        job = session.jobs[path]
        dims = self._dims_to_search(output_dim, job.recording.Y.shape[1])
        if weights is not None:
            weights = state.check_weights(weights, len(job.recording.X), self.block_name)
        params = distill_params(sr_params)
        job = session.distill(path, output_dims=dims, sample_weight=weights, resume=False, **params)
        found = {d: job.fronts[d] for d in dims}
        self.fronts_.update(found)
        if save_path is not None:
            state.write_fronts(save_path, self.block_name, found)
        if isinstance(output_dim, int | np.integer):
            return self.fronts_[int(output_dim)]
        return found

    def _dims_to_search(self, output_dim, n_out: int) -> list[int]:
        self.output_dims = n_out
        if output_dim is None:
            return self.get_active_dimensions() if self.pruning else list(range(n_out))
        dims = [int(d) for d in np.atleast_1d(output_dim)]
        bad = [d for d in dims if not 0 <= d < n_out]
        if bad:
            raise ValueError(f"{self.block_name}: output_dim {bad} outside 0..{n_out - 1}")
        return dims

    def _recorded(self, inputs, parent_model, transforms, names) -> tuple[Session, str]:
        """The engine Session holding the block's recording (recorded again unless the
        inputs, parent, transforms, names and every weight are the same as last time)."""
        self._transforms = tuple(transforms or ())
        key = state.Cache.key_for(inputs, parent_model, self._transforms, names, self)
        if self._cache is not None and self._cache.matches(key):
            return self._cache.session, self._cache.path
        model, path, data = self._recording_target(inputs, parent_model)
        session = Session(model, data, max_samples=max(len(data), 1))
        opts = {"variable_transforms": list(self._transforms)} if self._transforms else {}
        if names is not None:
            opts["variable_names"] = list(names)
        surrogate, self._surrogate = self._surrogate, None  # record the real block
        try:
            rec = session.record(path, **opts)[path]
        finally:
            self._surrogate = surrogate
        raw_in = tuple(inputs.shape[1:]) if parent_model is None else tuple(rec.input_shape)
        self._shapes = (raw_in if self._transforms else tuple(rec.input_shape), rec.output_shape)
        self._cache = state.Cache(key, session, path)
        return session, path

    def _recording_target(self, inputs, parent_model):
        if isinstance(self.block, nn.Module):
            data = inputs if torch.is_tensor(inputs) else torch.as_tensor(np.asarray(inputs))
            if parent_model is None:
                return self.symtorch_block, "", data
            return parent_model, self._block_path(parent_model), data
        block = CallableBlock(self._callable, numpy=not torch.is_tensor(inputs))
        return block, "", CallableBlock.as_data(inputs)

    def _block_path(self, parent_model) -> str:
        for name, module in parent_model.named_modules():
            if module is self.symtorch_block:
                return name
        raise ValueError(f"{self.block_name}: the wrapped block is not a submodule of parent_model")

    @property
    def distill_data(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The recorded ``(X, Y)`` of the last distill (X after ``variable_transforms``)."""
        if self._cache is None:
            return None
        rec = self._cache.session.jobs[self._cache.path].recording
        return rec.X, rec.Y

    def clear_cache(self) -> None:
        """Forget the recorded data: the next distill records the block again."""
        self._cache = None

    # --- switch ------------------------------------------------------------------------
    def switch_to_symbolic(
        self,
        complexity: int | Sequence[int] | None = None,
        SLIME: bool = False,  # noqa: N803 - SymTorch's name
    ) -> None:
        """Use the expressions in forward: the pick of each dim, or the given complexity
        (an int for all dims or a list in dim order; see :func:`choose`). With pruning set
        up, the active dims are switched and the pruned ones give zero. ``SLIME=True`` uses
        the local SLIME fronts."""
        fronts = self.slime_fronts_ if SLIME else self.fronts_
        if not fronts:
            what = "distill(..., SLIME=True)" if SLIME else "distill()"
            raise RuntimeError(f"{self.block_name}: nothing distilled yet; call {what} first")
        dims = self.get_active_dimensions() if self.pruning else list(range(self.output_dims))
        missing = [d for d in dims if d not in fronts]
        if missing:
            raise RuntimeError(
                f"{self.block_name}: distill output dims {missing} before switching "
                f"(distilled: {sorted(fronts)})"
            )
        picks = {d: self._choose(d, _nth(complexity, i), SLIME) for i, d in enumerate(dims)}
        self._install({d: c.complexity for d, c in picks.items()}, SLIME)

    def _install(self, chosen: dict[int, int], slime: bool = False) -> None:
        fronts = self.slime_fronts_ if slime else self.fronts_
        exprs = [_at(fronts[d], c).expression for d, c in sorted(chosen.items())]
        in_shape, _ = self._shapes
        self._surrogate = SymbolicSurrogate(
            exprs,
            in_shape=in_shape,
            out_shape=(len(exprs),),
            input_transforms=self._transforms or None,
            path=self.block_name,
        )
        self._chosen, self._slime = dict(sorted(chosen.items())), slime

    def switch_to_block(self) -> None:
        """Go back to the original block."""
        self._surrogate = None
        self._chosen, self._slime = {}, False

    def _choose(self, dim: int, complexity, slime: bool = False) -> Candidate:
        fronts = self.slime_fronts_ if slime else self.fronts_
        if dim not in fronts:
            raise KeyError(
                f"{self.block_name}: output dim {dim} has not been distilled"
                f"{' with SLIME=True' if slime else ''}; distilled dims: {sorted(fronts)}"
            )
        warned = self.__dict__.setdefault("_warned_choices", set())  # each warning once
        return choose(fronts[dim], complexity, f"{self.block_name}, dim {dim}", warned)

    # --- pruning -----------------------------------------------------------------------
    def setup_pruning(
        self,
        initial_dim: int,
        target_dim: int,
        total_steps: int,
        end_step_frac: float = 0.5,
        decay_rate: str = "exp",
    ) -> None:
        """Lower the active output dims from ``initial_dim`` to ``target_dim`` by
        ``end_step_frac`` of ``total_steps`` (see :mod:`symtorch_lab.pruning`)."""
        if not isinstance(self.block, nn.Module):
            raise TypeError(f"{self.block_name}: pruning needs an nn.Module block")
        self.pruning = PruningPlan(initial_dim, target_dim, total_steps, end_step_frac, decay_rate)
        self.register_buffer("pruning_mask", torch.ones(initial_dim, dtype=torch.bool))

    def prune(self, step: int, sample_data: torch.Tensor, parent_model=None) -> None:
        """At a scheduled step, keep the dims with the largest std of the block's outputs on
        ``sample_data`` (the parent's inputs when ``parent_model`` is given)."""
        if self.pruning is None:
            raise RuntimeError(f"{self.block_name}: call setup_pruning() before prune()")
        k = self.pruning.active_at(step)
        if k >= int(self.pruning_mask.sum()):
            return
        outputs = state.block_outputs(self, sample_data, parent_model)
        self.pruning_mask.copy_(keep_most_active(outputs, self.pruning_mask, k))

    def get_active_dimensions(self) -> list[int]:
        """The output dims still active (all of them without pruning)."""
        if self.pruning is None:
            return list(range(self.output_dims or 0))
        return torch.nonzero(self.pruning_mask).flatten().tolist()

    # --- inspect -----------------------------------------------------------------------
    @property
    def pysr_regressor(self) -> dict[int, RegressorView]:
        """PySR-style per-dim access: ``equations_``, ``get_best()``, ``sympy()``, ``latex()``."""
        return {d: RegressorView(f) for d, f in sorted(self.fronts_.items())}

    def get_symbolic_function(
        self,
        dim: int = 0,
        complexity: int | None = None,
        SLIME: bool = False,  # noqa: N803 - SymTorch's name
    ) -> Callable:
        """The chosen expression of ``dim`` as a function of the block's RAW inputs (the
        ``variable_transforms`` are applied); numpy in → numpy out, torch in → torch out."""
        expr = self._choose(dim, complexity, SLIME).expression
        transforms = self._transforms

        def f(x):
            if torch.is_tensor(x):
                rows = state.feature_rows(x.reshape(len(x), -1).to(torch.float32), transforms)
                return expr.torch().to(x.device)(rows)
            rows = state.feature_rows(torch.as_tensor(np.asarray(x, dtype=float)), transforms)
            return expr.numpy(rows.reshape(len(rows), -1).numpy())

        return f

    def show_symbolic_expression(self, dim=None, complexity=None, SLIME=False) -> None:  # noqa: N803
        """Print the front of each dim (pick marked), or the candidate of a given complexity."""
        fronts = self.slime_fronts_ if SLIME else self.fronts_
        dims = sorted(fronts) if dim is None else np.atleast_1d(dim).tolist()
        for i, d in enumerate(dims):
            if complexity is None:
                cand = self._choose(d, None, SLIME)
                print(f"Output dim {d} of {self.block_name}:\n{fronts[d]!r}")
                print(f"Best: {cand.expression} (loss {cand.loss:.4g})")
            else:
                cand = self._choose(d, _nth(complexity, i), SLIME)
                print(
                    f"Dimension {d} - Complexity {cand.complexity}: {cand.expression} "
                    f"(loss {cand.loss:.4g})"
                )

    # --- persistence: plain JSON in the state dict, never pickled code ------------------
    def get_extra_state(self):
        return state.to_json(self)

    def set_extra_state(self, data) -> None:
        if self.__dict__.pop("_applied", None) is not data:  # not already in _load_from_state_dict
            state.apply_json(self, data)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # The mode, fronts and pruning mask must exist before torch matches the keys (the
        # surrogate's constants and the mask are keys of their own).
        extra = state_dict.get(prefix + "_extra_state")
        if extra is not None:
            state.apply_json(self, extra)
            self.__dict__["_applied"] = extra
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def __getstate__(self):  # torch.save(model): the recording cache (a Session) stays behind
        return {**self.__dict__, "_cache": None}

    def __setstate__(self, data):  # torch.load of a whole model saved before 'pruning' existed
        super().__setstate__(data)
        for key, value in (("pruning", None), ("slime_fronts_", {}), ("slime_explanations_", {}),
                           ("_slime", False)):  # fmt: skip
            self.__dict__.setdefault(key, value)


def choose(front: ParetoFront, complexity, where: str, warned: set | None = None) -> Candidate:
    """The candidate of ``complexity`` on ``front``; None gives the pick.

    PySR numbers complexity by node count and a run's front need not contain every count
    (the data of SymTorch's notebooks are unseeded): a complexity that is not on the front
    takes the closest candidate *below* it (never a longer expression than asked) with a
    ``UserWarning`` (once per front and complexity when given a ``warned`` set); one below the
    whole front is a ``ValueError`` listing the front.
    """
    if complexity is None:
        return front.selected
    c = int(complexity)
    have = [cand.complexity for cand in front]
    below = [cand for cand in front if cand.complexity <= c]
    if not below:
        raise ValueError(f"{where}: no candidate of complexity {c} or less; the front has {have}")
    key = (where, c, tuple(have))
    if below[-1].complexity != c and (warned is None or key not in warned):
        warn_outside(
            f"{where}: no candidate of complexity {c} on the front {have}; "
            f"using {below[-1].complexity}, the closest below"
        )
        if warned is not None:
            warned.add(key)
    return below[-1]


def _at(front: ParetoFront, complexity: int) -> Candidate:
    return next(c for c in front if c.complexity == complexity)


def _nth(complexity, i: int):
    if complexity is None or isinstance(complexity, int | np.integer):
        return complexity
    values = list(complexity)
    if i >= len(values):
        raise ValueError(f"complexity list {values} has no entry for switched dim number {i}")
    return values[i]
