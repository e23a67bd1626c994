"""Did-you-mean for unknown names: the closest valid name by edit distance with transpositions.

``difflib``'s similarity ratio rewards long shared runs, so a swapped pair of letters ("adma")
scores closer to a longer name ("adamax") than to the intended one ("adam"). Typing errors are
mostly single insertions, deletions, substitutions and swaps of neighbours (Damerau 1964), so the
suggestion is the name at the smallest optimal-string-alignment distance, ties broken first in
favour of a name that differs only by a doubled letter ("adamm" is "adam", not "adamw"), then by
the smaller difference in length, then by the order the names were given in.

:func:`did_you_mean` is the one hint every unknown-name error in gradlab appends (components,
config keys, studies, executors, rules, CLI families): it also recognises an abbreviation
("lrelu" for "leaky_relu") and a part of a name ("kaiming" for "kaiming_normal").
"""

from __future__ import annotations

from typing import Iterable, Mapping


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps.

    Example: ``edit_distance("adma", "adam") == 1`` and ``edit_distance("adma", "adamax") == 2``.
    """
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], prev2[j - 2] + 1)
        prev2, prev = prev, row
    return prev[len(b)]


def _undoubled(text: str) -> str:
    """``"adamm"`` -> ``"adam"``: runs of one letter collapsed to one."""
    return "".join(c for i, c in enumerate(text) if i == 0 or c != text[i - 1])


def max_typos(name: str) -> int:
    """How many edits still count as a typo of ``name``: one per three characters, at least one."""
    return max(1, (len(name) + 1) // 3)


def closest(name: str, candidates: Iterable[str], limit: int | None = None) -> str | None:
    """The candidate nearest to ``name`` (case-insensitive), or None when none is within ``limit``.

    Args:
        name: what the user typed.
        candidates: valid names, in the order that breaks remaining ties.
        limit: the largest distance accepted; default :func:`max_typos` of ``name``.
    """
    low = name.strip().lower()
    limit = max_typos(low) if limit is None else limit
    best: tuple[int, bool, int, int] | None = None
    choice = None
    for order, cand in enumerate(candidates):
        dist = edit_distance(low, cand.lower())
        if dist == 0 or dist > limit:
            continue
        key = (dist, _undoubled(cand.lower()) != _undoubled(low), abs(len(cand) - len(low)), order)
        if best is None or key < best:
            best, choice = key, cand
    return choice


def abbreviation(name: str) -> str:
    """``"leaky_relu"`` -> ``"lrelu"``: the initials of all words but the last, then the last."""
    parts = [p for p in name.split("_") if p]
    return "".join(p[0] for p in parts[:-1]) + (parts[-1] if parts else "")


def suggestion(name: str, choices: Iterable[str], aliases: Mapping[str, str] | None = None) -> str | None:
    """The valid name the user most likely meant, or None.

    Tried in order: an abbreviation of a choice (``"lrelu"`` -> ``"leaky_relu"``, not the typo
    distance to ``"relu"``), the :func:`closest` name or alias, then a choice or alias that
    contains what was typed or is contained in it (``"kaiming"`` -> ``"kaiming_normal"``).

    Args:
        name: what the user typed.
        choices: the valid names, in the order that breaks ties.
        aliases: other accepted spellings -> the name to suggest instead (never suggested as is).
    """
    aliases = dict(aliases or {})
    names = list(choices)
    pool = names + list(aliases)
    low = name.strip().lower()
    found = next((c for c in names if abbreviation(c.lower()) == low and c.lower() != low), None)
    if found is None:
        found = closest(low, pool)
    if found is None and low:
        found = next((c for c in pool if c.lower() != low and (low in c.lower() or c.lower() in low)), None)
    return None if found is None else aliases.get(found, found)


def did_you_mean(name: str, choices: Iterable[str], aliases: Mapping[str, str] | None = None,
                 prefix: str = "") -> str:
    """The hint an unknown-name message appends: ``" — did you mean 'adam'?"``, or ``""``.

    Args:
        name: what the user typed.
        choices: the valid names (see :func:`suggestion`).
        aliases: other accepted spellings -> the name to suggest instead.
        prefix: put before the suggestion (``"train."`` for a config key).
    """
    found = suggestion(name, choices, aliases)
    return f" — did you mean {prefix + found!r}?" if found else ""


__all__ = ["abbreviation", "closest", "did_you_mean", "edit_distance", "max_typos", "suggestion"]
