"""The adversarial loop: it learns, it is repeatable, and both networks are watched."""

import numpy as np
import pytest

from gradlab.errors import ConfigError
from gradlab.train.experiment import run_trial

GAN = {
    "task": {"name": "ring", "n_samples": 512},
    "model": {"kind": "gan", "g_hidden": [16, 16], "d_hidden": [16, 16]},
    "train": {"optimizer": "adam(betas=[0.5, 0.999])", "lr": 0.005, "epochs": 4, "batch_size": 64},
    "watch": {"enabled": True, "every": 5},
}


def _cfg(**sections):
    return {k: {**GAN.get(k, {}), **sections.get(k, {})} for k in {*GAN, *sections}}


def test_a_single_gaussian_is_captured():
    cfg = _cfg(task={"modes": 1, "std": 0.2}, train={"epochs": 40})
    m = run_trial(cfg, seed=0, device="cpu").metrics
    assert m["n_modes"] == 1 and m["modes"] == 1 and m["hq_share"] > 0.5


def test_same_seed_same_run_and_history_rows_per_epoch():
    a, b = run_trial(GAN, seed=2, device="cpu"), run_trial(GAN, seed=2, device="cpu")
    assert a.history == b.history and a.metrics == b.metrics
    assert [r["epoch"] for r in a.history] == [1, 2, 3, 4]
    assert {"d_loss", "g_loss", "d_real", "d_fake", "modes", "hq_share", "lr"} <= set(a.history[0])
    assert a.metrics["steps"] == 4 * 6  # 64 % of 512 samples train, in 6 batches of at most 64


def test_both_networks_are_watched_under_their_own_prefix():
    r = run_trial(GAN, seed=0, device="cpu")
    paths = {layer["path"] for layer in r.layers}
    assert {"G.fc1", "G.act1", "D.fc1", "D.act1"} <= paths
    assert {row["layer"].split(".")[0] for row in r.vitals} == {"G", "D"}
    assert any(row["layer"] == "D.fc1" and row["stat"] == "grad_norm" for row in r.vitals)


def test_dead_generator_units_are_counted_and_the_fix_names_the_generator():
    # every ReLU of G gets a pre-activation near -8: G's units are dead, D's LeakyReLU cannot die
    cfg = _cfg(model={"g_act": "relu", "init": "normal(0, 0.01)", "bias_init": "constant(-8)"})
    r = run_trial(cfg, seed=0, device="cpu")
    assert r.metrics["g_dead_frac"] == 1.0 and r.metrics["d_dead_frac"] == 0.0
    dead = [f for f in r.findings if f["code"] == "dead_units"]
    assert dead and all(f["layer"].startswith("G.") for f in dead)
    keys = {k for f in dead for rec in f["recommendations"] for k in rec["set"]}
    assert "model.act" not in keys and "model.g_act" in keys


def test_d_wins_is_its_last_epoch_loss_below_the_threshold():
    from gradlab.train.gan_trial import D_WINS

    r = run_trial(GAN, seed=1, device="cpu")
    assert r.metrics["d_loss"] == r.history[-1]["d_loss"]
    assert r.metrics["d_wins"] == float(r.metrics["d_loss"] < D_WINS)


@pytest.mark.parametrize("train,needle", [({"schedule": "cosine"}, "train.schedule"),
                                           ({"clip_norm": 1.0}, "train.clip_norm")])
def test_options_the_loop_lacks_are_refused_by_name(train, needle):
    with pytest.raises(ConfigError, match=needle):
        run_trial(_cfg(train=train), seed=0, device="cpu")


def test_a_gan_on_labelled_data_is_refused():
    with pytest.raises(ConfigError, match="generative task"):
        run_trial(_cfg(task={"name": "moons", "n_samples": 200}) | {"task": {"name": "moons"}}, seed=0)


def test_the_loss_trend_rules_stay_quiet_on_adversarial_losses():
    # regression: every GAN of the first gan-slope run got loss_not_decreasing on D or G
    r = run_trial(_cfg(train={"epochs": 8}), seed=0, device="cpu")
    assert not [f for f in r.findings if f["code"] in ("loss_not_decreasing", "oscillating_loss")]


def test_a_trial_keeps_its_first_final_samples_and_training_points_for_the_report():
    from gradlab.data import create_task
    from gradlab.study.stored_points import GENERATED, REAL, stored_points
    from gradlab.train.activation_record import unpack_values

    r = run_trial(GAN, seed=0, device="cpu")
    points = stored_points([{**row, "values": unpack_values(row["values"])} for row in r.activations])
    task = create_task("ring", seed=0, n_samples=512)
    # 64 % of 512 = 327 training points, all kept (fewer than 512); float16 as stored
    np.testing.assert_array_equal(points[REAL], task.train[0].numpy().astype(np.float16).astype(np.float32))
    assert points[GENERATED].shape == (512, 2) and np.isfinite(points[GENERATED]).all()
    # a captured mode counts 1 in both scores; soft_modes adds partial credit for the others
    assert r.metrics["modes"] <= r.metrics["soft_modes"] <= r.metrics["n_modes"]
