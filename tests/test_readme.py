"""The README's API example is a test: it must run as written and do what it says."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_block(heading: str) -> str:
    text = README.read_text()
    section = text.split(heading, 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


@pytest.mark.slow
def test_readme_api_example(capsys):
    import symtorch_lab as stl

    namespace: dict = {}
    exec(compile(readme_block("## The API in a dozen lines"), "README.md", "exec"), namespace)
    model, job = namespace["model"], namespace["job"]
    assert isinstance(model[0], stl.SymbolicSurrogate)
    assert len(job.fronts[0]) > 1
    printed = capsys.readouterr().out
    assert ">>>" in printed


def test_readme_commands_are_the_ci_ones():
    text = README.read_text()
    assert "bash .ci/run" in text
    assert "symtorch-lab demo" in text
