"""The issue's 12-layer post-LayerNorm Transformer, trained with Adam at a high learning rate and
no warm-up, stays at the loss of a uniform prediction (Xiong et al. 2020, "On Layer Normalization
in the Transformer Architecture"; Liu et al. 2020). gradlab's advice for it, live and after the
run, is warm-up, a lower learning rate, pre-LayerNorm and clipping — never BatchNorm, He init or
"use adam" (it already uses Adam)."""

import io
import logging
import math

import pytest
import torch
from rich.console import Console
from torch import nn

import gradlab
from gradlab.cli.common import print_findings
from gradlab.monitor.live import LiveDiagnoser

V, T, B, D = 16, 16, 32, 64  # vocabulary, sequence length, batch, width


class TinyLM(nn.Module):
    """A causal Transformer language model: embedding, 12 encoder layers, a linear head."""

    def __init__(self, norm_first: bool, layers: int = 12):
        super().__init__()
        self.emb = nn.Embedding(V, D)
        self.pos = nn.Parameter(torch.randn(T, D) * 0.02)
        layer = nn.TransformerEncoderLayer(D, 4, 2 * D, dropout=0.0, norm_first=norm_first, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Linear(D, V)
        self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(T))

    def forward(self, ids):
        return self.head(self.enc(self.emb(ids) + self.pos, mask=self.mask, is_causal=True))


def _sequences(n: int):
    """Arithmetic sequences mod V with a random start and stride 1-3: the next token is
    predictable from the two before it."""
    g = torch.Generator().manual_seed(0)
    start = torch.randint(0, V, (n, 1), generator=g)
    stride = torch.randint(1, 4, (n, 1), generator=g)
    seq = (start + stride * torch.arange(T + 1)) % V
    return seq[:, :-1], seq[:, 1:]


def _train(norm_first: bool, steps: int = 60, **watch_kwargs):
    torch.manual_seed(0)
    model = TinyLM(norm_first)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)  # no warm-up
    x, y = _sequences(8 * B)
    losses = []
    w = gradlab.watch(model, optimizer=opt, **watch_kwargs) if watch_kwargs else None
    with w if w is not None else torch.enable_grad():
        for i in range(steps):
            sl = slice((i % 8) * B, (i % 8 + 1) * B)
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x[sl]).reshape(-1, V), y[sl].reshape(-1))
            loss.backward()
            opt.step()
            if w is not None:
                w.log(loss=loss)
            losses.append(float(loss.detach()))
    return w, losses


def _ops_and_sets(findings):
    recs = [r for f in findings for r in f.recommendations]
    return [a["op"] for r in recs for a in r["actions"]], [r["set"] for r in recs]


@pytest.fixture(scope="module")
def post_ln():
    """The stalled post-LayerNorm run, trained once for the tests of this file."""
    live = []
    w, losses = _train(norm_first=False, every=10, on_finding=live.append)
    return w, losses, live


def test_post_ln_at_a_high_rate_without_warmup_stalls_and_is_told_warmup_lower_lr_pre_ln_clipping(post_ln):
    w, losses, live = post_ln
    # the reproduction: stuck at the uniform prediction's loss ln V
    assert abs(sum(losses[-10:]) / 10 - math.log(V)) < 0.05
    for findings in (w.findings(), live):
        assert findings
        ops, sets = _ops_and_sets(findings)
        assert {"warmup", "set_lr", "pre_layer_norm", "clip_grad_norm"} <= set(ops)
        assert all(s.get("train.lr", 0) < 1e-2 for s in sets)  # a lower rate, never a higher one
        assert not [s for s in sets if s.get("model.norm") == "batch" or str(s.get("model.init", "")).startswith("he")
                    or s.get("train.optimizer") == "adam"]


def test_the_same_net_with_pre_layer_norm_learns():
    # the control: only the LayerNorm's place differs, and the loss falls far below ln V
    _, losses = _train(norm_first=True)
    assert sum(losses[-10:]) / 10 < 0.5 * math.log(V)


def test_the_stall_reads_as_a_handful_of_lines_not_one_per_layer(post_ln, caplog):
    w, _, _ = post_ln
    findings = w.findings()
    assert len(findings) >= 40 and {f.code for f in findings} == {"vanishing_gradient"}  # one per layer
    shown = io.StringIO()
    print_findings([f.to_dict() for f in findings], Console(file=shown, width=200))
    lines = shown.getvalue().splitlines()
    assert len(lines) <= 6, lines
    assert "enc.layers.{0-" in shown.getvalue() and f"{len(findings)} layers" in shown.getvalue()
    every = io.StringIO()
    print_findings([f.to_dict() for f in findings], Console(file=every, width=200), group=False)
    assert every.getvalue().count("vanishing_gradient") == len(findings)  # --no-group: each layer
    # announced live without a callback: one record, not one per layer
    with caplog.at_level(logging.WARNING, logger="gradlab"):
        LiveDiagnoser().update(w.vitals, w.layers, step=w.step_index)
    assert len([r for r in caplog.records if r.name == "gradlab"]) == 1
