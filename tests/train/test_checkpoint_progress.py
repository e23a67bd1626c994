"""The checkpoint survives a failed save; the progress bar shows only where it should."""

import io
import sys

import pytest
import torch
import torch.nn as nn

from gradlab.train import checkpoint as checkpoint_module
from gradlab.train.checkpoint import BestCheckpoint
from gradlab.train.progress import NullProgress, make_progress, progress_enabled


def test_a_save_that_fails_midway_leaves_the_previous_best_intact(tmp_path, monkeypatch):
    net = nn.Linear(3, 2)
    best = BestCheckpoint(tmp_path)
    best.save(net, epoch=1, score=0.5)
    saved = {k: v.clone() for k, v in net.state_dict().items()}

    def broken_save(obj, handle):
        handle.write(b"half a checkpoint")
        raise OSError("disk full")

    with torch.no_grad():
        net.weight.add_(1.0)
    monkeypatch.setattr(checkpoint_module.torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        best.save(net, epoch=2, score=0.9)
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.pt"]
    assert best.epoch == 1
    assert best.restore(net)
    for name, value in net.state_dict().items():
        assert torch.equal(value, saved[name])


def test_restore_without_a_save_changes_nothing():
    net = nn.Linear(2, 2)
    before = net.weight.clone()
    assert not BestCheckpoint().restore(net)
    assert torch.equal(net.weight, before)


@pytest.mark.parametrize(
    "env,requested,expected",
    [("1", True, False), ("", True, True), ("", False, False), ("0", True, True)],
    ids=["env-off-wins", "requested", "refused", "env-zero-is-on"],
)
def test_progress_switches(monkeypatch, env, requested, expected):
    monkeypatch.setenv("GRADLAB_NO_PROGRESS", env)
    assert progress_enabled(requested) is expected


def test_no_bar_when_stderr_is_not_a_terminal(monkeypatch):
    monkeypatch.delenv("GRADLAB_NO_PROGRESS", raising=False)
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # a pipe or a file, never a terminal
    assert progress_enabled(None) is False
    assert isinstance(make_progress(None, total=3), NullProgress)
