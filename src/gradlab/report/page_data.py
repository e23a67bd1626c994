"""What a report shows, as plain data: :class:`ReportData`.

:mod:`gradlab.report.data` fills it from a study directory (the store and the study's
statistics); the HTML page and the figure selection read only this, so both can be built and
tested from small in-memory studies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gradlab.study.results import GroupRow


@dataclass
class GroupInfo:
    """One trial group: every trial of one configuration (all axes but the seed).

    Attributes:
        key: the store's ``group_key``.
        label: a short human label, e.g. ``"model.act=elu, train.optimizer=adam"``.
        overrides: the swept keys and this group's values, ``{"model.act": "elu"}``.
        trial_ids: the trials of the group, in seed order.
        config: the group's full run configuration (one of its trials').
    """

    key: str
    label: str
    overrides: dict = field(default_factory=dict)
    trial_ids: list[str] = field(default_factory=list)
    config: dict = field(default_factory=dict)


@dataclass
class ReportData:
    """Everything the report draws and prints about one study.

    Attributes:
        name, description: the study's, as the user wrote them (escaped when printed).
        spec: the study definition as a dict (base configuration, sweep, compare).
        metric: the compared metric, e.g. ``"dev_accuracy"``.
        higher_is_better: direction of the metric.
        baseline: the baseline's swept values.
        axes: swept dotted keys -> their values, in study order.
        groups: the trial groups, baseline first.
        comparison: the comparison table rows, as the study's statistics computed them
            (:class:`gradlab.study.results.GroupRow`, NaN where there is no value).
        keys: the swept keys whose value differs between groups (the table's columns).
        verdict: the answer in a few sentences (:func:`gradlab.study.headline.headline`).
        sentences: every comparison in one sentence (:mod:`gradlab.study.verdict`).
        shown: the labels of the groups drawn in the curve and per-layer figures.
        layers: the model's layers from input to output (of a finished trial).
        trials: one dict per trial: trial_id, group_key, seed, status, metrics, wall_time, error.
        history: trial_id -> per-epoch rows (epoch, train_loss, dev_loss, train_<m>, dev_<m>).
        vitals: trial_id -> rows {epoch, layer, stat, value}.
        findings: trial_id -> ``Finding.to_dict()`` dicts.
        activations: trial_id -> activation snapshots recorded while it trained,
            ``{"layer", "epoch", "values"}`` (``Store.activations``), for the first done trial
            (lowest seed) of each group.
        versions: library versions the trials ran with.
        study_dir: where the study lives (for output).
    """

    name: str
    description: str = ""
    spec: dict = field(default_factory=dict)
    metric: str = "dev_accuracy"
    higher_is_better: bool = True
    baseline: dict = field(default_factory=dict)
    axes: dict[str, list] = field(default_factory=dict)
    groups: list[GroupInfo] = field(default_factory=list)
    comparison: list[GroupRow] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    verdict: list[str] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    layers: list[str] = field(default_factory=list)
    trials: list[dict] = field(default_factory=list)
    history: dict[str, list[dict]] = field(default_factory=dict)
    vitals: dict[str, list[dict]] = field(default_factory=dict)
    findings: dict[str, list[dict]] = field(default_factory=dict)
    activations: dict[str, list[dict]] = field(default_factory=dict)
    versions: dict[str, Any] = field(default_factory=dict)
    study_dir: str | None = None

    def trial(self, trial_id: str) -> dict:
        """The trial dict of ``trial_id`` (KeyError when unknown)."""
        for t in self.trials:
            if t["trial_id"] == trial_id:
                return t
        raise KeyError(trial_id)

    @property
    def metric_kind(self) -> str:
        """``"accuracy"`` or ``"loss"``/``"mse"``: the suffix the history rows use."""
        return self.metric.rsplit("_", 1)[-1]
