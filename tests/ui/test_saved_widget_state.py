"""``nbconvert --execute`` with stored widget state (nbclient ``store_widget_state=True``) saves
the Lab widget as the cell left it: a cell that waited on a search saves the finished front, not
"running, generation 0, no points" (the final publish used to wait for the next loop tick)."""

import nbformat
from nbclient import NotebookClient

CELLS = [
    """import torch
from torch import nn
import symtorch_lab as stl
torch.manual_seed(0)
model = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
X = torch.rand(300, 2) * 2 - 1
lab = stl.Lab(model, X, population_size=60, niterations=5, max_rows=200)
lab""",
    """job = lab.distill("0")
job.handle.wait(120)
print(sum(len(f.candidates) for f in job.fronts.values()), "candidates")""",
]


def test_the_saved_widget_state_holds_the_finished_front(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    path = tmp_path / "run.ipynb"
    nbformat.write(nb, path)
    saved = nbformat.read(path, as_version=4)
    states = saved.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    labs = [s["state"] for s in states.values() if s["state"].get("_stl_kind") == "lab"]
    assert len(labs) == 1
    lab = labs[0]
    printed = int(saved.cells[1].outputs[0]["text"].split()[0])
    assert lab["status"]["state"] == "done" and lab["status"]["generation"] > 0
    assert lab["module_status"] == "distilled"
    assert len(lab["points"]) == printed and lab["picks"]
