"""Forward-time observation for :class:`gradlab.watch.engine.WatchEngine`.

Activation modules, activations called as functions and parametric layers hand their tensors
to :class:`~gradlab.watch.probes.ActivationSite` objects here. A non-sampled step's hook does
one op (a running maximum); everything else runs on sampled steps only. Non-finite counts are
deferred to the end of the forward, where a finite sum of squares computed anyway proves most
tensors finite without a counting pass.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gradlab.components.act_info import build_info
from gradlab.components.functionals import FUNCTIONALS, functional_kwargs
from gradlab.watch import stats as S
from gradlab.watch.engine_state import EngineState
from gradlab.watch.host_sums import HostAcc
from gradlab.watch.layers import LayerInfo, channels_first
from gradlab.watch.probes import ActivationSite


class ForwardHooks(EngineState):
    """Mixin: the forward hooks, the functional-activation handler and non-finite checks."""

    # -- non-finite counts ------------------------------------------------------------------
    def _defer(self, acc: HostAcc, index: int, t: Tensor, proof: Tensor | None) -> None:
        """Count the non-finite entries of ``t`` into slot ``index`` of ``acc`` at the forward's end.

        On CPU a finite proof (a sum of squares computed anyway) shows the count is 0, so the
        counting pass runs only on tensors that do hold NaN/inf; a missing proof is looked up
        among the activation sites' (the same tensor object) or computed with one dot product.
        Elsewhere the count runs at once, without a host read.
        """
        if t.device.type != "cpu":
            acc.add(index, S.nonfinite_count(S.as_float(t)))
            return
        self._checks.append((acc, index, t, proof))

    def _resolve_checks(self) -> None:
        proofs = []
        for _acc, _i, t, proof in self._checks:
            if proof is None:
                hit = self._proofs.get(id(t))
                if hit is not None and hit[0] is t:
                    proof = hit[1]
                else:  # one dot per tensor, also when a layer's output is the next one's input
                    flat = S.as_float(t).reshape(-1)
                    proof = torch.dot(flat, flat)
                    self._proofs[id(t)] = (t, proof)
            proofs.append(proof)
        finite = torch.isfinite(torch.stack(proofs)).tolist()  # stack promotes to float64
        for ok, (acc, index, t, _p) in zip(finite, self._checks):
            if not ok:  # rare: only a tensor that does hold NaN/inf is counted
                acc.vals[index] += float(S.nonfinite_count(S.as_float(t)))

    # -- module paths (for functional activations) ------------------------------------------
    def _attach_stack(self) -> None:
        acts = self._act_modules
        for path, mod in self.root.named_modules():
            if mod is self.root:
                continue

            # calls inside an activation module belong to it (looked up per call: a candidate
            # module may turn out not to be an activation on its first call)
            def pre(m, a, _p=path):
                self._stack.append(None if id(m) in acts else _p)

            def post(m, a, o):
                if len(self._stack) > 1:
                    self._stack.pop()

            self._stack_hooks.forward_pre(mod, pre)
            self._stack_hooks.forward(mod, post, always=True)

    # -- activation sites -------------------------------------------------------------------
    def _site(self, name: str, info, module_type: str) -> ActivationSite:
        site = self._sites.get(name)
        if site is None:
            site = self._sites[name] = ActivationSite(name, info, self._last_cf)
            self._layers[(name, "activation")] = LayerInfo(
                name, "activation", module_type, info.name, self._next_order())
        return site

    def _next_order(self) -> int:
        self._order += 1
        return self._order - 1

    def _module_site(self, mod) -> ActivationSite | None:
        key = id(mod)
        calls = self._calls
        k = calls.get(key, 0)
        calls[key] = k + 1
        path, info, sites = self._act_modules[key]
        if k < len(sites):
            site = sites[k]
        else:  # the k-th call of this module in a forward, first seen now
            site = self._site(path if k == 0 else f"{path}#{k}", info, type(mod).__name__)
            sites.append(site)
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
        if site is None or not inputs:
            return
        z = inputs[0]
        if not self._sampled:
            if site.alive:  # every unit already had gradient in this window: nothing to record
                return
            # The hot path of a non-sampled step: one elementwise maximum into the site's buffer.
            buf = site.fullmax
            if buf is not None and type(z) is Tensor and z.shape == buf.shape:
                torch.maximum(buf, z.detach(), out=buf)
                return
        if isinstance(z, Tensor) and isinstance(output, Tensor):
            self._observe(site, z, output)

    def _candidate_pre(self, mod, inputs) -> None:
        """First training call of a candidate module: an elementwise function becomes a site."""
        entry = self._act_modules.get(id(mod))
        if not self._active or entry is None or entry[1] is not None:
            return
        from gradlab.components.external_activations import autograd_info, is_elementwise

        z = inputs[0] if len(inputs) == 1 and isinstance(inputs[0], Tensor) else None
        self._busy, active = True, self._active
        self._active = False  # the probe's own calls are not training calls
        try:
            info = None
            if z is not None and z.is_floating_point() and is_elementwise(mod.forward, z):
                info = autograd_info(type(mod).__name__.lower(), mod.forward, S.as_float(z).dtype)
        except Exception as exc:  # noqa: BLE001 - an unreadable module is simply not a site
            self._fail(entry[0], "activation vitals", exc)
            info = None
        finally:
            self._busy, self._active = False, active
        if info is None:
            del self._act_modules[id(mod)]
        else:
            self._act_modules[id(mod)] = (entry[0], info, [])

    def _candidate_hook(self, mod, inputs, output) -> None:
        if id(mod) in self._act_modules:
            self._act_hook(mod, inputs, output)

    def _act_pre_hook(self, mod, inputs) -> None:
        if not self._active:
            return
        site = self._module_site(mod)
        self._pending_inplace.setdefault(id(mod), []).append(site)
        if site is not None and inputs and isinstance(inputs[0], Tensor) and (self._sampled or not site.alive):
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
        name = FUNCTIONALS[func].name
        k = self._fcount.get((top, name), 0)
        self._fcount[(top, name)] = k + 1
        site_name = f"{top}:{name}#{k}"
        site = self._sites.get(site_name)
        if site is None:
            self._fn_seen = True
            try:
                self._busy = True
                info = build_info(name, **functional_kwargs(func, args[1:], kwargs))
            except Exception as exc:
                self._fail(site_name, "activation vitals", exc)
                return func(*args, **kwargs)
            finally:
                self._busy = False
            site = self._site(site_name, info, "function")
        if not site.enabled:
            return func(*args, **kwargs)
        if self._sampled or not site.alive:
            self._observe(site, z, None)
        out = func(*args, **kwargs)
        if self._sampled and isinstance(out, Tensor):
            self._observe(site, None, out)
        return out

    # -- parametric layers (hooked on sampled forwards only) --------------------------------
    def _make_param_hook(self, li: int):
        name = self.params.names[li]
        layer = self._layers[(name, "param")]
        cf = channels_first(self.params_modules[li])

        def hook(mod, inputs, output) -> None:
            if not self._active:
                return
            if layer.order is None:
                layer.order = self._next_order()
                layer.depth = sum(
                    1 for other in self._layers.values() if other.kind == "param" and other.depth is not None)
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
        out: Tensor | None
        if isinstance(output, Tensor):
            out = output
        elif isinstance(output, (tuple, list)):
            out = next((o for o in output if isinstance(o, Tensor)), None)
        else:
            out = None
        x = inputs[0] if inputs and isinstance(inputs[0], Tensor) else None
        ref = out if out is not None else x
        if ref is None:
            return
        self._fwd_seen.add(li)
        acc = self._fwd_acc.get(li)
        if acc is None:
            acc = self._fwd_acc[li] = HostAcc(3)  # Σ out_grad², nonfinite_in, nonfinite_out
        if x is not None and x.is_floating_point():
            self._defer(acc, 1, x, None)
        if out is not None and out.is_floating_point():
            self._defer(acc, 2, out, None)
            if out.requires_grad:
                def grad_hook(g, _acc=acc):
                    # one op per layer; squared and summed on the host after the report's transfer
                    # float32 for half/bf16 (accuracy); a float64 gradient keeps its own precision
                    g = g.detach()
                    _acc.add(0, torch.linalg.vector_norm(g, dtype=None if g.dtype == torch.float64 else torch.float32),
                             square=True)

                out.register_hook(grad_hook)
                self._grad_armed.add(li)
