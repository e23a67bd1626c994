"""Report assembly for :class:`gradlab.watch.engine.WatchEngine`: one host transfer per report.

Every site's accumulator and dead-unit count, the parametric layers' forward counters and the
output-gradient norms are concatenated into one vector and read with a single ``tolist()``;
means, standard deviations and fractions are then Python float arithmetic, cheaper than the
device ops they would take on small models.
"""

from __future__ import annotations

import math

import torch

from gradlab.watch import distributed as dist
from gradlab.watch import stats as S
from gradlab.watch.engine_state import EngineState
from gradlab.watch.host_sums import drain


def loss_nonfinite(rows: list[tuple[int, float, str]]) -> float | None:
    """The ``loss_nonfinite`` vital of a window's ``(step, value, stat)`` rows (None: no loss logged)."""
    if not any(stat == "loss" for _, _, stat in rows):
        return None
    return float(sum(1 for _, v, stat in rows if stat == "loss" and not math.isfinite(v)))


class Reporting(EngineState):
    """Mixin: close a window (:meth:`_report`) and publish rows and histograms (:meth:`_pull`)."""

    def _report(self, step: int) -> None:
        self._last_report = max(self._last_report, step)
        first = self._guarded("(params)", "finiteness flags", lambda: self._flags.first_bad(self.params))
        if first is not None:  # the first NaN/Inf fell between sampled steps: place it exactly
            self._publish(first[0], first[1], first[2], [])
        self._busy = True
        try:
            blocks = self._pending
            self._pending = []
            blocks += self._read_windows()
        finally:
            self._busy = False
        self._pull(step, blocks)

    def _read_windows(self) -> list:
        sites = list(self._sites.values())
        fwd = sorted(self._fwd_seen)
        world = dist.world_size()
        if world > 1:  # a unit is dead only if dead on every rank
            dist.all_reduce_([m for m in (s.unit_max() for s in sites) if m is not None], "max")
        maxes = [site.report_tensors() for site in sites]
        accs = [site.acc for site in sites] + [self._fwd_acc[li] for li in fwd]
        units = drain(accs, [m.reshape(-1) for m in maxes if m is not None])
        if world > 1:
            self._sum_across_ranks(accs)
        blocks = []
        k = 0
        for site, m in zip(sites, maxes):
            dead = None
            if m is not None:  # counted on the host: the maxima came with the sums
                n_units = m.numel()
                threshold = site.info.dead_threshold
                dead = float(sum(1 for v in units[k : k + n_units] if v <= threshold))
                k += n_units
            acc = site.acc.vals if site.acc.vals[S.PRE_N] > 0 else None
            names, values = site.report(acc, dead, n_units if m is not None else 0)
            if values:
                blocks.append(([(site.name, n) for n in names], values))
        for li in fwd:
            fwd_acc = self._fwd_acc[li]
            gsq, nf_in, nf_out = fwd_acc.vals
            name = self.params.names[li]
            keys = [(name, "nonfinite_in"), (name, "nonfinite_out")]
            vals = [nf_in, nf_out]
            if li in self._grad_armed:
                keys.insert(0, (name, "out_grad_norm"))
                vals.insert(0, math.sqrt(gsq))
            blocks.append((keys, vals))
            fwd_acc.reset()
        self._grad_armed.clear()
        self._fwd_seen.clear()
        return blocks

    def _sum_across_ranks(self, accs) -> None:
        sizes = [len(a.vals) for a in accs]
        if not sizes:
            return
        t = torch.tensor([v for a in accs for v in a.vals], dtype=S.F64, device=dist.device())
        dist.all_reduce_([t], "sum")
        flat, k = t.tolist(), 0
        for a, n in zip(accs, sizes):
            a.vals, k = flat[k : k + n], k + n

    def _pull(self, step: int, blocks) -> None:
        """Publish ``blocks`` (``(pairs, host values)``), the logged scalars and histograms."""
        losses, self._losses = self._losses, []
        pairs: list[tuple[str, str]] = []
        values: list[float] = []
        for ks, vs in blocks:
            pairs += ks
            values += vs
        loss_rows: list[tuple[int, float, str]] = []
        if losses:
            lt = torch.stack([v if isinstance(v, torch.Tensor) else torch.tensor(float(v)) for _, v, _ in losses])
            if dist.world_size() > 1:
                lt = lt.to(S.F64)
                dist.all_reduce_([lt], "sum")
                lt /= dist.world_size()
            lvals = lt.tolist()
            loss_rows = [(s, v, stat) for (s, _, stat), v in zip(losses, lvals)]
            nonfinite = loss_nonfinite(loss_rows)
            if nonfinite is not None:
                pairs.append(("", "loss_nonfinite"))
                values.append(nonfinite)
        for site in self._sites.values():
            if site.hist:
                for stat, (counts, edges) in site.hist.items():
                    self._publish_histogram(step, site.name, stat, edges, counts.tolist())
                site.hist = {}
        self._publish(step, pairs, values, loss_rows)

    def _publish(self, step: int, pairs: list[tuple[str, str]], values: list[float],
                 losses: list[tuple[int, float, str]]) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _publish_histogram(self, step, layer, stat, edges, counts) -> None:  # pragma: no cover
        raise NotImplementedError
