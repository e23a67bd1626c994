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


class Reporting:
    """Mixin: close a window (:meth:`_report`) and publish rows and histograms (:meth:`_pull`)."""

    def _report(self, step: int) -> None:
        self._last_report = max(self._last_report, step)
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
        grads, self._out_grads = self._out_grads, []
        if dist.world_size() > 1:
            for li, n in grads:  # fold into the summed state so ranks add squared norms
                self._fwd_acc[li][0] += n.to(S.F64) ** 2
            grads = []
            sums = [s for s in (site.sum_state() for site in sites) if s is not None]
            dist.all_reduce_(sums + list(self._fwd_acc.values()), "sum")
            dist.all_reduce_([s.runmax for s in sites if s.unit_max() is not None], "max")
        states = [site.report_tensors() for site in sites]
        fwd = sorted(self._fwd_seen)
        reads = [a for a, _, _ in states if a is not None] + [d for _, d, _ in states if d is not None]
        reads += [self._fwd_acc[li] for li in fwd]
        if grads:
            reads.append(torch.stack([n for _, n in grads]))
        flat = torch.cat([t.reshape(-1) for t in reads]).tolist() if reads else []
        n_acc = sum(a is not None for a, _, _ in states)
        ai, di = 0, n_acc * S.ACC_SIZE
        blocks = []
        for site, (a, d, n_units) in zip(sites, states):
            acc = dead = None
            if a is not None:
                acc, ai = flat[ai : ai + S.ACC_SIZE], ai + S.ACC_SIZE
            if d is not None:
                dead, di = flat[di], di + 1
            names, values = site.report(acc, dead, n_units)
            if values:
                blocks.append(([(site.name, n) for n in names], values))
        fi = di + 3 * len(fwd)
        gsq: dict[int, float] = {}
        for (li, _), v in zip(grads, flat[fi:]):
            gsq[li] = gsq.get(li, 0.0) + v * v
        for k, li in enumerate(fwd):
            a0, nf_in, nf_out = flat[di + 3 * k : di + 3 * k + 3]
            name = self.params.names[li]
            keys = [(name, "nonfinite_in"), (name, "nonfinite_out")]
            vals = [nf_in, nf_out]
            if li in self._grad_armed:
                keys.insert(0, (name, "out_grad_norm"))
                vals.insert(0, math.sqrt(a0 + gsq.get(li, 0.0)))
            blocks.append((keys, vals))
            self._fwd_acc[li].zero_()
        self._grad_armed.clear()
        self._fwd_seen.clear()
        return blocks

    def _pull(self, step: int, blocks) -> None:
        losses, self._losses = self._losses, []
        values: list[float] = []
        keys: list[tuple[int, str, str]] = []
        for ks, _ in blocks:
            keys += [(step, layer, stat) for layer, stat in ks]
        tensors = [v.reshape(-1) for _, v in blocks if isinstance(v, torch.Tensor)]
        read = iter(torch.cat(tensors).tolist() if tensors else [])
        for _, v in blocks:  # tensor blocks were read in one transfer; host blocks are lists
            if isinstance(v, torch.Tensor):
                values += [next(read) for _ in range(v.numel())]
            else:
                values += v
        if losses:
            lt = torch.stack([l if isinstance(l, torch.Tensor) else torch.tensor(float(l)) for _, l in losses])
            if dist.world_size() > 1:
                lt = lt.to(S.F64)
                dist.all_reduce_([lt], "sum")
                lt /= dist.world_size()
            lvals = lt.tolist()
            keys += [(s, "", "loss") for s, _ in losses]
            values += lvals
            keys.append((step, "", "loss_nonfinite"))
            values.append(float(sum(1 for v in lvals if not math.isfinite(v))))
        rows = [{"step": s, "layer": layer, "stat": stat, "value": v} for (s, layer, stat), v in zip(keys, values)]
        for site in self._sites.values():
            if site.hist:
                for stat, (counts, edges) in site.hist.items():
                    self._publish_histogram(step, site.name, stat, edges, counts.tolist())
                site.hist = {}
        self._publish(rows, step)

    def _publish(self, rows: list[dict], step: int) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _publish_histogram(self, step, layer, stat, edges, counts) -> None:  # pragma: no cover
        raise NotImplementedError
