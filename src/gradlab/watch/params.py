"""Vitals of parametric layers, all parameters reduced at once with ``torch._foreach_norm``.

Gradient and weight norms read every parameter buffer, about a third of an SGD step's memory
traffic, so they run on sampled steps only. The update ratio needs the weights before the
optimizer step; copying all of them would raise peak memory by the size of the model, so each
sampled step snapshots a round-robin slice of the layers that fits in a small budget.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gradlab.watch import stats as S


def _stack_norms(tensors: list[Tensor]) -> Tensor:
    """L2 norms of all tensors in one ``_foreach_norm`` call, as one float32 vector."""
    norms = torch._foreach_norm(tensors)
    if len({n.dtype for n in norms}) == 1:
        return torch.stack(norms).float()
    return torch.stack([n.float() for n in norms])


class ParamLayers:
    """Gradient, weight, update and symmetry vitals of the layers that own parameters.

    Args:
        layers: ``(name, module)`` of every module with parameters of its own that require grad.
        update_budget: fraction of the parameter memory a sampled step may copy for
            ``update_ratio`` (at least 1 MiB and one layer per sampled step).
    """

    def __init__(self, layers: list[tuple[str, nn.Module]], update_budget: float = 0.05):
        self.names = [name for name, _ in layers]
        self.params: list[nn.Parameter] = []
        self.pnames: list[str] = []
        self.owner: list[int] = []
        for li, (_, mod) in enumerate(layers):
            for pname, p in mod.named_parameters(recurse=False):
                if p.requires_grad:
                    self.params.append(p)
                    self.pnames.append(pname)
                    self.owner.append(li)
        self.layer_params = [[i for i, o in enumerate(self.owner) if o == li] for li in range(len(layers))]
        self.sym = [i for i, (p, n) in enumerate(zip(self.params, self.pnames)) if n == "weight" and p.dim() >= 2 and p.shape[0] > 1]
        sizes = [sum(self.params[i].numel() * self.params[i].element_size() for i in ps) for ps in self.layer_params]
        self.sizes = sizes
        self.budget = max(update_budget * sum(sizes), float(1 << 20))
        self._rr = 0
        self._snap: tuple[list[int], list[int], list[Tensor], Tensor] | None = None
        self._wsq: Tensor | None = None
        self.disabled: set[str] = set()
        self._owner_cache: dict = {}

    def __len__(self) -> int:
        return len(self.names)

    def _layer_sum(self, values: Tensor, idx: list[int]) -> Tensor:
        key = (tuple(idx), values.device)
        owner = self._owner_cache.get(key)
        if owner is None:
            owner = self._owner_cache[key] = torch.tensor([self.owner[i] for i in idx], device=values.device)
        out = torch.zeros(len(self.names), dtype=S.F64, device=values.device)
        return out.index_add_(0, owner, values.to(S.F64))

    def grad_stats(self) -> tuple[list[tuple[str, str]], Tensor | None]:
        """Norms, ratios, non-finite counts and row symmetry from the current weights and grads."""
        if not self.params:
            return [], None
        ws = [p.detach() for p in self.params]
        wn = _stack_norms(ws)
        has = [i for i, p in enumerate(self.params) if p.grad is not None and not p.grad.is_sparse]
        all_idx = list(range(len(ws)))
        wsq = self._layer_sum(wn * wn, all_idx)
        self._wsq = wsq
        keys: list[tuple[str, str]] = []
        parts: list[Tensor] = []
        L = len(self.names)
        if has:
            gn = _stack_norms([self.params[i].grad.detach() for i in has])
            gsq = self._layer_sum(gn * gn, has)
            layers_g = sorted({self.owner[i] for i in has})
            keys += [(self.names[self.owner[i]], f"grad_norm/{self.pnames[i]}") for i in has]
            parts.append(gn.to(S.F64))
            lg = torch.tensor(layers_g, device=wn.device)
            gnorm = gsq[lg].sqrt()
            keys += [(self.names[li], "grad_norm") for li in layers_g]
            keys += [(self.names[li], "grad_weight_ratio") for li in layers_g]
            parts += [gnorm, gnorm / wsq[lg].sqrt().clamp_min(1e-30)]
            nf_grad = self._nonfinite(gsq, [self.params[i].grad for i in has], has)
            keys += [(self.names[li], "nonfinite_grad") for li in layers_g]
            parts.append(nf_grad[lg])
        keys += [(name, "weight_norm") for name in self.names]
        keys += [(name, "nonfinite_weight") for name in self.names]
        parts += [wsq.sqrt(), self._nonfinite(wsq, ws, all_idx)]
        if self.sym:
            keys += [(self.names[self.owner[i]], "row_symmetry") for i in self.sym]
            parts.append(S.row_symmetry_many([self.params[i] for i in self.sym], wn[self.sym]))
        assert sum(p.numel() for p in parts) == len(keys) and L == len(self.names)
        return keys, torch.cat([p.reshape(-1).to(S.F64) for p in parts])

    def _nonfinite(self, sq: Tensor, tensors: list[Tensor], idx: list[int]) -> Tensor:
        # A finite norm proves every entry finite; only then is the exact count skipped. This
        # is one host read per sampled step (free on CPU), instead of a counting pass per step.
        if bool(torch.isfinite(sq).all()):
            return torch.zeros_like(sq)
        counts = torch.stack([S.nonfinite_count(t.detach()) for t in tensors])
        return self._layer_sum(counts, idx)

    # -- update ratio -----------------------------------------------------------------------
    def snapshot(self) -> None:
        """Copy the weights of the next round-robin slice of layers (before the update)."""
        if not self.params:
            return
        chosen: list[int] = []
        used = 0.0
        for k in range(len(self.names)):
            li = (self._rr + k) % len(self.names)
            if chosen and used + self.sizes[li] > self.budget:
                break
            chosen.append(li)
            used += self.sizes[li]
        self._rr = (self._rr + len(chosen)) % len(self.names)
        pidx = [i for li in chosen for i in self.layer_params[li]]
        if not pidx:
            return
        copies = [self.params[i].detach().clone() for i in pidx]
        old = torch.stack([n.float() for n in torch._foreach_norm(copies)])
        self._snap = (chosen, pidx, copies, old)

    def update_stats(self) -> tuple[list[tuple[str, str]], Tensor | None]:
        """``||w_after - w_before|| / ||w_before||`` for the layers snapshotted; frees the copies."""
        if self._snap is None:
            return [], None
        chosen, pidx, copies, old = self._snap
        self._snap = None
        torch._foreach_sub_(copies, [self.params[i].detach() for i in pidx])
        dn = torch.stack([n.float() for n in torch._foreach_norm(copies)])
        del copies
        dsq = self._layer_sum(dn * dn, pidx)
        osq = self._layer_sum(old * old, pidx)
        lc = torch.tensor(chosen, device=dn.device)
        ratio = dsq[lc].sqrt() / osq[lc].sqrt().clamp_min(1e-30)
        return [(self.names[li], "update_ratio") for li in chosen], ratio
