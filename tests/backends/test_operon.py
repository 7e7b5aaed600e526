"""The embedded Operon driver: recovery, determinism, live front, stopping, weights, errors.

Budgets are small (a few hundred rows, populations of 200-300, at most 40 generations): each
search takes well under a second or two on one core.
"""

from __future__ import annotations

import ast
import math
import os
import signal
import threading
import time

import numpy as np
import pytest

from symtorch_lab.backends import SearchSpec, get_backend
from symtorch_lab.backends._operon_hof import format_tree
from symtorch_lab.backends.operon import OPERATORS, OperonBackend, primitive_flags, substitutions
from symtorch_lab.expression import Expression
from symtorch_lab.operators import OPERATORS as REGISTRY

NAMES = ("x0", "x1")


def spec(**kw) -> SearchSpec:
    base = dict(niterations=20, population_size=300, random_state=0, timeout_in_seconds=None)
    return SearchSpec(**{**base, **kw})


@pytest.fixture(scope="module")
def product():
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (300, 2))
    return X, X[:, 0] * X[:, 1]


# --- a test-only evaluator for the infix strings the driver prints ---------------------------
_FUNCS = {"sin": np.sin, "cos": np.cos, "exp": np.exp, "log": np.log, "sqrt": np.sqrt}
_FUNCS |= {"square": np.square, "tanh": np.tanh, "abs": np.abs}
_FUNCS |= {"max": np.maximum, "min": np.minimum}
_BINOPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}
_BINOPS[ast.Pow] = np.power


def evaluate(infix: str, X: np.ndarray, names=NAMES) -> np.ndarray:
    """Walk the parsed AST with a whitelist (never eval): checks what the driver prints."""
    columns = dict(zip(names, X.T, strict=True))

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return columns[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.Call):
            return _FUNCS[node.func.id](*(walk(a) for a in node.args))
        raise AssertionError(f"unexpected syntax {ast.dump(node)} in {infix!r}")

    with np.errstate(all="ignore"):
        out = walk(ast.parse(infix.replace("^", "**"), mode="eval"))
    return np.broadcast_to(out, (len(X),))


def assert_pareto(cands):
    assert cands, "empty front"
    for a, b in zip(cands, cands[1:], strict=False):
        assert a.complexity < b.complexity and a.loss > b.loss, (a, b)


# --- search results ---------------------------------------------------------------------------
def test_recovers_product_exactly(product):
    X, y = product
    front = OperonBackend().search(X, y, NAMES, spec(niterations=30))
    assert_pareto(front)
    exact = [c for c in front if c.loss < 1e-6 * y.var()]
    assert exact, front
    best = exact[0]
    assert "x0" in best.infix and "x1" in best.infix and "*" in best.infix
    assert "+ x" not in best.infix and "- x" not in best.infix  # one product, not a sum
    np.testing.assert_allclose(evaluate(best.infix, X), y, atol=1e-3)


@pytest.mark.parametrize(
    ("target", "operators"),
    [
        (
            lambda X: X[:, 1] / X[:, 0] - np.sqrt(X[:, 0]) + np.exp(-X[:, 1]),
            {"binary_operators": ("+", "-", "*", "/", "^"), "unary_operators": ("sqrt", "exp")},
        ),
        (  # Operon's NodeType.Fmin computes the maximum: names must follow semantics
            lambda X: np.maximum(X[:, 0], X[:, 1]) + np.minimum(X[:, 0], 0.5 * X[:, 1]),
            {"binary_operators": ("max", "min", "+", "*")},
        ),
    ],
)
def test_printed_models_have_the_reported_loss(target, operators):
    """Operand order, weights and scaling of every operator: the string is the model."""
    rng = np.random.default_rng(1)
    X = rng.uniform(0.5, 2.0, (200, 2))
    y = target(X)
    front = OperonBackend().search(X, y, NAMES, spec(**operators))
    assert_pareto(front)
    for cand in front:
        mse = float(np.mean((evaluate(cand.infix, X) - y) ** 2))
        assert math.isclose(mse, cand.loss, rel_tol=1e-3, abs_tol=1e-9 * y.var()), cand
        assert cand.complexity == len(_nodes(cand.infix)), cand
        expr = Expression.from_infix(cand.infix, NAMES)  # what the Distiller does next
        assert expr.complexity == cand.complexity, cand
        np.testing.assert_allclose(expr.numpy(X), evaluate(cand.infix, X), rtol=1e-9, atol=1e-12)


def test_operators_mean_what_the_registry_says():
    """Each exposed Operon node, evaluated by Operon, matches the registry's numpy function."""
    import pyoperon as op

    rng = np.random.default_rng(0)
    a, b = rng.uniform(-2, 2, 50), rng.uniform(-2, 2, 50)
    data = np.ascontiguousarray(np.column_stack([a, b, a]))
    dataset, dtable = op.Dataset(data), op.DispatchTable()
    hashes = [v.Hash for v in sorted(dataset.Variables, key=lambda v: v.Index)]
    by_name = {op.Node(t).Name: t for t in op.NodeType.__members__.values()}
    for name, (node_name, arity) in OPERATORS.items():
        assert REGISTRY[name].arity == arity, name
        leaves = []
        for h in hashes[:arity][::-1]:  # postfix: the first operand is written last
            leaves.append(op.Node.Variable(1.0))
            leaves[-1].HashValue = h
        tree = op.Tree([*leaves, op.Node(by_name[node_name])]).UpdateNodes()
        got = op.Evaluate(dtable, tree, dataset, op.Range(0, 50))
        with np.errstate(all="ignore"):
            want = REGISTRY[name].numpy(*(a, b)[:arity])
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, equal_nan=True, err_msg=name)


def _nodes(infix: str) -> list:
    """Operators, calls, names and numbers of the parsed string ((-c) counts as one)."""
    tree = ast.parse(infix.replace("^", "**"), mode="eval")
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
            continue  # a negative number is one constant
        if isinstance(node, ast.BinOp | ast.UnaryOp | ast.Constant):
            out.append(node)
        elif isinstance(node, ast.Call):
            out.append(node)  # the call; its name is not an extra node
        elif isinstance(node, ast.Name) and node.id in NAMES:
            out.append(node)
    return out


def test_same_seed_and_budget_give_the_same_front(product):
    X, y = product
    first = OperonBackend().search(X, y, NAMES, spec(niterations=10))
    again = OperonBackend().search(X, y, NAMES, spec(niterations=10))
    assert first == again


def test_uniform_weights_are_an_unweighted_search(product):
    """The Distiller passes ones when the user gave no weights: nothing may change."""
    X, y = product
    plain = OperonBackend().search(X, y, NAMES, spec(niterations=5))
    ones = OperonBackend().search(X, y, NAMES, spec(niterations=5), sample_weight=np.ones(300))
    assert plain == ones


def test_constant_target_returns_the_constant(product):
    X, _ = product
    front = OperonBackend().search(X, np.full(len(X), 2.5), NAMES, spec())
    assert front == [front[0]] and front[0].infix == "2.5" and front[0].loss == 0.0


# --- progress and stopping --------------------------------------------------------------------
def test_callback_sees_each_generation_and_a_pareto_hall_of_fame(product):
    X, y = product
    seen = []
    front = OperonBackend().search(X, y, NAMES, spec(niterations=8), on_generation=seen.append)
    assert [p.generation for p in seen] == list(range(9))
    assert all(b.elapsed >= a.elapsed for a, b in zip(seen, seen[1:], strict=False))
    for p in seen:
        assert_pareto(list(p.candidates))
    assert list(seen[-1].candidates) == front
    # A hall of fame never gets worse: the best loss only goes down.
    best = [p.candidates[-1].loss for p in seen]
    assert best == sorted(best, reverse=True)


def test_callback_returning_true_stops_after_that_generation(product):
    X, y = product
    seen = []

    def stop_at_3(p):
        seen.append(p.generation)
        return p.generation == 3

    front = OperonBackend().search(X, y, NAMES, spec(niterations=40), on_generation=stop_at_3)
    assert seen == [0, 1, 2, 3]
    assert_pareto(front)


def test_stop_event_ends_early_with_a_partial_front(product):
    X, y = product
    event = threading.Event()
    seen = []

    def set_at_2(p):  # as a Stop button in another thread would
        seen.append(p.generation)
        if p.generation == 2:
            event.set()

    front = OperonBackend().search(
        X, y, NAMES, spec(niterations=40), on_generation=set_at_2, stop_event=event
    )
    assert seen == [0, 1, 2]
    assert_pareto(front)
    event.set()  # already set before the start: only the initial population is evaluated
    seen.clear()
    assert OperonBackend().search(
        X, y, NAMES, spec(niterations=40), on_generation=set_at_2, stop_event=event
    )
    assert seen == [0]


def test_error_in_callback_ends_run_and_is_raised(product):
    X, y = product

    def broken(p):
        raise RuntimeError(f"bug at generation {p.generation}")

    with pytest.raises(RuntimeError, match="bug at generation 0"):
        OperonBackend().search(X, y, NAMES, spec(), on_generation=broken)


def test_timeout_budget(product):
    X, y = product
    t0 = time.monotonic()
    front = OperonBackend().search(X, y, NAMES, spec(niterations=None, timeout_in_seconds=0.5))
    elapsed = time.monotonic() - t0
    assert front and 0.4 < elapsed < 60.0, elapsed  # unbounded generations: the timeout ended it


def test_keyboard_interrupt_returns_partial_front(product, python_sigint):
    X, y = product
    started, event = threading.Event(), threading.Event()

    def ctrl_c():  # Ctrl-C once the search runs
        started.wait(10)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=ctrl_c, daemon=True).start()
    t0 = time.monotonic()
    front = OperonBackend().search(
        X, y, NAMES, spec(niterations=100_000, timeout_in_seconds=20),
        on_generation=lambda p: started.set(), stop_event=event,
    )  # fmt: skip
    assert time.monotonic() - t0 < 10
    assert_pareto(front)
    assert event.is_set()  # the rest of a multi-output fit stops too


def test_search_releases_the_gil(product):
    """A main-thread timer keeps ticking while a search runs in a background thread."""
    X, y = product
    done = []
    worker = threading.Thread(
        target=lambda: done.append(OperonBackend().search(X, y, NAMES, spec(niterations=25)))
    )
    worker.start()
    lateness = []
    while worker.is_alive():
        t0 = time.perf_counter()
        time.sleep(0.01)
        lateness.append(time.perf_counter() - t0 - 0.01)
    worker.join()
    print(f"max lateness of 10 ms sleeps during a search: {max(lateness) * 1e3:.1f} ms")
    assert done and len(lateness) > 10
    assert max(lateness) < 0.2


# --- weights and custom loss -------------------------------------------------------------------
def test_importance_weights_change_the_fit():
    """Research §7.4: region A (weight 1e-3) follows 2*x0 + 1 + x1, region B x0^2 + x1."""
    rng = np.random.default_rng(3)
    X = rng.uniform(-2, 2, (300, 2))
    in_b = np.arange(300) % 2 == 0
    y = np.where(in_b, X[:, 0] ** 2 + X[:, 1], 2 * X[:, 0] + 1 + X[:, 1])
    w = np.where(in_b, 1.0, 1e-3)
    s = spec(niterations=20, unary_operators=("square",))

    def mse_on_b(front):
        return min(np.mean((evaluate(c.infix, X[in_b]) - y[in_b]) ** 2) for c in front)

    plain = mse_on_b(OperonBackend().search(X, y, NAMES, s))
    weighted = mse_on_b(OperonBackend().search(X, y, NAMES, s, sample_weight=w))
    print(f"MSE on region B: unweighted {plain:.3g}, importance-weighted {weighted:.3g}")
    # The few region-A rows still drawn (weight share 0.1 %) leave a tiny compromise.
    assert weighted < 1e-4 * y[in_b].var() and plain > 100 * weighted


def test_custom_loss_is_the_search_objective(product):
    X, y = product

    def mae(pred, target, weight):
        return (weight * (pred - target).abs()).sum() / weight.sum()

    assert OperonBackend.supports_custom_loss
    front = OperonBackend().search(X, y, NAMES, spec(niterations=10), loss=mae)
    assert_pareto(front)
    for cand in front:
        value = float(np.mean(np.abs(evaluate(cand.infix, X) - y)))
        assert math.isclose(value, cand.loss, rel_tol=1e-3, abs_tol=1e-6), cand


def test_custom_loss_errors_are_raised(product):
    X, y = product

    def broken(pred, target, weight):
        raise ZeroDivisionError("loss bug")

    with pytest.raises(ZeroDivisionError, match="loss bug"):
        OperonBackend().search(X, y, NAMES, spec(), loss=broken)
    with pytest.raises(TypeError, match="callable"):
        OperonBackend().search(X, y, NAMES, spec(), loss="mae")


# --- input and spec errors ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"unary_operators": ("frobnicate",)}, "unknown operator 'frobnicate'"),
        ({"unary_operators": ("gamma",)}, "'gamma' is a PySR .Julia. operator with no offline"),
        ({"unary_operators": ("sign",)}, "'sign'.*no sign function"),
        ({"binary_operators": ("+", "sin")}, "'sin' is a unary operator and cannot be in binary"),
        ({"binary_operators": ("*",), "unary_operators": ("+",)}, "'\\+' is a binary operator"),
    ],
)
def test_operators_operon_lacks_are_rejected(kw, message):
    with pytest.raises(ValueError, match=message):
        primitive_flags(spec(**kw))


@pytest.mark.parametrize(
    ("lacking", "stand_in", "node"),
    [("inv", "/", "div"), ("neg", "-", "sub"), ("cube", "pow", "pow")],
)
def test_lacking_operators_are_searched_through_an_equivalent(lacking, stand_in, node):
    asked = spec(binary_operators=("*",), unary_operators=(lacking,))
    assert substitutions(asked) == [(lacking, node)]  # the Distiller warns, once per fit
    assert primitive_flags(asked) == primitive_flags(spec(binary_operators=("*", stand_in)))


def test_bad_operator_fails_before_searching(product):
    X, y = product
    t0 = time.monotonic()
    with pytest.raises(ValueError, match="sign"):
        OperonBackend().search(X, y, NAMES, spec(unary_operators=("sign",)))
    assert time.monotonic() - t0 < 0.5


def test_non_finite_inputs_are_named(product):
    X, y = product
    X = X.copy()
    X[[3, 7], 1] = np.nan
    X[5, 0] = np.inf
    with pytest.raises(ValueError, match=r"column 0 \('x0'\): 1 rows, column 1 \('x1'\): 2"):
        OperonBackend().search(X, y, NAMES, spec())
    y = y.copy()
    y[[4, 9]] = np.nan
    with pytest.raises(ValueError, match="y has NaN/inf values in 2 of 300 rows"):
        OperonBackend().search(product[0], y, NAMES, spec())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((np.zeros((5, 2)), np.zeros(4), NAMES), "y must have 5 rows like X"),
        ((np.zeros((5, 2)), np.zeros((5, 2)), NAMES), "fits one output"),
        ((np.zeros((5, 2)), np.zeros(5), ("x0",)), "1 variable_names for 2 features"),
        ((np.zeros((5, 2)), np.zeros(5), ("x0", "x 1")), "identifiers"),
        ((np.zeros(5), np.zeros(5), NAMES), r"shape \(n_rows, n_features\)"),
    ],
)
def test_bad_shapes_and_names(args, message):
    with pytest.raises(ValueError, match=message):
        OperonBackend().search(*args, spec())


def test_format_tree_operand_order():
    """In Operon's postfix arrays [a, b, op] means b op a."""
    import pyoperon as op

    a, b = op.Node.Variable(1.0), op.Node.Variable(2.0)
    a.HashValue, b.HashValue = 11, 22
    text, size = format_tree([a, b, op.Node.Sub()], {11: "p", 22: "q"})
    assert (text, size) == ("((2.0 * q) - p)", 5)


def test_registry_returns_operon():
    assert get_backend("operon").name == "operon"
    backend = OperonBackend()
    assert get_backend(backend) is backend
    with pytest.raises(ValueError, match="available: operon, pysr"):
        get_backend("gplearn")
