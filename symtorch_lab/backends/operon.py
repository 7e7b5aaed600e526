"""The embedded search engine: our own NSGA-II driver over pyoperon 0.6.2's C++ bindings.

Why not ``pyoperon.sklearn.SymbolicRegressor``: its ``fit`` offers no per-generation hook, no
stop, no weights and one front at the end. This driver owns the loop's edges instead:

* two objectives, R² (after linear scaling) and genotype length, with Levenberg–Marquardt
  constant fitting, so every generation offers a range of sizes;
* a per-generation callback (``gp.Run(rng, callback, ...)``, run on a worker thread) that keeps
  a hall of fame and publishes a :class:`~.base.Progress`; raising inside it is how a run is
  stopped, since Operon ends the run cleanly after that generation (research §7.2);
* the search runs in a worker thread while the calling thread waits in short joins, so Ctrl-C
  reaches Python (pyoperon releases the GIL) and returns the partial front;
* importance resampling stands in for ``sample_weight``, which 0.6.2 lacks (§7.4);
* a custom loss becomes the first objective through ``op.UserDefinedEvaluator``.

Every pyoperon object passed to another one is kept alive by the run: the C++ side holds
references only, and a temporary (even ``op.RankSorter()``) freed early corrupts the heap.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence

import numpy as np
import pyoperon as op

from ._data import check_inputs, importance_resample, subsample
from ._operon_hof import EMPTY_FITNESS, HallOfFame, ScaledLoss, linear_scaling, mse_loss, number
from .base import LossFn, Progress, ProgressCallback, RawCandidate, SearchSpec

# Canonical operator name (symtorch_lab.operators) -> (Operon node name, arity); each pair
# checked numerically against the registry's numpy definition.
OPERATORS: dict[str, tuple[str, int]] = {
    "add": ("+", 2), "sub": ("-", 2), "mul": ("*", 2), "div": ("/", 2), "pow": ("pow", 2),
    "max": ("fmax", 2), "min": ("fmin", 2), "aq": ("aq", 2), "powabs": ("powabs", 2),
    **{name: (name, 1) for name in (
        "abs", "sqrt", "sqrtabs", "cbrt", "square", "exp", "log", "logabs", "log1p",
        "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh",
    )},
}  # fmt: skip

_HINTS = {"sign": "Operon has no sign function"}

# Operators Operon lacks but reaches through one it has plus its fitted constants
# (1/x = c/x with c = 1, -x = c - x, x^3 = x^c): SymTorch's default set uses "inv", so
# these are searched through the equivalent, with a warning, instead of being refused.
_EQUIVALENTS = {"inv": ("div", 2), "neg": ("sub", 2), "cube": ("pow", 2)}

# Node name -> NodeType flag. By name: in 0.6.2 NodeType.Fmin builds the node named "fmax".
_FLAGS = {op.Node(t).Name: t for t in op.NodeType.__members__.values()}

_LM_ITERATIONS = 10  # research §5: enough to fit constants such as 2.5 or 1/sqrt(2*pi)
_MAX_DEPTH = 10
_INIT_MAX_LENGTH = 10
_TOURNAMENT = 5
_UNBOUNDED = 2**62  # generations / evaluations when only a time budget is given
_POLL_S = 0.05  # join slice of the waiting thread: how fast Ctrl-C is noticed
_WORST = float(np.finfo(np.float32).max)


def substitutions(spec: SearchSpec) -> list[tuple[str, str]]:
    """``(asked, searched with)`` for operators operon has only an equivalent of (``inv``).

    The Distiller warns about them once per fit, in the caller's thread: a warning from the
    search (a worker thread, once per dim and restart) pointed at the engine's internals.
    """
    listed = [*spec.binary_operators, *spec.unary_operators]
    return [
        (n, _EQUIVALENTS[n][0])
        for n in listed
        if n in _EQUIVALENTS and _EQUIVALENTS[n][0] in OPERATORS
    ]


def primitive_flags(spec: SearchSpec) -> int:
    """Operon primitive-set bit mask for the spec's operators; ValueError names any misfit."""
    flags = int(_FLAGS["constant"]) | int(_FLAGS["variable"])
    listed = [(n, 2, "binary") for n in spec.binary_operators]
    listed += [(n, 1, "unary") for n in spec.unary_operators]
    for name, arity, kind in listed:
        if name in _EQUIVALENTS and _EQUIVALENTS[name][0] in OPERATORS:
            stand_in, arity = _EQUIVALENTS[name]
            name = stand_in
        if name not in OPERATORS:
            hint = _HINTS.get(name, "check the spelling")
            raise ValueError(
                f"operator {name!r} is not available on the operon backend (pyoperon 0.6.2): "
                f"{hint}. Available: {', '.join(sorted(OPERATORS))}"
            )
        node_name, real_arity = OPERATORS[name]
        if real_arity != arity:
            actual = "binary" if real_arity == 2 else "unary"
            raise ValueError(f"operator {name!r} is {actual} but was listed in {kind}_operators")
        flags |= int(_FLAGS[node_name])
    return flags


class _StopSearch(Exception):
    """Raised inside the generation callback: Operon ends the run after that generation."""


class OperonBackend:
    """Symbolic regression with pyoperon, behind the :class:`~.base.SearchBackend` protocol.

    Candidates are ``scale * f(x) + offset`` where ``f`` is an evolved tree and the linear
    scaling terms are least-squares fitted (the fitness is R² after the same scaling).
    ``complexity`` is the node count of the printed model: a variable with a fitted weight
    (``(w * x)``) counts 3 and the scaling terms count 2 each, so it can exceed
    ``spec.maxsize``, which bounds Operon's genotype length (weights and scaling excluded).
    ``loss`` is the MSE (or the custom loss) on the rows searched, i.e. after subsampling or
    importance resampling. Operon evaluates in float32; refit constants in float64 afterwards.

    A custom ``loss(pred, target, weight)`` replaces R² as the first objective: it is computed
    on the linearly scaled prediction of every individual through ``op.UserDefinedEvaluator``
    (a Python call per evaluation, about twice the search time). Constants are still fitted
    by Levenberg–Marquardt for squared error, so the Distiller's refit under the loss matters.
    """

    name = "operon"
    supports_custom_loss = True
    substitutions = staticmethod(substitutions)

    def search(
        self,
        X,
        y,
        variable_names: Sequence[str],
        spec: SearchSpec,
        *,
        sample_weight=None,
        on_generation: ProgressCallback | None = None,
        stop_event: threading.Event | None = None,
        loss: LossFn | None = None,
    ) -> list[RawCandidate]:
        """Run one search; see the protocol. Ctrl-C also sets ``stop_event`` when given."""
        started = time.monotonic()
        X, y, names, weights = check_inputs(X, y, variable_names, sample_weight)
        flags = primitive_flags(spec)
        if loss is not None and not callable(loss):
            raise TypeError(f"loss must be callable(pred, target, weight), got {loss!r}")
        if weights is None:
            rows = subsample(len(X), spec.max_rows, spec.random_state)
        else:
            rows = importance_resample(weights, spec.max_rows, spec.random_state)
        X, y = X[rows], y[rows]
        scaled_loss = mse_loss(y) if loss is None else _torch_loss(y, loss)
        if np.ptp(y) == 0:  # R² is undefined for a constant target; the answer is known
            return _constant_front(y, scaled_loss, on_generation, started)
        custom = None if loss is None else scaled_loss
        run = _Run(X, y, names, spec, flags, custom, started, on_generation, stop_event)
        _run_in_worker(run, stop_event)
        return run.result()


def _run_in_worker(run: _Run, stop_event: threading.Event | None) -> None:
    """Run the search in a thread; wait in short slices so KeyboardInterrupt is delivered.

    The wait is on our own event, not ``Thread.join``: a KeyboardInterrupt inside ``join``
    makes CPython 3.11 release the running thread's state lock and mark it finished.
    """
    worker = threading.Thread(target=run.execute, name="symtorch-lab-operon", daemon=True)
    worker.start()
    try:
        while not run.finished.wait(_POLL_S):
            pass
    except KeyboardInterrupt:
        run.interrupted.set()
        if stop_event is not None:
            stop_event.set()  # later searches of the same fit stop too
        run.finished.wait()  # ends after the current generation; the partial front is kept


def _constant_front(y, scaled_loss: ScaledLoss, on_generation, started: float):
    value = float(np.float32(y[0]))
    front = [RawCandidate(1, scaled_loss(np.full_like(y, value)), number(value))]
    if on_generation is not None:
        on_generation(Progress(0, time.monotonic() - started, tuple(front)))
    return front


def _torch_loss(y: np.ndarray, loss: LossFn) -> ScaledLoss:
    """The user's ``loss(pred, target, weight)`` on float64 tensors, as a numpy -> float."""
    import torch

    target = torch.from_numpy(y)
    weight = torch.ones_like(target)  # weights are already in the resampled rows

    def scaled(fitted: np.ndarray) -> float:
        with torch.no_grad():
            return float(loss(torch.from_numpy(fitted), target, weight))

    return scaled


class _Run:
    """One search: owns every pyoperon object, the hall of fame and the stop flags."""

    def __init__(
        self,
        X,
        y,
        names,
        spec: SearchSpec,
        flags: int,
        custom,
        started: float,
        on_generation: ProgressCallback | None,
        stop_event: threading.Event | None,
    ):
        self.spec, self.started = spec, started
        self.on_generation, self.stop_event = on_generation, stop_event
        self.interrupted = threading.Event()
        self.finished = threading.Event()
        self.errors: list[BaseException] = []
        # float64, C-contiguous and referenced for the whole run (research §7.3).
        self.data = np.ascontiguousarray(np.column_stack([X, y]), dtype=np.float64)
        self.y = self.data[:, -1].copy()
        self._alive: list = []  # C++ holds references: keep every argument alive
        self.dataset = self._keep(op.Dataset(self.data))
        self.dtable = self._keep(op.DispatchTable())
        problem, hashes = self._problem(flags)
        by_hash = dict(zip(hashes, names, strict=True))
        evaluator = self._evaluator(problem, custom)
        self.gp = self._algorithm(problem, hashes, evaluator)
        loss = custom if custom is not None else mse_loss(self.y)
        self.hof = HallOfFame(self.dataset, self.dtable, self.y, by_hash, loss)

    def _keep(self, obj):
        self._alive.append(obj)
        return obj

    def _problem(self, flags: int):
        variables = sorted(self.dataset.Variables, key=lambda v: v.Index)
        target, hashes = variables[-1], [v.Hash for v in variables[:-1]]
        problem = self._keep(op.Problem(self.dataset))
        problem.TrainingRange = op.Range(0, self.dataset.Rows)
        problem.TestRange = op.Range(self.dataset.Rows - 1, self.dataset.Rows)  # unused
        problem.Target = target
        problem.InputHashes = hashes
        problem.ConfigurePrimitiveSet(flags)
        return problem, hashes

    def _evaluator(self, problem, custom: ScaledLoss | None):
        if custom is None:
            error = self._keep(op.Evaluator(problem, self.dtable, self._keep(op.R2()), True))
        else:
            fitness = self._custom_fitness(custom)
            error = self._keep(op.UserDefinedEvaluator(problem, self._keep(fitness)))
        length = self._keep(op.LengthEvaluator(problem))
        evaluator = self._keep(op.MultiEvaluator(problem))
        for part in (error, length):
            part.Budget = _UNBOUNDED
            evaluator.Add(part)
        evaluator.Budget = _UNBOUNDED
        return evaluator

    def _custom_fitness(self, custom: ScaledLoss):
        """Operon calls this per individual (taking the GIL); errors are kept, not raised in C++.

        The closure must not reference ``self``: the evaluator that holds it is C++, so a
        cycle through it is invisible to the garbage collector and the run would leak.
        """
        dtable, dataset, y, errors = self.dtable, self.dataset, self.y, self.errors
        rows = op.Range(0, dataset.Rows)

        def fitness(_rng, individual) -> list[float]:
            try:
                pred = op.Evaluate(dtable, individual.Genotype, dataset, rows).astype(np.float64)
                if not np.all(np.isfinite(pred)):
                    return [_WORST]
                scale, offset = linear_scaling(pred, y)
                value = custom(scale * pred + offset)
                return [value if math.isfinite(value) and value < EMPTY_FITNESS else _WORST]
            except Exception as exc:  # noqa: BLE001 - surfaced after the run
                errors.append(exc)
                return [_WORST]

        return fitness

    def _algorithm(self, problem, hashes, evaluator):
        spec, keep = self.spec, self._keep
        pset = keep(problem.PrimitiveSet)  # a copy the creator and mutations point into
        creator = keep(op.BalancedTreeCreator(pset, hashes, 0.0))
        coeffs = keep(op.NormalCoefficientInitializer())
        coeffs.ParameterizeDistribution(0, 1)
        comparison = keep(op.CrowdedComparison())
        female, male = (keep(op.TournamentSelector(comparison)) for _ in range(2))
        female.TournamentSize = male.TournamentSize = min(_TOURNAMENT, spec.population_size)
        crossover = keep(op.SubtreeCrossover(0.9, _MAX_DEPTH, spec.maxsize))
        mutation = self._mutation(pset, hashes, creator, coeffs)
        optimizer = keep(op.LMOptimizer(self.dtable, problem, _LM_ITERATIONS, 0))  # 0: all rows
        local = keep(op.CoefficientOptimizer(optimizer))
        generator = keep(
            op.BasicOffspringGenerator(evaluator, crossover, mutation, female, male, local)
        )
        initializer = keep(op.UniformLengthTreeInitializer(creator))
        min_arity, _ = pset.FunctionArityLimits()
        initializer.ParameterizeDistribution(min_arity + 1, min(_INIT_MAX_LENGTH, spec.maxsize))
        initializer.MinDepth, initializer.MaxDepth = 1, 1000
        config = keep(self._config())
        return keep(op.NSGA2Algorithm(
            config, problem, initializer, coeffs, generator,
            keep(op.KeepBestReinserter(comparison)), keep(op.RankSorter()),
        ))  # fmt: skip

    def _mutation(self, pset, hashes, creator, coeffs):
        """All of Operon's mutations with equal weights (its own defaults)."""
        maxsize = self.spec.maxsize

        def normal(cls):
            m = cls()
            m.ParameterizeDistribution(0, 1)
            return m

        def discrete():
            m = op.DiscretePointMutation()
            for c in op.Math.Constants:
                m.Add(c, 1.0)
            return m

        makers = (
            lambda: normal(op.NormalOnePointMutation),
            lambda: normal(op.NormalMultiPointMutation),
            discrete,
            lambda: op.ChangeVariableMutation(hashes),
            lambda: op.ChangeFunctionMutation(pset),
            lambda: op.InsertSubtreeMutation(creator, coeffs, _MAX_DEPTH, maxsize),
            lambda: op.ReplaceSubtreeMutation(creator, coeffs, _MAX_DEPTH, maxsize),
            lambda: op.RemoveSubtreeMutation(pset),
        )
        multi = self._keep(op.MultiMutation())
        for make in makers:
            multi.Add(self._keep(make()), 1.0)
        return multi

    def _config(self) -> op.GeneticAlgorithmConfig:
        spec = self.spec
        timeout = spec.timeout_in_seconds
        return op.GeneticAlgorithmConfig(
            generations=spec.niterations if spec.niterations is not None else _UNBOUNDED,
            max_evaluations=_UNBOUNDED,
            local_iterations=_LM_ITERATIONS,
            population_size=spec.population_size,
            pool_size=spec.population_size,
            p_crossover=1.0,
            p_mutation=0.25,
            p_local=1.0,
            p_lamarck=1.0,
            epsilon=1e-5,
            seed=spec.random_state,
            # Backstop only: the callback stops at the first generation past the timeout.
            max_time=_UNBOUNDED if timeout is None else math.ceil(timeout) + 1,
        )

    # --- running (worker thread) ------------------------------------------------------
    def execute(self) -> None:
        try:
            rng = op.RandomGenerator(self.spec.random_state)
            self.gp.Run(rng, self._on_generation, self.spec.n_threads, False)
            self.hof.update(self.gp.Individuals)  # in case the last generation had no callback
        except _StopSearch:
            pass
        except Exception as exc:  # noqa: BLE001 - surfaced by result()
            self.errors.append(exc)
        finally:
            self.finished.set()

    def _on_generation(self) -> None:
        stop = False
        try:
            self.hof.update(self.gp.Individuals)
            if self.on_generation is not None:
                progress = Progress(self.gp.Generation, self.elapsed(), tuple(self.hof.front()))
                stop = bool(self.on_generation(progress))
            stop = stop or self._stop_requested()  # after: the callback may set the event
        except Exception as exc:  # noqa: BLE001 - ours or the user's: stop, re-raise later
            self.errors.append(exc)
            stop = True
        if stop:
            raise _StopSearch

    def _stop_requested(self) -> bool:
        timeout = self.spec.timeout_in_seconds
        return (
            self.interrupted.is_set()
            or (self.stop_event is not None and self.stop_event.is_set())
            or (timeout is not None and self.elapsed() >= timeout)
            or bool(self.errors)
        )

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def result(self) -> list[RawCandidate]:
        if self.errors:
            raise self.errors[0]
        return self.hof.front()
