"""The hook machinery behind :class:`gradlab.watch.watch.Watch`: attach, the step clock, detach.

Hot path (every training step): one forward hook per activation module that folds the batch
into a running maximum (one op), the root module's pre/post hooks and the two optimizer hooks.
Sampled steps add the moment sums, gradient/weight norms and output-gradient tensor hooks
(:mod:`gradlab.watch.forward`); a report reads them to the host in one transfer
(:mod:`gradlab.watch.readout`).
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import nn

from gradlab.errors import ConfigError, StatisticError
from gradlab.watch.finiteness import StepFlags, first_float
from gradlab.watch.forward import ForwardHooks
from gradlab.watch.functional import ActivationMode
from gradlab.watch.hooks import HookSet
from gradlab.watch.layers import LayerInfo, generic_candidate, has_own_params, module_activation_info, param_layer_name
from gradlab.watch.loop_checks import LoopChecks
from gradlab.watch.optimizers import closure_of, with_closure
from gradlab.watch.params import ParamLayers
from gradlab.watch.readout import Reporting


def unwrap(model: nn.Module) -> tuple[nn.Module, bool]:
    """The module to hook (DDP's inner module) and whether it is ``torch.compile``d."""
    if isinstance(model, nn.parallel.DistributedDataParallel):
        model = model.module
    compiled = hasattr(model, "_orig_mod") and type(model).__name__ == "OptimizedModule"
    inner: nn.Module = model._orig_mod if compiled else model  # type: ignore[assignment]
    return inner, compiled


# Sampled steps between two looks for activations called as functions (once none was seen).
DISCOVERY = 8


class WatchEngine(ForwardHooks, Reporting):
    """Hooks, step clock and report assembly; :class:`Watch` adds the public face."""

    def __init__(self, model, optimizer, *, every, strict, functional, histogram_bins, update_budget):
        self.model = model
        self.root, self.compiled = unwrap(model)
        self.optimizer = optimizer
        self.every = every
        self.strict = strict
        self.functional = functional and not self.compiled
        self.bins = histogram_bins
        self.step_index = 0
        self._update_budget = update_budget
        self._hooks = HookSet()
        self._stack_hooks = HookSet()
        self._layers = {}
        self._sites = {}
        self._act_modules = {}
        self._losses = []
        self._pending = []
        self._fwd_acc = {}
        self._failed = set()
        self._calls = {}
        self._fcount: dict[tuple[str, str], int] = {}
        self._stack: list[str | None] = []
        self._pending_inplace = {}
        self._active = self._sampled = self._busy = False
        self._mode_on = self._fn_seen = self._attached = False
        self._order = 0
        self._last_cf = False
        self._last_report = -1
        self._grad_armed = set()
        self._fwd_seen = set()
        self._proofs = {}
        self._checks = []
        self._param_hooks = HookSet()
        self._param_fns: list[tuple[nn.Module, Any]] = []
        self._mode = ActivationMode(self._on_functional, self) if self.functional else None
        self._flags = StepFlags()
        self._loop: LoopChecks | None = None  # the checks of the user's loop (with an optimizer)

    # -- attach / detach --------------------------------------------------------------------
    def attach(self) -> None:
        if self._attached:
            return
        self._attached = True
        try:
            self._attach()
        except BaseException:
            self.detach()
            raise

    def _attach(self) -> None:
        if self.compiled:
            warnings.warn(
                "gradlab.watch: the model is torch.compile()d; activation sites and per-layer "
                "forward vitals (dead units, moments, out_grad_norm) are not monitored inside "
                "compiled graphs. Gradient/weight norms, update ratios, symmetry and the loss "
                "are. Watch the uncompiled model for the full set.",
                stacklevel=3,
            )
        param_entries: list[tuple[str, nn.Module]] = []
        for path, mod in self.root.named_modules():
            if has_own_params(mod):
                name = param_layer_name(path)
                param_entries.append((name, mod))
                self._layers[(name, "param")] = LayerInfo(name, "param", type(mod).__name__)
            info = None if self.compiled else self._activation_info(path, mod)
            described = (path or "(root)", "activation vitals") not in self._failed  # else reported
            if info is None and described and not self.compiled and mod is not self.root and generic_candidate(mod):
                # maybe an activation nobody declared: its first training call decides
                self._act_modules[id(mod)] = (path, None, [])
                self._hooks.forward_pre(mod, self._candidate_pre)
                self._hooks.forward(mod, self._candidate_hook)
            elif info is not None:
                self._act_modules[id(mod)] = (path or "(root)", info, [])  # sites by call index
                if getattr(mod, "inplace", False):
                    self._hooks.forward_pre(mod, self._act_pre_hook)
                    self._hooks.forward(mod, self._act_inplace_hook, always=True)
                else:
                    self._hooks.forward(mod, self._act_hook)
        self.params = ParamLayers(param_entries, self._update_budget)
        self.params_modules = [mod for _, mod in param_entries]
        if not self.compiled:
            # Parametric layers are hooked only for sampled forwards (and while functional
            # activations need their channel layout): an unhooked module keeps PyTorch's
            # fast call path, which matters on small models.
            self._param_fns = [(mod, self._make_param_hook(li)) for li, (_, mod) in enumerate(param_entries)]
            self._hooks.forward_pre(self.root, self._root_pre_hook)
            self._hooks.forward(self.root, self._root_post_hook, always=True)
        if self.optimizer is not None:
            self._hooks.add(self.optimizer.register_step_pre_hook(self._opt_pre))
            self._hooks.add(self.optimizer.register_step_post_hook(self._opt_post))
            self._loop = LoopChecks(p for g in self.optimizer.param_groups for p in g["params"])

    def detach(self) -> None:
        """Remove every hook and mode; idempotent."""
        self._scoped = False
        if self._mode_on:
            self._mode_on = False
            self._mode.__exit__(None, None, None)
        self._stack_hooks.remove()
        self._param_hooks.remove()
        self._hooks.remove()
        if self._loop is not None:
            self._loop.remove()
        self._proofs.clear()
        self._checks.clear()
        self._attached = False

    # -- failures ---------------------------------------------------------------------------
    def _activation_info(self, path: str, mod: nn.Module):
        try:
            return module_activation_info(mod)
        except ConfigError as exc:  # an activation we cannot describe: say so, leave it unwatched
            self._fail(path or "(root)", "activation vitals", exc)
            return None

    def _fail(self, layer: str, stat: str, exc: BaseException) -> None:
        if self.strict:
            raise StatisticError(f"statistic {stat!r} of layer {layer!r} failed: {exc}") from exc
        if (layer, stat) not in self._failed:
            self._failed.add((layer, stat))
            warnings.warn(
                f"gradlab.watch: statistic {stat!r} of layer {layer!r} failed and is switched off "
                f"({type(exc).__name__}: {exc}); training continues (strict=True raises instead)",
                stacklevel=2,
            )

    # -- forward hooks ----------------------------------------------------------------------
    def begin_forward(self, inputs: Any = ()) -> None:
        """Open a training forward by hand, for frameworks that never call the model's ``forward``.

        Lightning calls ``training_step``, which may use submodules directly: the root module's
        hooks never fire and no layer would be seen. A framework callback calls this before the
        step's computation and :meth:`end_forward` before its backward pass; calls of the root
        ``forward`` in between are then part of the same forward.
        """
        self._root_pre(self.root, inputs if isinstance(inputs, tuple) else (inputs,))
        self._scoped = True

    def end_forward(self, output: Any = None) -> None:
        """Close the forward opened by :meth:`begin_forward` (``output``: the loss or prediction)."""
        if self._scoped:
            self._scoped = False
            self._root_post(self.root, (), output)

    _scoped = False

    def _root_pre_hook(self, module, args) -> None:
        if not self._scoped:
            self._root_pre(module, args)

    def _root_post_hook(self, module, args, output) -> None:
        if not self._scoped:
            self._root_post(module, args, output)

    def _root_pre(self, module, args) -> None:
        grad = torch.is_grad_enabled()
        if grad and self._loop is not None:
            self._loop.forward(self.root.training)
        self._active = grad and self.root.training
        if not self._active:
            return
        self._calls.clear()
        self._fcount.clear()
        self._stack = [""]
        self._sampled = self.step_index % self.every == 0
        if not self._sampled and not self._flags.done:
            self._flags.hold_input(first_float(args))
        if self._sampled and self.optimizer is None and not self._step_seen:
            self._guarded("(params)", "update_ratio", self.params.snapshot)
        self._step_seen = True
        if (self._sampled or self._fn_seen or self._order == 0) and not len(self._param_hooks):
            for mod, fn in self._param_fns:
                self._param_hooks.forward(mod, fn)
        # Until a functional activation is seen, the mode (which routes every torch call through
        # Python) only looks on the first forward and every DISCOVERY-th sampled step.
        discover = self._sampled and (self.step_index // self.every) % DISCOVERY == 0
        if self._mode is not None and (self._fn_seen or discover or self._order == 0):
            if not len(self._stack_hooks):
                self._attach_stack()
            self._mode.__enter__()
            self._mode_on = True

    _step_seen = False

    def _root_post(self, module, args, output) -> None:
        if self._active and not self._sampled and not self._flags.done:
            self._flags.forward(first_float(output))
        if self._mode_on:
            self._mode_on = False
            self._mode.__exit__(None, None, None)
            if not self._fn_seen:
                self._stack_hooks.remove()
        if not self._fn_seen:
            self._param_hooks.remove()
        if self._active and self._checks:
            self._guarded("(forward)", "nonfinite counts", self._resolve_checks)
        self._checks.clear()
        self._proofs.clear()
        self._active = False

    # -- optimizer hooks and step end -------------------------------------------------------
    def _guarded(self, layer: str, stat: str, fn):
        if (layer, stat) in self._failed:
            return None
        self._busy = True
        try:
            return fn()
        except Exception as exc:
            self._fail(layer, stat, exc)
            return None
        finally:
            self._busy = False

    def _collect_params(self, before_update: bool) -> None:
        if before_update:
            block = self._guarded("(params)", "gradient and weight vitals", self.params.grad_stats)
            if self.optimizer is not None:
                self._guarded("(params)", "update_ratio", lambda: self.params.snapshot(reuse_norms=block is not None))
        else:
            block = self._guarded("(params)", "update_ratio", self.params.update_stats)
        if block and block[1] is not None:
            self._pending.append(block)

    def _before_update(self) -> None:
        """The weights and gradients of this step, before the optimizer changes the weights."""
        if self.step_index % self.every == 0:
            self._collect_params(before_update=True)
        elif not self._flags.done:
            self._guarded("(params)", "finiteness flags", lambda: self._flags.end_step(self.step_index, self.params))

    def _opt_pre(self, optimizer, args, kwargs):
        closure, positional = closure_of(args, kwargs)
        if closure is None:
            if self._loop is not None:
                self._loop.before_step()
            self._before_update()
            return None
        # A closure step (LBFGS) computes its gradients inside step(): the step's gradients are
        # those of the closure's first call, at the weights the step starts from.
        first = [True]

        def watched_closure(*c_args, **c_kwargs):
            out = closure(*c_args, **c_kwargs)
            if first[0]:
                first[0] = False
                self._before_update()
            return out

        return with_closure(args, kwargs, watched_closure, positional)

    def _opt_post(self, optimizer, args, kwargs) -> None:
        if self.step_index % self.every == 0:
            self._collect_params(before_update=False)
        if self.every > 1:  # the flag runs between sampled steps only
            self._flags.after_update(self.params)
        if self._loop is not None:
            self._loop.after_step()
        self._end_step()

    def _end_step(self) -> None:
        self._flags.drop_forward()
        step = self.step_index
        if step % self.every == 0:
            self._take_loop_checks()
            self._report(step)
        self.step_index += 1
        self._step_seen = False

    def _take_loop_checks(self) -> None:
        if self._loop is not None:
            keys, values = self._loop.take()
            if keys:
                self._pending.append((keys, values))

    def flush(self) -> None:
        """Report what is pending (a partial dead-unit window, logged losses) to the vitals."""
        last = self.step_index - 1
        if last > self._last_report:
            self._take_loop_checks()
            self._report(last)
        elif self._losses:
            self._pull(max(self._last_report, 0), [])
