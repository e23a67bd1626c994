"""A comparison in words: the one-word verdict of a group and the sentence that explains it.

The words promise no more than the statistics hold: "beats" and "trails" only for a difference
significant after Holm's correction; "no clear difference" with the interval otherwise; "too few
seeds to tell" when no outcome of these seeds could reach significance (the exact test's smallest
p-value is not below alpha); "identical" when every seed gave the same value on both sides.
"""

from __future__ import annotations

import math

BASELINE, BETTER, WORSE, UNCLEAR, TOO_FEW, IDENTICAL, UNTESTED = (
    "baseline", "better", "worse", "no clear difference", "too few seeds", "identical",
    "not tested")
NOT_CHOSEN = "not chosen"  # with [compare] select: another value of the tuned key won on dev


def num(x: float | None, signed: bool = False) -> str:
    """Three significant digits; '—' for no value; infinities as '∞'."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if math.isinf(x):
        return ("+" if signed and x > 0 else "-" if x < 0 else "") + "∞"
    if x == 0:
        return "0"
    return format(x, "+.3g" if signed else ".3g")


def interval(low: float | None, high: float | None, signed: bool = False) -> str:
    """``"0.71 to 0.83"``; '—' when there is no interval."""
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return "—"
    return f"{num(low, signed)} to {num(high, signed)}"


def p_text(p: float | None) -> str:
    """A p-value as text: 'p<0.001' below a thousandth, else two significant digits."""
    if p is None or math.isnan(p):
        return "—"
    return "p<0.001" if p < 1e-3 else f"p={p:.2g}"


def verdict_of(g, higher: bool) -> str:
    """The one-word verdict of a :class:`~gradlab.study.results.GroupRow`."""
    if g.baseline is None:
        return BASELINE
    if g.diff is None:
        return UNTESTED
    if g.identical:
        return IDENTICAL
    if g.too_few:
        return TOO_FEW
    if not g.significant:
        return UNCLEAR
    return BETTER if (g.diff > 0) == higher else WORSE


def needed_pairs(alpha: float) -> int:
    """The fewest paired seeds with which the sign-flip test can reach p < alpha (2 / 2**n)."""
    n = 1
    while 2.0 / 2**n >= alpha:
        n += 1
    return n


def _holm(m: int) -> str:
    return f"after Holm's correction for {m} comparison{'s' if m != 1 else ''}"


def sentence(g, metric: str, higher: bool, alpha: float, comparisons: int) -> str:
    """One sentence for a compared group (empty for a baseline)."""
    v = verdict_of(g, higher)
    if v == BASELINE:
        return ""
    head = f"{g.label} vs {g.baseline}"
    if v == UNTESTED:
        return f"{head}: too few finished seeds to compare (n={g.n}; each side needs 2)"
    if v == IDENTICAL:
        return f"{head}: identical {metric} on every seed"
    ci = f"95% CI {interval(g.diff_low, g.diff_high, True)}"
    if v == TOO_FEW:
        n = min(g.n, g.n_baseline)
        seeds = f"{n} seeds" if g.n_differ >= n else f"only {g.n_differ} of {n} seeds differ, and"
        return (f"{head}: too few seeds to tell (difference {num(g.diff, True)} {metric}; "
                f"{seeds} no exact test reaches p<{alpha:g} with fewer than "
                f"{needed_pairs(alpha)} differing paired seeds)")
    if v == UNCLEAR:
        return (f"{head}: no clear difference ({num(g.diff, True)} {metric}, {ci}, "
                f"{p_text(g.p)}; {_holm(comparisons)}: {p_text(g.p_holm)})")
    verb = "beats" if v == BETTER else "trails"
    return (f"{g.label} {verb} {g.baseline} by {num(g.diff, True)} {metric} "
            f"({ci}, {p_text(g.p)}; {_holm(comparisons)}: {p_text(g.p_holm)})")
