"""_batches: one reading of ``data`` for recording, scoring and timing; one X/y/weight validator."""

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from symtorch_lab._batches import check_arrays, first_inputs, run, runs_model
from symtorch_lab.metrics import evaluate, outputs
from symtorch_lab.session import Session

X = torch.arange(12.0).reshape(6, 2)
Y = X.sum(dim=1, keepdim=True)


class Sum(nn.Module):
    def forward(self, x):
        return x.sum(dim=1, keepdim=True)


def seen_rows(data, **kw):
    rows = []
    model = Sum()
    model.register_forward_pre_hook(lambda _m, args: rows.append(len(args[0])))
    run(model, data, **kw)
    return rows


def runner(model):
    model(X[:2])
    model(X[2:])


@pytest.mark.parametrize(
    ("data", "kw", "rows"),
    [
        (X, {"batch_size": 4}, [4, 2]),
        ((X, Y), {}, [6]),  # one (inputs, target) pair, not two batches
        ((X, Y), {"batch_size": 5}, [5, 1]),
        ([X[:1], X[1:]], {}, [1, 5]),  # a list is batches
        (DataLoader(TensorDataset(X, Y), batch_size=4), {}, [4, 2]),
        (DataLoader(TensorDataset(X), batch_size=4), {}, [4, 2]),
        (lambda: iter([(X[:3], Y[:3])]), {}, [3]),  # a factory of fresh data
        (runner, {}, [2, 4]),  # f(model) runs the model itself
    ],
)
def test_every_form_of_data_reaches_the_model(data, kw, rows):
    assert seen_rows(data, **kw) == rows


def test_every_form_with_targets_scores_the_same():
    loader = DataLoader(TensorDataset(X, Y + 1), batch_size=4)
    for data in ((X, Y + 1), loader, lambda: iter(loader)):
        assert evaluate(Sum(), data, "mse") == pytest.approx(1.0)
    targets = [Y[:2] + 1, Y[2:] + 1]
    assert evaluate(Sum(), runner, "mse", targets=targets) == pytest.approx(1.0)


def test_session_records_on_a_pair_as_one_batch():
    # run_model used to walk an (X, y) tuple as two batches and fed y to the model
    session = Session(nn.Sequential(nn.Linear(2, 3)), (X, torch.zeros(6, 1)))
    rec = session.record("0")["0"]
    assert rec.X.shape == (6, 2) and rec.Y.shape == (6, 3)


def test_callables_are_told_apart_by_their_parameters():
    assert runs_model(runner) and runs_model(lambda m, extra=1: None)
    assert not runs_model(lambda: None) and not runs_model(nn.Linear(1, 1))
    assert not runs_model(X)


def test_first_inputs_of_each_form():
    assert torch.equal(first_inputs(Sum(), (X, Y)), X)
    assert first_inputs(Sum(), {"input_ids": X, "labels": Y}).keys() == {"input_ids"}
    assert torch.equal(first_inputs(Sum(), runner), X[:2])
    with pytest.raises(ValueError, match="never called the model"):
        first_inputs(Sum(), lambda m: None)


def test_bad_data_and_batches_name_the_problem():
    with pytest.raises(TypeError, match="got int"):
        run(Sum(), 3)
    with pytest.raises(TypeError, match="got tuple of length 3"):
        run(Sum(), [(X, Y, Y)])


def test_check_arrays_converts_and_defaults():
    Xa, Ya, w = check_arrays(torch.ones(4, 2), np.arange(4.0), where="here")
    assert Xa.dtype == np.float64 and Ya.shape == (4, 1) and np.array_equal(w, np.ones(4))
    Xa, _, _ = check_arrays(np.arange(3.0), np.zeros((3, 2)), where="here")
    assert Xa.shape == (3, 1)  # a 1-D X is one feature


@pytest.mark.parametrize(
    ("args", "kw", "message"),
    [
        (
            (np.zeros((2, 2, 2)), np.zeros(2)),
            {},
            r"here: X must have shape .* got shape \(2, 2, 2\)",
        ),
        (
            (np.zeros((5, 2)), np.zeros(4)),
            {},
            r"y must have 5 rows like X \(5, 2\), got shape \(4,\)",
        ),
        ((np.zeros((5, 2)), np.zeros((5, 2))), {"single_output": True}, "fits one output"),
        ((np.zeros((1, 2)), np.zeros(1)), {"min_rows": 2}, "at least 2 rows"),
        (
            (np.array([[0.0, np.inf]]), [1.0]),
            {},
            r"column 1 \('x1'\): 1 rows .*row 0, column 1: inf",
        ),
        ((np.zeros((3, 1)), [0.0, np.nan, 1.0]), {}, r"y has NaN/inf values in 1 of 3 rows"),
        ((np.zeros((2, 1)), [0.0, 1.0], [1.0, -1.0]), {}, r"sample_weight .* \(min -1.0"),
        ((np.zeros((2, 1)), [0.0, 1.0], [0.0, 0.0]), {}, "positive sum"),
        ((np.zeros((2, 1)), [0.0, 1.0], [1.0]), {}, r"got shape \(1,\)"),
        ((np.zeros((2, 1)), ["a", "b"]), {}, "here: y must be numeric"),
    ],
)
def test_check_arrays_names_the_fault(args, kw, message):
    with pytest.raises(ValueError, match=message):
        check_arrays(*args, where="here", **kw)


@pytest.mark.parametrize(
    "data",
    [torch.rand(100, 3), [torch.rand(10, 3)], lambda m: m(torch.rand(10, 3))],
    ids=["tensor", "batches", "f(model)"],
)
def test_data_that_does_not_fit_names_the_module_in_record_and_metrics(data):
    model = nn.Sequential(nn.Linear(5, 4), nn.Tanh())
    fit = r"data does not fit the model: module '0' \(Linear, in_features=5\) got input of shape"
    with pytest.raises(ValueError, match=fit):
        Session(model, data).record("1")
    if not callable(data):
        with pytest.raises(ValueError, match=fit):
            outputs(model, data)


@pytest.mark.parametrize(
    "data, got",
    [
        ("hello", "got str 'hello'"),
        (3.5, "got float 3.5"),
        (np.zeros((10, 2)), r"got ndarray of shape \(10, 2\); convert it with torch.as_tensor"),
        (["a", "b"], "got list whose first batch is str 'a'"),
    ],
)
def test_a_session_refuses_data_that_is_no_form_of_inputs_at_once(data, got):
    """``Lab(model, 'hello')`` logged a traceback from the shape probe and showed a dead Lab."""
    with pytest.raises(TypeError, match=rf"^data must be the model's inputs: .*{got}"):
        Session(Sum(), data)


@pytest.mark.parametrize(
    "data",
    [X, (X, Y), [X, X], [(X, Y)], {"x": X}, lambda: X, iter([X]), DataLoader(TensorDataset(X))],
)
def test_every_form_of_data_is_accepted_by_a_session(data):
    assert Session(Sum(), data).data is data
