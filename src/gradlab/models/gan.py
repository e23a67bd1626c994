"""A small GAN for low-dimensional data (the ring of Gaussians): two MLPs in one container.

Generator and discriminator take their own activation, because they want different ones. Seed
000's advice: start the discriminator's LeakyReLU at slope 0.2 and lower it to 0.1–0.15 when the
discriminator wins too easily (D loss → 0); give the generator a slope that decays over training
(0.3 → 0.1, a scheduled LeakyReLU). Radford et al. (2016, DCGAN) use LeakyReLU(0.2) in D.
The generator's last layer is linear (data on the real line), the discriminator outputs a logit.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch
import torch.nn as nn

from gradlab.models._blocks import check_positive_int, check_shape, flat_size
from gradlab.models.mlp import MLP, mlp


class GAN(nn.Module):
    """Holds ``.generator`` (``z -> x``), ``.discriminator`` (``x -> logit``) and ``.latent_dim``.

    Calling the container runs the generator.
    """

    def __init__(self, generator: MLP, discriminator: MLP, latent_dim: int, data_shape: tuple):
        super().__init__()
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = latent_dim
        self.data_shape = tuple(data_shape)

    def forward(self, z: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self.generator(z).reshape(z.shape[0], *self.data_shape)

    def sample_latent(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` standard normal latent vectors on the model's device."""
        device = next(self.parameters()).device
        z = torch.randn(n, self.latent_dim, generator=generator)
        return z.to(device)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` generated samples of shape ``(n, *data_shape)`` (no gradient)."""
        return self(self.sample_latent(n, generator))


def gan(
    input_shape: Any = (2,),
    n_outputs: int = 1,
    *,
    latent_dim: int = 2,
    g_hidden: Sequence[int] = (64, 64),
    d_hidden: Sequence[int] = (64, 64),
    g_act: Any = "leaky_relu(0.2)",
    d_act: Any = "leaky_relu(0.2)",
    g_norm: str = "none",
    d_norm: str = "none",
    norm_position: str = "before",
    init: Any = "default",
    bias_init: Any = "default",
) -> GAN:
    """Build an MLP generator and discriminator for data of shape ``input_shape``.

    Args:
        input_shape: shape of one data sample (``(2,)`` for the ring of Gaussians).
        n_outputs: discriminator outputs (1 logit: real vs fake).
        latent_dim: size of the generator's Gaussian input.
        g_hidden: hidden widths of the generator.
        d_hidden: hidden widths of the discriminator.
        g_act: the generator's activation spec, e.g. ``"leaky_relu(0.2)"``.
        d_act: the discriminator's activation spec, e.g. ``"leaky_relu(0.1)"``.
        g_norm: ``"none"``, ``"batch"`` or ``"layer"`` in the generator.
        d_norm: ``"none"``, ``"batch"`` or ``"layer"`` in the discriminator.
        norm_position: the norm ``"before"`` or ``"after"`` the activation, in both.
        init: weight initializer spec for both (gain from each one's activation).
        bias_init: bias initializer spec for both.

    Raises:
        ConfigError: impossible sizes, naming the bad value.
    """
    shape = check_shape(input_shape)
    latent_dim = check_positive_int("latent_dim", latent_dim)
    data_dim = flat_size(shape)
    generator = mlp((latent_dim,), data_dim, hidden=list(g_hidden), act=g_act, norm=g_norm,
                    norm_position=norm_position, init=init, bias_init=bias_init)
    discriminator = mlp(shape, n_outputs, hidden=list(d_hidden), act=d_act, norm=d_norm,
                        norm_position=norm_position, init=init, bias_init=bias_init)
    return GAN(generator, discriminator, latent_dim, shape)
