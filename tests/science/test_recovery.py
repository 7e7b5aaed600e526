"""Symbolic-regression recovery through the public API (real Operon, noise-free data).

Each law must appear *exactly* on the Pareto front: after the float64 refit, the candidate's
constants snap to the law's and sympy proves the difference (or ratio) constant. Searches stop
as soon as the front holds a near-zero-loss candidate, with a hard budget of 60 s each.
"""

import numpy as np
import pytest

import symtorch_lab as stl
from symtorch_lab.science import recovers

LAWS = [
    ("mu*Nn", ("mu", "Nn")),
    ("m*g*z", ("m", "g", "z")),
    ("0.5*k*x^2", ("k", "x")),
    ("q/C", ("q", "C")),
    ("1.5*p*V", ("p", "V")),
    ("eps*Ef^2", ("eps", "Ef")),
]


def stop_when_exact(threshold):
    def cb(event):
        return event.front is not None and event.front.candidates[-1].loss < threshold

    return cb


@pytest.mark.slow
@pytest.mark.parametrize(("law", "names"), LAWS, ids=[law for law, _ in LAWS])
def test_law_is_on_the_front(law, names):
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 5, (500, len(names)))
    y = stl.Expression.from_infix(law, names).numpy(X)
    distiller = stl.Distiller(
        binary_operators=["+", "-", "*", "/"],
        unary_operators=["square"],
        maxsize=15,
        population_size=500,
        niterations=500,
        timeout_in_seconds=60,
        random_state=0,
        callbacks=[stop_when_exact(1e-9 * np.var(y))],
    )
    front = distiller.fit(X, y, variable_names=names).fronts_[0]
    found = [c for c in front if recovers(c.expression, law, names)]
    assert found, f"{law} not on the front:\n{front!r}"


@pytest.mark.slow
def test_demo_law_recovered_from_trained_mlp():
    result = stl.demo.run_demo(niterations=100, timeout=60, report=None, log=lambda *a: None)
    front = result.session.jobs["mlp"].fronts[0]
    names = tuple(f"x{i}" for i in range(5))
    law = "x0^2 + 3*sin(x4) - 4"
    assert any(recovers(c.expression, law, names, rtol=0.05, up_to="exact") for c in front)
    # and the demo's rule (PySR's "score") picks it
    assert recovers(front.selected.expression, law, names, rtol=0.05, up_to="exact"), repr(front)
    # the hybrid model is as good as the MLP it replaced, on the true law
    assert result.comparison.after < 0.05
