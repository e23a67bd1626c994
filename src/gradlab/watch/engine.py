"""The hook machinery behind :class:`gradlab.watch.watch.Watch`: attach, observe, report, detach.

Hot path (every training step): one forward hook per activation module that folds the batch
into a per-unit running maximum, a cheap hook per parametric layer, and the two optimizer hooks.
Sampled steps add the moment sums, gradient/weight norms and output-gradient tensor hooks;
their results are stacked into one vector and read to the host in one transfer.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch
from torch import Tensor, nn

from gradlab.errors import StatisticError
from gradlab.watch import distributed as dist
from gradlab.watch import stats as S
from gradlab.watch.functional import FUNCTIONS, ActivationMode, call_params, functional_info
from gradlab.watch.hooks import HookSet
from gradlab.watch.layers import LayerInfo, channels_first, has_own_params, module_activation_info, param_layer_name
from gradlab.watch.params import ParamLayers
from gradlab.watch.probes import ActivationSite


def unwrap(model: nn.Module) -> tuple[nn.Module, bool]:
    """The module to hook (DDP's inner module) and whether it is ``torch.compile``d."""
    if isinstance(model, nn.parallel.DistributedDataParallel):
        model = model.module
    compiled = hasattr(model, "_orig_mod") and type(model).__name__ == "OptimizedModule"
    return (model._orig_mod if compiled else model), compiled


# Sampled steps between two looks for activations called as functions (once none was seen).
DISCOVERY = 8


class WatchEngine:
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
        self._layers: dict[tuple[str, str], LayerInfo] = {}
        self._sites: dict[str, ActivationSite] = {}
        self._act_modules: dict[int, tuple[str, Any]] = {}
        self._losses: list[tuple[int, Any]] = []
        self._pending: list[tuple[list[tuple[str, str]], Tensor]] = []
        self._fwd_acc: dict[int, Tensor] = {}
        self._failed: set[tuple[str, str]] = set()
        self._calls: dict[int, int] = {}
        self._fcount: dict[tuple[str, str], int] = {}
        self._stack: list[str | None] = []
        self._pending_inplace: dict[int, list[ActivationSite | None]] = {}
        self._active = self._sampled = self._busy = False
        self._mode_on = self._fn_seen = self._attached = False
        self._order = 0
        self._last_cf = False
        self._last_report = -1
        self._grad_armed: set[int] = set()
        self._fwd_seen: set[int] = set()
        self._proofs: dict[int, tuple[Tensor, Tensor]] = {}
        self._checks: list[tuple[Tensor, int, Tensor, Tensor | None]] = []
        self._param_hooks = HookSet()
        self._param_fns: list[tuple[nn.Module, Any]] = []
        self._mode = ActivationMode(self._on_functional, self) if self.functional else None

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
            info = None if self.compiled else module_activation_info(mod)
            if info is not None:
                self._act_modules[id(mod)] = (path or "(root)", info)
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
            self._hooks.forward_pre(self.root, self._root_pre)
            self._hooks.forward(self.root, self._root_post, always=True)
        if self.optimizer is not None:
            self._hooks.add(self.optimizer.register_step_pre_hook(self._opt_pre))
            self._hooks.add(self.optimizer.register_step_post_hook(self._opt_post))

    def detach(self) -> None:
        """Remove every hook and mode; idempotent."""
        if self._mode_on:
            self._mode_on = False
            self._mode.__exit__(None, None, None)
        self._stack_hooks.remove()
        self._param_hooks.remove()
        self._hooks.remove()
        self._proofs.clear()
        self._checks.clear()
        self._attached = False

    # -- failures ---------------------------------------------------------------------------
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
    def _root_pre(self, module, args) -> None:
        self._active = torch.is_grad_enabled() and self.root.training
        if not self._active:
            return
        self._calls.clear()
        self._fcount.clear()
        self._stack = [""]
        self._sampled = self.step_index % self.every == 0
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

    def _defer(self, acc: Tensor, index: int, t: Tensor, proof: Tensor | None) -> None:
        """Count the non-finite entries of ``t`` into ``acc[index]`` at the end of the forward.

        On CPU a finite proof (a sum of squares computed anyway) shows the count is 0, so the
        counting pass runs only on tensors that do hold NaN/inf; a missing proof is looked up
        among the activation sites' (the same tensor object) or computed with one dot product.
        Elsewhere the count runs at once, without a host read.
        """
        if t.device.type != "cpu":
            acc[index] += S.nonfinite_count(S.as_float(t))
            return
        self._checks.append((acc, index, t, proof))

    def _resolve_checks(self) -> None:
        proofs = []
        for _acc, _i, t, proof in self._checks:
            if proof is None:
                hit = self._proofs.get(id(t))
                if hit is not None and hit[0] is t:
                    proof = hit[1]
                else:
                    flat = S.as_float(t).reshape(-1)
                    proof = torch.dot(flat, flat)
            proofs.append(proof.reshape(1).to(S.F64))
        finite = torch.isfinite(torch.cat(proofs)).tolist()
        for ok, (acc, index, t, _p) in zip(finite, self._checks):
            if not ok:
                acc[index] += S.nonfinite_count(S.as_float(t))

    def _attach_stack(self) -> None:
        for path, mod in self.root.named_modules():
            if mod is self.root:
                continue
            entry = None if id(mod) in self._act_modules else path

            def pre(m, a, _e=entry):
                self._stack.append(_e)

            def post(m, a, o):
                if len(self._stack) > 1:
                    self._stack.pop()

            self._stack_hooks.forward_pre(mod, pre)
            self._stack_hooks.forward(mod, post, always=True)

    def _site(self, name: str, info, module_type: str) -> ActivationSite:
        site = self._sites.get(name)
        if site is None:
            site = self._sites[name] = ActivationSite(name, info, self._last_cf)
            self._layers[(name, "activation")] = LayerInfo(name, "activation", module_type, info.name, self._next_order())
        return site

    def _next_order(self) -> int:
        self._order += 1
        return self._order - 1

    def _module_site(self, mod) -> ActivationSite | None:
        key = id(mod)
        k = self._calls.get(key, 0)
        self._calls[key] = k + 1
        path, info = self._act_modules[key]
        site = self._site(path if k == 0 else f"{path}#{k}", info, type(mod).__name__)
        return site if site.enabled else None

    def _observe(self, site: ActivationSite, z, y) -> None:
        self._busy = True
        try:
            if z is not None:
                site.observe_pre(z, self._sampled, self.bins, self._proofs)
            if y is not None and self._sampled:
                site.observe_out(y, self.bins, self._defer, self._proofs)
        except Exception as exc:
            site.enabled = False
            self._fail(site.name, "activation vitals", exc)
        finally:
            self._busy = False

    def _act_hook(self, mod, inputs, output) -> None:
        if not self._active:
            return
        site = self._module_site(mod)
        if site is not None and inputs and isinstance(inputs[0], Tensor) and isinstance(output, Tensor):
            self._observe(site, inputs[0], output)

    def _act_pre_hook(self, mod, inputs) -> None:
        if not self._active:
            return
        site = self._module_site(mod)
        self._pending_inplace.setdefault(id(mod), []).append(site)
        if site is not None and inputs and isinstance(inputs[0], Tensor):
            self._observe(site, inputs[0], None)

    def _act_inplace_hook(self, mod, inputs, output) -> None:
        pending = self._pending_inplace.get(id(mod))
        site = pending.pop() if pending else None
        if self._active and site is not None and self._sampled and isinstance(output, Tensor):
            self._observe(site, None, output)

    def _on_functional(self, func, args, kwargs):
        top = self._stack[-1] if self._stack else ""
        z = args[0] if args else None
        if top is None or not self._active or not isinstance(z, Tensor):
            return func(*args, **kwargs)
        name = FUNCTIONS[func][0]
        k = self._fcount.get((top, name), 0)
        self._fcount[(top, name)] = k + 1
        site_name = f"{top}:{name}#{k}"
        site = self._sites.get(site_name)
        if site is None:
            self._fn_seen = True
            try:
                self._busy = True
                info = functional_info(name, call_params(func, args, kwargs)[0])
            except Exception as exc:
                self._fail(site_name, "activation vitals", exc)
                return func(*args, **kwargs)
            finally:
                self._busy = False
            site = self._site(site_name, info, "function")
        if not site.enabled:
            return func(*args, **kwargs)
        self._observe(site, z, None)
        out = func(*args, **kwargs)
        if self._sampled and isinstance(out, Tensor):
            self._observe(site, None, out)
        return out

    def _make_param_hook(self, li: int):
        name = self.params.names[li]
        layer = self._layers[(name, "param")]
        cf = channels_first(self.params_modules[li])

        def hook(mod, inputs, output) -> None:
            if not self._active:
                return
            if layer.order is None:
                layer.order = self._next_order()
                layer.depth = sum(1 for l in self._layers.values() if l.kind == "param" and l.depth is not None)
            self._last_cf = cf
            if not self._sampled or (name, "forward vitals") in self._failed:
                return
            self._busy = True
            try:
                self._param_forward(li, inputs, output)
            except Exception as exc:
                self._fail(name, "forward vitals", exc)
            finally:
                self._busy = False

        return hook

    def _param_forward(self, li: int, inputs, output) -> None:
        out = output if isinstance(output, Tensor) else next((o for o in output if isinstance(o, Tensor)), None) if isinstance(output, (tuple, list)) else None
        x = inputs[0] if inputs and isinstance(inputs[0], Tensor) else None
        ref = out if out is not None else x
        if ref is None:
            return
        self._fwd_seen.add(li)
        acc = self._fwd_acc.get(li)
        if acc is None:
            acc = self._fwd_acc[li] = torch.zeros(3, dtype=S.F64, device=ref.device)
        if x is not None and x.is_floating_point():
            self._defer(acc, 1, x, None)
        if out is not None and out.is_floating_point():
            self._defer(acc, 2, out, None)
            if out.requires_grad:
                def grad_hook(g, _acc=acc):
                    _acc[0] += torch.linalg.vector_norm(g.detach(), dtype=torch.float32).to(S.F64) ** 2

                out.register_hook(grad_hook)
                self._grad_armed.add(li)

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
                self._guarded("(params)", "update_ratio", self.params.snapshot)
        else:
            block = self._guarded("(params)", "update_ratio", self.params.update_stats)
        if block and block[1] is not None:
            self._pending.append(block)

    def _opt_pre(self, optimizer, args, kwargs) -> None:
        if self.step_index % self.every == 0:
            self._collect_params(before_update=True)

    def _opt_post(self, optimizer, args, kwargs) -> None:
        if self.step_index % self.every == 0:
            self._collect_params(before_update=False)
        self._end_step()

    def _end_step(self) -> None:
        step = self.step_index
        if step % self.every == 0:
            self._report(step)
        self.step_index += 1
        self._step_seen = False

    def flush(self) -> None:
        """Report what is pending (a partial dead-unit window, logged losses) to the vitals."""
        last = self.step_index - 1
        if last > self._last_report:
            self._report(last)
        elif self._losses:
            self._pull(max(self._last_report, 0), [])

    def _report(self, step: int) -> None:
        self._last_report = max(self._last_report, step)
        self._busy = True
        try:
            sites = list(self._sites.values())
            if dist.world_size() > 1:
                sums = [s for s in (site.sum_state() for site in sites) if s is not None]
                dist.all_reduce_(sums + list(self._fwd_acc.values()), "sum")
                dist.all_reduce_([s.runmax for s in sites if s.runmax is not None], "max")
            blocks = self._pending
            self._pending = []
            states = [site.report_tensors() for site in sites]
            reads = [a for a, _, _ in states if a is not None] + [d for _, d, _ in states if d is not None]
            flat = torch.cat([t.reshape(-1).to("cpu", S.F64) for t in reads]).tolist() if reads else []
            n_acc = sum(a is not None for a, _, _ in states)
            ai, di = 0, n_acc * S.ACC_SIZE
            for site, (a, d, n_units) in zip(sites, states):
                acc = dead = None
                if a is not None:
                    acc, ai = flat[ai : ai + S.ACC_SIZE], ai + S.ACC_SIZE
                if d is not None:
                    dead, di = flat[di], di + 1
                names, values = site.report(acc, dead, n_units)
                if values:
                    blocks.append(([(site.name, n) for n in names], values))
            for li in sorted(self._fwd_seen):
                acc = self._fwd_acc[li]
                name = self.params.names[li]
                keys = [(name, "nonfinite_in"), (name, "nonfinite_out")]
                vals = [acc[1:3]]
                if li in self._grad_armed:
                    keys.insert(0, (name, "out_grad_norm"))
                    vals.insert(0, acc[0:1].sqrt())
                blocks.append((keys, torch.cat(vals).clone()))
                acc.zero_()
            self._grad_armed.clear()
            self._fwd_seen.clear()
        finally:
            self._busy = False
        self._pull(step, blocks)

    def _pull(self, step: int, blocks) -> None:
        losses, self._losses = self._losses, []
        rows: list[dict] = []
        values: list[float] = []
        keys: list[tuple[int, str, str]] = []
        for ks, vec in blocks:
            keys += [(step, layer, stat) for layer, stat in ks]
        tensors = [v.reshape(-1).to(device="cpu", dtype=S.F64) for _, v in blocks if isinstance(v, Tensor)]
        read = iter(torch.cat(tensors).tolist() if tensors else [])
        for _, v in blocks:  # tensor blocks were read in one transfer; host blocks are lists
            if isinstance(v, Tensor):
                values += [next(read) for _ in range(v.numel())]
            else:
                values += v
        if losses:
            lv = [l if isinstance(l, Tensor) else torch.tensor(float(l)) for _, l in losses]
            lt = torch.stack([t.to("cpu", torch.float64) for t in lv])
            if dist.world_size() > 1:
                dist.all_reduce_([lt], "sum")
                lt /= dist.world_size()
            lvals = lt.tolist()
            keys += [(s, "", "loss") for s, _ in losses]
            values += lvals
            keys.append((step, "", "loss_nonfinite"))
            values.append(float(sum(1 for v in lvals if v != v or v in (float("inf"), float("-inf")))))
        rows = [{"step": s, "layer": layer, "stat": stat, "value": v} for (s, layer, stat), v in zip(keys, values)]
        for site in self._sites.values():
            for stat, (counts, edges) in site.hist.items():
                self._publish_histogram(step, site.name, stat, edges, counts.tolist())
            site.hist = {}
        self._publish(rows, step)

    def _publish(self, rows: list[dict], step: int) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _publish_histogram(self, step, layer, stat, edges, counts) -> None:  # pragma: no cover
        raise NotImplementedError
