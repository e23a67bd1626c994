"""Many layer names written as a few patterns: ``enc.layers.{0-11}.linear{1,2}``.

A 12-block Transformer reports one finding per layer; listing fifty dotted paths tells a reader
less than the pattern they share. :func:`compress_names` writes a set of names as patterns in a
shell-brace style, each standing for exactly the names it expands to (no name is lost or
invented):

1. Each name is split at ``.``; a part that is a number (``layers.3``) is an index. Names with the
   same parts apart from their indices form a template, and the template's index tuples are
   written as products of index sets (``{0-11}`` for 0..11, ``{0,2,5-7}``).
2. Patterns that differ in one part only, with the same indices everywhere else, share a brace of
   alternatives: ``enc.layers.{0-11}.{linear1,norm1,self_attn}``.
3. Alternatives that are one stem with different trailing numbers read ``linear{1,2}``.

The result depends on the set of names only, not on their order.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

_INDEX = "#"
_TRAILING = re.compile(r"^(.*\D)(0|[1-9]\d*)$")


def natural_key(name: str) -> tuple:
    """Sort key that orders numbers inside names by value: ``layer2`` before ``layer10``."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", name) if p)


def _is_index(part: str) -> bool:
    return part.isdigit() and (part == "0" or not part.startswith("0"))  # "01" stays a word


def index_set(values: Iterable[int]) -> str:
    """``[0, 1, 2, 3, 7]`` -> ``{0-3,7}``; one value is written bare (``3``)."""
    vs = sorted(set(values))
    if len(vs) == 1:
        return str(vs[0])
    runs, start = [], 0
    for i in range(1, len(vs) + 1):
        if i == len(vs) or vs[i] != vs[i - 1] + 1:
            run = vs[start:i]
            runs.append(f"{run[0]}-{run[-1]}" if len(run) >= 3 else ",".join(map(str, run)))
            start = i
    return "{" + ",".join(runs) + "}"


def _blocks(tuples: set[tuple[int, ...]]) -> list[tuple[frozenset[int], ...]]:
    """Index tuples as a union of disjoint products of index sets (first position outermost)."""
    if not tuples or not next(iter(tuples)):
        return [()] if tuples else []
    rests: dict[int, set[tuple[int, ...]]] = defaultdict(set)
    for t in tuples:
        rests[t[0]].add(t[1:])
    by_rest: dict[tuple, set[int]] = defaultdict(set)
    for first, rest in rests.items():
        by_rest[tuple(sorted(tuple(tuple(sorted(s)) for s in b) for b in _blocks(rest)))].add(first)
    out = []
    for rest_key, firsts in by_rest.items():
        for b in rest_key:
            out.append((frozenset(firsts), *(frozenset(s) for s in b)))
    return out


def _alternatives(atoms: frozenset[str]) -> str:
    if len(atoms) == 1:
        return next(iter(atoms))
    split = [_TRAILING.match(a) for a in atoms]
    if all(split) and len({m.group(1) for m in split if m}) == 1:
        stem = split[0].group(1) if split[0] else ""
        return stem + index_set(int(m.group(2)) for m in split if m)
    return "{" + ",".join(sorted(atoms, key=natural_key)) + "}"


def compress_names(names: Iterable[str]) -> list[tuple[str, int]]:
    """Write distinct ``names`` as patterns, each with how many names it stands for.

    Args:
        names: layer names (duplicates count once).

    Returns:
        ``[(pattern, count), ...]`` ordered by the first name each pattern covers (numbers by
        value); the counts add up to the number of distinct names.

    Example:
        >>> compress_names(["fc1", "fc2", "fc3", "enc.0.a", "enc.1.a", "enc.0.b", "enc.1.b"])
        [('enc.{0,1}.{a,b}', 4), ('fc{1-3}', 3)]
    """
    distinct = set(names)
    # step 1: templates (parts with indices replaced) and their index tuples as products
    templates: dict[tuple[str, ...], set[tuple[int, ...]]] = defaultdict(set)
    for name in distinct:
        parts = name.split(".")
        templates[tuple(_INDEX if _is_index(p) else p for p in parts)].add(
            tuple(int(p) for p in parts if _is_index(p)))
    # a row: (parts: each INDEX or a set of alternative words, index sets per INDEX) -> names
    rows: dict[tuple, set[str]] = {}
    for template, tuples in templates.items():
        for block in _blocks(tuples):
            row = tuple(p if p == _INDEX else frozenset([p]) for p in template)
            rows[(row, block)] = _expand(row, block)
    # step 2: merge rows that differ in one word part only, position by position
    for pos in range(max((len(p) for p, _ in rows), default=0)):
        merged: dict[tuple, set[str]] = defaultdict(set)
        words: dict[tuple, frozenset[str]] = defaultdict(frozenset)
        for (parts, block), covered in rows.items():
            if pos < len(parts) and parts[pos] != _INDEX:
                # a name of one part joins only names of its own stem (fc1, fc2 -> fc{1,2}):
                # "{emb,head}" would say less than "emb, head"
                slot = _Slot(_stem(parts[pos]) if len(parts) == 1 else "")
                key = (parts[:pos] + (slot,) + parts[pos + 1:], block)
                words[key] |= parts[pos]
            else:
                key = (parts, block)
            merged[key] |= covered
        rows = {(tuple(words[key] if isinstance(p, _Slot) else p for p in key[0]), key[1]): covered
                for key, covered in merged.items()}
    out = [(_render(parts, block), len(covered), min(covered, key=natural_key))
           for (parts, block), covered in rows.items()]
    out.sort(key=lambda r: natural_key(r[2]))
    return [(pattern, n) for pattern, n, _ in out]


class _Slot(str):
    """The merged position of a row key (a str subclass so that it never equals a word)."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Slot) and str.__eq__(self, other)

    __hash__ = str.__hash__


def _stem(words: frozenset[str]) -> str:
    """What words may share a brace with: their stem when all are one stem with trailing
    numbers (``fc1``, ``fc12`` -> ``fc``), else the words themselves (no partner)."""
    matches = [_TRAILING.match(w) for w in words]
    stems = {m.group(1) for m in matches if m}
    if len(stems) == 1 and all(matches):
        return "stem:" + stems.pop()
    return "words:" + "\n".join(sorted(words))


def _expand(parts: tuple, block: tuple[frozenset[int], ...]) -> set[str]:
    names = [""]
    indices = iter(block)
    for i, part in enumerate(parts):
        choices = [str(v) for v in next(indices)] if part == _INDEX else list(part)
        names = [f"{n}.{c}" if i else c for n in names for c in choices]
    return set(names)


def _render(parts: tuple, block: tuple[frozenset[int], ...]) -> str:
    indices = iter(block)
    return ".".join(index_set(next(indices)) if p == _INDEX else _alternatives(p) for p in parts)


def describe_names(names: Iterable[str], width: int = 100) -> str:
    """Names as one line of patterns, at most about ``width`` characters: patterns that do not
    fit are summed up as ``… +N more``.

    Example:
        >>> describe_names([f"fc{i}" for i in range(1, 9)])
        'fc{1-8}'
    """
    pieces = compress_names(names)
    shown: list[str] = []
    used = 0
    for i, (pattern, _) in enumerate(pieces):
        if shown and used + len(pattern) + 2 > width:
            rest = sum(n for _, n in pieces[i:])
            return ", ".join(shown) + f", … +{rest} more"
        shown.append(pattern)
        used += len(pattern) + 2
    return ", ".join(shown)


__all__ = ["compress_names", "describe_names", "index_set", "natural_key"]
