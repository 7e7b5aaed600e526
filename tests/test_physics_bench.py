"""bench/physics.py: rows from each case module's real ``recover()``, missing modules skipped
with a message, a failing case reported in its row, and the CSV / Markdown / README table
written from those rows. The case used here is a real one: a search on noise-free data whose
front is marked against the known law by the engine."""

import importlib.util
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench" / "physics.py"

CASE = """
import time
import numpy as np
import symtorch_lab as stl

def recover(system="product", small=False, random_state=0):
    start = time.perf_counter()
    rng = np.random.default_rng(random_state)
    X = rng.uniform(1, 3, (200, 2))
    y = 2.5 * X[:, 0] * X[:, 1]
    front = stl.Distiller(population_size=100, niterations=8 if small else 50, random_state=0,
                          n_jobs=1, known_law="F*x", units={"F": "N", "x": "m", "y": "J"}
                          ).fit(X, y, variable_names=("F", "x")).fronts_[0]
    found = [c for c in front if c.metrics["recovers_law"]]
    best = found[0] if found else front.selected
    return {"system": system, "expected": "k*F*x", "recovered": str(best.expression),
            "constants": {"k": float(best.expression.constants[0])} if found else {},
            "wall_s": round(time.perf_counter() - start, 1), "law_on_front": bool(found),
            "consistent": bool(best.metrics["dim_consistent"])}

def broken(small=False):
    raise RuntimeError("no data")
"""


@pytest.fixture
def physics(tmp_path, monkeypatch):
    (tmp_path / "product_case.py").write_text(CASE)
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = importlib.util.spec_from_file_location("bench_physics", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rows_from_real_cases_and_skips(physics, tmp_path):
    messages = []
    cases = [("product_case", {}), ("symtorch_lab.science.no_such_case", {"system": "x"}),
             ("product_case_missing", {})]  # fmt: skip
    rows = physics.run(cases, small=True, log=messages.append)
    assert len(rows) == 1
    row = rows[0]
    assert row["system"] == "product" and row["law_on_front"] and row["consistent"]
    assert row["recovered"] == "2.5*F*x" and row["constants"] == {"k": 2.5}
    skipped = [m for m in messages if "skipping" in m]
    assert len(skipped) == 2 and "symtorch_lab.science.no_such_case" in skipped[0]
    assert "not there yet" in skipped[0]

    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\nbefore\n{physics.BEGIN}\nold table\n{physics.END}\nafter\n")
    physics.write(rows, tmp_path / "results", small=True, readme=readme)
    csv_text = (tmp_path / "results" / "physics.csv").read_text().splitlines()
    assert csv_text[0] == "system,expected,recovered,constants,wall_s,law_on_front,consistent"
    assert csv_text[1].startswith("product,k*F*x,2.5*F*x,k = 2.5,")
    table = (tmp_path / "results" / "physics.md").read_text()
    assert "| product | k*F*x | `2.5*F*x` | k = 2.5 |" in table and "| yes |" in table
    text = readme.read_text()
    assert "old table" not in text and "| product | k*F*x |" in text
    assert text.startswith("# x\n\nbefore\n") and text.endswith(f"{physics.END}\nafter\n")


def test_a_failing_case_is_a_row_saying_so(physics):
    import product_case

    row = physics.run_case(product_case.broken, {}, small=True)
    assert row["recovered"] == "failed: RuntimeError: no data" and row["law_on_front"] is False
    assert physics.cell({"alpha": 0.20012345, "beta": True}) == "alpha = 0.2001, beta = yes"
    assert physics.cell("a|b\nc") == "a\\|b c"


def test_readme_without_markers_is_left_alone(physics, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# nothing to replace\n")
    assert not physics.update_readme(readme, "| table |\n")
    assert readme.read_text() == "# nothing to replace\n"


def test_merge_replaces_only_the_rerun_systems_rows(physics, tmp_path):
    out = tmp_path / "results"
    first = [{"system": s, "expected": "e", "recovered": f"old {s}", "law_on_front": False}
             for s in ("heat", "logistic", "wave")]  # fmt: skip
    physics.write(first, out, small=True, readme=None)
    again = [{"system": "logistic", "expected": "e", "recovered": "new", "law_on_front": True}]
    physics.write(again, out, small=True, readme=None, merge=True)
    table = (out / "physics.md").read_text()
    systems = [line.split("|")[1].strip() for line in table.splitlines()[2:5]]
    assert systems == ["heat", "logistic", "wave"]  # the recorded order
    assert (
        "| logistic | e | `new` |" in table
        and "`old heat`" in table
        and "old logistic" not in table
    )
    assert "Rerun with `--merge`" in table and "logistic, load" in table
