"""The answer first: a few sentences over a whole study's results.

What is wrong with the baseline (the findings of its trials), which configuration wins and by how
much (with its interval), what else helps, and what does not. ``gradlab show`` prints these under
its table and the report opens with them; both read only :class:`StudyResults`, so they agree.
"""

from __future__ import annotations

from gradlab.study import verdict as V


def _listing(labels: list[str], most: int = 4) -> str:
    shown = ", ".join(labels[:most])
    return shown + (f" and {len(labels) - most} more" if len(labels) > most else "")


def _baseline_sentence(results, base) -> str:
    trials = base.n + base.failed
    found = sorted(base.findings.items(), key=lambda kv: -kv[1])[:3]
    names = [f"{code.replace('_', ' ')} ({k}/{trials} trials)" for code, k in found]
    state = f"gradlab finds {', '.join(names)}" if names else "gradlab finds nothing wrong in its training"
    return (f"The baseline ({base.label}) reaches {V.num(base.mean)} {results.metric} "
            f"(95% CI {V.interval(base.ci_low, base.ci_high)}); {state}.")


def _effect(g) -> str:
    return (f"{V.num(g.diff, True)} (95% CI {V.interval(g.diff_low, g.diff_high, True)}, "
            f"Holm-adjusted {V.p_text(g.p_holm)})")


def winners(rows, higher: bool) -> list:
    """The groups better than their baseline after Holm, best mean first (the first wins)."""
    sign = 1 if higher else -1
    return sorted((g for g in rows if g.verdict == V.BETTER), key=lambda g: -sign * g.mean)


def headline(results) -> list[str]:
    """The study's answer as 2-5 plain sentences (an empty study gets one saying so)."""
    rows = results.groups
    compared = [g for g in rows if g.verdict not in (V.BASELINE, V.UNTESTED)]
    if not compared:
        return [f"No group can be compared with its baseline on {results.metric} yet: each side "
                "needs at least two finished seeds."]
    out = []
    bases = {g.label: g for g in rows if g.verdict == V.BASELINE}
    used = list(dict.fromkeys(g.baseline for g in compared))
    if len(used) == 1 and used[0] in bases:
        out.append(_baseline_sentence(results, bases[used[0]]))
    by_verdict = {v: [g for g in compared if g.verdict == v] for v in
                  (V.BETTER, V.WORSE, V.UNCLEAR, V.TOO_FEW, V.IDENTICAL)}
    better = winners(compared, results.higher_is_better)
    if better:
        best = better[0]
        out.append(f"Best: {best.label}, {V.num(best.mean)} {results.metric} "
                   f"(95% CI {V.interval(best.ci_low, best.ci_high)}), {_effect(best)} against "
                   f"{best.baseline}.")
        if len(better) > 1:
            out.append(f"Also better than their baseline: "
                       f"{_listing([f'{g.label} ({V.num(g.diff, True)})' for g in better[1:]])}.")
    else:
        out.append(f"No configuration is clearly better than its baseline on {results.metric}.")
    if by_verdict[V.IDENTICAL]:
        out.append(f"Change nothing (the same {results.metric} on every seed): "
                   f"{_listing([g.label for g in by_verdict[V.IDENTICAL]])}.")
    if by_verdict[V.UNCLEAR]:
        out.append(f"No clear difference: {_listing([g.label for g in by_verdict[V.UNCLEAR]])}.")
    if by_verdict[V.WORSE]:
        out.append(f"Worse than their baseline: "
                   f"{_listing([f'{g.label} ({V.num(g.diff, True)})' for g in by_verdict[V.WORSE]])}.")
    if by_verdict[V.TOO_FEW]:
        # Holm divides alpha by the number of comparisons that can differ: enough seeds for one
        # comparison alone would still leave every verdict "no clear difference"
        tested = max(1, len(compared) - len(by_verdict[V.IDENTICAL]))
        need = V.needed_pairs(results.alpha / tested)
        short = [g for g in by_verdict[V.TOO_FEW] if min(g.n, g.n_baseline) < need]
        ties = len(by_verdict[V.TOO_FEW]) - len(short)
        if short:
            fewest = min(min(g.n, g.n_baseline) for g in short)
            across = f" after Holm's correction for {tested} comparisons" if tested > 1 else ""
            out.append(f"{len(short)} of {len(compared)} comparisons have too few seeds to tell "
                       f"({fewest} seeds; an exact test needs {need} to reach "
                       f"p<{results.alpha:g}{across}: run with --seeds {need} or more).")
        if ties:
            out.append(f"{ties} of {len(compared)} comparisons cannot tell because the two sides "
                       f"give the same {results.metric} on most seeds (too few seeds differ).")
    return out
