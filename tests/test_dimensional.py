"""Dimensional analysis (dimensional.py): the π groups of the inputs' units, the search in
them, and the rebuilt laws on the plain search's front."""

from fractions import Fraction

import numpy as np
import pytest

import symtorch_lab as stl
from symtorch_lab.dimensional import analyse, dimensionless_groups
from symtorch_lab.science.recovery import recovers
from symtorch_lab.units import parse_unit

SMALL = dict(
    niterations=10, population_size=100, maxsize=20, timeout_in_seconds=None, random_state=0,
    n_jobs=1,
)  # fmt: skip
STOKES = ["rp", "rf", "g", "r", "mu"]
STOKES_LAW = "2/9*(rp - rf)*g*r^2/mu"
STOKES_UNITS = {"rp": "kg/m^3", "rf": "kg/m^3", "g": "m/s^2", "r": "m", "mu": "Pa*s",
                "y": "m/s"}  # fmt: skip


@pytest.fixture(scope="module")
def stokes():
    """Stokes' terminal velocity of a sphere settling in a viscous fluid."""
    rng = np.random.default_rng(0)
    lo_hi = [(2000, 8000), (800, 1500), (1, 20), (1e-4, 1e-3), (1e-3, 1e-1)]
    X = np.column_stack([rng.uniform(lo, hi, 300) for lo, hi in lo_hi])
    y = 2 / 9 * (X[:, 0] - X[:, 1]) * X[:, 2] * X[:, 3] ** 2 / X[:, 4]
    return X, y


def on_front(front, law, names) -> bool:
    return any(recovers(c.expression, law, names) for c in front)


def test_pendulum_period_is_sqrt_of_length_over_g_and_the_mass_drops_out():
    pi = analyse({"L": "m", "g": "m/s^2", "m": "kg", "y": "s"}, ["L", "g", "m"])
    assert pi.groups == ()  # three inputs, three independent units: no group is left
    assert pi.monomial == (Fraction(1, 2), Fraction(-1, 2), 0)
    assert str(pi.monomial_expression()) == "sqrt(L/g)"
    with_angle = analyse({"L": "m", "g": "m/s^2", "th": "rad", "y": "s"}, ["L", "g", "th"])
    assert with_angle.groups == ((0, 0, 1),)  # an angle is its own dimensionless group


def test_newton_gravity_groups_with_g_as_an_input():
    names = ["G", "m1", "m2", "r"]
    units = {"G": "m^3/(kg*s^2)", "m1": "kg", "m2": "kg", "r": "m", "y": "N"}
    pi = analyse(units, names)
    assert pi.groups == ((0, 1, -1, 0),)  # m1/m2
    assert pi.monomial == (1, 1, 1, -2)  # G*m1*m2/r^2: the balanced monomial
    assert pi.describe() == "y = G*m1*m2/r^2 · φ(π1); π1 = m1/m2"


def test_groups_are_dimensionless_and_independent():
    names = ["rp", "rf", "g", "r", "mu"]
    columns = [parse_unit(STOKES_UNITS[n]) for n in names]
    groups = dimensionless_groups(columns)
    assert len(groups) == 2  # five inputs, three base units (M, L, T)
    for e in groups:
        assert all(sum(k * c[b] for k, c in zip(e, columns, strict=True)) == 0 for b in range(5))
    assert np.linalg.matrix_rank(np.array(groups, float)) == 2


def test_an_output_unit_no_input_makes_is_refused_before_the_search():
    X = np.random.default_rng(0).uniform(1, 2, (50, 3))
    units = {"q1": "C", "q2": "C", "r": "m", "y": "N"}  # Coulomb's k is not an input
    d = stl.Distiller(dimensional_analysis=True, units=units, **SMALL)
    with pytest.raises(ValueError, match=r"units\['y'\] \(M L T\^-2\) is no product.*q1 \[T I\]"):
        d.fit(X, X[:, 0] * X[:, 1] / X[:, 2] ** 2, variable_names=["q1", "q2", "r"])
    assert not hasattr(d, "fronts_") or not d.fronts_


def test_pi_search_recovers_a_law_the_plain_search_misses(stokes):
    X, y = stokes
    plain = stl.Distiller(units=STOKES_UNITS, **SMALL).fit(X, y, variable_names=STOKES)
    assert not on_front(plain.fronts_[0], STOKES_LAW, STOKES)  # this budget and seed
    d = stl.Distiller(units=STOKES_UNITS, dimensional_analysis=True, **SMALL)
    front = d.fit(X, y, variable_names=STOKES).fronts_[0]
    assert on_front(front, STOKES_LAW, STOKES)
    assert recovers(front.selected.expression, STOKES_LAW, STOKES)
    assert front.selected.metrics["dimensionless"] == 1.0
    assert front.selected.metrics["dim_consistent"] == 1.0
    assert front.dimensional.startswith("y = mu/(rp*r) · φ(π1, π2); π1 = rp/rf")
    assert "(dimensional analysis: y = mu/(rp*r)" in repr(front)
    assert stl.ParetoFront.from_json(front.to_json()).dimensional == front.dimensional
    for cand in front:  # plain rows stay unless a rebuilt row dominates them
        if "dimensionless" not in cand.metrics:
            assert cand.id in plain.fronts_[0].ids()


def test_a_monomial_with_a_square_root_needs_no_sqrt_operator():
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.uniform(0.1, 2, 200), rng.uniform(1, 20, 200), rng.uniform(1, 5, 200)])
    y = 2 * np.pi * np.sqrt(X[:, 0] / X[:, 1])
    names, units = ["L", "g", "m"], {"L": "m", "g": "m/s^2", "m": "kg", "y": "s"}
    law = "2*pi*sqrt(L/g)"
    plain = stl.Distiller(units=units, **SMALL).fit(X, y, variable_names=names).fronts_[0]
    assert not on_front(plain, law, names)  # + - * / cannot write sqrt
    front = (
        stl.Distiller(units=units, dimensional_analysis=True, **SMALL)
        .fit(X, y, variable_names=names)
        .fronts_[0]
    )
    assert recovers(front.selected.expression, law, names)
    assert front.dimensional == "y = sqrt(L/g) · const"


def test_without_units_the_search_is_the_plain_one(stokes):
    X, y = stokes
    plain = stl.Distiller(**SMALL).fit(X, y, variable_names=STOKES).fronts_[0]
    off = stl.Distiller(dimensional_analysis=True, **SMALL).fit(X, y, variable_names=STOKES)
    front = off.fronts_[0]
    assert front.ids() == plain.ids()
    assert front.dimensional == "not used: no units given (units={...})"
    assert plain.dimensional is None
    dimensionless = {n: "1" for n in STOKES} | {"y": "1"}
    same = stl.Distiller(dimensional_analysis=True, units=dimensionless, **SMALL)
    assert same.fit(X, y, variable_names=STOKES).fronts_[0].ids() == plain.ids()
    assert same.fronts_[0].dimensional.endswith("no reduction)")


def test_a_stopped_search_skips_the_pi_search(stokes):
    X, y = stokes
    d = stl.Distiller(units=STOKES_UNITS, dimensional_analysis=True, **SMALL)
    d.callbacks = (lambda event: d.stop(),)  # Stop pressed during the plain search
    front = d.fit(X, y, variable_names=STOKES).fronts_[0]
    assert d.stopped_
    assert front.dimensional == "not used: the search was stopped"
    assert not any("dimensionless" in c.metrics for c in front)


def test_groups_undefined_on_most_rows_leave_the_plain_search_alone():
    rng = np.random.default_rng(2)
    X = np.column_stack([rng.uniform(-2, 0.5, 100), rng.uniform(1, 20, 100)])  # most L < 0
    names, units = ["L", "g"], {"L": "m", "g": "m/s^2", "y": "s"}
    small = SMALL | {"niterations": 2}
    d = stl.Distiller(units=units, dimensional_analysis=True, **small)
    front = d.fit(X, X[:, 0] / X[:, 1], variable_names=names).fronts_[0]
    assert front.dimensional.startswith("not used: the groups are not finite on ")
    assert not any("dimensionless" in c.metrics for c in front)
