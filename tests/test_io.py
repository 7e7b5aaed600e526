"""Session files: JSON only; hostile content is refused without being executed."""

import json
import os

import pytest
import torch
from torch import nn

import symtorch_lab as stl
from symtorch_lab import io
from symtorch_lab.session import load_session

PWNED = "/tmp/symtorch_lab_pwned"


@pytest.fixture
def saved(tmp_path):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 1))
    X = torch.rand(200, 2)
    s = stl.Session(model, X, population_size=100, niterations=3, max_rows=200)
    s.distill("0")
    path = tmp_path / "s.json"
    s.save(path)
    return path, json.loads(path.read_text())


def write(tmp_path, data):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    return path


HOSTILE = f"__import__('os').system('touch {PWNED}')"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["layers"][0]["fronts"]["0"]["candidates"][0]["expression"].update(
            tree=[HOSTILE, ["var", 0]]
        ),
        lambda d: d["layers"][0]["fronts"]["0"]["candidates"][0]["expression"].update(
            variables=[HOSTILE, "x1"]
        ),
        lambda d: d["layers"][0]["fronts"]["0"]["candidates"][0]["expression"].update(
            tree=["const", HOSTILE]
        ),
        lambda d: d["layers"][0].update(path=HOSTILE),
        lambda d: d["layers"][0]["meta"].update(input_shape=HOSTILE),
        lambda d: d["layers"][0].update(
            replaced=True,
            surrogate={
                "format": 1,
                "in_shape": [2],
                "out_shape": [1],
                "expressions": [{"version": 1, "variables": ["x0", "x1"], "tree": [HOSTILE]}],
            },
        ),
        lambda d: d.update(comparisons=[{"metric": {"code": HOSTILE}}]),
    ],
    ids=["operator", "variable", "constant", "path", "shape", "surrogate", "comparison"],
)
def test_hostile_strings_are_refused_not_executed(saved, tmp_path, mutate):
    if os.path.exists(PWNED):
        os.remove(PWNED)
    _, data = saved
    mutate(data)
    with pytest.raises(ValueError):
        load_session(write(tmp_path, data), nn.Sequential(nn.Linear(2, 1)))
    assert not os.path.exists(PWNED)


def test_not_a_session_file(tmp_path):
    with pytest.raises(ValueError, match="not a JSON session"):
        bad = tmp_path / "x.json"
        bad.write_text("{nope")
        load_session(bad, nn.Linear(2, 1))
    with pytest.raises(ValueError, match="not a symtorch_lab session"):
        load_session(write(tmp_path, {"format": "other"}), nn.Linear(2, 1))


def test_module_missing_from_model_is_named(saved, tmp_path):
    path, _ = saved
    with pytest.raises(ValueError, match="module '0' does not exist"):
        load_session(path, nn.Linear(2, 1))


def test_round_trip(saved):
    path, data = saved
    model = nn.Sequential(nn.Linear(2, 1))
    loaded = load_session(path, model)
    assert loaded.to_json()["layers"] == data["layers"]


def test_huge_n_terms_is_refused_before_any_work(saved, tmp_path):
    _, data = saved
    data["layers"][0].update(replaced=True, surrogate=None)
    data["layers"][0]["meta"]["n_terms"] = 10**12
    with pytest.raises(ValueError, match="n_terms"):
        load_session(write(tmp_path, data), nn.Sequential(nn.Linear(2, 1)))


def test_surrogate_of_the_wrong_shape_is_refused(saved, tmp_path):
    path, data = saved
    surrogate = stl.Session.load(path, nn.Sequential(nn.Linear(2, 1))).jobs["0"].surrogate()
    wide = surrogate.to_json()
    wide.update(out_shape=[1, 1])  # one expression still, but the model's output would grow
    data["layers"][0].update(replaced=True, surrogate=wide)
    with pytest.raises(ValueError, match="out_shape|output_shape"):
        load_session(write(tmp_path, data), nn.Sequential(nn.Linear(2, 1)))


def test_saved_shapes_must_match_the_model(saved):
    path, _ = saved
    with pytest.raises(ValueError, match=r"input_shape=\[2\].*in_features=3"):
        load_session(path, nn.Sequential(nn.Linear(3, 1)))


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda d: d["layers"][0]["fronts"]["0"].update(selected_index=-1), "selected_index"),
        (lambda d: d["layers"][0]["fronts"].update({"٣": {}}), "front key"),
        (lambda d: d["layers"][0]["meta"].update(n_terms=2), "n_terms"),
        (lambda d: d.update(comparisons=[{"x": json.loads("[" * 900 + "]" * 900)}]), "comp"),
        (lambda d: d.update(version=True), "version"),
    ],
)
def test_malformed_fields_raise_value_error_naming_them(saved, tmp_path, mutate, field):
    _, data = saved
    mutate(data)
    with pytest.raises(ValueError, match=field):
        load_session(write(tmp_path, data), nn.Sequential(nn.Linear(2, 1)))


def test_undecodable_or_deeply_nested_file_is_a_value_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"format": "\xff\xfe"}')
    with pytest.raises(ValueError, match="not a JSON session"):
        load_session(bad, nn.Linear(2, 1))
    bad.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValueError, match="not a JSON session"):
        load_session(bad, nn.Linear(2, 1))


def _candidates(d):
    return d["layers"][0]["fronts"]["0"]["candidates"]


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda d: d["layers"][0]["meta"].update(n_rows=10**15), "meta.n_rows"),
        (lambda d: d["layers"][0]["meta"].update(n_seen=-1), "meta.n_seen"),
        (lambda d: _candidates(d)[0].update(loss=float("nan")), r"candidates\[0\].loss"),
        (lambda d: _candidates(d)[0].update(loss="nan"), r"candidates\[0\].loss"),
        (
            lambda d: _candidates(d)[0]["expression"].update(
                variables=[f"v{i}" for i in range(100_000)]
            ),
            r"candidates\[0\].expression.variables: 100000 variables, but the module's "
            "search input has 2",
        ),
        (lambda d: d.update(comparisons=[{"before": float("inf")}]), r"comparisons\[0\].before"),
    ],
    ids=["n_rows", "n_seen", "nan-loss", "nan-string-loss", "variables", "inf-comparison"],
)
def test_hostile_values_are_refused_naming_the_field(saved, tmp_path, mutate, field):
    _, data = saved
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))  # allow_nan: NaN/Infinity as json.dumps writes them
    with pytest.raises(ValueError, match=field):
        load_session(path, nn.Sequential(nn.Linear(2, 1)))


def test_too_many_candidates_are_refused_before_they_are_built(saved, tmp_path):
    _, data = saved
    first = _candidates(data)[0]
    data["layers"][0]["fronts"]["0"]["candidates"] = [first] * (io.MAX_CANDIDATES + 1)
    with pytest.raises(ValueError, match=rf"fronts\[0\].candidates: {io.MAX_CANDIDATES + 1} "):
        load_session(write(tmp_path, data), nn.Sequential(nn.Linear(2, 1)))


def test_a_file_over_the_size_limit_is_refused_before_parsing(saved, tmp_path):
    path, data = saved
    big = tmp_path / "big.json"
    with big.open("w") as fh:  # valid JSON: the saved session padded with whitespace
        fh.write(json.dumps(data) + " " * io.MAX_FILE_BYTES)
    with pytest.raises(ValueError, match="MAX_FILE_BYTES"):
        load_session(big, nn.Sequential(nn.Linear(2, 1)))
