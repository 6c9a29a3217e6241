from __future__ import annotations

import pytest

from opsloop.errors import ValidationError
from opsloop.execution.expressions import as_single_binding, check_command, render_command


def test_render_drops_optional_segments_whose_input_is_unbound() -> None:
    command = "python train.py --data ${{inputs.data}} $[[--depth ${{inputs.depth}}]] --out ${{outputs.model}}"
    values = {"inputs.data": "/d", "inputs.depth": None, "outputs.model": "/m"}
    assert render_command(command, values) == "python train.py --data /d  --out /m"
    values["inputs.depth"] = "4"
    assert render_command(command, values) == "python train.py --data /d --depth 4 --out /m"


def test_paths_with_spaces_are_quoted() -> None:
    assert render_command("cat ${{inputs.f}}", {"inputs.f": "/a b/c"}) == "cat '/a b/c'"


def test_check_command_rejects_undeclared_and_bare_optional_inputs() -> None:
    with pytest.raises(ValidationError, match="undeclared input 'missing'"):
        check_command("echo ${{inputs.missing}}", {"a": 1}, {}, set())
    with pytest.raises(ValidationError, match=r"must be used inside a \$\[\["):
        check_command("echo ${{inputs.a}}", {"a": 1}, {}, {"a"})
    with pytest.raises(ValidationError, match="not allowed in a command"):
        check_command("echo ${{parent.inputs.a}}", {"a": 1}, {}, set())
    check_command("echo $[[${{inputs.a}}]] ${{outputs.o}}", {"a": 1}, {"o": 1}, {"a"})


def test_single_binding_forms() -> None:
    step = as_single_binding("${{parent.jobs.prep.outputs.train}}", field="f")
    assert step is not None and (step.scope, step.step, step.name) == (
        "parent.jobs",
        "prep",
        "train",
    )
    assert as_single_binding("plain", field="f") is None
    with pytest.raises(ValidationError, match="unsupported expression"):
        as_single_binding("${{parent.something.x}}", field="f")
