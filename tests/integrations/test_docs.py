"""Every Python example in docs/integrations.md runs as written (skipped when its framework is
not installed)."""

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "integrations.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
NEEDS = {"lightning": "lightning", "transformers": "transformers", "accelerate": "accelerate"}


def test_the_doc_has_the_six_examples():
    assert len(BLOCKS) == 6


@pytest.mark.parametrize("index", range(len(BLOCKS)),
                         ids=["pytorch", "loop_bugs", "lightning", "hf_trainer", "accelerate",
                              "custom_activation"])
def test_example_runs(index, tmp_path):
    code = BLOCKS[index]
    for word, module in NEEDS.items():
        if f"import {word}" in code and importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed")
    script = tmp_path / "example.py"
    script.write_text("import torch\ntorch.set_num_threads(1)\n" + code, encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    expected = {2: "['net.1']", 3: "'transformer.h.0.mlp.act': 'gelu'", 4: "4", 5: "{'1': 'swish1.5'}"}
    if index in expected:
        assert expected[index] in out.stdout
    if index == 0:
        assert "1e-07 -> 0.0001" in out.stdout
    if index == 1:
        assert "gradients_not_reset error" in out.stdout and "trained_in_eval_mode warning" in out.stdout
        assert "optimizer.zero_grad()" in out.stdout and "Dropout was off" in out.stdout
