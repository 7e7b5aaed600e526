"""ParetoFront / Candidate: PySR's selection rules, filtering, JSON, views."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from symtorch_lab.expression import Expression
from symtorch_lab.front import Candidate, ParetoFront, pareto_candidates, pysr_scores

NAMES = ("x0", "x1")


def cand(text, loss, complexity=None):
    expr = Expression.from_infix(text, NAMES)
    return Candidate(complexity=complexity or expr.complexity, loss=loss, expression=expr)


@pytest.fixture
def front():
    # complexities 1, 3, 5, 9 with losses 10, 1, 0.01, 0.009
    return ParetoFront(
        [
            cand("x0", 10.0, 1),
            cand("x0 * x1", 1.0, 3),
            cand("x0 * x1 + x0", 0.01, 5),
            cand("x0 * x1 + x0 * 1.5 + x1", 0.009, 9),
            cand("x1 * x1 * x1 + x0", 5.0, 7),  # dominated by complexity 5
        ]
    )


def test_dominated_candidates_are_dropped(front):
    assert [c.complexity for c in front] == [1, 3, 5, 9]


def test_scores_follow_pysr_definition(front):
    expected = [0.0, math.log(10) / 2, math.log(100) / 2, math.log(0.01 / 0.009) / 4]
    np.testing.assert_allclose([c.score for c in front], expected)


def test_model_selection_rules(front):
    assert front.select("accuracy").complexity == 9
    assert front.select("score").complexity == 5
    # best: among losses <= 1.5 * min (0.0135) -> complexities 5 and 9, highest score wins
    assert front.select("best").complexity == 5
    assert front.best.complexity == 5


def test_best_respects_loss_threshold():
    # the big score jump is at complexity 3 but its loss is far from the minimum
    f = ParetoFront([cand("x0", 100.0, 1), cand("x0*x1", 1.0, 3), cand("x0*x1+x0", 0.5, 20)])
    assert f.select("score").complexity == 3
    assert f.select("best").complexity == 20


def test_unknown_rule_is_refused(front):
    with pytest.raises(ValueError, match="model_selection='bestest'"):
        front.select("bestest")


def test_pick_by_complexity_and_id(front):
    target = front.candidates[1]
    assert front.pick(complexity=3) is target
    front.pick(index=0)
    assert front.pick(id=target.id) is target
    with pytest.raises(KeyError, match="available"):
        front.pick(complexity=4)
    with pytest.raises(TypeError):
        front.pick(complexity=3, index=1)


def test_repr_marks_selected_row(front):
    front.pick(complexity=5)
    lines = repr(front).splitlines()
    marked = [line for line in lines if line.startswith(">>>")]
    assert len(marked) == 1 and marked[0].split()[1] == "5"


def test_to_frame_like_pysr_equations(front):
    df = front.to_frame()
    assert list(df.columns[:4]) == ["complexity", "loss", "score", "equation"]
    assert df["selected"].sum() == 1
    assert df.loc[df["selected"], "complexity"].item() == front.selected.complexity


def test_json_round_trip_keeps_pick(front):
    front.pick(complexity=9)
    again = ParetoFront.from_json(front.to_json())
    assert [c.id for c in again] == front.ids()
    assert again.selected.complexity == 9
    assert [c.loss for c in again] == [c.loss for c in front]


def test_rescore_selects_on_validation_loss():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (200, 2))
    y = X[:, 0] * X[:, 1]
    f = ParetoFront([cand("x0", 2.0, 1), cand("x0*x1", 0.5, 3), cand("x0*x1 + x0*x0", 0.4, 7)])
    assert f.select("accuracy").complexity == 7
    val = f.rescore(X, y)
    assert val.selection_loss == "val_loss"
    assert val.select("accuracy").complexity == 3
    assert val.selected.metrics["val_loss"] == pytest.approx(0.0, abs=1e-12)


def test_empty_or_nonfinite_front_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        ParetoFront([cand("x0", math.nan, 1)])


@given(
    st.lists(
        st.tuples(st.integers(1, 30), st.floats(0, 1e6, allow_nan=False)), min_size=1, max_size=40
    )
)
def test_front_is_monotone(pairs):
    expr = Expression.from_infix("x0", NAMES)
    cands = [Candidate(complexity=c, loss=lo, expression=expr) for c, lo in pairs]
    front = pareto_candidates(cands)
    comp = [c.complexity for c in front]
    losses = [c.loss for c in front]
    assert comp == sorted(set(comp))
    assert all(a > b for a, b in zip(losses, losses[1:], strict=False))
    assert min(losses) == min(lo for _, lo in pairs)
    scores = pysr_scores(np.array(comp), np.array(losses))
    assert scores[0] == 0 and np.all(scores[1:] >= 0)


def _front(rows, **kw):
    names = ["x0", "x1"]
    cands = [Candidate(c, loss, Expression.from_infix(text, names)) for c, loss, text in rows]
    return ParetoFront(cands, **kw)


NOISE_FREE = [
    (1, 1.0, "1.5"),
    (3, 0.1, "2*x0"),
    (7, 1e-31, "x0*x1 + x0"),  # the law, at float64 round-off
    (15, 1e-33, "x0*x1 + x0 + 1e-17*x1*x1*x0"),  # fits the round-off
]


def test_floor_picks_the_law_over_a_longer_fit_of_round_off():
    assert str(_front(NOISE_FREE, model_selection="best").selected.expression).count("x") > 4
    assert _front(NOISE_FREE, model_selection="floor").selected.complexity == 7


def test_floor_picks_the_simplest_at_the_networks_noise_floor():
    rows = [
        (1, 1.0, "1.5"),
        (5, 1.1e-4, "x0*x1 + x0"),  # the law: misses only the network's own error
        (9, 6e-5, "x0*x1 + x0 + 0.01*x1"),
        (13, 2e-5, "x0*x1 + x0 + 0.01*x1 - 0.02*x0*x0"),  # fits the network's error
    ]
    assert _front(rows, model_selection="best").selected.complexity == 13
    floor = _front(rows, model_selection="floor", noise_floor=1e-4)
    assert floor.selected.complexity == 5
    back = ParetoFront.from_json(floor.to_json())
    assert back.noise_floor == 1e-4 and back.selected.complexity == 5
    assert _front(rows, model_selection="floor").selected.complexity == 13  # no floor given
