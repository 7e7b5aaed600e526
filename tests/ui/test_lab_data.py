"""A Lab on data that is no form of model inputs fails at construction (no dead widget)."""

import pytest
from torch import nn

import symtorch_lab as stl


def test_a_lab_on_a_string_raises_naming_data_and_what_it_takes():
    """``stl.Lab(model, 'hello')`` logged a red traceback ("could not run the model to find
    shapes … got str") and showed a Lab that could do nothing."""
    with pytest.raises(TypeError, match=r"^data must be the model's inputs: a tensor.*got str"):
        stl.Lab(nn.Linear(2, 1), "hello")


def test_slimelab_explain_of_a_string_names_x0_and_what_it_takes():
    """``SlimeLab(...).explain('abc')`` said only "could not convert string to float: 'abc'"."""
    import numpy as np

    from symtorch_lab.ui.slimelab import SlimeLab

    plane = np.random.default_rng(0).uniform(-1, 1, (100, 2))
    lab = SlimeLab(lambda X: X[:, 0] * X[:, 1], plane, grid_size=5)
    want = r"^slime: x0 must be 2 numbers \(one per feature: \['x0', 'x1'\]\), got str 'abc'"
    with pytest.raises(ValueError, match=want):
        lab.explain("abc")
    assert lab.widget.error.startswith("slime: x0 must be 2 numbers")
