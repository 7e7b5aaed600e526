"""SLIME explanations: weights honoured, known local forms recovered, classification, bad input,
determinism and background runs. Small search budgets (a few generations) keep this file fast."""

import threading

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from torch import nn

from symtorch_lab import Explanation, SlimeExplainer
from symtorch_lab.slime import symbol_names

SMALL = {"population_size": 100, "niterations": 12, "maxsize": 15}


def product_sine(X):
    return X[:, 0] * X[:, 1] + np.sin(X[:, 2])


@pytest.fixture(scope="module")
def cube():
    return np.random.default_rng(0).uniform(-2, 2, (400, 3))


def test_kernel_weights_decide_the_fit():
    """exp near 0, searched with linear forms only: a tight kernel gives the tangent (slope 1),
    uniform weights the least-squares line over the whole sample (slope e^{var/2} ≈ 2.1).
    Dropping the weights on the way to the Distiller makes both ≈ 2.1 and fails this test."""
    train = np.linspace(-3, 3, 20)[:, None]

    def slope(kernel_width):
        ex = SlimeExplainer(
            lambda X: np.exp(X[:, 0]),
            train,
            random_state=0,
            real_weighting=0.0,
            unary_operators=(),
            population_size=50,
            niterations=5,
            maxsize=5,
        )
        e = ex.explain_instance(
            [0.0], num_neighbours=20, num_synthetic=400, kernel_width=kernel_width
        )
        return e.local_effects()[0]

    assert slope(0.05) == pytest.approx(1.0, abs=0.1)
    assert slope(1e6) > 1.7


def test_product_sine_recovered_locally(cube):
    ex = SlimeExplainer(product_sine, cube, random_state=1, population_size=200, niterations=20)
    for x0 in ([0.5, -1.0, 0.3], [-1.2, 0.8, -0.9]):
        e = ex.explain_instance(x0)
        fid = e.fidelity
        assert 1 - fid["r2"] < 1e-3, (str(e.expression), fid)  # relative weighted MSE
        assert fid["abs_error_x0"] < 1e-2
        assert e.f_x0 == pytest.approx(product_sine(np.array([x0]))[0])
        # the fresh fidelity sample is not the fitting sample; both lie around x0
        assert e.neighbours.shape == (10, 3) and e.synthetic.shape == (500, 3)
        assert len(e.weights) == 510 and np.all(e.weights[:10] == 1.0)


def test_same_seed_same_explanation_other_seed_other_sample(cube):
    ex = SlimeExplainer(product_sine, cube, preset="fast", **SMALL)
    a = ex.explain_instance(cube[3], random_state=5)
    b = ex.explain_instance(cube[3], random_state=5)
    c = ex.explain_instance(cube[3], random_state=6)
    assert str(a.expression) == str(b.expression)
    np.testing.assert_array_equal(a.synthetic, b.synthetic)
    assert a.fidelity == b.fidelity
    assert not np.array_equal(a.synthetic, c.synthetic)


def test_logistic_classifier_logit_is_linear_and_proba_is_explained():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 2))
    clf = LogisticRegression().fit(X, (X[:, 0] - 2 * X[:, 1] > 0).astype(int))
    x0 = np.array([0.3, 0.1])
    logit = SlimeExplainer(
        clf,
        X,
        mode="classification",
        target="logit",
        class_names=["no", "yes"],
        random_state=0,
        **SMALL,
    ).explain_instance(x0)
    assert logit.fidelity["r2"] > 0.9999  # the log-odds of a logistic model are linear
    assert logit.target == "logit(class " + ("yes" if clf.predict([x0])[0] else "no") + ")"
    proba = SlimeExplainer(
        clf, X, mode="classification", target=0, random_state=0, **SMALL
    ).explain_instance(x0)
    assert proba.f_x0 == pytest.approx(clf.predict_proba([x0])[0, 0])
    assert proba.fidelity["r2"] > 0.9
    assert np.all(proba.predict(proba.synthetic[:50]) > -0.2)


def test_torch_module_and_torch_callable(cube):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    e = SlimeExplainer(net, cube, preset="fast", random_state=0, **SMALL).explain_instance(cube[0])
    with torch.no_grad():
        want = net(torch.tensor(cube[:1], dtype=torch.float32)).item()
    assert e.f_x0 == pytest.approx(want, rel=1e-5)
    e2 = SlimeExplainer(
        lambda t: t[:, 0] * torch.exp(t[:, 1]), cube, preset="fast", random_state=0, **SMALL
    ).explain_instance(cube[0])
    assert e2.f_x0 == pytest.approx(cube[0, 0] * np.exp(cube[0, 1]))


def test_wide_input_is_preselected_and_says_so():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 20))
    e = SlimeExplainer(
        lambda X: X[:, 4] ** 2 + 3 * X[:, 11], X, preset="fast", random_state=0, **SMALL
    ).explain_instance(X[0])
    assert {4, 11} <= set(e.features) and len(e.features) == 5
    assert "forward selection" in e.selection and "5 of 20" in e.selection
    assert e.predict(X[:3]).shape == (3,)
    frame = e.as_frame()
    assert list(frame["searched"]).count(True) == 5


def test_bad_input_is_named(cube):
    ex = SlimeExplainer(product_sine, cube, preset="fast", **SMALL)
    with pytest.raises(ValueError, match=r"x0 must have 3 features.*\(4,\)"):
        ex.explain_instance([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match=r"NaN or inf in feature\(s\) \['x1'\]"):
        ex.explain_instance([1.0, np.nan, 3.0])
    for x0, got in (("abc", "str 'abc'"), ([1.0, "b", 3.0], "list")):  # not "could not convert"
        want = r"^slime: x0 must be 3 numbers \(one per feature: \['x0', 'x1', 'x2'\]\), got "
        with pytest.raises(ValueError, match=want + got):
            ex.explain_instance(x0)

    def broken(X):
        raise KeyError("no such column")

    with pytest.raises(RuntimeError, match="broken.*KeyError on training_data of shape "
                       rf"\({len(cube)}, 3\).*no such column"):  # fmt: skip
        SlimeExplainer(broken, cube)
    # a module of the wrong width: named with what it expects and the data's own shape
    with pytest.raises(ValueError, match=r"module '0' \(Linear, in_features=2\) got input of "
                       rf"shape \({len(cube)}, 3\) \(tried"):  # fmt: skip
        SlimeExplainer(nn.Sequential(nn.Linear(2, 1)), cube)
    with pytest.raises(ValueError, match=r"returned shape \(8, 2\) for 8 rows; regression"):
        SlimeExplainer(lambda X: X[:, :2], cube)
    with pytest.raises(ValueError, match="returned NaN or inf on 1 of"):
        SlimeExplainer(lambda X: np.where(X[:, 0] == cube[2, 0], np.nan, 1.0), cube)
    with pytest.raises(ValueError, match="training_data holds NaN.*row 1, column 2"):
        SlimeExplainer(product_sine, [[0, 0, 0], [0, 0, np.nan]])
    with pytest.raises(TypeError, match="maxsise"):
        SlimeExplainer(product_sine, cube, maxsise=10)
    with pytest.raises(ValueError, match="target 'cat' is not one of class_names"):
        SlimeExplainer(
            lambda X: np.ones((len(X), 2)) / 2,
            cube,
            mode="classification",
            class_names=["a", "b"],
            target="cat",
        )


def test_json_round_trip_and_refusals(cube, tmp_path):
    e = SlimeExplainer(
        product_sine,
        cube,
        feature_names=["mass kg", "sin", "2nd"],
        preset="fast",
        random_state=0,
        **SMALL,
    ).explain_instance(cube[4])
    path = tmp_path / "e.json"
    e.save(path)
    back = Explanation.load(path)
    assert back.expression == e.expression and back.feature_names == e.feature_names
    np.testing.assert_array_equal(back.predict(cube[:20]), e.predict(cube[:20]))
    assert back.fidelity == e.fidelity and back.selection == e.selection
    bad = e.to_json()
    bad["front"]["candidates"][0]["expression"]["tree"] = ["__import__", ["const", 1.0]]
    with pytest.raises(ValueError, match="__import__"):
        Explanation.from_json(bad)
    bad = e.to_json()
    bad["weights"] = bad["weights"][:-1]
    with pytest.raises(ValueError, match="weights for"):
        Explanation.from_json(bad)


def test_feature_names_become_safe_symbols():
    assert symbol_names(["mass kg", "sin", "2nd", "mass_kg"]) == (
        "mass_kg",
        "sin_",
        "x_2nd",
        "mass_kg_",
    )


def test_views(cube):
    e = SlimeExplainer(product_sine, cube, preset="fast", random_state=0, **SMALL).explain_instance(
        cube[5]
    )
    effects = dict(e.as_list())
    assert set(effects) == {e.feature_names[i] for i in e.used_features}
    x = e.x0.copy()
    for i, name in enumerate(e.feature_names):  # ∂g/∂x_i against a central difference
        h = 1e-6
        x_up, x_dn = x.copy(), x.copy()
        x_up[i] += h
        x_dn[i] -= h
        numeric = (e.predict(x_up[None])[0] - e.predict(x_dn[None])[0]) / (2 * h)
        assert effects.get(name, 0.0) == pytest.approx(numeric, abs=1e-5)
    assert "$$g = " in e._repr_html_() and "local R²" in e._repr_html_()
    fig = e.as_figure()
    assert list(fig.data[0].y) == [n for n, _ in e.as_list()][::-1]


def test_background_streams_fronts_and_stops(cube):
    ex = SlimeExplainer(product_sine, cube, random_state=0, population_size=100, niterations=400)
    fronts, finished = [], threading.Event()
    handle = ex.explain_in_background(cube[6], on_front=fronts.append)
    handle.add_done_callback(lambda h: finished.set())
    while not fronts:
        assert not handle.done(), handle.error
        threading.Event().wait(0.02)
    handle.stop()
    e = handle.result(timeout=60)
    assert finished.is_set() and handle.done and handle.done()
    assert e.stopped and len(e.front) >= 1
    assert e.x0.tolist() == cube[6].tolist()


def test_stop_event_and_repeats(cube):
    ex = SlimeExplainer(product_sine, cube, preset="fast", random_state=0, **SMALL)
    stop = threading.Event()
    stop.set()
    e = ex.explain_instance(cube[7], stop=stop)
    assert e.stopped and len(e.front) >= 1
    r = ex.explain_instance(cube[7], n_repeats=3)
    assert len(r.repeats) == 3 and r.stability in (1 / 3, 2 / 3, 1.0)
    assert r.stability == sum(s == r.repeats[0] for s in r.repeats) / 3


def test_a_saturated_point_is_explained_by_a_constant():
    # a saturated probability, flat but for a ripple no small formula follows: PySR's "best"
    # scores the constant 0, so any formula a little better than it was the explanation
    rng = np.random.default_rng(0)

    def f(X):
        X = np.asarray(X)
        return 0.9995 + 5e-4 * np.cos(40 * X[:, 0]) * np.cos(37 * X[:, 1])

    explainer = SlimeExplainer(
        f, rng.normal(size=(200, 2)), preset="fast", random_state=0, niterations=10,
        population_size=60,
    )  # fmt: skip
    e = explainer.explain_instance(np.array([0.3, -0.2]))
    assert e.front.selected.complexity == 1, e.front
    assert e.front.select("best").complexity > 1  # PySR's rule is unchanged, on request


def test_a_flat_f_and_too_many_neighbours_are_noted_and_saved(tmp_path):
    """num_neighbours above the data's rows was clamped silently, and a constant f gave a
    huge negative R² (then a crash in local_effects): both are now said in ``notes``."""
    X = np.random.default_rng(1).uniform(-1, 1, (50, 2))
    ex = SlimeExplainer(lambda Z: np.full(len(Z), 3.0), X, random_state=0, **SMALL)
    e = ex.explain_instance(X[0], num_neighbours=80)
    assert len(e.neighbours) == 50 and e.notes[0] == "num_neighbours 80 > 50 rows: using 50"
    assert np.isnan(e.fidelity["r2"]) and np.isfinite(e.fidelity["weighted_mse"])
    assert "flat" in e.notes[1] and "local R² = undefined" in repr(e)
    assert e.local_effects().tolist() == [0.0, 0.0]
    e.save(tmp_path / "flat.json")
    assert Explanation.load(tmp_path / "flat.json").notes == e.notes
