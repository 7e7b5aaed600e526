"""N output dims searched serially vs threads vs local processes vs a Dask cluster.

Why: issue 7 — independent (module, component) searches ran one after another. The Distiller
now hands each output dim to an executor (``Distiller(executor=...)``, symtorch_lab.fanout).
This measures what each engine buys on this machine for the same N searches (same seed, same
generations: the same work and the same fronts, which the run checks):

* ``serial``: ``n_jobs=1``;
* ``threads``: ``n_jobs=W`` (today's default path);
* ``processes``: ``executor="processes", n_jobs=W`` (a forkserver pool created per fit:
  its start-up is part of the wall time);
* ``dask``: a ``LocalCluster(n_workers=W, threads_per_worker=1, processes=True)`` started
  beforehand (its start-up is reported apart: a user keeps a cluster across fits).

Wall time is what a user waits. CPU time is summed over this process and every descendant
process (pool workers, the forkserver, Dask's nannies and workers, with reaped children), so
processes' extra work (imports, pickling, polling) shows. On ``c`` free cores the wall ratio
approaches ``min(c, W)``; on a shared machine it shows what other processes left (the 1-min
load average is written with the results).

"same fronts" compares every candidate with the serial run's. The searches are the same; a
difference, when one shows, is in the polishing of one candidate: its sympy steps are bounded
in time (``polish.SYMPY_TIMEOUT_S``), so under heavy load a merge of constants can time out in
one run and not in another, in any of the four rows (it was seen in serial vs threads, vs
processes and vs Dask, on a 15-node candidate of dim 6, never on the same row twice).

Run: ``python bench/fanout.py`` (a few minutes on a 2-core CPU); ``--help`` for options.
Results: printed side by side and written to ``bench/results/fanout.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled
import _results  # noqa: E402  (bench/_results.py, beside this script)

from symtorch_lab.distill import Distiller  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results" / "fanout.json"


def n_dims(n_jobs: int, rows: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n_jobs`` output columns of different difficulty over the same three inputs."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(-2, 2, (rows, 3))
    base = [
        X[:, 0] * X[:, 1],
        np.sin(X[:, 2]) + X[:, 0],
        X[:, 1] / (1 + X[:, 0] ** 2),
        X[:, 0] * X[:, 2] - X[:, 1] ** 2,
    ]
    return X, np.column_stack([base[i % 4] * (1 + i // 4) for i in range(n_jobs)])


def tree_cpu() -> float:
    """CPU seconds of this process and its live descendants, reaped children included."""
    total = 0.0
    for proc in [psutil.Process(), *psutil.Process().children(recursive=True)]:
        try:
            t = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system + t.children_user + t.children_system
    return total


def timed_fit(executor, n_jobs: int, X, Y, args) -> dict:
    distiller = Distiller(
        population_size=args.population,
        niterations=args.generations,
        timeout_in_seconds=None,
        max_rows=args.rows,
        random_state=0,
        n_jobs=n_jobs,
        executor=executor,
    )
    wall, cpu = time.perf_counter(), tree_cpu()
    distiller.fit(X, Y)
    wall, cpu = time.perf_counter() - wall, tree_cpu() - cpu
    fronts = {
        d: [(c.complexity, c.loss, str(c.expression)) for c in distiller.fronts_[d].candidates]
        for d in sorted(distiller.fronts_)
    }
    return {"wall_s": wall, "cpu_s": cpu, "fronts": fronts}


def _import_engine() -> None:
    import symtorch_lab.distill  # noqa: F401


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=8, help="output dims (searches)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--generations", type=int, default=30)
    parser.add_argument("--population", type=int, default=300)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    from distributed import Client, LocalCluster

    X, Y = n_dims(args.jobs, args.rows)
    W = args.workers
    started = time.perf_counter()
    cluster = LocalCluster(
        n_workers=W, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    client.run(_import_engine)  # a user's long-lived cluster has it imported already
    cluster_start_s = time.perf_counter() - started
    try:
        runs = {
            "serial": timed_fit(None, 1, X, Y, args),
            f"threads (n_jobs={W})": timed_fit(None, W, X, Y, args),
            f"processes ({W})": timed_fit("processes", W, X, Y, args),
            f"dask ({W} workers)": timed_fit(client, W, X, Y, args),
        }
    finally:
        client.close()
        cluster.close()
    serial = runs["serial"]
    print(f"{args.jobs} searches, {W} workers, {os.cpu_count()} cores, "
          f"1-min load {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"{'':22}{'wall':>9}{'CPU':>9}{'wall vs serial':>16}{'same fronts':>13}")
    for name, r in runs.items():
        r["speedup"] = serial["wall_s"] / r["wall_s"]
        r["same_fronts_as_serial"] = r["fronts"] == serial["fronts"]
        print(f"{name:22}{r['wall_s']:>8.2f}s{r['cpu_s']:>8.2f}s{r['speedup']:>15.2f}x"
              f"{str(r['same_fronts_as_serial']):>13}")  # fmt: skip
    for name, r in runs.items():
        differ = [d for d in serial["fronts"] if r["fronts"].get(d) != serial["fronts"][d]]
        r["dims_differing_from_serial"] = differ
        if differ:
            d = differ[0]
            pairs = zip(serial["fronts"][d], r["fronts"].get(d, []), strict=False)
            a, b = next(((a, b) for a, b in pairs if a != b), (None, None))
            print(f"  {name}: dims {differ} differ; dim {d} first: serial {a} vs {b}")
    print(f"Dask LocalCluster start-up (not in the dask row): {cluster_start_s:.2f}s")
    report = {
        "settings": vars(args) | {"out": str(args.out)},
        "machine": _results.machine(),
        "dask_cluster_start_s": cluster_start_s,
        "runs": {name: {k: v for k, v in r.items() if k != "fronts"} for name, r in runs.items()},
    }
    _results.save(report, args.out)
    return report


if __name__ == "__main__":
    main()
