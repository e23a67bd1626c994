"""Study files: TOML <-> :class:`Study`, checked before anything runs.

A study is a base run configuration (the sections ``task``, ``model``, ``train``, ``watch`` of a
run config, see ``docs/contracts.md``) plus sweep axes over dotted keys, the seeds, and the
comparison to report::

    name = "dying-relu"
    seeds = 10
    [model]
    act = "relu"
    [sweep]
    "model.act" = ["relu", "elu"]
    [compare]
    metric = "dev_accuracy"
    baseline = { "model.act" = "relu" }

``[[sweep]]`` (an array of tables) gives several sweep blocks whose trials are pooled; a block
may carry its own ``mode`` and ``samples``. This module checks the shape of a study; the values
themselves are checked by :func:`gradlab.study.plan.plan_study` with the trainer's
``validate_config`` on every expanded configuration (``load_study`` does both).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gradlab.components.suggest import did_you_mean as _did_you_mean
from gradlab.errors import ConfigError
from gradlab.study.grid import MODES, same_value

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - 3.10
    import tomli as tomllib

SECTIONS = ("task", "model", "train", "watch")
TOP_KEYS = ("name", "description", "seeds", "executor", "sweep", "sweep_mode", "samples",
            "sample_seed", "compare", *SECTIONS)
COMPARE_KEYS = ("metric", "baseline", "higher_is_better", "alpha", "select", "select_on")
SWEEP_OPTIONS = ("mode", "samples")
# bounds on what is absurd: each configuration x seed is one trained network
MAX_SEEDS = 10_000
MAX_CONFIGS = 10_000
# a study's name is also its default folder runs/<name>: no separators, no leading dot or dash
_STUDY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_METRIC = re.compile(r"^(train|dev|test|best_dev|best_train)_(accuracy|loss|mse)$")
KNOWN_METRICS = (
    "dev_accuracy", "test_accuracy", "train_accuracy", "dev_loss", "test_loss", "train_loss",
    "dev_mse", "test_mse", "best_dev_accuracy", "best_epoch", "epochs_run", "wall_time",
    *("modes", "soft_modes", "mode_share", "hq_share", "d_wins", "d_loss", "g_dead_frac", "d_dead_frac"),  # GANs
    *("mc_test_accuracy", "mc_test_uncertainty", "mc_far_uncertainty", "ood_auroc"),  # MC dropout
)


@dataclass
class Sweep:
    """One block of sweep axes: dotted key -> values, expanded with ``mode``."""

    axes: dict[str, list]
    mode: str = "grid"
    samples: int | None = None


@dataclass
class Compare:
    """What to compare: a metric and the baseline's values of (some) swept keys."""

    metric: str = "dev_accuracy"
    baseline: dict = field(default_factory=dict)
    higher_is_better: bool | None = None
    alpha: float = 0.05
    select: str | None = None
    select_on: str | None = None

    @property
    def higher(self) -> bool:
        """Whether a larger metric is better (losses and errors are not)."""
        if self.higher_is_better is not None:
            return bool(self.higher_is_better)
        return not any(word in self.metric for word in ("loss", "mse", "error", "epoch", "time"))


@dataclass
class Study:
    """A study: base config, sweep, seeds and comparison.

    Args:
        name: short name, also the default output folder ``runs/<name>``.
        description: one line shown by ``gradlab studies``.
        config: the base run config (sections task/model/train/watch).
        seeds: a count n (seeds 0..n-1) or an explicit list of seeds.
        sweep: ``{"model.act": [...], ...}`` or a list of such blocks (each may hold ``mode``
            and ``samples``).
        sweep_mode: default mode of the blocks: "grid", "zip" or "random".
        samples: default number of draws for "random".
        sample_seed: seed of the "random" draw.
        compare: ``{"metric": ..., "baseline": {...}}`` or a :class:`Compare`.
        executor: the executor the study runs on by default ("local", "ensemble", "ray");
            ``gradlab run --executor`` overrides it. None means "local".
    """

    name: str
    description: str = ""
    config: dict = field(default_factory=dict)
    seeds: Any = 3
    sweep: Any = field(default_factory=list)
    sweep_mode: str = "grid"
    samples: int | None = None
    sample_seed: int = 0
    compare: Any = field(default_factory=Compare)
    source: str | None = None
    executor: str | None = None

    def __post_init__(self) -> None:
        self.name = check_name(self.name)
        self.seeds = _check_seeds(self.seeds)
        self.executor = _check_executor(self.executor)
        if self.sweep_mode not in MODES:
            raise ConfigError(
                f"sweep_mode = {self.sweep_mode!r} is not valid{_did_you_mean(str(self.sweep_mode), MODES)}"
                f" (choices: {', '.join(MODES)})"
            )
        self.config = _check_config(self.config)
        self.sweep = _check_sweeps(self.sweep, self.sweep_mode, self.samples)
        _check_size(self.sweep)
        if not isinstance(self.description, str):
            raise ConfigError(f"description must be a string, got {type(self.description).__name__}")
        if isinstance(self.sample_seed, bool) or not isinstance(self.sample_seed, int):
            raise ConfigError(f"sample_seed must be an integer, got {self.sample_seed!r}"[:200])
        if not isinstance(self.compare, (dict, Compare)):
            raise ConfigError(f"[compare] must be a table such as {{ metric = \"dev_accuracy\" }}, "
                              f"got {type(self.compare).__name__}")
        if isinstance(self.compare, dict):
            unknown = [k for k in self.compare if k not in COMPARE_KEYS]
            if unknown:
                raise ConfigError(
                    f"unknown key [compare].{unknown[0]}{_did_you_mean(unknown[0], COMPARE_KEYS)}"
                    f" (choices: {', '.join(COMPARE_KEYS)})"
                )
            self.compare = Compare(**self.compare)
        _check_compare(self.compare, self.sweep, self.config)

    @property
    def swept_keys(self) -> list[str]:
        """Every dotted key some sweep block varies, in file order."""
        keys: list[str] = []
        for block in self.sweep:
            keys += [k for k in block.axes if k not in keys]
        return keys

    @classmethod
    def from_dict(cls, data: dict, source: str | None = None) -> "Study":
        """Build a study from the parsed TOML structure (unknown keys are errors)."""
        if not isinstance(data, dict):
            raise ConfigError(f"a study must be a table of keys, got {type(data).__name__}")
        unknown = [k for k in data if k not in TOP_KEYS]
        if unknown:
            raise ConfigError(
                f"unknown study key {unknown[0]!r}{_did_you_mean(unknown[0], TOP_KEYS)}"
                f" (choices: {', '.join(TOP_KEYS)})"
            )
        if "name" not in data:
            raise ConfigError("a study needs a name: add  name = \"my-study\"  at the top")
        config = {s: copy.deepcopy(data[s]) for s in SECTIONS if s in data}
        kw = {k: data[k] for k in ("description", "seeds", "executor", "sweep", "sweep_mode",
                                   "samples", "sample_seed", "compare") if k in data}
        return cls(name=str(data["name"]), config=config, source=source, **kw)

    def to_dict(self) -> dict:
        """The TOML-shaped structure (what ``from_dict`` reads back)."""
        out: dict = {"name": self.name, "description": self.description, "seeds": list(self.seeds)}
        if self.executor is not None:
            out["executor"] = self.executor
        out.update(copy.deepcopy(self.config))
        out["sweep"] = [
            {**b.axes, "mode": b.mode, **({"samples": b.samples} if b.samples else {})}
            for b in self.sweep
        ]
        out["sample_seed"] = self.sample_seed
        out["compare"] = {"metric": self.compare.metric, "baseline": dict(self.compare.baseline),
                          "higher_is_better": self.compare.higher, "alpha": self.compare.alpha}
        if self.compare.select:  # only then: older studies keep their stored compare table
            from gradlab.study.selection import default_select_on

            on = self.compare.select_on or default_select_on(self.compare.metric)
            out["compare"].update(select=self.compare.select, select_on=on)
        return out


def check_name(name: Any) -> str:
    """A study name that is safe as a folder name under ``runs/`` (else ConfigError).

    Allowed: 1 to 64 letters, digits, ``-``, ``_`` and ``.``, starting with a letter or a digit;
    so ``runs/<name>`` can never leave ``runs/`` ("../x", "/tmp/x") nor be ``runs/`` itself ("").
    """
    if not isinstance(name, str) or not _STUDY_NAME.match(name):
        shown = repr(name) if len(repr(name)) <= 80 else repr(name)[:77] + "..."
        raise ConfigError(
            f"study name {shown} is not valid: use 1 to 64 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit (it names the folder runs/<name>), e.g. "
            "name = \"my-study\""
        )
    return name


def _check_seeds(seeds: Any) -> list[int]:
    from gradlab.train.validate import MAX_SEED

    if isinstance(seeds, bool):
        raise ConfigError(f"seeds = {seeds!r}: expected a count such as 5 or a list of seeds")
    if isinstance(seeds, int):
        if seeds < 1:
            raise ConfigError(f"seeds = {seeds}: need at least 1 seed")
        if seeds > MAX_SEEDS:
            raise ConfigError(f"seeds = {seeds:,} is more than the {MAX_SEEDS:,} seeds a study "
                              "may run")
        return list(range(seeds))
    if isinstance(seeds, (list, tuple)) and seeds and all(
        isinstance(s, int) and not isinstance(s, bool) and 0 <= s <= MAX_SEED for s in seeds
    ):
        if len(seeds) > MAX_SEEDS:
            raise ConfigError(f"seeds lists {len(seeds):,} seeds, more than the {MAX_SEEDS:,} a "
                              "study may run")
        if len(set(seeds)) != len(seeds):
            raise ConfigError("seeds = [...] lists a seed twice")
        return list(seeds)
    shown = repr(seeds) if len(repr(seeds)) <= 60 else repr(seeds)[:57] + "..."
    raise ConfigError(
        f"seeds = {shown}: expected a count such as 5 or a list of integers from 0 to {MAX_SEED}"
    )


def _check_executor(executor: Any) -> str | None:
    from gradlab.study.executors import EXECUTORS

    if executor is None:
        return None
    if not isinstance(executor, str) or executor not in EXECUTORS:
        raise ConfigError(
            f"executor = {executor!r} is not valid{_did_you_mean(str(executor), EXECUTORS)}"
            f" (choices: {', '.join(EXECUTORS)})"
        )
    return executor


def _check_config(config: dict) -> dict:
    if not isinstance(config, dict):
        raise ConfigError(f"a study's config must be a table of sections, got {config!r}")
    for key, value in config.items():
        if key not in SECTIONS:
            raise ConfigError(
                f"unknown config section {key!r}{_did_you_mean(key, SECTIONS)}"
                f" (choices: {', '.join(SECTIONS)})"
            )
        if not isinstance(value, dict):
            raise ConfigError(f"[{key}] must be a table, got {value!r}")
    return copy.deepcopy(config)


def _check_key(key: str) -> None:
    section, _, rest = key.partition(".")
    if not rest:
        raise ConfigError(
            f"sweep key {key!r} must be dotted as section.key, e.g. 'model.act' "
            f"(sections: {', '.join(SECTIONS)})"
        )
    if section not in SECTIONS:
        raise ConfigError(
            f"sweep key {key!r}: unknown section {section!r}{_did_you_mean(section, SECTIONS)}"
            f" (choices: {', '.join(SECTIONS)})"
        )


def _check_sweeps(sweep: Any, default_mode: str, default_samples: int | None) -> list[Sweep]:
    if isinstance(sweep, (dict, Sweep)):
        sweep = [sweep]
    if not isinstance(sweep, list):
        raise ConfigError(f"sweep must be a table or a list of tables, got {sweep!r}")
    blocks = []
    for raw in sweep:
        if isinstance(raw, Sweep):
            raw = {**raw.axes, "mode": raw.mode, "samples": raw.samples}
        if not isinstance(raw, dict):
            raise ConfigError(f"a sweep block must be a table, got {raw!r}")
        axes = {k: v for k, v in raw.items() if k not in SWEEP_OPTIONS}
        for key, values in axes.items():
            _check_key(key)
            if not isinstance(values, list) or not values:
                raise ConfigError(
                    f"sweep {key!r} = {values!r}: expected a non-empty list of values"
                )
        mode = raw.get("mode") or default_mode
        if mode not in MODES:
            raise ConfigError(
                f"sweep mode = {mode!r} is not valid{_did_you_mean(str(mode), MODES)}"
                f" (choices: {', '.join(MODES)})"
            )
        blocks.append(Sweep(axes, mode, raw.get("samples") or default_samples))
    return blocks


def planned_configs(block: Sweep) -> int:
    """How many configurations a sweep block expands to, counted without expanding it."""
    from gradlab.study.grid import grid_size

    if block.mode == "zip":
        return max((len(v) for v in block.axes.values()), default=1)
    if block.mode == "random" and isinstance(block.samples, int) and block.samples > 0:
        return min(block.samples, grid_size(block.axes))
    return grid_size(block.axes)


def _check_size(sweeps: list[Sweep]) -> None:
    # counted before planning: validating 10^6 configurations one by one takes many minutes
    total = sum(planned_configs(b) for b in sweeps)
    if total > MAX_CONFIGS:
        raise ConfigError(
            f"the sweep has {total:,} configurations, more than the {MAX_CONFIGS:,} a study may "
            "run: sweep fewer values, or draw some with mode = \"random\" and samples = N"
        )


def _check_compare(compare: Compare, sweeps: list[Sweep], config: dict) -> None:
    if not (_METRIC.match(compare.metric) or compare.metric in KNOWN_METRICS):
        raise ConfigError(
            f"[compare] metric = {compare.metric!r} is not a trial metric"
            f"{_did_you_mean(compare.metric, KNOWN_METRICS)} (choices: {', '.join(KNOWN_METRICS)})"
        )
    if not 0 < compare.alpha < 1:
        raise ConfigError(f"[compare] alpha = {compare.alpha!r}: expected 0 < alpha < 1")
    if compare.select is not None and compare.select not in {k for b in sweeps for k in b.axes}:
        raise ConfigError(f"[compare] select = {compare.select!r} is not a swept key "
                          "(select names the key whose best value is chosen per group, e.g. 'train.lr')")
    if compare.select_on is not None and not (_METRIC.match(compare.select_on)
                                              or compare.select_on in KNOWN_METRICS):
        raise ConfigError(f"[compare] select_on = {compare.select_on!r} is not a trial metric"
                          f"{_did_you_mean(compare.select_on, KNOWN_METRICS)}")
    if not isinstance(compare.baseline, dict):
        raise ConfigError(f"[compare] baseline must be a table of swept keys, got {compare.baseline!r}")
    swept: dict[str, Any] = {}
    for block in sweeps:
        for key, values in block.axes.items():
            swept.setdefault(key, []).extend(values)
    for key, value in compare.baseline.items():
        if key not in swept:
            raise ConfigError(
                f"[compare] baseline key {key!r} is not swept"
                f"{_did_you_mean(key, list(swept))} (swept keys: {', '.join(swept) or 'none'})"
            )
        section, _, leaf = key.partition(".")
        base = config.get(section, {})
        allowed = swept[key] + ([base[leaf]] if leaf in base else [])
        if not any(same_value(value, v) for v in allowed):
            raise ConfigError(
                f"[compare] baseline {key} = {value!r} is neither a swept value nor the base "
                f"config's (choices: {', '.join(map(repr, allowed))})"
            )


def load_study(source: "str | Path | Study | dict", *, validate: bool = True) -> Study:
    """Load a study from a TOML file, a built-in study's name, a dict or a Study.

    With ``validate`` (the default) every expanded configuration is also checked with the
    trainer's ``validate_config``, so a typo fails here and not after an hour of training.

    Raises:
        ConfigError: the file or name is unknown, or a key or value is invalid.
    """
    if isinstance(source, Study):
        study = source
    elif isinstance(source, dict):
        study = Study.from_dict(source)
    else:
        path = Path(source)
        if not path.is_file():
            from gradlab.studies import find_study

            path = find_study(str(source))
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        except UnicodeDecodeError as exc:  # say where, never what: the bytes may be anything
            raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start:,} cannot be decoded); "
                              "save the study file as UTF-8") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read the study file: {exc.strerror or exc}") from None
        try:
            study = Study.from_dict(data, source=str(path))
        except ConfigError as exc:
            raise type(exc)(f"{path.name}: {exc}") from None
    if validate:
        from gradlab.study.plan import plan_study

        plan_study(study)
    return study
