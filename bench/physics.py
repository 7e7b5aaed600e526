"""The physics table: each case study's ``recover()`` run for real, written as CSV, Markdown and
into the README (system, expected law, recovered expression, constants, wall time).

Why a script and not a typed table: the README must show what the code recovers today. Each
case lives in its own module of ``symtorch_lab.science`` (GNN n-body, PINNs, Lorenz) and exposes
``recover(..., small=False) -> dict`` with at least ``system``, ``expected``, ``recovered``,
``constants``, ``wall_s`` and ``law_on_front``. Case modules are imported lazily: one that is not
there yet is skipped with a message, and one that fails gives a row saying so (the others still
run). Run: ``python bench/physics.py`` (``--small`` for CI-sized settings, ``--only pinn``).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import io
import json
import multiprocessing
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/_results.py beside this file
from _results import machine, save  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
COLUMNS = ("system", "expected", "recovered", "constants", "wall_s", "law_on_front")
BEGIN, END = "<!-- physics-table:begin -->", "<!-- physics-table:end -->"

CASES: tuple[tuple[str, Mapping[str, Any]], ...] = (
    ("symtorch_lab.science.lorenz", {}),  # the longest first: --jobs starts it at once
    ("symtorch_lab.science.nbody", {"system": "spring"}),
    ("symtorch_lab.science.pinn", {"system": "heat"}),
    ("symtorch_lab.science.pinn", {"system": "logistic"}),
    ("symtorch_lab.science.pinn", {"system": "damped_oscillator"}),
    ("symtorch_lab.science.pinn", {"system": "wave"}),
)
"""(module, keyword arguments of its ``recover``) per row, in table order."""
SLOW_CASES: tuple[tuple[str, Mapping[str, Any]], ...] = (
    ("symtorch_lab.science.nbody", {"system": "r1"}),
    ("symtorch_lab.science.nbody", {"system": "charge"}),
)
"""Cases that need many more training steps (~10 CPU min each, not yet shown to recover the
law on CPU): ``--slow`` adds them."""


def load_case(module: str, log: Callable[[str], None] = print) -> Callable[..., dict] | None:
    """The module's ``recover``, or None (with a message) when the module is not there yet."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            log(f"physics: skipping {module}: the module is not there yet ({exc})")
        else:  # the case is there but something it imports is missing
            log(f"physics: skipping {module}: it cannot be imported: {exc}")
        return None
    recover = getattr(mod, "recover", None)
    if not callable(recover):
        log(f"physics: skipping {module}: it has no recover() yet")
        return None
    return recover


def run_case(recover: Callable[..., dict], kwargs: Mapping[str, Any], small: bool) -> dict:
    """One row: what ``recover`` returns, or a row naming the failure (the table goes on)."""
    start = time.perf_counter()
    try:
        row = dict(recover(small=small, **kwargs))
    except Exception as exc:  # noqa: BLE001 - one broken case must not hide the others
        traceback.print_exc()
        row = {"system": kwargs.get("system", recover.__module__.rpartition(".")[2]),
               "recovered": f"failed: {type(exc).__name__}: {exc}"[:300],
               "law_on_front": False}  # fmt: skip
    row.setdefault("wall_s", round(time.perf_counter() - start, 1))
    missing = [c for c in COLUMNS if c not in row]
    if missing:
        print(f"physics: {recover.__module__}.recover() row lacks {missing}", file=sys.stderr)
    return row


def run(cases: Iterable[tuple[str, Mapping[str, Any]]] = CASES, small: bool = False,
        log: Callable[[str], None] = print, jobs: int = 1) -> list[dict]:  # fmt: skip
    """Every available case's row, in order (missing modules skipped); ``jobs > 1`` runs
    that many cases at once in worker processes (each case trains on one torch thread)."""
    cases = list(cases)
    if jobs > 1:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            found = pool.map(_one, cases, [small] * len(cases))
            return [row for row in found if row is not None]
    return [row for row in (_one(case, small, log) for case in cases) if row is not None]


def _one(case, small: bool, log: Callable[[str], None] = print) -> dict | None:
    module, kwargs = case
    recover = load_case(module, log)
    if recover is None:
        return None
    log(f"physics: {module}.recover({_kwargs(kwargs)}small={small}) ...")
    row = run_case(recover, kwargs, small)
    log(f"physics:   {row.get('recovered')} ({row.get('wall_s')} s)")
    return row


def _kwargs(kwargs: Mapping[str, Any]) -> str:
    return "".join(f"{k}={v!r}, " for k, v in kwargs.items())


def cell(value: Any) -> str:
    """A table cell: constants as ``name = value`` pairs, floats short, no pipes or newlines."""
    if isinstance(value, Mapping):
        value = ", ".join(f"{k} = {cell(v)}" for k, v in value.items())
    elif isinstance(value, float):
        value = f"{value:.4g}"
    elif isinstance(value, bool):
        value = "yes" if value else "no"
    elif isinstance(value, list | tuple):
        value = ", ".join(cell(v) for v in value)
    return re.sub(r"\s+", " ", str("" if value is None else value)).replace("|", "\\|")


def to_csv(rows: Sequence[dict]) -> str:
    extra = sorted({k for row in rows for k in row} - set(COLUMNS))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*COLUMNS, *extra])
    for row in rows:
        writer.writerow([cell(row.get(k)) for k in (*COLUMNS, *extra)])
    return out.getvalue()


def to_markdown(rows: Sequence[dict], small: bool, base: Mapping | None = None,
                rerun: Mapping | None = None) -> str:  # fmt: skip
    head = ["system", "expected law", "recovered expression", "constants", "wall time",
            "law on front"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in rows:
        values = [cell(row.get(k)) for k in COLUMNS]
        values[2] = f"`{values[2]}`" if values[2] else ""
        values[4] = f"{values[4]} s" if values[4] else ""
        lines.append("| " + " | ".join(values) + " |")
    m = (base or {}).get("machine") or machine()
    day = (base or {}).get("date") or time.strftime("%Y-%m-%d")
    lines.append("")
    lines.append(
        f"*Produced by `bench/physics.py`{' --small' if small else ''} on {m['cpus']} CPU "
        f"cores (load {m['load_avg_1min']:.1f}), {day}.*"
    )
    if rerun:
        lines.append(
            f"*Rerun with `--merge` (the other rows are the run above): "
            f"{', '.join(rerun['systems'])}, load {rerun['machine']['load_avg_1min']:.1f}, "
            f"{rerun['date']}.*"
        )
    return "\n".join(lines) + "\n"


def update_readme(readme: Path, table: str) -> bool:
    """Replace the text between the physics-table markers; False when the README has none."""
    text = readme.read_text()
    if BEGIN not in text or END not in text:
        return False
    head, rest = text.split(BEGIN, 1)
    readme.write_text(f"{head}{BEGIN}\n{table}{END}{rest.split(END, 1)[1]}")
    return True


def merged(rows: Sequence[dict], out: Path) -> tuple[list[dict], dict, dict]:
    """``rows`` in place of the same systems' rows of the last recorded run, which keeps its
    own machine and date; the rerun is named in the footer (``--merge``)."""
    base = json.loads((out / "physics.json").read_text())
    new = {row["system"]: row for row in rows}
    kept = [new.pop(row["system"], row) for row in base["rows"]] + list(new.values())
    base.setdefault("date", "unknown date")
    rerun = {"systems": [row["system"] for row in rows], "machine": machine(),
             "date": time.strftime("%Y-%m-%d")}  # fmt: skip
    return kept, {"machine": base["machine"], "date": base["date"]}, rerun


def write(rows: Sequence[dict], out: Path, small: bool, readme: Path | None,
          merge: bool = False) -> None:  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    base = rerun = None
    if merge:
        rows, base, rerun = merged(rows, out)
    (out / "physics.csv").write_text(to_csv(rows))
    table = to_markdown(rows, small, base, rerun)
    (out / "physics.md").write_text(table)
    record = {"small": small, "machine": machine(), "date": time.strftime("%Y-%m-%d"),
              "rows": rows}  # fmt: skip
    if merge:
        record.update(machine=base["machine"], date=base["date"], rerun=rerun)
    save(record, out / "physics.json")
    if readme is not None and not update_readme(readme, table):
        print(f"physics: {readme} has no {BEGIN} ... {END} section; not updated")


def main(argv: Sequence[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="CI-sized settings")
    parser.add_argument("--only", default="", help="comma-separated module suffixes: pinn,...")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--readme", type=Path, default=ROOT / "README.md")
    parser.add_argument("--no-readme", action="store_true")
    parser.add_argument("--slow", action="store_true", help="add the n-body r1 and charge cases")
    parser.add_argument("--jobs", type=int, default=1, help="cases run at once (processes)")
    parser.add_argument("--systems", default="", help="comma-separated systems: logistic,...")
    parser.add_argument("--merge", action="store_true",
                        help="replace only these systems' rows of the recorded run")  # fmt: skip
    args = parser.parse_args(argv)
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    every = CASES + (SLOW_CASES if args.slow else ())
    cases = [c for c in every if not only or c[0].rpartition(".")[2] in only]
    systems = {s.strip() for s in args.systems.split(",") if s.strip()}
    cases = [c for c in cases if not systems or c[1].get("system") in systems]
    rows = run(cases, small=args.small, jobs=args.jobs)
    if not rows:
        print("physics: no case module is there yet; nothing written")
        return rows
    write(rows, args.out, args.small, None if args.no_readme else args.readme, args.merge)
    print((args.out / "physics.md").read_text())
    return rows


if __name__ == "__main__":
    main()
