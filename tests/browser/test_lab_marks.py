"""Known-law marks in a real JupyterLab: type a law into the Lab, see the recovering member drawn
as a star and named in the detail pane, and check the marks in the kernel (Python-side)."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import write_notebook
from tests.browser.lab import open_notebook, output, run_all, run_cell

pytestmark = pytest.mark.ui

SETUP = """\
import torch, symtorch_lab as stl
from torch import nn
torch.set_num_threads(1)

class Product(nn.Module):  # a module whose law is known: y = 2.5 * x0 * x1
    def forward(self, x):
        return 2.5 * x[:, :1] * x[:, 1:2]

torch.manual_seed(0)
model = nn.Sequential(Product(), nn.Linear(1, 1))
X = torch.rand(300, 2) * 2 + 1
lab = stl.Lab(model, X, population_size=100, niterations=8, timeout_in_seconds=20,
              max_rows=200, units={"x0": "m", "x1": "N", "y": "J"})
lab.distill("0", k_in=0, k_out=0).handle.wait(60)
lab"""
CHECK = """\
marked = [p["id"] for p in lab.widget.points if p.get("recovers_law")]
cand = lab.selected_candidate
print("MARKS", repr(lab.widget.known_law), marked, cand and cand["id"], repr(lab.widget.error))"""

# the plot's own data: which point the front draws as a star (the law's mark)
STAR = """(el) => {
  const trace = el.data[0];
  const i = trace.marker.symbol.indexOf('star');
  return i < 0 ? null : [i, trace.customdata[i]];
}"""


def test_typed_law_marks_the_front_and_the_detail(lab_server, page, artifacts):
    write_notebook(lab_server.root / "marks.ipynb", [SETUP, CHECK])
    open_notebook(page, lab_server.url, "marks.ipynb")
    run_all(page)
    lab = page.locator(".stl-lab")
    expect(lab.locator(".stl-lab-progress")).to_have_attribute("data-state", "done")
    box = lab.locator(".stl-lab-law-input")
    box.fill("x0*q2")  # a typo: the kernel's parser names the token, beside the box
    lab.locator(".stl-lab-law-apply").click()  # the focus leaves the box: its text stays
    law_error = lab.locator(".stl-lab-law-error")
    expect(law_error).to_contain_text("unknown identifier 'q2'")
    expect(box).to_have_value("x0*q2")  # to correct, not to type again
    expect(lab.locator(".stl-lab-error")).to_be_hidden()  # not at the Lab's foot
    box.fill("x0*x1")
    box.press("Enter")
    expect(law_error).to_be_hidden()
    expect(lab.locator(".stl-lab-error")).to_be_hidden()
    front = lab.locator(".stl-lab-front")
    page.wait_for_function(f"(el) => ({STAR})(el) !== null", arg=front.element_handle())
    index, star_id = front.evaluate(STAR)
    point = front.locator(".scatterlayer .point").nth(index)
    box_ = point.bounding_box()
    x, y = box_["x"] + box_["width"] / 2, box_["y"] + box_["height"] / 2
    page.mouse.move(x, y)
    expect(lab.locator(".hoverlayer .hovertext")).to_contain_text("recovers the known law")
    page.mouse.click(x, y)
    mark = lab.locator(".stl-lab-law-mark")
    expect(mark).to_contain_text("recovers the known law x0*x1")
    expect(mark).to_contain_text("dimensionally consistent")
    lab.screenshot(path=artifacts / "lab_marks.png")
    run_cell(page, 1)
    expect(output(page, 1)).to_contain_text("MARKS 'x0*x1' [")
    text = output(page, 1).inner_text()
    marked = text.split("[", 1)[1].split("]", 1)[0]
    assert f"'{star_id}'" in marked  # the star is a member the engine marked
    assert text.strip().endswith(f"{star_id} ''")  # the clicked star is the Lab's candidate
    assert page.js_errors == []
