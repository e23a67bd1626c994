"""The forgotten ``model.train()``: a loop that trains in eval mode after a validation pass."""

import pytest
import torch
from torch import nn

import gradlab
from gradlab.data import create_task

(X, Y), (XD, YD) = create_task("moons", seed=0).train, create_task("moons", seed=0).dev


def _net(kind):
    layers = [nn.Linear(2, 32), nn.ReLU()]
    if kind == "dropout":
        layers.append(nn.Dropout(0.5))
    if kind == "batchnorm":
        layers += [nn.Linear(32, 32), nn.BatchNorm1d(32), nn.ReLU()]
    return nn.Sequential(*layers, nn.Linear(32, 1))


def _loss(model):
    return nn.functional.binary_cross_entropy_with_logits(model(X), Y)


def _run(kind, forget_train, every=5, steps=40, validate_every=10):
    torch.manual_seed(0)
    model = _net(kind)
    opt = torch.optim.Adam(model.parameters(), 0.01)
    model.train()
    with gradlab.watch(model, optimizer=opt, every=every) as w:
        for step in range(steps):
            opt.zero_grad()
            loss = _loss(model)
            loss.backward()
            opt.step()
            w.log(loss=loss)
            if step % validate_every == validate_every - 1:
                model.eval()
                with torch.no_grad():
                    _loss(model)  # validation: not a training forward
                if not forget_train:
                    model.train()
    return w


@pytest.mark.parametrize(("kind", "severity", "words"), [
    ("batchnorm", "warning", "BatchNorm1d normalised with running statistics it no longer updates"),
    ("dropout", "warning", "Dropout was off"),
    ("plain", "info", "Nothing in this model depends on the mode"),
])
def test_training_on_in_eval_mode_after_validation_is_found(kind, severity, words):
    w = _run(kind, forget_train=True)
    steps, shares = w.vitals.series("", "trained_in_eval")
    # brute force: steps 0-9 run in train mode, every later step in eval mode (validation after 9)
    bounds = [-1] + steps
    want = [sum(1 for s in range(a + 1, b + 1) if s >= 10) / (b - a) for a, b in zip(bounds, bounds[1:])]
    assert shares == pytest.approx(want)
    found = [f for f in w.findings() if f.code == "trained_in_eval_mode"]
    assert len(found) == 1 and found[0].severity == severity and words in found[0].message
    assert found[0].step == 10
    assert "model.train()" in found[0].recommendations[0]["code"]


@pytest.mark.parametrize("kind", ["batchnorm", "dropout", "plain"])
def test_a_loop_that_switches_back_to_train_mode_stays_silent(kind):
    w = _run(kind, forget_train=False)
    _, shares = w.vitals.series("", "trained_in_eval")
    assert shares and set(shares) == {0.0}
    assert "trained_in_eval_mode" not in {f.code for f in w.findings()}


def test_validation_with_gradients_in_eval_mode_between_training_steps_is_not_a_step_in_eval_mode():
    torch.manual_seed(0)
    model = _net("dropout")
    opt = torch.optim.Adam(model.parameters(), 0.01)
    with gradlab.watch(model, optimizer=opt, every=1) as w:
        for _ in range(10):
            model.train()
            opt.zero_grad()
            _loss(model).backward()
            model.eval()
            _loss(model)  # a careless validation without no_grad, after the backward
            opt.step()
    assert set(w.vitals.series("", "trained_in_eval")[1]) == {0.0}


def _build(seed):
    torch.manual_seed(seed)
    m = _net("batchnorm")
    return m, torch.optim.SGD(m.parameters(), lr=0.5)


def _train_in_eval_mode(model, opt):
    model.eval()  # the bug: left over from a validation, never switched back
    for _ in range(100):
        opt.zero_grad()
        loss = _loss(model)
        loss.backward()
        opt.step()
        gradlab.log(loss=loss)
    model.eval()
    with torch.no_grad():
        return ((model(XD) > 0).float() == YD).float().mean()


@pytest.mark.slow
def test_repair_trains_in_train_mode_and_says_the_loop_needs_model_train():
    r = gradlab.repair(_build, _train_in_eval_mode, seeds=2, progress=False)
    assert r.before.findings and any(f.code == "trained_in_eval_mode" for fs in r.before.findings.values() for f in fs)
    assert r.fixed, str(r)
    assert r.changes.get("train.train_mode") is True
    assert "model.train()" in r.code and "runs the model in eval mode" in r.message


def test_the_context_names_the_layers_by_what_eval_mode_does_to_them():
    from gradlab.diagnose.context import run_context

    model = nn.Sequential(nn.Linear(2, 8), nn.InstanceNorm1d(8, track_running_stats=True), nn.BatchNorm1d(8),
                          nn.InstanceNorm1d(8), nn.Dropout(0.1), nn.AlphaDropout(0.1), nn.Linear(8, 1))
    ctx = run_context(model=model)
    # an InstanceNorm without running statistics computes the same in both modes
    assert ctx["model.mode_layers"] == {"norm": ["BatchNorm1d", "InstanceNorm1d"], "dropout": ["AlphaDropout", "Dropout"]}
