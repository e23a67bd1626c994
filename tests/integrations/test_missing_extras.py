"""Each integration imports its framework lazily and says in one line which extra to install."""

import importlib
import sys

import pytest

from gradlab.errors import MissingExtraError


@pytest.mark.parametrize(("module", "blocked", "extra"), [
    ("gradlab.integrations.lightning", ["lightning", "lightning.pytorch", "pytorch_lightning"], "lightning"),
    ("gradlab.integrations.hf", ["transformers"], "hf"),
], ids=["lightning", "hf"])
def test_missing_framework_gives_the_install_line(monkeypatch, module, blocked, extra):
    for name in blocked:
        monkeypatch.setitem(sys.modules, name, None)  # import of a None entry raises ImportError
    monkeypatch.delitem(sys.modules, module, raising=False)
    with pytest.raises(MissingExtraError) as err:
        importlib.import_module(module)
    assert f"pip install 'gradlab[{extra}]'" in str(err.value) and "\n" not in str(err.value)


def test_missing_wandb_gives_the_install_line(monkeypatch):
    import gradlab
    import torch

    monkeypatch.setitem(sys.modules, "wandb", None)
    with pytest.raises(MissingExtraError, match=r"gradlab\[wandb\]"):
        with gradlab.watch(torch.nn.Linear(2, 2), sinks=["wandb"]):
            pass


def test_importing_gradlab_imports_no_framework():
    import subprocess

    code = ("import gradlab, gradlab.integrations, sys; gradlab.watch; "
            "print([m for m in ('lightning', 'transformers', 'wandb', 'accelerate') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
