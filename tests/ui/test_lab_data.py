"""A Lab on data that is no form of model inputs fails at construction (no dead widget)."""

import pytest
from torch import nn

import symtorch_lab as stl


def test_a_lab_on_a_string_raises_naming_data_and_what_it_takes():
    """``stl.Lab(model, 'hello')`` logged a red traceback ("could not run the model to find
    shapes … got str") and showed a Lab that could do nothing."""
    with pytest.raises(TypeError, match=r"^data must be the model's inputs: a tensor.*got str"):
        stl.Lab(nn.Linear(2, 1), "hello")
