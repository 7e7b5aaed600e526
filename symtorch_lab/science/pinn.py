"""Physics-informed networks whose solution and constants are read back as a formula.

SymTorch's PINN case study: a network ``u(x, t)`` is trained on only a few measured points
plus the residual of a differential equation with an unknown constant (heat: ``u_t = α·u_xx``),
the constant is learned with the weights, and distilling the trained ``u`` gives the closed-form
solution (``sin(πx)·exp(−π²αt)``). A plain network on the same points fits them but does not
give the law. :class:`PINN` is the generic helper (any residual, domain, conditions and named
constants); :func:`recover` runs one of the catalogued systems end to end.

>>> pinn = PINN(heat_residual, {"x": (0, 1), "t": (0, 1)}, conditions, constants={"alpha": 1.0})
>>> pinn.fit(X_data, u_data).constants_["alpha"]      # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import sympy
import torch
from torch import nn

from ..expression import Expression
from ..front import Candidate, ParetoFront
from ..session import Session
from . import _pinn_systems as systems
from ._pinn_train import Condition, Derivatives, Field, build_problem, mlp, sample, train
from .recovery import recovers

__all__ = [
    "PINN",
    "Condition",
    "Derivatives",
    "fit_plain",
    "fit_system",
    "law_on_front",
    "readable",
    "recover",
    "stop_when_fitted",
]

SEARCH = {  # what a closed-form solution of these equations is made of
    "binary_operators": ("+", "-", "*", "/"),
    "unary_operators": ("sin", "cos", "exp"),
    "maxsize": 15,
    "population_size": 300,
    "niterations": 200,
    "timeout_in_seconds": None,  # generations bound the search: results do not depend on load
    "n_threads": 1,
}


class PINN:
    """Fit ``u`` to sparse data and a differential equation with learnable constants.

    Parameters
    ----------
    residual : callable
        ``residual(u, d, k) -> tensor (n,)``, zero where the equation holds: ``u`` the network's
        values at the collocation points, ``d`` a :class:`Derivatives` (``d("x", "x")`` is
        ∂²u/∂x², ``d["x"]`` the coordinate), ``k`` the constants by name (``k.alpha``).
    domain : mapping
        ``{name: (low, high)}`` in input order, e.g. ``{"x": (0, 1), "t": (0, 1)}``.
    conditions : sequence of Condition
        Initial and boundary conditions, each with its weight.
    constants : mapping
        Learnable constants and their initial values, e.g. ``{"alpha": 1.0}``.
    hidden, activation : the MLP ``d → hidden… → 1`` (default 32, 32, 32 with tanh).
    epochs, lr : Adam steps on the full batch and the learning rate.
    lbfgs_steps : int
        L-BFGS iterations after Adam (0: Adam only, SymTorch's recipe); a few hundred settle
        the constants in far fewer steps than Adam.
    n_collocation : int
        Points (drawn once, uniformly) where the residual is imposed.
    weights : mapping
        Weights of the ``"data"`` and ``"residual"`` terms (conditions carry their own).
    physics : bool
        False trains the same network on the data alone (the plain-NN contrast).

    Attributes
    ----------
    model_ : nn.Module with the trained network as ``model_.net`` (what the Lab distils)
    constants_ : dict[str, float]; also readable as attributes (``pinn.alpha_``)
    history_ : ndarray, the total loss per epoch
    """

    def __init__(
        self,
        residual: Callable | None,
        domain: Mapping[str, tuple[float, float]],
        conditions: Sequence[Condition] = (),
        *,
        constants: Mapping[str, float] | None = None,
        hidden: Sequence[int] = (32, 32, 32),
        activation: type[nn.Module] = nn.Tanh,
        epochs: int = 3000,
        lr: float = 1e-3,
        lbfgs_steps: int = 0,
        n_collocation: int = 500,
        weights: Mapping[str, float] | None = None,
        physics: bool = True,
        random_state: int = 0,
    ):
        self.residual = residual
        self.domain = {str(k): (float(a), float(b)) for k, (a, b) in domain.items()}
        self.conditions = tuple(conditions)
        self.constants = dict(constants or {})
        self.hidden = tuple(hidden)
        self.activation = activation
        self.epochs = int(epochs)
        self.lr = float(lr)
        self.lbfgs_steps = int(lbfgs_steps)
        self.n_collocation = int(n_collocation)
        self.weights = dict(weights or {})
        self.physics = physics
        self.random_state = random_state

    @property
    def variable_names(self) -> tuple[str, ...]:
        return tuple(self.domain)

    def fit(self, X, u) -> PINN:
        """Train on the measured points ``X`` (n, d) with values ``u`` (n,); returns self."""
        X, u = _check_data(X, u, self.variable_names)
        torch.manual_seed(self.random_state)
        gen = torch.Generator().manual_seed(self.random_state)
        net = mlp(len(self.domain), self.hidden, self.activation)
        k = nn.ParameterDict(
            {n: nn.Parameter(torch.tensor(float(v))) for n, v in self.constants.items()}
        )
        start = time.perf_counter()
        if self.physics:
            if self.residual is None:
                raise ValueError("pinn: physics=True needs a residual(u, d, k) function")
            problem = build_problem(
                self.domain, self.residual, self.conditions, X, u,
                self.n_collocation, gen, self.weights,
            )  # fmt: skip
            self.history_ = train(problem, net, k, self.epochs, self.lr, self.lbfgs_steps)
        else:
            self.history_ = _train_data_only(net, X, u, self.epochs, self.lr)
        self.fit_time_ = time.perf_counter() - start
        self.model_ = Field(net).eval()
        self.constants_ = {n: float(p.detach()) for n, p in k.items()}
        return self

    def __getattr__(self, name: str) -> Any:
        """``pinn.alpha_`` is ``pinn.constants_["alpha"]`` (sklearn's fitted-attribute style)."""
        fitted = self.__dict__.get("constants_")
        if name.endswith("_") and fitted is not None and name[:-1] in fitted:
            return fitted[name[:-1]]
        raise AttributeError(f"{type(self).__name__!s} has no attribute {name!r}")

    def predict(self, X) -> np.ndarray:
        """``u`` at the points ``X`` (n, d) as float64 (n,)."""
        X = torch.as_tensor(np.asarray(X, dtype=np.float32))
        with torch.no_grad():
            return self.model_(X).reshape(-1).double().numpy()

    def points(self, n: int = 5000, random_state: int | None = None) -> torch.Tensor:
        """``n`` uniform points of the domain (what the network is recorded on)."""
        seed = self.random_state if random_state is None else random_state
        return sample(self.domain, n, torch.Generator().manual_seed(seed))

    def session(self, data=None, **distiller_params) -> Session:
        """A :class:`~symtorch_lab.session.Session` on ``model_`` with ``net`` recorded
        (inputs named like the domain); ``stl.Lab(pinn.model_, session=...)`` shows it."""
        data = self.points() if data is None else data
        params = {**SEARCH, "random_state": self.random_state, **distiller_params}
        session = Session(self.model_, data, **params)
        session.record("net", variable_names=self.variable_names)
        return session

    def distill(self, data=None, callbacks=(), **distiller_params) -> ParetoFront:
        """The Pareto front of closed forms for the trained ``u`` (through a Session)."""
        session = self.session(data, **distiller_params)
        job = session.distill("net", callbacks=callbacks)
        self.session_ = session
        return job.fronts[0]


def _check_data(X, u, names) -> tuple[torch.Tensor, torch.Tensor]:
    X = torch.as_tensor(np.asarray(X, dtype=np.float32))
    u = torch.as_tensor(np.asarray(u, dtype=np.float32)).reshape(-1)
    if X.ndim != 2 or X.shape[1] != len(names) or X.shape[0] != u.shape[0]:
        raise ValueError(
            f"pinn: data X must be (n, {len(names)}) for variables {list(names)} with u of (n,), "
            f"got X {tuple(X.shape)} and u {tuple(u.shape)}"
        )
    return X, u


def _train_data_only(net: nn.Module, X, u, epochs: int, lr: float) -> np.ndarray:
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    history = np.empty(epochs)
    for epoch in range(epochs):
        opt.zero_grad()
        loss = torch.mean((net(X).reshape(-1) - u) ** 2)
        loss.backward()
        opt.step()
        history[epoch] = loss.item()
    return history


def fit_plain(X, u, domain, **params) -> PINN:
    """The contrast: the same network on the same points, without the equation."""
    return PINN(None, domain, physics=False, **params).fit(X, u)


def law_on_front(
    front: ParetoFront | Sequence[Candidate],
    law: str,
    names: Sequence[str],
    targets: Mapping[str, str | float],
    rtol: float = 0.02,
    atol: float = 0.01,
) -> Candidate | None:
    """The simplest front member that is ``law`` once its constants are read as the law's.

    A trained network is the solution only to its training error, so a distilled member is
    ``0.9992*exp(-1.967*t)*sin(3.143*x) - 0.0021``: each constant within ``rtol`` of ± one
    of the law's (``targets``: exact text such as ``"pi^2/5"``) is set to it, constants below
    ``atol`` (the network's error, not physics) to 0, and
    :func:`~symtorch_lab.science.recovery.recovers` must then prove the member equal to the
    law up to a constant factor or offset. None when no member is.
    """
    exact = [_exact(t) for t in targets.values()]
    for cand in sorted(front, key=lambda c: c.complexity):
        snapped = _snap_to(cand.expression.sympy(), exact, rtol, atol)
        if snapped is not None and recovers(snapped, law, names):
            return cand
    return None


def _exact(text: str | float) -> sympy.Expr:
    if isinstance(text, (int, float)):
        return sympy.nsimplify(text, rational=True)
    return Expression.from_infix(str(text), ()).sympy()


def _snap_to(expr: sympy.Expr, exact: Sequence[sympy.Expr], rtol: float, atol: float):
    """Every float of ``expr`` within ``rtol`` of ± an expected constant or its reciprocal
    (``0.1111`` for ``9``: the same constant, written as a divisor) becomes it, one below
    ``atol`` becomes 0; others stay (``recovers`` snaps them to simple rationals)."""
    repl = {}
    forms = [e for c in exact for e in (c, 1 / c) if c != 0]
    for f in expr.atoms(sympy.Float):
        if abs(float(f)) < atol:
            repl[f] = sympy.Integer(0)
        for e in forms:
            for s in (e, -e):
                if abs(float(f) - float(s)) <= rtol * abs(float(s)):
                    repl[f] = s
    return expr.xreplace(repl)


def readable(expression: Expression, atol: float = 0.01) -> str:
    """The member as a physicist writes it: constants below ``atol`` (the network's error)
    dropped, a factor within 0.1 % of ±1 dropped, the others kept (4 significant digits),
    so ``0.9999*exp(-1.973*t)*sin(pi*x) - 4e-06`` reads ``exp(-1.973*t)*sin(pi*x)``."""
    expr = expression.sympy()
    repl = {}
    for f in expr.atoms(sympy.Float):
        if abs(float(f)) < atol:
            repl[f] = sympy.Integer(0)
        elif abs(abs(float(f)) - 1) < 1e-3:
            repl[f] = sympy.sign(f)
    return str(Expression.from_sympy(expr.xreplace(repl), expression.variable_names))


def stop_when_fitted(rel: float = 1e-5) -> Callable:
    """A Distiller callback that ends the search once a member's loss is below ``rel`` times
    the constant member's (the variance of ``u``): the closed form has been found and more
    generations only add members more complex than it."""

    def callback(event) -> bool:
        front = event.front
        if front is None or len(front) < 2:
            return False
        return front.candidates[-1].loss < rel * front.candidates[0].loss

    return callback


def fit_system(system, *, small: bool = False, random_state: int = 0, physics: bool = True):
    """Train a catalogued system's PINN (``physics=False``: the plain network) on its ten
    measured points; returns the fitted :class:`PINN` and the data ``(X, u)``."""
    spec = systems.get(system) if isinstance(system, str) else system
    X, u = systems.data(spec, random_state)
    pinn = PINN(
        spec.residual, spec.domain, spec.conditions,
        constants=spec.constants, epochs=spec.small_epochs if small else spec.epochs,
        physics=physics, random_state=random_state, **spec.params,
    )  # fmt: skip
    return pinn.fit(X, u), (X, u)


def recover(
    system: str | systems.System = "heat", small: bool = False, random_state: int = 0
) -> dict[str, Any]:
    """Train the PINN of a catalogued ``system`` (a name of ``systems.SYSTEMS`` or a
    ``System``), distil ``u`` and check the law is on the front.

    Returns the README row: ``system``, ``expected`` (the law), ``recovered`` (the simplest
    front member that is the law, else the front's pick, as :func:`readable` writes it),
    ``constants`` (learned),
    ``wall_s`` and ``law_on_front``. ``small`` trains and searches less (CI settings).
    """
    spec = systems.get(system) if isinstance(system, str) else system
    start = time.perf_counter()
    pinn, _ = fit_system(spec, small=small, random_state=random_state)
    front = pinn.distill(callbacks=[stop_when_fitted()], **systems.search(spec, small))
    found = law_on_front(front, spec.law, spec.names, spec.targets)
    return {
        "system": spec.name,
        "expected": spec.law,
        "recovered": readable((found or front.selected).expression),
        "constants": {n: round(v, 4) for n, v in pinn.constants_.items()},
        "wall_s": round(time.perf_counter() - start, 1),
        "law_on_front": found is not None,
    }
