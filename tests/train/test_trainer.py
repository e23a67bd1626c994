"""The Trainer against plain PyTorch and against the behaviours a user relies on."""

import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from gradlab.data import create_task
from gradlab.train.callbacks import Callback
from gradlab.train.trainer import Trainer


@pytest.fixture(scope="module")
def moons():
    return create_task("moons", seed=0)


def sigmoid_net(seed=0, hidden=5):
    """Seed 002's baseline: 2 -> 5 -> 1, sigmoid, every weight and bias N(0, 1)."""
    torch.manual_seed(seed)
    net = nn.Sequential(nn.Linear(2, hidden), nn.Sigmoid(), nn.Linear(hidden, 1))
    for p in net.parameters():
        nn.init.normal_(p, 0.0, 1.0)
    return net


def trainer_for(net, lr=0.2, **kw):
    return Trainer(net, torch.optim.SGD(net.parameters(), lr=lr), "bce", metric="accuracy", device="cpu", **kw)


def dev_accuracy(net, data):
    with torch.no_grad():
        return ((net(data[0]) > 0).float() == data[1]).float().mean().item()


def test_reproduces_seed_002_baseline_and_matches_plain_pytorch(moons):
    net = sigmoid_net()
    reference = copy.deepcopy(net)
    history = trainer_for(net).fit(moons.train, moons.dev, epochs=2000, restore_best=False)

    # the same training written out by hand, as the seed does
    opt = torch.optim.SGD(reference.parameters(), lr=0.2)
    x, y = moons.train
    for _ in range(2000):
        loss = F.binary_cross_entropy_with_logits(reference(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    plain = dev_accuracy(reference, moons.dev)

    assert history[-1]["dev_accuracy"] >= 0.80
    assert plain >= 0.80
    assert abs(history[-1]["dev_accuracy"] - plain) <= 0.02
    assert history.best_score >= history[-1]["dev_accuracy"]
    assert len(history) == 2000 and history.steps == 2000


def test_one_seed_gives_identical_histories_with_shuffled_minibatches(moons):
    def run(fit_seed):
        torch.manual_seed(1)
        net = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, 1))
        return trainer_for(net, lr=0.1).fit(moons.train, moons.dev, epochs=5, batch_size=64, seed=fit_seed)

    first, second, other = run(3), run(3), run(4)
    assert list(first) == list(second)
    assert [r["train_loss"] for r in first] != [r["train_loss"] for r in other]


def test_steps_budget_ends_midway_through_an_epoch(moons):
    history = trainer_for(sigmoid_net()).fit(moons.train, moons.dev, steps=25, batch_size=64)
    assert history.steps == 25
    assert len(history) == 3  # 10 steps per epoch: 10 + 10 + 5


def test_early_stopping_stops_after_patience_epochs_without_improvement(moons):
    # lr 0: nothing changes, so the dev metric never improves after epoch 1
    history = trainer_for(sigmoid_net(), lr=0.0).fit(moons.train, moons.dev, epochs=50, early_stopping=3)
    assert history.stopped_early
    assert len(history) == 4
    # a min_delta larger than any possible change stops a learning run just as early
    history = trainer_for(sigmoid_net()).fit(
        moons.train, moons.dev, epochs=50, early_stopping={"patience": 2, "min_delta": 1.0}
    )
    assert history.stopped_early and len(history) == 3


class Snapshots(Callback):
    def __init__(self):
        self.states = {}

    def on_epoch_end(self, trainer, epoch, logs):
        self.states[epoch] = copy.deepcopy(trainer.model.state_dict())


@pytest.mark.parametrize("on_disk", [False, True], ids=["in-memory", "on-disk"])
def test_best_dev_weights_are_restored_for_the_test_evaluation(moons, tmp_path, on_disk):
    snaps = Snapshots()
    net = sigmoid_net(seed=2)
    trainer = trainer_for(net, lr=0.5, callbacks=[snaps])
    history = trainer.fit(moons.train, moons.dev, epochs=300, checkpoint_dir=tmp_path if on_disk else None)
    best = history.best_epoch
    assert best is not None and best < len(history)  # the last epoch is not the best one here
    assert history.best_score == max(r["dev_accuracy"] for r in history)
    for name, value in net.state_dict().items():
        assert torch.equal(value, snaps.states[best][name])
    manual = sigmoid_net()
    manual.load_state_dict(snaps.states[best])
    assert trainer.evaluate(moons.test)["accuracy"] == pytest.approx(dev_accuracy(manual, moons.test), abs=1e-7)
    if on_disk:
        assert sorted(p.name for p in tmp_path.iterdir()) == ["best.pt"]  # no temp file left behind


class RecordingSchedule:
    """A local stand-in with the Schedule protocol: records when it is stepped."""

    def __init__(self, interval):
        self.interval, self.calls = interval, []

    def step(self, metric=None):
        self.calls.append(metric)


@pytest.mark.parametrize("interval,expected", [("step", 30), ("epoch", 3), ("metric", 3)])
def test_schedule_steps_at_its_interval(moons, interval, expected):
    schedule = RecordingSchedule(interval)
    history = trainer_for(sigmoid_net(), schedule=schedule).fit(moons.train, moons.dev, epochs=3, batch_size=64)
    assert len(schedule.calls) == expected
    if interval == "metric":
        assert schedule.calls == [r["dev_accuracy"] for r in history]
    else:
        assert schedule.calls == [None] * expected


def test_lr_column_follows_the_optimizer(moons):
    net = sigmoid_net()
    opt = torch.optim.SGD(net.parameters(), lr=0.2)

    class Halve(RecordingSchedule):
        def step(self, metric=None):
            super().step(metric)
            for group in opt.param_groups:
                group["lr"] /= 2

    trainer = Trainer(net, opt, "bce", metric="accuracy", schedule=Halve("epoch"), device="cpu")
    history = trainer.fit(moons.train, moons.dev, epochs=3)
    assert history.series("lr") == [0.2, 0.1, 0.05]


def test_set_progress_is_called_with_the_share_of_epochs_done(moons):
    class Probe(nn.Module):
        def __init__(self):
            super().__init__()
            self.seen = []

        def set_progress(self, p):
            self.seen.append(p)

        def forward(self, x):
            return x

    probe = Probe()
    net = nn.Sequential(nn.Linear(2, 4), probe, nn.Linear(4, 1))
    trainer_for(net).fit(moons.train, moons.dev, epochs=4)
    assert probe.seen == [0.0, 0.25, 0.5, 0.75]


def test_callbacks_are_called_in_order_and_can_stop_training(moons):
    events = []

    class Stopper(Callback):
        def on_fit_start(self, trainer):
            events.append("start")

        def on_step_end(self, trainer, step, loss):
            events.append(("step", step, loss.dim() == 0 and not loss.requires_grad))

        def on_epoch_end(self, trainer, epoch, logs):
            events.append(("epoch", epoch))
            trainer.stop_training = epoch == 2

        def on_fit_end(self, trainer):
            events.append("end")

    history = trainer_for(sigmoid_net(), callbacks=[Stopper()]).fit(moons.train, moons.dev, epochs=10)
    assert len(history) == 2
    assert events == ["start", ("step", 1, True), ("epoch", 1), ("step", 2, True), ("epoch", 2), "end"]


def test_evaluate_keeps_the_training_mode_and_matches_a_manual_evaluation(moons):
    net = sigmoid_net()
    trainer = trainer_for(net)
    scores = trainer.evaluate(moons.test)
    assert net.training
    with torch.no_grad():
        manual_loss = F.binary_cross_entropy_with_logits(net(moons.test[0]), moons.test[1]).item()
    assert scores["loss"] == pytest.approx(manual_loss, rel=1e-6)
    assert scores["accuracy"] == pytest.approx(dev_accuracy(net, moons.test))


@pytest.mark.parametrize("metric,mode", [("accuracy", "max"), ("mse", "min")])
def test_plateau_schedule_follows_the_direction_of_the_monitored_metric(metric, mode):
    from gradlab.components.schedules import create_schedule

    net = sigmoid_net()
    opt = torch.optim.SGD(net.parameters(), lr=0.2)
    schedule = create_schedule("plateau", opt, total_steps=10, steps_per_epoch=1)
    Trainer(net, opt, "bce", metric=metric, schedule=schedule, device="cpu")
    assert schedule.mode == mode
