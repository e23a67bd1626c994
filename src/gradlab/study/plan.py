"""From a study to its trials: expand the sweep, validate each config, hash it, label it.

A configuration is identified by :func:`config_hash`, the SHA-256 of the canonical JSON of the
full validated config (sorted keys, no whitespace). The same config in a changed study file
keeps its hash, which is how a re-run under an existing folder finds the trials it already has.
"""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable

from gradlab.errors import ConfigError
from gradlab.study.grid import expand_axes, same_value

if TYPE_CHECKING:  # annotations only: spec imports plan (load_study validates by planning)
    from gradlab.study.spec import Study


@dataclass
class Point:
    """One configuration of a study (all its seeds share it)."""

    assignment: dict  # swept dotted key -> value
    config: dict      # the full validated config
    config_hash: str
    label: str        # short readable group label, e.g. "act=elu optimizer=adam"


def _config_api():
    try:
        from gradlab.train import config as cfg
    except ModuleNotFoundError as exc:  # pragma: no cover - only while the trainer is missing
        raise ConfigError(f"cannot validate study configs: {exc}") from None
    return cfg


def canonical_json(value: Any) -> str:
    """Canonical JSON: sorted keys, compact separators, non-JSON values as strings."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def config_hash(config: dict) -> str:
    """Stable identity of a validated configuration (hex SHA-256 of its canonical JSON)."""
    return hashlib.sha256(canonical_json(config).encode()).hexdigest()


def short_names(keys: Iterable[str]) -> dict[str, str]:
    """``["model.act", "train.lr"]`` -> ``{"model.act": "act", "train.lr": "lr"}`` (full if ambiguous)."""
    keys = list(keys)
    short = [k.rsplit(".", 1)[-1] for k in keys]
    return {k: s if short.count(s) == 1 else k for k, s in zip(keys, short)}


def value_text(value: Any) -> str:
    """A swept value as a label shows it: strings as they are, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def label_of(assignment: dict) -> str:
    """``{"model.act": "elu", "train.lr": 0.1}`` -> ``"act=elu lr=0.1"`` (full key if ambiguous)."""
    if not assignment:
        return "base"
    names = short_names(assignment)
    return " ".join(f"{names[key]}={value_text(value)}" for key, value in assignment.items())


def parse_override(text: str) -> tuple[str, Any]:
    """``"train.lr=0.1"`` -> ``("train.lr", 0.1)``; values are TOML literals, else strings."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ConfigError(f"--set {text!r}: expected key=value, e.g. --set train.epochs=50")
    try:  # Python 3.11+ (3.10: the tomli backport, as gradlab.study.spec reads study files)
        import tomllib
    except ModuleNotFoundError:  # pragma: no cover - 3.10
        import tomli as tomllib

    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key, value


def apply_overrides(study: Study, overrides: Iterable[str | tuple[str, Any]]) -> Study:
    """A copy of ``study`` with fixed keys of its base config replaced (``--set``)."""
    cfg = _config_api()
    study = copy.deepcopy(study)
    for item in overrides:
        key, value = parse_override(item) if isinstance(item, str) else item
        if key in study.swept_keys:
            raise ConfigError(
                f"--set {key}: the study sweeps {key}; --set changes only fixed keys "
                "(edit the study's [sweep] to change its values)"
            )
        if "." not in key:
            raise ConfigError(f"--set {key!r}: expected a dotted key such as train.epochs")
        cfg.set_dotted(study.config, key, value)
    return study


def _validate(cfg, config: dict, where: str) -> dict:
    try:
        return cfg.validate_config(copy.deepcopy(config))
    except ConfigError as exc:
        raise type(exc)(f"{where}: {exc}") from None


def plan_study(study: Study) -> list[Point]:
    """Every configuration of the study, validated, deduplicated by hash, in sweep order.

    Raises:
        ConfigError: naming the study, the key and the bad value.
    """
    cfg = _config_api()
    _validate(cfg, study.config, f"study {study.name!r}, base config")
    # each swept value alone first, so the error names the axis and the value
    for block in study.sweep:
        for key, values in block.axes.items():
            for value in values:
                config = copy.deepcopy(study.config)
                cfg.set_dotted(config, key, value)
                _validate(cfg, config, f"study {study.name!r}, sweep {key} = {value!r}")
    points: list[Point] = []
    seen: set[str] = set()
    for block in study.sweep or [None]:
        assignments = (
            [{}] if block is None
            else expand_axes(block.axes, block.mode, block.samples, study.sample_seed)
        )
        for assignment in assignments:
            config = copy.deepcopy(study.config)
            for key, value in assignment.items():
                cfg.set_dotted(config, key, value)
            config = _validate(cfg, config, f"study {study.name!r}, point {label_of(assignment)}")
            digest = config_hash(config)
            if digest not in seen:
                seen.add(digest)
                points.append(Point(assignment, config, digest, label_of(assignment)))
    return points


def effective_values(config: dict, keys: list[str]) -> dict:
    """The value of every swept key in a full config (None where the config lacks the key).

    A point of one sweep block does not name the keys other blocks sweep; its config still holds
    their values, which is what lets points of different blocks be matched to a baseline.
    """
    out = {}
    for key in keys:
        node: Any = config
        for part in key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        out[key] = node
    return out


def baseline_for(values: dict, candidates: list[dict], baseline: dict) -> int | None:
    """Index of the candidate a point is compared with, or None for a baseline point.

    Args:
        values: the point's effective values (:func:`effective_values`) of every swept key.
        candidates: the effective values of every point of the study, in order.
        baseline: swept key -> baseline value (empty: the first point is the baseline).

    The baseline of a point is the point with the same values except the baseline keys, which
    take the baseline's values ("elu, adam" is compared with "relu, adam"); failing that, the
    baseline point that shares most values with it.
    """
    if not baseline:
        return None if not candidates or values is candidates[0] else 0

    def same(a: dict, b: dict, keys) -> bool:
        return all(same_value(a.get(k), b.get(k)) for k in keys)

    if same(values, baseline, baseline):
        return None
    target = {**values, **baseline}
    for i, cand in enumerate(candidates):
        if same(cand, target, target):
            return i
    matching = [i for i, cand in enumerate(candidates) if same(cand, baseline, baseline)]
    if not matching:
        return None
    return max(matching, key=lambda i: sum(same_value(candidates[i].get(k), v)
                                           for k, v in values.items()))
