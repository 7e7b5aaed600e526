"""Lab widget in a real JupyterLab, gradient mode (issue 11): Explain on a classifier's output
draws its decision boundary with the level sets of the picked formula; checked in Python."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import write_notebook
from tests.browser.lab import open_notebook, run_all, run_python

pytestmark = pytest.mark.ui

SETUP = """\
import torch, symtorch_lab as stl
from torch import nn

class Ellipse(nn.Module):  # logit 4 (x0^2 + 2 x1^2 - 1): A1's quantity
    def forward(self, X):
        return 4 * (X[:, :1] ** 2 + 2 * X[:, 1:] ** 2 - 1)

model = Ellipse()
X = torch.rand(1500, 2, generator=torch.Generator().manual_seed(0)) * 2 - 1
lab = stl.Lab(model, X, population_size=100, niterations=10, timeout_in_seconds=30)
lab.select("")
lab"""
CHECK = """\
import json
front = lab.gradient_fronts[""]
print("RESULT", json.dumps({"cos": front.selected.metrics["cos_mean"],
                            "equation": lab.widget.boundary["equation"]}))"""


def test_explain_draws_the_boundary_and_level_sets(lab_server, page, artifacts):
    write_notebook(lab_server.root / "gradient.ipynb", [SETUP])
    open_notebook(page, lab_server.url, "gradient.ipynb")
    run_all(page)
    lab = page.locator(".stl-lab")
    boundary = lab.locator(".stl-lab-boundary")
    expect(boundary).to_be_hidden()
    lab.locator(".stl-lab-explain").click()
    expect(boundary).to_be_visible(timeout=60_000)
    # g's level sets (9), g's boundary level and f = 0: one contour trace each
    expect(boundary.locator(".contour")).to_have_count(11)
    expect(boundary.locator(".gtitle")).to_contain_text("level sets of g")
    result = run_python(page, CHECK)
    assert result["cos"] > 0.999 and "x0" in result["equation"]
    boundary.screenshot(path=artifacts / "lab_gradient_boundary.png")
    assert page.js_errors == []
