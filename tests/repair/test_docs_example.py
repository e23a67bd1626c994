"""docs/repair.md's worked example prints what the page says (all but the time line)."""

import contextlib
import io
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "repair.md"


def _blocks(text):
    example = text.split("## 4.")[1]
    code = re.search(r"```python\n(.*?)```", example, re.S).group(1)
    printed = re.search(r"prints \(the time line varies\):\n\n```\n(.*?)```", example, re.S).group(1)
    return code, printed


@pytest.mark.slow
def test_worked_example_output_matches_the_page():
    code, printed = _blocks(DOC.read_text())
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, str(DOC), "exec"), {"__name__": "docs_example"})

    def strip(text):
        return [line for line in text.splitlines() if not line.strip().startswith("time:")]

    assert strip(out.getvalue()) == strip(printed)
