"""Session.report: one HTML file with fronts, picks, parity, before/after, seeds and versions,
that needs no kernel and no network (the browser side is tests/ui/test_report_browser.py)."""

from __future__ import annotations

import html
import re

import pytest
import torch
from torch import nn

import symtorch_lab as stl
from symtorch_lab._mathml import to_mathml
from symtorch_lab.report import package_versions, render_report
from tests.helpers import linear_tanh

QUICK = dict(population_size=200, niterations=12, timeout_in_seconds=30, max_rows=300)
PLOTLY_BUNDLE = "plotly.js v"  # the banner at the top of the inlined plotly.min.js


@pytest.fixture(scope="module")
def session():
    """Module "0" distilled (two outputs), one comparison, module "1" recorded only."""
    model = linear_tanh()
    X = torch.rand(400, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1
    s = stl.Session(model, X, random_state=3, **QUICK)
    s.distill("0")
    s.record("1")
    with torch.no_grad():
        y = model(X)
    s.compare((X, y), metric="mse", example=X, repeats=2, warmup=1)
    return s


@pytest.fixture(scope="module")
def page(session, tmp_path_factory) -> str:
    path = session.report(tmp_path_factory.mktemp("report") / "sub" / "r.html")
    assert path.name == "r.html" and not list(path.parent.glob("*.tmp"))
    return path.read_text("utf-8")


def _without_plotly_bundle(page: str) -> str:
    """The page minus the one inlined plotly.js script (a third-party bundle)."""
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S)
    bundles = [s for s in scripts if PLOTLY_BUNDLE in s]
    assert len(bundles) == 1
    return page.replace(bundles[0], "")


def test_plotly_is_inlined_once_and_nothing_is_loaded_from_the_network(page):
    assert page.count(PLOTLY_BUNDLE) == 1
    assert not re.search(r"<script[^>]*\bsrc\s*=", page, flags=re.I)
    assert not re.search(r"<link[^>]*\bhref\s*=", page, flags=re.I)
    own = _without_plotly_bundle(page)
    assert not re.search(r"https?://", own), re.findall(r"https?://\S{0,60}", own)
    assert "fetch" not in own and "import(" not in own
    # one front plot, two parity plots, one comparison: four figures, one bundle
    assert own.count('class="plotly-graph-div"') == 4


def test_picks_are_typeset_as_mathml_with_their_latex(page, session):
    job = session.jobs["0"]
    assert sorted(job.fronts) == [0, 1]
    for front in job.fronts.values():
        expr = front.selected.expression
        assert to_mathml(expr.tree, expr.variable_names, 4, display=False) in page
        assert html.escape(expr.latex(precision=4)) in page


def test_front_tables_list_every_candidate_and_mark_the_pick(page, session):
    for front in session.jobs["0"].fronts.values():
        for cand in front:
            assert f"<code>{html.escape(str(cand.expression))}</code>" in page
        picked = re.findall(r'<tr class="stl-pick">.*?<code>(.*?)</code>', page)
        assert html.escape(str(front.selected.expression)) in picked
    assert page.count('<tr class="stl-pick">') == 2  # one pick per output


def test_settings_seeds_comparison_and_versions_are_on_the_page(page, session):
    assert re.search(r"<th>random_state</th><td><code>3</code>", page)
    assert re.search(r"<th>niterations</th><td><code>12</code>", page)
    comp = session.comparisons[0]
    assert "Comparison 1: <code>0</code> replaced" in page
    assert f"{comp['before']:.4g}" in page and f"{comp['after']:.4g}" in page
    versions = package_versions()
    assert versions["torch"] == str(torch.__version__)  # read from metadata, not an import
    for name in ("python", "torch", "pyoperon", "sympy", "numpy", "symtorch_lab"):
        assert f"<th>{name}</th><td><code>{html.escape(versions[name])}</code>" in page
    assert "Module <code>1</code>" in page and "Not distilled yet" in page


def test_text_from_the_user_is_escaped(session):
    out = render_report(session, title="<script>x()</script>", description="<img src=x>")
    assert "<script>x()</script>" not in out and "<img src=x>" not in out
    assert "&lt;script&gt;x()&lt;/script&gt;" in out and "&lt;img src=x&gt;" in out


def test_a_loaded_session_reports_fronts_and_comparisons_without_rows(session, tmp_path):
    file = tmp_path / "s.json"
    session.save(file)
    loaded = stl.Session.load(file, linear_tanh())
    page = loaded.report(tmp_path / "loaded.html").read_text("utf-8")
    assert "No parity plot" in page and "not in this session (loaded from a file)" in page
    for front in loaded.jobs["0"].fronts.values():
        expr = front.selected.expression
        assert to_mathml(expr.tree, expr.variable_names, 4, display=False) in page
    assert "Comparison 1" in page
    assert page.count(PLOTLY_BUNDLE) == 1  # the front plot now carries the bundle


def test_a_session_with_nothing_distilled_has_no_plotly_at_all(tmp_path):
    s = stl.Session(linear_tanh(), torch.rand(50, 2))
    s.record("0")
    page = s.report(tmp_path / "empty.html").read_text("utf-8")
    assert PLOTLY_BUNDLE not in page and "Not distilled yet" in page
    assert "No comparison in this session" in page


@pytest.mark.slow
def test_the_demo_writes_its_page_through_session_report(tmp_path):
    result = stl.demo.run_demo(
        train_steps=200, niterations=5, timeout=20, report=tmp_path / "demo.html", log=print
    )
    page = result.report.read_text("utf-8")
    assert html.escape(stl.demo.LAW) in page and page.count(PLOTLY_BUNDLE) == 1
    expr = result.session.jobs["mlp"].fronts[0].selected.expression
    assert to_mathml(expr.tree, expr.variable_names, 4, display=False) in page


def test_a_dim_that_was_not_searched_says_so(tmp_path):
    # a rank-1 output: the second PCA component has no variance and is skipped, not searched
    X = torch.rand(300, 2, generator=torch.Generator().manual_seed(1))
    lin = nn.Linear(2, 2)
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[1.0, 2.0], [2.0, 4.0]]))
        lin.bias.zero_()
    s = stl.Session(nn.Sequential(lin), X, random_state=0, **QUICK)
    job = s.distill("0", k_out=2)
    assert job.fronts[1].skipped
    page = s.report(tmp_path / "r.html").read_text("utf-8")
    assert f"Not searched: {html.escape(job.fronts[1].skipped)}" in page


def test_the_session_table_counts_the_original_network_when_modules_are_replaced(tmp_path):
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
    s = stl.Session(model, torch.rand(200, 2), **QUICK)
    s.distill("2")
    s.replace("2")
    page = s.report(tmp_path / "r.html").read_text("utf-8")
    original = sum(
        p.numel() for p in nn.Sequential(nn.Linear(2, 16), nn.Linear(16, 1)).parameters()
    )
    now = sum(p.numel() for p in model.parameters())
    assert now < original
    assert f"{original:,} in the original network; {now:,} with the picked" in page


def test_the_comparison_says_what_the_metric_is_measured_against(page):
    assert "mse vs targets" in page
