"""Reservoir used directly: the sparse phase keeps each row with the planned probability.

Sampling through ``record()`` (cap, pairing, uniformity, reproducibility) is tested in
``tests/test_record.py``; here the sampler's internals are driven without any module or hook.
"""

from __future__ import annotations

import numpy as np

from symtorch_lab.reservoir import Reservoir


def test_sparse_phase_keeps_each_row_with_probability_p():
    reservoir = Reservoir(10, seed=0)
    reservoir.threshold = 0.9  # as after a merge: a row is kept with p = 0.1
    first_row_kept, n_kept = 0, 0
    for start in range(0, 40_000, 20):
        reservoir.plan_end = -1  # redraw the plan, as every merge does
        pick, keys = reservoir._candidates(20, start)
        first_row_kept += int(0 in pick)
        n_kept += pick.size
        assert np.all((keys >= 0.9) & (keys < 1.0)) and np.all((pick >= 0) & (pick < 20))
    assert 160 < first_row_kept < 240  # binomial(2000, 0.1): 200 +- 13.4
    assert 3700 < n_kept < 4300  # binomial(40000, 0.1): 4000 +- 60
