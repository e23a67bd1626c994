"""The Hugging Face Trainer callback: the Trainer's own optimizer, accumulation and clipping, the
loss from the model, findings printed and written, vitals where report_to sends logs."""

import json

import pytest
import torch

transformers = pytest.importorskip("transformers")
from gradlab.integrations.hf import FINDINGS_FILE, WatchCallback  # noqa: E402


class Tokens(torch.utils.data.Dataset):
    def __init__(self, n=64, length=16, vocab=64):
        g = torch.Generator().manual_seed(0)
        self.ids = torch.randint(0, vocab, (n, length), generator=g)

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


def _gpt2():
    torch.manual_seed(0)
    cfg = transformers.GPT2Config(n_layer=2, n_embd=32, n_head=2, vocab_size=64, n_positions=16)
    return transformers.GPT2LMHeadModel(cfg)


def _train(tmp_path, cb, steps=8, accumulate=2, report_to="none", lr=1e-3):
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path / "out"), max_steps=steps,
        per_device_train_batch_size=4, gradient_accumulation_steps=accumulate, learning_rate=lr,
        max_grad_norm=1.0, logging_steps=4, report_to=report_to, use_cpu=True, save_strategy="no",
        disable_tqdm=True, seed=0, dataloader_num_workers=0,
    )
    trainer = transformers.Trainer(model=_gpt2(), args=args, train_dataset=Tokens(), callbacks=[cb])
    trainer.train()
    return trainer


def test_steps_loss_sites_and_findings_file(tmp_path, capsys):
    cb = WatchCallback(every=4)
    trainer = _train(tmp_path, cb)
    w = cb.watch
    assert w.step_index == 8  # optimizer steps, not the 16 micro-batches
    sites = {l.path: l.act for l in w.layers if l.kind == "activation"}
    assert sites == {"transformer.h.0.mlp.act": "gelu", "transformer.h.1.mlp.act": "gelu"}
    steps, losses = w.vitals.series("", "loss")
    assert steps == list(range(8))
    logged = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    # the Trainer logs the mean loss over its logging window of 4 steps
    assert logged == pytest.approx([sum(losses[:4]) / 4, sum(losses[4:]) / 4], rel=1e-3)
    saved = json.loads((tmp_path / "out" / FINDINGS_FILE).read_text())
    assert saved == [f.to_dict() for f in cb.findings()]
    assert "gradlab:" in capsys.readouterr().out
    assert not w._attached


def test_gradient_norms_are_of_the_clipped_gradient_the_optimizer_applies(tmp_path):
    cb = WatchCallback(every=1)
    _train(tmp_path, cb, steps=3, lr=1e-2)
    # lm_head's weight is wte's (tied): count it once
    layer_norms = [cb.watch.vitals.series(l.path, "grad_norm")[1] for l in cb.watch.layers
                   if l.kind == "param" and l.path != "lm_head"]
    total = [sum(v[i] ** 2 for v in layer_norms if len(v) > i) ** 0.5 for i in range(3)]
    assert max(total) <= 1.0 + 1e-4  # max_grad_norm=1.0
    assert max(total) > 0.5  # clipped, not vanished


def test_vitals_follow_report_to_tensorboard(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    _train(tmp_path, WatchCallback(every=2), steps=4, report_to=["tensorboard"])
    tags = set()
    for f in (tmp_path / "out").rglob("events.out.tfevents.*"):
        acc = EventAccumulator(str(f))
        acc.Reload()
        tags |= set(acc.Tags()["scalars"])
    assert "transformer.h.0.mlp.act/pre_mean" in tags and "model/loss" in tags


def test_run_context_reads_the_trainer(tmp_path):
    cb = WatchCallback(every=4)
    _train(tmp_path, cb, steps=4)
    ctx = cb.context()
    assert ctx["train.optimizer"] == "adamw" and ctx["train.lr"] == pytest.approx(1e-3)
    assert ctx["train.clip_norm"] == 1.0 and ctx["model.attention"] and ctx["model.pre_norm"] is True


def test_the_end_print_groups_layers_and_the_file_keeps_each(tmp_path, capsys):
    from gradlab.diagnose.finding import Finding

    fix = {"set": {"train.schedule": "warmup(steps=1000)"}, "why": "ramp the rate up"}
    findings = [Finding("vanishing_gradient", "warning", f"transformer.h.{i}.mlp.c_fc", 10,
                        {"ratio": 10.0 ** -(5 + i), "stalled": False}, f"small gradient at h.{i}", [fix])
                for i in range(12)]
    findings.append(Finding("loss_not_decreasing", "warning", None, 0, {}, "the loss is flat", [fix]))
    cb = WatchCallback()
    cb._output_dir = str(tmp_path)
    cb._write(findings)
    out = capsys.readouterr().out
    assert out.startswith("gradlab: 13 finding(s), 2 grouped by code and fix")
    assert "vanishing_gradient at 12 layers: transformer.h.{0-11}.mlp.c_fc" in out
    assert "small gradient at h.11" in out and "small gradient at h.3" not in out  # the worst speaks
    assert out.count("WARNING") == 2
    saved = json.loads((tmp_path / FINDINGS_FILE).read_text())
    assert saved == [f.to_dict() for f in findings]  # every layer in the file
