"""LiveDiagnoser: once per (code, layer), escalation, callbacks, logging, stop_on."""

import logging

import pytest

from gradlab.monitor.live import LiveDiagnoser
from gradlab.errors import ConfigError, TrainingStopped

from diag_fakes import FakeVitals, mlp_layers


def dead(values):
    return FakeVitals({("act1", "dead_frac"): values})


def test_each_finding_is_announced_once_and_again_only_when_it_gets_worse():
    seen = []
    live = LiveDiagnoser(on_finding=seen.append)
    layers = mlp_layers(1)
    live.update(dead([0.7, 0.7, 0.7]), layers, step=20)
    live.update(dead([0.7, 0.7, 0.7, 0.7]), layers, step=30)
    assert [(f.code, f.severity) for f in seen] == [("dead_units", "warning")]
    live.update(dead([1.0] * 10), layers, step=90)
    assert [(f.code, f.severity) for f in seen] == [("dead_units", "warning"), ("dead_units", "error")]


def test_stop_on_error_raises_training_stopped_with_the_finding():
    live = LiveDiagnoser(on_finding=lambda f: None, stop_on="error")
    live.update(dead([0.7] * 4), mlp_layers(1), step=30)  # a warning does not stop
    with pytest.raises(TrainingStopped) as err:
        live.update(dead([1.0] * 4), mlp_layers(1), step=30)
    assert err.value.finding.code == "dead_units" and err.value.finding.severity == "error"


def test_without_callback_a_log_record_is_written(caplog):
    with caplog.at_level(logging.WARNING, logger="gradlab"):
        LiveDiagnoser().update(dead([1.0] * 4), mlp_layers(1), step=30)
    assert any(r.levelno == logging.ERROR and "dead_units" in r.getMessage() for r in caplog.records)


def test_bad_arguments_fail_at_construction():
    with pytest.raises(ConfigError):
        LiveDiagnoser(stop_on="fatal")
    with pytest.raises(ConfigError):
        LiveDiagnoser(rules={"no_such_rule": {}})
