"""Diagnoses that know the run: context read from live objects, advice fitted to it, plain-PyTorch
code and actions on every recommendation, and three new findings with healthy controls."""

import math

import pytest
import torch
from torch import nn

import gradlab
from gradlab.diagnose import diagnose
from gradlab.diagnose.advice import fit_recommendations
from gradlab.diagnose.context import run_context
from tests.diagnose.diag_fakes import FakeVitals, L


# -- context ---------------------------------------------------------------------------------
def test_context_reads_optimizer_schedule_and_structure():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.LazyLinear(5))
    model(torch.randn(2, 3, 8, 8))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1)
    warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, total_iters=10)
    ctx = run_context(opt, model, [warm])
    assert ctx["train.optimizer"] == "adamw" and ctx["train.lr"] == 3e-4
    assert ctx["train.betas"] == [0.9, 0.95] and ctx["train.weight_decay"] == 0.1
    assert ctx["train.warmup"] is True and ctx["model.norm"] == "batch" and ctx["model.attention"] is False
    assert ctx["model.n_outputs"] == 5
    sgd = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    assert run_context(sgd)["train.optimizer"] == "momentum"
    assert run_context(sgd, schedulers=[torch.optim.lr_scheduler.StepLR(sgd, 5)])["train.warmup"] is False


@pytest.mark.parametrize(("name", "pre_norm"), [("gpt2", True), ("bert", False)])
def test_context_tells_pre_from_post_layer_norm(name, pre_norm):
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    if name == "gpt2":
        model = transformers.GPT2LMHeadModel(transformers.GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=50))
    else:
        model = transformers.BertForSequenceClassification(transformers.BertConfig(
            num_hidden_layers=2, hidden_size=32, num_attention_heads=2, intermediate_size=64, vocab_size=50))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    ids = torch.randint(0, 50, (2, 8))
    with gradlab.watch(model, optimizer=opt) as w:
        model(input_ids=ids).logits.sum().backward()
        opt.step()
    ctx = w.run_context()
    assert ctx["model.attention"] and ctx["model.norm"] == "layer" and ctx["model.pre_norm"] is pre_norm


# -- advice fitted to the run --------------------------------------------------------------------
def _flat_loss_findings(context):
    vitals = FakeVitals({("", "loss"): [1.0986] * 30})
    return diagnose(vitals, [L("fc", "param")], context=context)


def test_adamw_at_1e7_is_told_to_raise_the_rate_not_to_use_adam():
    (f,) = [f for f in _flat_loss_findings({"train.optimizer": "adamw", "train.lr": 1e-7}) if f.code == "loss_not_decreasing"]
    sets = [r["set"] for r in f.recommendations]
    assert {"train.optimizer": "adam"} not in sets
    first = f.recommendations[0]
    assert first["set"] == {"train.lr": 1e-4} and "1e-07 -> 0.0001" in first["why"]
    assert first["actions"] == [{"op": "set_lr", "value": 1e-4}] and "g['lr'] = 0.0001" in first["code"]


def test_transformer_gets_warmup_lower_lr_pre_ln_and_clipping_not_batchnorm_or_he():
    recs = [{"set": {"model.init": "he_normal", "model.bias_init": "zeros"}, "why": "He"},
            {"set": {"model.norm": "batch"}, "why": "BN"}, {"set": {"train.optimizer": "adam"}, "why": "adam"}]
    ctx = {"train.optimizer": "adam", "train.lr": 1e-3, "train.warmup": False, "model.attention": True,
           "model.pre_norm": False}
    fitted = fit_recommendations("vanishing_gradient", recs, ctx)
    ops = [a["op"] for r in fitted for a in r["actions"]]
    assert ops == ["warmup", "set_lr", "pre_layer_norm", "clip_grad_norm"]
    assert fitted[1]["set"] == {"train.lr": 1e-4}
    assert "clip_grad_norm_(model.parameters(), 1.0)" in fitted[3]["code"]
    # what the run already does is not recommended again
    done = fit_recommendations("vanishing_gradient", recs, {**ctx, "train.warmup": True, "train.clip_norm": 1.0,
                                                            "model.pre_norm": True})
    assert [a["op"] for r in done for a in r["actions"]] == ["set_lr"]


def test_every_recommendation_carries_code_and_actions():
    model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))
    with torch.no_grad():
        model[2].bias.fill_(-50.0)
    findings = gradlab.checkup(model, torch.randn(32, 4), torch.randn(32, 1), loss_fn=nn.functional.mse_loss)
    recs = [r for f in findings for r in f.recommendations]
    assert recs and all(r["code"] and r["actions"] for r in recs)
    init = next(r for r in recs if r["set"].get("model.init") == "he_normal" and "model.act" not in r["set"])
    assert 'nn.init.kaiming_normal_(m.weight, nonlinearity="relu")' in init["code"]
    # with a new activation, the gain is the new activation's (what apply_init gives it)
    leaky = next(r for r in recs if r["set"].get("model.act") == "leaky_relu(0.1)" and "model.init" in r["set"])
    assert 'nn.init.kaiming_normal_(m.weight, a=0.1, nonlinearity="leaky_relu")' in leaky["code"]


# -- self-normalization ------------------------------------------------------------------------------
def _selu(init, dropout=None, depth=16, width=64):
    torch.manual_seed(0)
    layers, d = [], 20
    for _ in range(depth):
        lin = nn.Linear(d, width)
        nn.init.kaiming_normal_(lin.weight, nonlinearity="relu" if init == "he" else "linear")
        nn.init.zeros_(lin.bias)
        layers += [lin, nn.SELU()] + ([dropout(0.1)] if dropout else [])
        d = width
    return nn.Sequential(*layers, nn.Linear(width, 1))


@pytest.mark.parametrize(("init", "dropout", "broken"), [
    ("lecun", None, False), ("lecun", nn.AlphaDropout, False), ("he", None, True), ("lecun", nn.Dropout, True)],
    ids=["lecun", "lecun+alpha_dropout", "he", "lecun+dropout"])
def test_self_normalization_broken_by_he_init_or_plain_dropout(init, dropout, broken):
    model = _selu(init, dropout)
    x = torch.randn(512, 20)
    outs = []
    last_selu = [m for m in model if isinstance(m, nn.SELU)][-1]
    last_selu.register_forward_hook(lambda m, a, o: outs.append(o.detach().double()))
    torch.manual_seed(1)
    found = [f for f in gradlab.checkup(model, x) if f.code == "self_normalization"]
    assert bool(found) is broken
    if broken:
        assert found[0].evidence["deep_var"] == pytest.approx(float(outs[0].var(unbiased=False)), rel=1e-4)


# -- pinned bounded activations ------------------------------------------------------------------
def _sigmoid_net(top_bias=None, seed=0):
    torch.manual_seed(seed)
    layers = []
    for _ in range(4):
        lin = nn.Linear(16, 16)
        nn.init.xavier_normal_(lin.weight)
        nn.init.zeros_(lin.bias)
        layers += [lin, nn.Sigmoid()]
    model = nn.Sequential(*layers, nn.Linear(16, 1))
    if top_bias is not None:
        with torch.no_grad():
            model[6].bias.fill_(top_bias)
    return model


def test_top_sigmoid_layer_pinned_at_zero_is_found_where_saturation_is_not():
    model = _sigmoid_net(top_bias=-4.0)
    outs = []
    model[7].register_forward_hook(lambda m, a, o: outs.append(o.detach().double()))
    findings = gradlab.checkup(model, torch.randn(256, 16), torch.randn(256, 1), loss_fn=nn.functional.mse_loss)
    pinned = [f for f in findings if f.code == "pinned_activation"]
    assert [f.layer for f in pinned] == ["7"]
    assert pinned[0].evidence["bound"] == 0.0
    assert pinned[0].evidence["out_mean"] == pytest.approx(float(outs[0].mean()), rel=1e-5)
    assert not [f for f in findings if f.code == "saturated_units"]  # σ' = 0.018 > 1 % of 0.25


def test_healthy_sigmoid_net_is_not_pinned_during_training():
    model = _sigmoid_net()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(128, 16), torch.randn(128, 1)
    with gradlab.watch(model, optimizer=opt, every=5) as w:
        for _ in range(40):
            opt.zero_grad()
            loss = nn.functional.mse_loss(model(x), y)
            loss.backward()
            opt.step()
            w.log(loss=loss)
    assert not [f for f in w.findings() if f.code == "pinned_activation"]


# -- stall at the loss of a constant prediction -------------------------------------------------------------
def _curve(values):
    return FakeVitals({("", "loss"): values}), [L("head", "param")]


def test_stall_at_ln_k_is_found_and_a_learning_run_is_not():
    k = 4
    level = math.log(k)
    stalled = [2.5 - 0.1 * i for i in range(10)] + [level + 0.005 * math.sin(i) for i in range(30)]
    vitals, layers = _curve(stalled)
    found = [f for f in diagnose(vitals, layers, context={"model.n_outputs": k}) if f.code == "constant_prediction"]
    assert len(found) == 1 and found[0].evidence["constant_loss"] == pytest.approx(level)
    learning = [2.5 - 0.1 * i for i in range(10)] + [level - 0.02 * i for i in range(30)]
    vitals, layers = _curve(learning)
    assert not [f for f in diagnose(vitals, layers, context={"model.n_outputs": k}) if f.code == "constant_prediction"]
    # without the number of outputs there is no verdict
    vitals, layers = _curve(stalled)
    assert not [f for f in diagnose(vitals, layers) if f.code == "constant_prediction"]


def test_attention_query_key_gradients_are_not_a_vanishing_gradient():
    """Regression: q and k of a freshly initialised BERT get tiny gradients (q·k is bilinear in
    two small matrices) while v beside them gets a healthy one: not a depth effect."""
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    model = transformers.BertForMaskedLM(transformers.BertConfig(
        num_hidden_layers=2, hidden_size=32, num_attention_heads=2, intermediate_size=64, vocab_size=64,
        max_position_embeddings=32))
    ids = (torch.randint(0, 16, (8, 1)) + torch.arange(16)) % 16
    findings = gradlab.checkup(model, {"input_ids": ids, "labels": ids})
    assert not [f for f in findings if f.code == "vanishing_gradient"]
    q = "bert.encoder.layer.0.attention.self.query"
    assert q.endswith("query")  # the layers the old rule flagged


def test_trained_lecun_selu_net_is_not_called_broken():
    """init-compare's healthy case: 10 SELU layers, LeCun-normal, zero biases, trained to ~0.98.

    Training moves every layer's moments about equally (the first quarter as far as the deepest),
    which is not the broken fixed point; the rule used to flag it and recommend the LeCun init the
    run already had.
    """
    from gradlab.train.experiment import run_trial

    config = {"task": {"name": "spirals", "k": 3, "turns": 1.0, "noise": 0.05},
              "model": {"kind": "mlp", "depth": 10, "width": 32, "act": "selu",
                        "init": "lecun_normal(gain=1)", "bias_init": "zeros"},
              "train": {"optimizer": "momentum", "lr": 0.01, "epochs": 20, "batch_size": 64},
              "watch": {"enabled": True, "every": 10}}
    result = run_trial(config, 0)
    assert result.metrics["dev_accuracy"] > 0.9
    assert not [f for f in result.findings if f["code"] == "self_normalization"]


def test_self_normalization_advice_skips_what_the_run_has():
    from gradlab.diagnose import fixes

    evidence = {"deep_mean": 0.5, "deep_var": 4.0}
    has_both = {"model.init": "lecun_normal(gain=1)", "model.bias_init": "zeros", "model.dropout": None}
    assert fixes.self_normalization(evidence, has_both) == []
    he_dropout = {"model.init": "he_normal", "model.bias_init": "zeros", "model.dropout": "dropout(0.1)"}
    sets = [r["set"] for r in fixes.self_normalization(evidence, he_dropout)]
    assert {"model.init": "lecun_normal", "model.bias_init": "zeros"} in sets
    assert {"model.dropout": "alpha_dropout(0.05)"} in sets
    assert len(fixes.self_normalization(evidence, None)) == 2  # nothing known: both


def test_selu_drift_that_appears_only_with_training_is_not_broken_self_normalization():
    """activation-compare's SELU (LeCun, Adam 40 epochs) trains as well as ReLU; its deep moments
    move during training, but at initialisation the fixed point holds."""
    from gradlab.train.experiment import run_trial

    config = {"task": {"name": "spirals", "k": 3, "turns": 1.5, "noise": 0.1},
              "model": {"kind": "mlp", "depth": 8, "width": 32, "act": "selu",
                        "init": "lecun_normal", "bias_init": "zeros"},
              "train": {"optimizer": "adam", "lr": 0.003, "epochs": 40, "batch_size": 64},
              "watch": {"enabled": True, "every": 10}}
    result = run_trial(config, 4)  # seed 4 was flagged before
    assert not [f for f in result.findings if f["code"] == "self_normalization"]


def test_fitted_advice_writes_the_runs_own_values_into_the_code():
    from gradlab.diagnose.advice import fit_recommendations

    recs = [{"set": {"train.optimizer": "adam"}, "why": "plain SGD stalls here"}]
    fitted = fit_recommendations("loss_not_decreasing", recs, {"train.optimizer": "sgd", "train.lr": 0.01})
    assert fitted and "torch.optim.Adam(model.parameters(), lr=0.01)" in fitted[0]["code"]
