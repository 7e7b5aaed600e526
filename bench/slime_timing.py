"""CPU and wall time of one SLIME explanation per preset (issue 8: default <= 10 s, fast <= 2 s
for <= 10 features on 2 cores).

Why CPU time too: on the shared 2-core machines wall time mostly measures the other processes;
the search runs in one thread, so CPU seconds are what an idle machine's wall time would be.
Black box: the Friedman #1 formula (10 features, 5 used) on 750 rows; 3 points per preset.

Run: ``python bench/slime_timing.py``; results in bench/results/slime_timing.json.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled
import _results  # noqa: E402

from symtorch_lab import SlimeExplainer  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "slime_timing.json"


def friedman1(X: np.ndarray) -> np.ndarray:
    return (10 * np.sin(np.pi * X[:, 0] * X[:, 1]) + 20 * (X[:, 2] - 0.5) ** 2
            + 10 * X[:, 3] + 5 * X[:, 4])  # fmt: skip


def main() -> None:
    torch.set_num_threads(1)
    X = np.random.default_rng(0).uniform(size=(750, 10))
    report = {"machine": _results.machine(), "presets": {}}
    for preset in ("fast", "default"):
        explainer = SlimeExplainer(friedman1, X, preset=preset, random_state=0)
        runs = []
        for i in range(3):
            wall, cpu = time.monotonic(), time.process_time()
            e = explainer.explain_instance(X[i])
            runs.append({"wall_s": time.monotonic() - wall, "cpu_s": time.process_time() - cpu,
                         "r2": e.fidelity["r2"], "expression": str(e.expression)})  # fmt: skip
            print(preset, runs[-1], flush=True)
        report["presets"][preset] = runs
    report["machine_after"] = _results.machine()
    _results.save(report, OUT)


if __name__ == "__main__":
    main()
