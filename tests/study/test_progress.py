"""The study progress bar: counts done/running/failed and time left on a terminal, quiet otherwise."""

import io

import pytest
from rich.console import Console

from gradlab.study import progress as progress_mod
from gradlab.study.progress import StudyProgress


def test_counts_follow_starts_and_finishes(monkeypatch):
    monkeypatch.setattr(progress_mod.sys.stderr, "isatty", lambda: False, raising=False)
    bar = StudyProgress(3, title="t")
    bar.started(), bar.started()
    bar.finished("done")
    bar.started()
    bar.finished("failed")
    assert bar.counts_text() == "1 done · 1 running · 1 failed"
    assert bar._bar is None  # not a terminal: nothing drawn
    bar.close()


@pytest.mark.parametrize("env,tty,drawn", [(None, True, True), ("1", True, False), (None, False, False)],
                         ids=["terminal", "GRADLAB_NO_PROGRESS", "piped"])
def test_drawn_only_on_a_terminal(monkeypatch, env, tty, drawn):
    if env:
        monkeypatch.setenv("GRADLAB_NO_PROGRESS", env)
    else:
        monkeypatch.delenv("GRADLAB_NO_PROGRESS", raising=False)
    out = io.StringIO()

    class FakeStderr(io.StringIO):
        def isatty(self):
            return tty

    monkeypatch.setattr(progress_mod.sys, "stderr", FakeStderr())
    # rich draws on Console(stderr=True); send it to a terminal-like buffer we can read
    monkeypatch.setattr("rich.console.Console", lambda **kw: Console(file=out, force_terminal=True,
                                                                      width=120))
    bar = StudyProgress(4, title="demo")
    bar.started()
    bar.finished("done")
    bar.close()
    text = out.getvalue()
    if drawn:
        assert "demo" in text and "1/4" in text and "1 done · 0 running · 0 failed" in text
        assert "elapsed" in text and "left" in text
    else:
        assert text == ""
