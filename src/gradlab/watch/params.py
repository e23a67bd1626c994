"""Vitals of parametric layers: one ``torch._foreach_norm`` per sampled step, arithmetic on the host.

Gradient and weight norms read every parameter buffer, about a third of an SGD step's memory
traffic, so they run on sampled steps only. All norms a sampled step needs (weights, gradients
and the mean rows behind row symmetry) come from a single ``_foreach_norm`` call, stacked and
read to the host in one transfer; per-layer sums, ratios and symmetry are then a few dozen
Python float operations, cheaper than the small device ops they replace on small models. The
update ratio needs the weights before the optimizer step; copying all of them would raise peak
memory by the size of the model, so each sampled step snapshots a round-robin slice of the
layers that fits in a small budget.

With ``members`` the layers are an ensemble's (parameters ``[M, ...]``, one model per member):
the norms are taken per member and the same host arithmetic runs once per member.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from gradlab.watch import stats as S


def _finite(values: list[float]) -> bool:
    return all(math.isfinite(v) for v in values)


class ParamLayers:
    """Gradient, weight, update and symmetry vitals of the layers that own parameters.

    Args:
        layers: ``(name, module)`` of every module with parameters of its own that require grad.
        update_budget: fraction of the parameter memory a sampled step may copy for
            ``update_ratio`` (at least 1 MiB and one layer per sampled step).
        members: the parameters have a leading member axis of this size (an ensemble); the
            budget is that of one member, so each member's layers are snapshotted as alone.
    """

    def __init__(self, layers: list[tuple[str, nn.Module]], update_budget: float = 0.05,
                 members: int | None = None):
        self.members = members
        self._axis = 0 if members is None else 1  # where a weight's output dim is
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
        ax = self._axis
        self.sym = [i for i, (p, n) in enumerate(zip(self.params, self.pnames))
                    if n == "weight" and p.dim() >= 2 + ax and p.shape[ax] > 1]
        self.sizes = [sum(self.params[i].numel() * self.params[i].element_size() for i in ps) / (members or 1)
                      for ps in self.layer_params]
        self.budget = max(update_budget * sum(self.sizes), float(1 << 20))
        self._rr = 0
        self._snap: tuple[list[int], list[int], list[Tensor], list[float] | None] | None = None
        self._wn: list[float] | None = None
        self._keys: dict[tuple[int, ...], list[tuple[str, str]]] = {}

    def __len__(self) -> int:
        return len(self.names)

    def _layer_sums(self, sq: list[float], idx: list[int]) -> list[float]:
        out = [0.0] * len(self.names)
        for v, i in zip(sq, idx):
            out[self.owner[i]] += v
        return out

    def _counts(self, tensors: list[Tensor], idx: list[int], member: int | None) -> list[float]:
        """Exact non-finite counts per layer (only run when a norm was not finite)."""
        own = [t if member is None else t[member] for t in tensors]
        counts = torch.stack([S.nonfinite_count(t.detach()) for t in own]).tolist()
        return self._layer_sums(counts, idx)

    def _norms(self, tensors: list[Tensor]) -> list[list[float]]:
        """The 2-norms of ``tensors`` in one read: one list, or one list per member."""
        if self.members is None:
            return [torch.stack(S.foreach_norms(tensors)).tolist()]
        m = self.members
        norms = [torch.linalg.vector_norm(t.reshape(m, -1), dim=1, dtype=None if t.dtype == S.F64 else torch.float32)
                 for t in tensors]
        return torch.stack(norms, 1).tolist()

    def _grad_keys(self, has: tuple[int, ...], layers_g: list[int]) -> list[tuple[str, str]]:
        keys = self._keys.get(has)
        if keys is None:
            names = self.names
            keys = [(names[self.owner[i]], f"grad_norm/{self.pnames[i]}") for i in has]
            for stat in ("grad_norm", "grad_weight_ratio", "nonfinite_grad"):
                keys += [(names[li], stat) for li in layers_g]
            keys += [(name, "weight_norm") for name in names] + [(name, "nonfinite_weight") for name in names]
            keys += [(names[self.owner[i]], "row_symmetry") for i in self.sym]
            self._keys[has] = keys
        return keys

    def grad_stats(self) -> tuple[list[tuple[str, str]], list[float] | None]:
        """Norms, ratios, non-finite counts and row symmetry from the current weights and grads."""
        keys, rows = self.member_grad_stats()
        return keys, rows[0] if rows else None

    def member_grad_stats(self) -> tuple[list[tuple[str, str]], list[list[float]]]:
        """:meth:`grad_stats` with one row of values per member (one row without members)."""
        if not self.params:
            return [], []
        params = self.params
        ws = [p.detach() for p in params]
        has = tuple(i for i, p in enumerate(params) if p.grad is not None and not p.grad.is_sparse)
        gs = [params[i].grad.detach() for i in has]  # type: ignore[union-attr]  # has: grad is set
        means = []
        for i in self.sym:  # row symmetry needs the mean row of each weight (one pass each)
            w = ws[i].flatten(self._axis + 1)
            means.append((w if w.dtype in (torch.float32, torch.float64) else w.float()).mean(dim=self._axis))
        P, G = len(ws), len(gs)
        layers_g = sorted({self.owner[i] for i in has})
        rows = []
        for member, vals in enumerate(self._norms(ws + gs + means)):
            wn, gn, mn = vals[:P], vals[P : P + G], vals[P + G :]
            self._wn = wn  # the weights before the update: a snapshot taken next reuses these norms
            wsq = self._layer_sums([v * v for v in wn], list(range(P)))
            values: list[float] = list(gn)
            own = None if self.members is None else member
            if has:
                gsq = self._layer_sums([v * v for v in gn], list(has))
                gnorm = [math.sqrt(gsq[li]) for li in layers_g]
                values += gnorm
                values += [g / max(math.sqrt(wsq[li]), 1e-30) for g, li in zip(gnorm, layers_g)]
                nf = [0.0] * len(self.names) if _finite(gn) else self._counts(gs, list(has), own)
                values += [nf[li] for li in layers_g]
            values += [math.sqrt(v) for v in wsq]
            values += [0.0] * len(self.names) if _finite(wn) else self._counts(ws, list(range(P)), own)
            for i, m in zip(self.sym, mn):
                values.append(_row_symmetry(params[i].shape[self._axis], m, wn[i]))
            rows.append(values)
        if self.members is not None:
            self._wn = None  # one member's norms: a snapshot measures the weights itself
        return self._grad_keys(has, layers_g), rows

    # -- update ratio -----------------------------------------------------------------------
    def snapshot(self, reuse_norms: bool = False) -> None:
        """Copy the weights of the next round-robin slice of layers (before the update).

        Args:
            reuse_norms: the weights have not changed since :meth:`grad_stats` (the optimizer's
                pre-step hook), so its weight norms are the norms before the update.
        """
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
        if pidx:
            copies = [self.params[i].detach().clone() for i in pidx]
            old = [self._wn[i] for i in pidx] if reuse_norms and self._wn is not None else None
            self._snap = (chosen, pidx, copies, old)
        self._wn = None

    def update_stats(self) -> tuple[list[tuple[str, str]], list[float] | None]:
        """``||w_after - w_before|| / ||w_before||`` for the layers snapshotted; frees the copies."""
        keys, rows = self.member_update_stats()
        return keys, rows[0] if rows else None

    def member_update_stats(self) -> tuple[list[tuple[str, str]], list[list[float]]]:
        """:meth:`update_stats` with one row of values per member (one row without members)."""
        if self._snap is None:
            return [], []
        chosen, pidx, copies, old = self._snap
        self._snap = None
        n = len(pidx)
        olds = [old] if old is not None else [vals[:n] for vals in self._norms(copies)]
        torch._foreach_sub_(copies, [self.params[i].detach() for i in pidx])  # now the updates
        rows = []
        for old_norms, upd in zip(olds, self._norms(copies)):
            osq = self._layer_sums([v * v for v in old_norms], pidx)
            dsq = self._layer_sums([v * v for v in upd], pidx)
            rows.append([math.sqrt(dsq[li]) / max(math.sqrt(osq[li]), 1e-30) for li in chosen])
        del copies
        return [(self.names[li], "update_ratio") for li in chosen], rows


def _row_symmetry(out: int, mean_norm: float, weight_norm: float) -> float:
    """:func:`gradlab.watch.stats.row_symmetry` from the norms of the mean row and the weight.

    ``sqrt(1 - out * ||m||^2 / ||W||^2)``; gaps under float32 resolution read 0, and a
    non-finite weight reads non-finite.
    """
    wsq = weight_norm * weight_norm
    if not math.isfinite(wsq) or not math.isfinite(mean_norm):
        return math.nan
    if wsq <= 0:
        return 0.0
    gap = 1.0 - out * mean_norm * mean_norm / wsq
    return math.sqrt(gap) if gap >= 1e-6 else 0.0
