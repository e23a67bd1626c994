"""Layer names as patterns: each pattern expands to exactly the names it stands for, checked by
expanding it back with a brace expander written here, on random sets of names."""

import random
import re

import pytest

from gradlab.diagnose.name_ranges import compress_names, describe_names, index_set


def expand(pattern: str) -> list[str]:
    """Shell-style brace expansion with ``a-b`` ranges of integers (the slow, obvious way)."""
    depth, start = 0, None
    for i, ch in enumerate(pattern):
        if ch == "{":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                inner, alts, level, last = pattern[start + 1:i], [], 0, 0
                for j, c in enumerate(inner + ","):
                    level += c == "{"
                    level -= c == "}"
                    if c == "," and level == 0:
                        alts.append(inner[last:j])
                        last = j + 1
                choices = []
                for alt in alts:
                    m = re.fullmatch(r"(\d+)-(\d+)", alt)
                    choices += [str(v) for v in range(int(m[1]), int(m[2]) + 1)] if m else expand(alt)
                return [pattern[:start] + c + rest for c in choices for rest in expand(pattern[i + 1:])]
    return [pattern]


def _random_names(rng: random.Random) -> set[str]:
    words = ["enc", "layers", "linear", "norm", "self_attn", "out_proj", "fc", "head", "emb", ":relu#"]
    names = set()
    for _ in range(rng.randint(1, 40)):
        parts = []
        for _ in range(rng.randint(1, 4)):
            kind = rng.random()
            if kind < 0.3:
                parts.append(str(rng.randint(0, 12)))
            elif kind < 0.6:
                parts.append(rng.choice(words) + str(rng.randint(0, 3)))
            else:
                parts.append(rng.choice(words))
        names.add(".".join(parts))
    return names


@pytest.mark.parametrize("seed", range(200))
def test_patterns_expand_to_exactly_the_names_once_each(seed):
    rng = random.Random(seed)
    names = _random_names(rng)
    pieces = compress_names(names)
    expanded = [name for pattern, _ in pieces for name in expand(pattern)]
    assert sorted(expanded) == sorted(names)  # every name, none twice, none invented
    assert [n for _, n in pieces] == [len(expand(p)) for p, _ in pieces]
    shuffled = list(names) * 2  # order and duplicates do not matter
    rng.shuffle(shuffled)
    assert compress_names(shuffled) == pieces


def test_readable_patterns_for_the_usual_shapes():
    assert compress_names([f"encoder.layers.{i}.linear{j}" for i in range(12) for j in (1, 2)]) == [
        ("encoder.layers.{0-11}.linear{1,2}", 24)]
    assert compress_names(["fc1", "fc2", "fc3", "fc4", "head", "emb"]) == [("emb", 1), ("fc{1-4}", 4), ("head", 1)]
    assert compress_names([":relu#0", ":relu#1", ":relu#2"]) == [(":relu#{0-2}", 3)]
    block = [f"enc.layers.{i}.{w}" for i in range(9) for w in ("self_attn", "norm1", "linear1")]
    assert compress_names(block) == [("enc.layers.{0-8}.{linear1,norm1,self_attn}", 27)]
    assert index_set([0, 1, 2, 3, 7, 9, 10]) == "{0-3,7,9,10}" and index_set([5]) == "5"


def test_a_long_list_is_cut_with_the_count_of_the_rest():
    names = [f"tower{i}.w" for i in range(0, 40, 3)] + [f"b{i}.x{i % 7}" for i in range(30)]
    line = describe_names(names, width=40)
    m = re.search(r"… \+(\d+) more$", line)
    assert m and len(line) < 40 + len(m[0]) + 10
    shown = line[:m.start()].rstrip(", ").split(", ")
    assert sum(len(expand(p)) for p in shown) + int(m[1]) == len(names)
    assert "more" not in describe_names(names, width=10_000)
