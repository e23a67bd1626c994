"""Overhead of gradlab's framework callbacks: each Trainer with the callback vs without it.

    python benchmarks/bench_integrations.py [--blocks 15] [--steps 40] [--cpu]

Workload: a small GPT-2 (2 layers, width 64, 4 heads, sequences of 32 tokens, batch 8) from a
config, CPU, 2 threads, AdamW. For each framework, runs with and without the callback alternate
in one process (plain, watched, plain, watched, ...); each printed ratio is the median of the
per-pair ratios of wall time (default watch settings: every=10). Frameworks: the Hugging Face
Trainer, Lightning (the same model in a LightningModule), and an Accelerate loop (gradlab.watch
given the AcceleratedOptimizer). The load average is printed because the machine may be shared;
``--cpu`` times with the process's CPU time (one thread) instead of wall time, which a shared
machine disturbs less (it still counts the work of every thread, so it is the figure to compare on a loaded machine,
wall time the one to publish from an idle one).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
import warnings

import torch

# the clock of every block: wall time, or the process's CPU time with --cpu
clock = time.perf_counter


def gpt2():
    import transformers as T

    torch.manual_seed(0)
    cfg = T.GPT2Config(n_layer=2, n_embd=64, n_head=4, vocab_size=128, n_positions=32)
    return T.GPT2LMHeadModel(cfg)


class Tokens(torch.utils.data.Dataset):
    def __init__(self, n: int):
        g = torch.Generator().manual_seed(0)
        self.ids = (torch.randint(0, 64, (n, 1), generator=g) + torch.arange(32)) % 128

    def __len__(self):
        return len(self.ids)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "labels": self.ids[i]}


def hf(steps: int, watched: bool) -> float:
    import transformers as T

    from gradlab.integrations.hf import WatchCallback

    with tempfile.TemporaryDirectory() as out:
        args = T.TrainingArguments(output_dir=out, max_steps=steps, per_device_train_batch_size=8,
                                   learning_rate=1e-3, report_to="none", use_cpu=True, save_strategy="no",
                                   disable_tqdm=True, logging_steps=10**6, seed=0)
        cbs = [WatchCallback(print_findings=False)] if watched else []
        trainer = T.Trainer(model=gpt2(), args=args, train_dataset=Tokens(8 * steps), callbacks=cbs)
        t0 = clock()
        trainer.train()
        return clock() - t0


def lightning(steps: int, watched: bool) -> float:
    import lightning.pytorch as pl

    from gradlab.integrations.lightning import WatchCallback

    class Module(pl.LightningModule):
        def __init__(self):
            super().__init__()
            self.model = gpt2()

        def training_step(self, batch, _):
            return self.model(**batch).loss

        def configure_optimizers(self):
            return torch.optim.AdamW(self.parameters(), lr=1e-3)

    loader = torch.utils.data.DataLoader(Tokens(8 * steps), batch_size=8)
    cbs = [WatchCallback()] if watched else []
    trainer = pl.Trainer(max_steps=steps, callbacks=cbs, logger=False, accelerator="cpu", enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False)
    t0 = clock()
    trainer.fit(Module(), loader)
    return clock() - t0


def accelerate_loop(steps: int, watched: bool) -> float:
    import contextlib

    import accelerate

    import gradlab

    acc = accelerate.Accelerator(cpu=True)
    model = gpt2()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    loader = torch.utils.data.DataLoader(Tokens(8 * steps), batch_size=8)
    model, opt, loader = acc.prepare(model, opt, loader)
    ctx = gradlab.watch(model, optimizer=opt) if watched else contextlib.nullcontext()
    t0 = clock()
    with ctx as w:
        for batch in loader:
            loss = model(**batch).loss
            acc.backward(loss)
            opt.step()
            opt.zero_grad()
            if w is not None:
                w.log(loss=loss)
    return clock() - t0


def ratio(fn, blocks: int, steps: int) -> tuple[float, list[float]]:
    fn(5, False)  # warm-up: imports, allocator
    fn(5, True)
    ratios = []
    for i in range(blocks):
        # alternate which side runs first, so a drift of the machine's speed does not favour one
        if i % 2:
            watched = fn(steps, True)
            plain = fn(steps, False)
        else:
            plain = fn(steps, False)
            watched = fn(steps, True)
        ratios.append(watched / plain)
    return statistics.median(ratios), ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=15)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--cpu", action="store_true", help="time with process CPU time (shared machines)")
    args = parser.parse_args()
    global clock
    if args.cpu:
        clock = time.process_time
    # one thread under --cpu: idle OpenMP threads spin, and on a loaded machine that spinning
    # would be counted as CPU time of whichever block happened to wait
    torch.set_num_threads(1 if args.cpu else 2)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    warnings.simplefilter("ignore")
    for name in ("transformers", "lightning", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    for label, fn in (("hf Trainer + WatchCallback", hf), ("Lightning + WatchCallback", lightning),
                      ("Accelerate loop + gradlab.watch", accelerate_loop)):
        med, all_ratios = ratio(fn, args.blocks, args.steps)
        load = os.getloadavg()[0]
        q1, _, q3 = statistics.quantiles(all_ratios, n=4) if len(all_ratios) > 1 else (med, med, med)
        print(f"{label:34s} {med:.3f}x  (median of {len(all_ratios)} pairs, quartiles {q1:.3f}-{q3:.3f}; "
              f"load {load:.1f}; {'CPU' if args.cpu else 'wall'} time; target <= 1.10x)", flush=True)


if __name__ == "__main__":
    main()
