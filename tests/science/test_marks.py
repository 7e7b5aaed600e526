"""Known-law marks on fronts from a real search (Operon, noise-free data): the members that
recover the law are marked, the printed front shows it, and a bad law is refused."""

import numpy as np
import pytest

import symtorch_lab as stl
from symtorch_lab.front import Candidate, ParetoFront

NAMES = ("q1", "q2", "r")
LAW = "q1*q2/r^2"


def stop_when_exact(event):
    return event.front is not None and event.front.candidates[-1].loss < 1e-6


@pytest.fixture(scope="module")
def coulomb():
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 3, (300, 3))
    y = 8.99 * X[:, 0] * X[:, 1] / X[:, 2] ** 2
    distiller = stl.Distiller(
        maxsize=12, population_size=200, niterations=40, timeout_in_seconds=30,
        random_state=0, n_jobs=1, known_law=LAW, callbacks=[stop_when_exact],
        units={"q1": "C", "q2": "C", "r": "m", "y": "N"},
    )  # fmt: skip
    return distiller.fit(X, y, variable_names=NAMES).fronts_[0]


def test_search_marks_the_members_that_recover_the_law(coulomb):
    marks = {str(c.expression): c.metrics["recovers_law"] for c in coulomb}
    assert coulomb.known_law == LAW
    assert 1.0 in marks.values() and 0.0 in marks.values(), marks
    for cand in coulomb:  # a member is marked exactly when it is the law up to a factor
        ratio = cand.expression.numpy(np.array([[1.0, 2.0, 1.5], [2.0, 1.0, 2.5]]))
        ratio = ratio / np.array([2.0 / 1.5**2, 2.0 / 2.5**2])
        assert cand.metrics["recovers_law"] == float(np.isclose(ratio[0], ratio[1], rtol=1e-3))
    assert all(c.metrics["dim_consistent"] == 1.0 for c in coulomb)  # k is a wildcard


def test_printed_front_has_a_law_column(coulomb):
    lines = repr(coulomb).splitlines()
    assert lines[0].split()[:5] == ["complexity", "loss", "score", "law", "units"]
    rows = {line[3:].split(None, 5)[5]: line[3:].split()[3] for line in lines[1 : len(coulomb) + 1]}
    assert rows == {
        str(c.expression): "yes" if c.metrics["recovers_law"] else "no" for c in coulomb
    }
    assert f"(law: yes = recovers the known law {LAW})" in lines


def _front(*texts):
    return ParetoFront(
        [Candidate(i + 1, 1.0 / (i + 1), stl.Expression.from_infix(t, NAMES))
         for i, t in enumerate(texts)]
    )  # fmt: skip


def test_mark_law_up_to_offset_or_factor_and_clearing():
    front = _front("q1", "3*q1*q2/(r*r)", "q1*q2/r^2 + 1.5", "q1*q2/r")
    front.mark_law(LAW)
    assert [c.metrics["recovers_law"] for c in front] == [0.0, 1.0, 1.0, 0.0]
    front.mark_law(LAW, up_to="exact")  # the same law again keeps the marks ...
    assert [c.metrics["recovers_law"] for c in front] == [0.0, 1.0, 1.0, 0.0]
    front.mark_law("3*q1*q2/r^2", up_to="exact")  # ... another law re-marks
    assert [c.metrics["recovers_law"] for c in front] == [0.0, 1.0, 0.0, 0.0]
    again = ParetoFront.from_json(front.to_json())  # marks and law travel in session files
    assert again.known_law == "3*q1*q2/r^2" and again[1].metrics["recovers_law"] == 1.0
    front.mark_law(None)
    assert front.known_law is None and all("recovers_law" not in c.metrics for c in front)
    assert "law" not in repr(front).splitlines()[0]


@pytest.mark.parametrize(
    ("law", "message"),
    [("q1*q2/rr", "unknown identifier 'rr'"), ("q1*", "expected a number"),
     ("__import__(q1)", "unknown function")],
)  # fmt: skip
def test_bad_law_is_refused_before_marking(law, message):
    front = _front("q1", "q1*q2")
    with pytest.raises(ValueError, match=message):
        front.mark_law(law)
    assert all("recovers_law" not in c.metrics for c in front)
    with pytest.raises(ValueError, match=message):  # and before a search starts
        stl.Distiller(known_law=law).fit(np.ones((10, 3)), np.ones(10), variable_names=NAMES)
