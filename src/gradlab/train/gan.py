"""The adversarial loop: a generator and a discriminator, each with its own optimizer.

The losses are the non-saturating ones of Goodfellow et al. (2014): the discriminator minimises
``BCE(D(x), 1) + BCE(D(G(z)), 0)`` (``2 ln 2 ≈ 1.386`` at the equilibrium where D cannot tell,
→ 0 when D wins outright); the generator minimises ``BCE(D(G(z)), 1)``. Each step trains D on a
real batch and a fresh fake batch, then G on another fresh batch. Mini-batch order and latent
draws come from one generator seeded with ``seed``: the same seed gives the same run on CPU.

After every epoch the generator draws a fixed set of samples (the same latent vectors each epoch)
and :func:`gradlab.train.mode_coverage.mode_coverage` scores them against the data's modes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from gradlab.errors import ConfigError
from gradlab.train.callbacks import Callback
from gradlab.train.mode_coverage import Modes, mode_centers, mode_coverage
from gradlab.train.plan import make_plan
from gradlab.train.progress import make_progress
from gradlab.train.trainer import History, resolve_device, set_progress

EVAL_SAMPLES = 2000


class GANTrainer:
    """Trains a :class:`gradlab.models.GAN` on samples of a distribution with known modes.

    Args:
        gan: the model (``.generator``, ``.discriminator``, ``.sample_latent``).
        g_optimizer, d_optimizer: optimizers on the generator's and the discriminator's
            parameters.
        callbacks: :class:`Callback` instances; ``on_step_end`` gets the discriminator's loss,
            ``trainer.last_losses`` holds ``(d_loss, g_loss)`` of the step as tensors.
        device: None picks CUDA when available.
        progress: True/False, or None for a bar only on an interactive terminal.
        eval_samples: generated samples scored after each epoch.
    """

    metric_name = "modes"

    def __init__(self, gan: Any, g_optimizer: torch.optim.Optimizer, d_optimizer: torch.optim.Optimizer,
                 *, callbacks: Iterable[Callback] = (), device: str | torch.device | None = None,
                 progress: bool | None = None, eval_samples: int = EVAL_SAMPLES):
        self.device = resolve_device(device)
        self.gan = gan.to(self.device)
        self.g_optimizer, self.d_optimizer = g_optimizer, d_optimizer
        self.callbacks = list(callbacks)
        self.progress = progress
        self.eval_samples = eval_samples
        self.step = self.epoch = 0
        self.stop_training = False
        self.history = History()
        self.last_losses: tuple[Tensor, Tensor] | None = None
        self.modes: Modes | None = None

    @torch.no_grad()
    def evaluate(self, n: int | None = None, seed: int = 0) -> dict:
        """Mode coverage of ``n`` generated samples drawn from latent vectors seeded by ``seed``."""
        if self.modes is None:
            raise ConfigError("GANTrainer.evaluate needs the data's modes: call fit() first")
        g = self.gan.generator
        was_training = g.training
        g.eval()
        try:
            z = self.gan.sample_latent(n or self.eval_samples, torch.Generator().manual_seed(seed))
            samples = self.gan(z)
        finally:
            g.train(was_training)
        return {**mode_coverage(samples, self.modes), "samples": samples}

    def fit(self, train: tuple[Tensor, Tensor], *, epochs: int | None = None, steps: int | None = None,
            batch_size: int | None = None, seed: int = 0) -> History:
        """Train; ``train`` is ``(samples, mode labels)``. Returns the per-epoch :class:`History`.

        Rows hold ``d_loss``, ``g_loss`` (epoch means), ``d_real`` and ``d_fake`` (D's mean
        probability of "real" on real and fake batches), ``modes``, ``soft_modes``,
        ``mode_share`` and ``hq_share`` of the epoch-end samples, and the generator's learning rate ``lr``.
        """
        x, labels = train
        self.modes = mode_centers(x, labels)
        plan = make_plan(len(x), epochs, steps, batch_size)
        generator = torch.Generator().manual_seed(seed)
        x = x.reshape(len(x), -1).to(self.device)
        self.history, self.step, self.stop_training = History(), 0, False
        for cb in self.callbacks:
            cb.on_fit_start(self)
        with make_progress(self.progress, plan.epochs) as bar:
            for epoch in range(1, plan.epochs + 1):
                self.epoch = epoch
                set_progress(self.gan, (epoch - 1) / plan.epochs)
                row = {"epoch": epoch, **self._train_epoch(x, plan, generator)}
                scores = self.evaluate(seed=seed)
                row.update(modes=scores["modes"], soft_modes=scores["soft_modes"], mode_share=scores["mode_share"],
                           hq_share=scores["hq_share"],
                           lr=float(self.g_optimizer.param_groups[0]["lr"]))
                self.history.append(row)
                for cb in self.callbacks:
                    cb.on_epoch_end(self, epoch, row)
                bar.update(epoch, row)
                if self.stop_training or self.step >= plan.total_steps:
                    break
        self.history.steps = self.step
        self.history.best_epoch = len(self.history)  # a GAN keeps its last weights
        for cb in self.callbacks:
            cb.on_fit_end(self)
        return self.history

    def _train_epoch(self, x: Tensor, plan: Any, generator: torch.Generator) -> dict:
        gen, disc = self.gan.generator, self.gan.discriminator
        gen.train()
        disc.train()
        n, bs = len(x), plan.batch_size
        order = torch.randperm(n, generator=generator).to(self.device)
        sums = torch.zeros(4, device=self.device)  # d_loss, g_loss, d_real, d_fake (batch-weighted)
        seen = 0
        for start in range(0, n, bs):
            if self.step >= plan.total_steps or self.stop_training:
                break
            real = x[order[start:start + bs]]
            m = len(real)
            # discriminator step: real -> 1, fake -> 0 (the fake batch carries no generator grad)
            fake = self.gan(self.gan.sample_latent(m, generator)).reshape(m, -1).detach()
            d_real, d_fake = disc(real), disc(fake)
            d_loss = (F.binary_cross_entropy_with_logits(d_real, torch.ones_like(d_real))
                      + F.binary_cross_entropy_with_logits(d_fake, torch.zeros_like(d_fake)))
            self.d_optimizer.zero_grad(set_to_none=True)
            d_loss.backward()
            self.d_optimizer.step()
            # generator step (non-saturating): make D call fresh fakes real
            fake = self.gan(self.gan.sample_latent(m, generator)).reshape(m, -1)
            g_logit = disc(fake)
            g_loss = F.binary_cross_entropy_with_logits(g_logit, torch.ones_like(g_logit))
            self.g_optimizer.zero_grad(set_to_none=True)
            g_loss.backward()
            self.g_optimizer.step()
            self.step += 1
            d_loss, g_loss = d_loss.detach(), g_loss.detach()
            self.last_losses = (d_loss, g_loss)
            sums += torch.stack([d_loss, g_loss, torch.sigmoid(d_real.detach()).mean(),
                                 torch.sigmoid(d_fake.detach()).mean()]) * m
            seen += m
            for cb in self.callbacks:
                cb.on_step_end(self, self.step, d_loss)
        d, g, pr, pf = (sums / max(seen, 1)).tolist()
        return {"d_loss": d, "g_loss": g, "d_real": pr, "d_fake": pf}
