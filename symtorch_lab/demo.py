"""The headless main job: train an MLP on a hidden law, distill it, swap it, measure it.

``python -m symtorch_lab demo`` (or ``symtorch-lab demo``) shows the whole engine path on the
embedded Operon backend in about a minute on two cores: a model whose ``mlp`` learned
``y = x0**2 + 3*sin(x4) - 4`` from five inputs is recorded, distilled with a live progress
bar, the Pareto front is printed with the pick marked, the layer is replaced by the picked
expression, and before/after MSE and throughput are printed and written to an HTML report.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .session import Session

LAW = "x0**2 + 3*sin(x4) - 4"
_ABOUT = (
    f"An MLP trained on the hidden law y = {LAW} (five inputs, x1..x3 unused) was recorded, "
    "distilled with the embedded Operon backend, and replaced by its picked expression."
)


def hidden_law(X: torch.Tensor) -> torch.Tensor:
    return X[:, 0] ** 2 + 3 * torch.sin(X[:, 4]) - 4


class DemoModel(nn.Module):
    """A model with an MLP block inside it (the block the user wants to read)."""

    def __init__(self, width: int = 64):
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(5, width),
            nn.SiLU(),
            nn.Linear(width, width),
            nn.SiLU(),
            nn.Linear(width, 1),
        )

    def forward(self, x):
        return self.mlp(x)


@dataclass
class DemoResult:
    model: DemoModel
    session: Session
    comparison: object
    report: Path | None


def make_data(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    X = torch.rand(n, 5, generator=gen) * 6 - 3
    return X, hidden_law(X).unsqueeze(1)


def train(model: nn.Module, X, y, *, steps: int = 2000, seed: int = 0, log=print) -> float:
    """Adam on MSE with a cosine schedule; returns the final training MSE."""
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    gen = torch.Generator().manual_seed(seed)
    for step in range(steps):
        idx = torch.randint(0, len(X), (256,), generator=gen)
        loss = nn.functional.mse_loss(model(X[idx]), y[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 500 == 0 or step == steps - 1:
            log(f"  step {step:5d}  train MSE {loss.item():.4g}")
    with torch.no_grad():
        return float(nn.functional.mse_loss(model(X), y))


class TqdmProgress:
    """Distiller callback showing a tqdm bar per output dimension (generations), then why the
    search ended and a bar of the candidates polished (float64 refits take minutes: without
    it the terminal looked frozen after the search bar stopped)."""

    def __init__(self, total: int | None, log=print):
        from tqdm.auto import tqdm

        self._tqdm, self.total, self.bar, self.log = tqdm, total, None, log

    def __call__(self, event) -> None:
        if event.dim in event.done:  # the final front, after the polish bar: nothing to add
            return
        if self.bar is None:
            self.bar = self._tqdm(total=self.total, desc=f"dim {event.dim}", unit="gen")
        self.bar.n = event.generation
        if event.front is not None:
            best = event.front.candidates[-1]
            self.bar.set_postfix(front=len(event.front), best_loss=f"{best.loss:.3g}")
        self.bar.refresh()

    def on_polish(self, event) -> None:
        if event.done == 0:
            self.close()
            why = ended_at(event.stop_reason, event.generation)
            self.log(f"dim {event.dim}: {why}; polishing {event.total} candidates …")
            self.bar = self._tqdm(total=event.total, desc=f"polish dim {event.dim}", unit="cand")
        self.bar.n = event.done
        self.bar.refresh()
        if event.done == event.total:
            self.close()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def ended_at(reason: str, generation: int) -> str:
    """``"time budget reached at generation 52"``: why a search ended (``stop_reasons_``)."""
    what = {
        "timeout": "time budget reached",
        "niterations": "all generations run",
        "user": "stopped by you",
        "callback": "stopped by a callback",
    }.get(reason, "ended by an error")
    return f"{what} at generation {generation}"


def run_demo(
    *,
    seed: int = 0,
    train_steps: int = 2000,
    niterations: int = 100,
    timeout: float = 60.0,
    report: Path | None = Path("reports/demo.html"),
    log=print,
) -> DemoResult:
    torch.manual_seed(seed)
    X_train, y_train = make_data(8000, seed)
    X_test, y_test = make_data(4000, seed + 1)
    model = DemoModel()
    log(f"Training the MLP on the hidden law y = {LAW} …")
    t0 = time.perf_counter()
    mse = train(model, X_train, y_train, steps=train_steps, seed=seed, log=log)
    log(f"  trained in {time.perf_counter() - t0:.1f} s, train MSE {mse:.4g}")

    session = Session(model, X_train, max_samples=4000, random_state=seed)
    rec = session.record("mlp")["mlp"]
    log(f"Recorded module 'mlp': X {rec.X.shape}, Y {rec.Y.shape} from {rec.n_seen} rows")
    bar = TqdmProgress(niterations, log=log)
    t0 = time.perf_counter()
    job = session.distill(
        "mlp",
        binary_operators=["+", "-", "*", "/"],
        unary_operators=["sin", "cos", "square"],
        maxsize=25,
        niterations=niterations,
        timeout_in_seconds=timeout,
        population_size=500,
        callbacks=[bar],
        validation_fraction=0.2,
        model_selection="score",
    )
    bar.close()
    log(f"Distilled in {time.perf_counter() - t0:.1f} s. Pareto front of output dim 0, picked by")
    log("PySR's 'score' rule (the steepest drop of log-loss per unit of complexity): a network's")
    log("own small errors are smooth, so 'best' (lowest loss within 1.5x) tends to fit them too.")
    log(repr(job.fronts[0]))
    session.replace("mlp")
    log(f"Replaced 'mlp' by: {job.fronts[0].selected.expression}")
    session.restore("mlp")
    comparison = session.compare((X_test, y_test), metric="mse", example=X_test[:4096])
    log(str(comparison))
    session.replace("mlp")
    out = session.report(report, title="symtorch_lab demo", description=_ABOUT) if report else None
    if out:
        log(f"Report written to {out}")
    return DemoResult(model, session, comparison, out)


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="symtorch-lab demo", description=__doc__.split("\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--train-steps", type=int, default=2000)
    parser.add_argument("--niterations", type=int, default=100, help="generations per output dim")
    parser.add_argument("--timeout", type=float, default=60.0, help="search time limit (s)")
    parser.add_argument("--report", type=Path, default=Path("reports/demo.html"))
    args = parser.parse_args(argv)
    np.set_printoptions(precision=4)
    run_demo(
        seed=args.seed,
        train_steps=args.train_steps,
        niterations=args.niterations,
        timeout=args.timeout,
        report=args.report,
    )
    return 0
