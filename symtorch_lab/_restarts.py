"""One output dim searched by several independent seeds at once, merged into one front.

Why: one Operon search uses one core; the machine has more. Independent restarts (different
seeds, same data and settings) run in threads (pyoperon releases the GIL), their candidates
are merged and Pareto-filtered before polishing, so a dim gets ``restarts`` searches' worth of
exploration in about the wall time of one. The live front shows the first restart; a stop
ends them all.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import ThreadPoolExecutor

from .backends.base import RawCandidate

SEED_STRIDE = 7919  # restart i searches with random_state + i * SEED_STRIDE


def search(distiller, backend, spec, X, y, w, live, custom: dict) -> list[RawCandidate]:
    """``backend.search`` once, or ``distiller.restarts`` times in threads, merged."""

    def run(s, on_generation):
        return backend.search(
            X,
            y,
            distiller.variable_names_,
            s,
            sample_weight=w,
            on_generation=on_generation,
            stop_event=distiller._stop_event,
            **custom,
        )

    k = int(distiller.restarts)
    if k <= 1:
        return run(spec, live)
    specs = [
        dataclasses.replace(spec, random_state=spec.random_state + i * SEED_STRIDE)
        for i in range(k)
    ]
    with ThreadPoolExecutor(k, thread_name_prefix="symtorch-restart") as pool:
        futures = [pool.submit(run, s, live if i == 0 else None) for i, s in enumerate(specs)]
        found = [rc for fut in futures for rc in fut.result()]
    return pareto_raw(found)


def pareto_raw(cands: list[RawCandidate]) -> list[RawCandidate]:
    """Best loss per complexity, kept only while the loss falls (as a front).

    Not :func:`~symtorch_lab.front.pareto_candidates`: that one drops infinite losses, this one
    drops only NaN. A raw loss is the engine's float32 score before the float64 refit, so an
    ``inf`` may still refit to a finite loss, and a single restart passes it on unfiltered.
    """
    best: dict[int, RawCandidate] = {}
    for rc in cands:
        if rc.loss == rc.loss and (rc.complexity not in best or rc.loss < best[rc.complexity].loss):
            best[rc.complexity] = rc
    out: list[RawCandidate] = []
    for c in sorted(best):
        if not out or best[c].loss < out[-1].loss:
            out.append(best[c])
    return out
