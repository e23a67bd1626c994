"""Two bugs of a hand-written training loop, checked once per optimizer step at no device cost.

**The forgotten ``zero_grad()``** (:class:`GradResetCheck`). PyTorch adds each backward pass's
gradient to ``param.grad``. A loop that never resets it (no ``optimizer.zero_grad()``) steps
along the sum of every gradient so far: the steps grow and keep pointing the way the first
batches did. Nothing in the vitals of one step shows that, so the
watch checks it structurally, on one parameter of the optimizer, without reading a value:

* right after each optimizer step it notes the gradient tensor and its version counter (PyTorch
  bumps the counter on every in-place write);
* before each backward pass adds into that parameter (a tensor hook), a reset is seen when the
  gradient is gone (``zero_grad()``'s default ``set_to_none=True``), is another tensor, or was
  written since the last note (``zero_grad(set_to_none=False)`` zeroes it in place);
* at the next step, if backward passes added into it and no reset was seen, the step used a
  stale gradient.

Clipping or unscaling between backward and step writes the gradient too, but after the last
note of a step and before the next step's note, so it does not count as a reset. A second
network's backward that flows into these parameters between steps (a GAN's generator loss
through the discriminator) is not a step: the check is made once per step, over everything
since the last one. Closure steps (L-BFGS) reset inside the closure and are not checked.

**The forgotten ``model.train()``** (:class:`ModeCheck`). A loop that calls ``model.eval()`` for
validation and never switches back trains in eval mode: Dropout is off and BatchNorm normalises
with running statistics it no longer updates. The watch records activation vitals only for
train-mode forwards (so that validation is not counted), so such a run would also go unwatched.
A step is counted as trained in eval mode when every forward with gradients since the last step
ran with the root module in eval mode.

Each check publishes a model-wide share per report window: ``grad_not_reset`` and
``trained_in_eval``. A watch (and the ensemble's :class:`~gradlab.watch.members.MemberWatch`)
holds both as one :class:`LoopChecks`, driven by the forward and the optimizer's step events.
"""

from __future__ import annotations

import weakref
from typing import Any, Iterable

import torch

Block = tuple[list[tuple[str, str]], list[float]]  # (layer, stat) keys and their values


class _Share:
    """Steps checked and steps caught in the current report window, published as one share."""

    stat = ""

    def __init__(self) -> None:
        self.caught = 0
        self.checked = 0

    def count(self, caught: bool) -> None:
        self.checked += 1
        self.caught += caught

    def take(self, reset: bool = True) -> Block:
        """The window's share of caught steps as the model-wide vital ``stat`` (nothing when no step
        was checked), and (``reset``) a fresh window."""
        if not self.checked:
            return [], []
        share = self.caught / self.checked
        if reset:
            self.caught = self.checked = 0
        return [("", self.stat)], [share]


class ModeCheck(_Share):
    """Counts the steps trained with the model in eval mode."""

    stat = "trained_in_eval"

    def __init__(self) -> None:
        super().__init__()
        self._train = self._eval = 0

    def forward(self, training: bool) -> None:
        """A forward with gradients enabled, in train mode or not (the root's ``training``)."""
        if training:
            self._train += 1
        else:
            self._eval += 1

    def before_step(self) -> None:
        """Judge the step about to run."""
        if self._train or self._eval:
            self.count(self._train == 0)
        self._train = self._eval = 0


class GradResetCheck(_Share):
    """Counts, per report window, the steps whose gradients were never reset since the last step.

    Args:
        params: the optimizer's parameters; the first that requires a gradient is checked.
    """

    stat = "grad_not_reset"

    def __init__(self, params: Iterable[torch.Tensor]):
        super().__init__()
        self.param = next((p for p in params if p.requires_grad), None)
        self._seen: tuple[Any, int] | None = None  # (weakref to the gradient, its version) last noted
        self._added = 0  # backward passes that added into the parameter since the last step
        self._reset = False
        self.handle = self.param.register_hook(self._before_add) if self.param is not None else None

    def remove(self) -> None:
        """Remove the tensor hook."""
        if self.handle is not None:
            self.handle.remove()
            self.handle = None

    def _note(self) -> None:
        g = self.param.grad if self.param is not None else None
        self._seen = (weakref.ref(g), g._version) if g is not None else None

    def _before_add(self, grad: torch.Tensor) -> None:
        assert self.param is not None  # the hook exists only on a parameter
        g = self.param.grad
        if self._seen is None or g is None or self._seen[0]() is not g or g._version != self._seen[1]:
            self._reset = True
        self._added += 1
        # the hook returns None: the incoming gradient is left as it is

    def before_step(self) -> None:
        """Judge the step about to run (call from the optimizer's step pre-hook)."""
        if self._added:
            self.count(not self._reset)

    def after_step(self) -> None:
        """Note the gradient the step used (call from the optimizer's step post-hook)."""
        self._note()
        self._added = 0
        self._reset = False


class LoopChecks:
    """Both checks of one training loop, in the order a step's events reach them.

    Args:
        params: the optimizer's parameters (see :class:`GradResetCheck`).
    """

    def __init__(self, params: Iterable[torch.Tensor]):
        self.reset = GradResetCheck(params)
        self.mode = ModeCheck()

    def forward(self, training: bool) -> None:
        """A forward with gradients enabled (the root module's ``training``)."""
        self.mode.forward(training)

    def before_step(self) -> None:
        """The optimizer is about to step (not for closure steps, which reset inside)."""
        self.reset.before_step()
        self.mode.before_step()

    def after_step(self) -> None:
        """The optimizer has stepped."""
        self.reset.after_step()

    def take(self, reset: bool = True) -> Block:
        """The window's vitals, ``([("", stat), ...], [share, ...])`` (empty when nothing was
        checked), and (``reset``) a fresh window."""
        (k1, v1), (k2, v2) = self.reset.take(reset), self.mode.take(reset)
        return k1 + k2, v1 + v2

    def remove(self) -> None:
        """Remove the tensor hook."""
        self.reset.remove()
