"""metrics: hand-computable metric values, mode restoration and error messages."""

from __future__ import annotations

import math
import types

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from symtorch_lab.benchmark import throughput
from symtorch_lab.metrics import evaluate


class ConstantLM(nn.Module):
    """Uniform next-token distribution over ``vocab`` tokens: perplexity is exactly ``vocab``."""

    def __init__(self, vocab: int) -> None:
        super().__init__()
        self.vocab = vocab
        self.scale = nn.Parameter(torch.ones(()))

    def forward(self, input_ids, attention_mask=None):
        return types.SimpleNamespace(logits=torch.zeros(*input_ids.shape, self.vocab) * self.scale)


class BigramLM(nn.Module):
    """logits[b, t] = table[input_ids[b, t]]: a model whose NLL can be computed by hand."""

    def __init__(self, table: torch.Tensor) -> None:
        super().__init__()
        self.table = nn.Parameter(table)

    def forward(self, input_ids, attention_mask=None):
        return self.table[input_ids]


def _ref_perplexity(table, ids, mask=None):
    """Explicit loop: position t scores token t+1 when both are unmasked."""
    logp = torch.log_softmax(table.double(), dim=-1)
    nll, count = 0.0, 0
    for b in range(ids.shape[0]):
        for t in range(ids.shape[1] - 1):
            if mask is None or mask[b, t + 1]:
                nll -= float(logp[ids[b, t], ids[b, t + 1]])
                count += 1
    return math.exp(nll / count)


def test_mse_and_mae_are_exact_dataset_means():
    X = torch.tensor([[1.0], [2.0], [3.0]])
    y = torch.ones(3, 1)
    assert evaluate(nn.Identity(), (X, y), "mse") == pytest.approx(5 / 3)
    assert evaluate(nn.Identity(), (X, y), "mae") == pytest.approx(1.0)
    # batches [0, 1] and [4]: the mean of batch means would be 2.25
    assert evaluate(nn.Identity(), (X, y), "mse", batch_size=2) == pytest.approx(5 / 3)
    loader = DataLoader(TensorDataset(X, y), batch_size=2)
    assert evaluate(nn.Identity(), loader, "mse") == pytest.approx(5 / 3)
    # (N, 1) predictions against (N,) targets are aligned, never broadcast to (N, N)
    distinct = torch.tensor([1.0, 0.0, 3.0])  # broadcasting would give 24 / 9
    assert evaluate(nn.Identity(), (X, distinct), "mse") == pytest.approx(4 / 3)


def test_accuracy_and_cross_entropy_by_hand():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [5.0, 0.0], [0.0, 1.0]])
    labels = torch.tensor([0, 1, 1, -100])  # the last row is ignored (HF convention)
    assert evaluate(nn.Identity(), (logits, labels), "accuracy") == pytest.approx(2 / 3)
    uniform = torch.zeros(6, 5)
    targets = torch.tensor([0, 1, 2, 3, 4, 0])
    assert evaluate(nn.Identity(), (uniform, targets), "cross_entropy") == pytest.approx(
        math.log(5)
    )
    expected = -torch.log_softmax(logits[:3], -1)[torch.arange(3), labels[:3]].mean()
    assert evaluate(nn.Identity(), (logits, labels), "cross_entropy") == pytest.approx(
        float(expected)
    )


def test_perplexity_of_uniform_logits_is_vocab_size():
    ids = torch.randint(0, 17, (3, 11), generator=torch.Generator().manual_seed(0))
    assert evaluate(ConstantLM(17), ids, "perplexity") == pytest.approx(17.0, rel=1e-6)
    assert evaluate(ConstantLM(17), {"input_ids": ids}, "perplexity") == pytest.approx(17.0)


def test_perplexity_shifts_targets_and_honours_masks_and_labels():
    vocab = 6
    table = torch.randn(vocab, vocab, generator=torch.Generator().manual_seed(1))
    ids = torch.tensor([[0, 1, 2, 3, 4, 5], [5, 4, 3, 2, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 0]])
    model = BigramLM(table)
    assert evaluate(model, ids, "perplexity") == pytest.approx(_ref_perplexity(table, ids))
    batch = {"input_ids": ids, "attention_mask": mask}
    assert evaluate(model, [batch], "perplexity") == pytest.approx(
        _ref_perplexity(table, ids, mask)
    )
    labels = ids.masked_fill(mask == 0, -100)
    assert evaluate(model, (ids, labels), "perplexity") == pytest.approx(
        _ref_perplexity(table, ids, mask)
    )
    # a model that predicts the next token with certainty has perplexity 1 only if shifted
    perfect = torch.full((vocab, vocab), -30.0)
    perfect[torch.arange(vocab - 1), torch.arange(1, vocab)] = 30.0
    assert evaluate(BigramLM(perfect), ids[:1], "perplexity") == pytest.approx(1.0)


def test_callable_metric_and_callable_data():
    X, y = torch.arange(6.0).reshape(6, 1), torch.zeros(6, 1)

    def max_abs(out, target):
        return float((out - target).abs().max())

    batches = lambda: iter([(X[:2], y[:2]), (X[2:], y[2:])])  # noqa: E731  (a fresh iterator)
    # weighted by batch size: (1 * 2 + 5 * 4) / 6
    assert evaluate(nn.Identity(), batches, max_abs) == pytest.approx(22 / 6)


def test_callable_that_runs_the_model_is_scored_against_given_targets():
    # the data contract of Session/Lab: a callable f(model) runs the model itself
    torch.manual_seed(0)
    model, X = nn.Linear(2, 1), torch.randn(10, 2)
    with torch.no_grad():
        y = model(X)

    def run(m):
        m(X[:4])
        m(X[4:])

    assert evaluate(model, run, "mse", targets=[y[:4] + 1, y[4:] - 2]) == pytest.approx(2.8)
    with pytest.raises(ValueError, match="needs targets"):
        evaluate(model, run, "mse")
    with pytest.raises(ValueError, match="2 targets for 3 forward calls"):
        evaluate(model, lambda m: [m(X) for _ in range(3)], "mse", targets=[y, y])


def test_training_flags_and_grad_mode_are_restored():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5), nn.Linear(2, 1))
    model.train()
    model[2].eval()  # a deliberately frozen part must stay frozen
    seen = []
    model.register_forward_hook(
        lambda m, i, o: seen.append((m.training, m[1].training, torch.is_grad_enabled()))
    )
    X, y = torch.randn(4, 2), torch.randn(4, 1)
    evaluate(model, (X, y), "mse")
    throughput(model, X, repeats=1, warmup=0)
    assert seen and all(flags == (False, False, False) for flags in seen)
    assert [m.training for m in model] == [True, True, False] and model.training
    assert torch.is_grad_enabled()

    def broken(out, target):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        evaluate(model, (X, y), broken)
    assert [m.training for m in model] == [True, True, False] and model.training


def test_evaluate_errors_name_the_problem():
    X = torch.ones(4, 1)
    with pytest.raises(ValueError, match="unknown metric 'rmse'"):
        evaluate(nn.Identity(), (X, X), "rmse")
    with pytest.raises(
        ValueError, match=r"output shape \(4, 1\) does not match target shape \(4, 2\)"
    ):
        evaluate(nn.Identity(), (X, torch.ones(4, 2)), "mse")
    with pytest.raises(ValueError, match="needs targets"):
        evaluate(nn.Identity(), X, "mse")
    with pytest.raises(ValueError, match="accuracy"):
        evaluate(nn.Identity(), (X, X), "accuracy")
    with pytest.raises(ValueError, match="nothing to score"):
        evaluate(nn.Identity(), [], "mse")
