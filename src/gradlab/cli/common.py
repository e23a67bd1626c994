"""Options and output shared by the commands that build a run (``train``, ``checkup``, ``study``).

Each option is an ``Annotated`` alias; :data:`RUN_OPTIONS` lists the 28 options of a command
that builds one run, and :func:`run_command` gives them to a command, so ``train`` and
``checkup`` declare none of their own. Every run option defaults to None ("not given");
:func:`options_to_config` fills the CLI defaults in :data:`CLI_DEFAULTS` and returns a validated
run config.
"""

from __future__ import annotations

import inspect
import json
import math
from dataclasses import dataclass
from typing import Annotated, Any, Callable, Optional

import typer

from gradlab.errors import ConfigError

# What `gradlab train` trains when given no options: a sensible generic setup, not a seed's
# pathology. The README's quickstart passes the dying-ReLU network's options explicitly.
CLI_DEFAULTS: dict[str, Any] = {
    "task": "moons", "model": "mlp", "hidden": "16,16", "act": "relu", "init": "he_normal",
    "bias_init": "zeros", "norm": "none", "norm_position": "before", "dropout": "0",
    "optimizer": "adam", "lr": 0.01, "epochs": 100, "batch_size": 64, "schedule": "constant",
    "weight_decay": 0.0, "every": 10,
}


def _opt(*flags: str, help: str, key: str | None = None, **kw: Any) -> Any:
    default = CLI_DEFAULTS.get(key) if key else None
    suffix = f" (default: {default})" if default is not None else ""
    return typer.Option(*flags, help=help + suffix, show_default=False, **kw)


TaskOpt = Annotated[Optional[str], _opt(
    "--task", key="task", help="Task name or spec, e.g. moons or 'moons(noise=0.3)'.")]
ModelOpt = Annotated[Optional[str], _opt("--model", key="model", help="Model builder: mlp, cnn, resnet, ...")]
HiddenOpt = Annotated[Optional[str], _opt(
    "--hidden", key="hidden", help="Hidden widths, comma-separated, e.g. 3,3,3,3.")]
DepthOpt = Annotated[Optional[int], _opt(
    "--depth", help="Number of hidden layers (with --width, instead of --hidden).")]
WidthOpt = Annotated[Optional[int], _opt("--width", help="Width of each hidden layer (with --depth).")]
ActOpt = Annotated[Optional[str], _opt("--act", key="act", help="Activation spec, e.g. relu, 'leaky_relu(0.1)'.")]
InitOpt = Annotated[Optional[str], _opt(
    "--init", key="init", help="Weight initializer spec, e.g. he_normal, 'normal(0, 0.01)'.")]
BiasInitOpt = Annotated[Optional[str], _opt(
    "--bias-init", key="bias_init", help="Bias initializer spec, e.g. zeros, 'constant(-8)'.")]
NormOpt = Annotated[Optional[str], _opt(
    "--norm", help="Normalization: none, batch or layer. (default: none for mlp, batch for cnn and resnet)")]
NormPositionOpt = Annotated[Optional[str], _opt(
    "--norm-position", key="norm_position", help="Norm before or after the activation.")]
DropoutOpt = Annotated[Optional[str], _opt(
    "--dropout", key="dropout", help="Dropout probability or spec, e.g. 0.2, 'alpha_dropout(0.1)'.")]
OptimizerOpt = Annotated[Optional[str], _opt(
    "--optimizer", key="optimizer", help="Optimizer spec: sgd, momentum, adam, 'adam(betas=[0.9, 0.99])', ...")]
LrOpt = Annotated[Optional[float], _opt("--lr", key="lr", help="Learning rate (> 0).")]
EpochsOpt = Annotated[Optional[int], _opt("--epochs", key="epochs", help="Passes over the training set.")]
StepsOpt = Annotated[Optional[int], _opt("--steps", help="Optimizer steps instead of epochs.")]
BatchSizeOpt = Annotated[Optional[int], _opt(
    "--batch-size", key="batch_size", help="Mini-batch size; 0 trains on the full batch.")]
ScheduleOpt = Annotated[Optional[str], _opt(
    "--schedule", key="schedule", help="LR schedule spec: constant, 'exponential(10)', cosine, ...")]
ClipNormOpt = Annotated[Optional[float], _opt("--clip-norm", help="Clip the gradients' global norm to this value.")]
ClipValueOpt = Annotated[Optional[float], _opt("--clip-value", help="Clip each gradient element to [-v, v].")]
MaxNormOpt = Annotated[Optional[float], _opt("--max-norm", help="Max-norm constraint on each unit's weights.")]
WeightDecayOpt = Annotated[Optional[float], _opt("--weight-decay", key="weight_decay", help="Weight decay (>= 0).")]
EarlyStoppingOpt = Annotated[Optional[int], _opt(
    "--early-stopping", metavar="PATIENCE", help="Stop after PATIENCE epochs without dev improvement.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed for data, init and batch order.")]
DeviceOpt = Annotated[Optional[str], _opt("--device", help="cpu, cuda or cuda:N (default: cuda when available)")]
NoWatchOpt = Annotated[bool, typer.Option("--no-watch", help="Train without watching the vitals (no findings).")]
EveryOpt = Annotated[Optional[int], _opt("--every", key="every", help="Record vitals every N steps.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of tables.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")]
NoGroupOpt = Annotated[bool, typer.Option(
    "--no-group", help="Print every finding on its own line instead of one per code, severity and fix.")]

# The options of a command that builds one run, in --help order: parameter -> (type, default).
RUN_OPTIONS: dict[str, tuple[Any, Any]] = {
    "task": (TaskOpt, None), "model": (ModelOpt, None), "hidden": (HiddenOpt, None),
    "depth": (DepthOpt, None), "width": (WidthOpt, None), "act": (ActOpt, None),
    "init": (InitOpt, None), "bias_init": (BiasInitOpt, None), "norm": (NormOpt, None),
    "norm_position": (NormPositionOpt, None), "dropout": (DropoutOpt, None),
    "optimizer": (OptimizerOpt, None), "lr": (LrOpt, None), "epochs": (EpochsOpt, None),
    "steps": (StepsOpt, None), "batch_size": (BatchSizeOpt, None), "schedule": (ScheduleOpt, None),
    "clip_norm": (ClipNormOpt, None), "clip_value": (ClipValueOpt, None), "max_norm": (MaxNormOpt, None),
    "weight_decay": (WeightDecayOpt, None), "early_stopping": (EarlyStoppingOpt, None),
    "seed": (SeedOpt, 0), "device": (DeviceOpt, None), "no_watch": (NoWatchOpt, False),
    "every": (EveryOpt, None), "as_json": (JsonOpt, False), "quiet": (QuietOpt, False),
}
# the option of the commands that print a run's findings (train, checkup), given as run_command's extra
FINDINGS_OPTIONS: dict[str, tuple[Any, Any]] = {"no_group": (NoGroupOpt, False)}
# those that say how to run and print, not what to build
_HOW = ("seed", "device", "no_watch", "as_json", "quiet")


@dataclass(frozen=True)
class RunArgs:
    """What a run command was given.

    Attributes:
        options: the options that build the run (``task`` ... ``every``), None when not given.
        seed: seed for data, init and batch order.
        device: ``--device`` (None: cuda when available).
        no_watch: ``--no-watch``.
        as_json: ``--json``.
        quiet: ``--quiet``.
    """

    options: dict[str, Any]
    seed: int
    device: str | None
    no_watch: bool
    as_json: bool
    quiet: bool

    def config(self, watch: bool = True) -> dict:
        """The validated run config of :attr:`options` (see :func:`options_to_config`)."""
        return options_to_config({**self.options, "watch": watch})


def run_command(body: Callable[..., None] | None = None, *,
                extra: dict[str, tuple[Any, Any]] | None = None) -> Any:
    """Make ``body(args: RunArgs)`` a typer command taking the :data:`RUN_OPTIONS`.

    typer reads a command's options from its signature, so the returned function has one
    parameter per run option; it gathers them into a :class:`RunArgs` and calls ``body``.
    ``extra`` (parameter -> (type, default)) adds a command's own options after the run options;
    their values reach ``body`` as keyword arguments. Use as ``@run_command`` or
    ``@run_command(extra={...})``.
    """
    more = dict(extra or {})

    def wrap(body: Callable[..., None]) -> Callable[..., None]:
        def command(**given: Any) -> None:
            own = {key: given.pop(key) for key in more}
            how = {key: given.pop(key) for key in _HOW}
            body(RunArgs(options=given, **how), **own)

        params = [
            inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind, default=default)
            for name, (kind, default) in {**RUN_OPTIONS, **more}.items()
        ]
        command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
        command.__annotations__ = {p.name: p.annotation for p in params}
        for attr in ("__name__", "__qualname__", "__doc__", "__module__"):
            setattr(command, attr, getattr(body, attr))
        return command

    return wrap(body) if body is not None else wrap


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: message`` on one line of stderr and return the Exit to raise."""
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    return typer.Exit(code)


def parse_hidden(text: str) -> list[int]:
    """``"3,3,3,3"`` -> ``[3, 3, 3, 3]``; an empty string means no hidden layer."""
    parts = [p.strip() for p in text.split(",")] if text.strip() else []
    try:
        sizes = [int(p) for p in parts]
    except ValueError:
        sizes = []
    if len(sizes) != len(parts) or any(s < 1 for s in sizes):
        raise ConfigError(f"--hidden {text!r}: expected comma-separated positive integers such as 3,3,3,3")
    return sizes


def parse_dropout(text: str) -> float | str:
    """A probability (``"0.2"``) or a dropout spec (``"alpha_dropout(0.1)"``)."""
    try:
        return float(text)
    except ValueError:
        return text


def options_to_config(opts: dict[str, Any]) -> dict:
    """Turn the values of the run options (None = not given) into a validated run config.

    Args:
        opts: keyword values named like the options (``task``, ``hidden``, ``bias_init``, ...).
            ``watch`` (bool) and ``every`` set the watch section.

    Raises:
        ConfigError: a malformed or unknown value, naming the option.
    """
    from gradlab.components.spec import parse_spec
    from gradlab.train.config import DEFAULT_TASKS, model_keys, validate_config

    given = {k: v for k, v in opts.items() if v is not None}

    def value(key: str) -> Any:
        return given.get(key, CLI_DEFAULTS.get(key))

    if "task" not in given and value("model") in DEFAULT_TASKS:  # a GAN defaults to the ring
        given["task"] = DEFAULT_TASKS[value("model")]
    task_spec = parse_spec(value("task"))
    if task_spec.args:
        from gradlab.data import TASKS
        from gradlab.train.config import keyword_example

        example = keyword_example(task_spec.name, task_spec.args[0], TASKS.get(task_spec.name))
        raise ConfigError(f"--task {value('task')!r}: give task arguments by keyword, e.g. {example}")
    model: dict[str, Any] = {"kind": value("model")}
    # the CLI defaults describe the mlp; another builder keeps its own (a cnn's BatchNorm) unless
    # the option is given, and an option it does not take is kept so the config check names it
    keys = model_keys(model["kind"])
    is_mlp = keys is not None and "hidden" in keys
    for key in ("act", "init", "bias_init", "norm", "norm_position", "dropout"):
        if key in given or is_mlp:
            model[key] = parse_dropout(value(key)) if key == "dropout" else value(key)
    if "depth" in given or "width" in given:
        if "hidden" in given:
            raise ConfigError("give either --hidden or --depth/--width, not both")
        model.update({k: given[k] for k in ("depth", "width") if k in given})
    elif model["kind"] == "mlp" or "hidden" in given:
        model["hidden"] = parse_hidden(value("hidden"))
    batch_size = value("batch_size")
    train = {
        "optimizer": value("optimizer"), "lr": value("lr"), "epochs": value("epochs"),
        "steps": given.get("steps"), "batch_size": None if batch_size == 0 else batch_size,
        "schedule": value("schedule"), "weight_decay": value("weight_decay"),
        "early_stopping": given.get("early_stopping"),
        **{k: given.get(k) for k in ("clip_norm", "clip_value", "max_norm")},
    }
    config = {
        "task": {"name": task_spec.name, **task_spec.kwargs},
        "model": model,
        "train": train,
        "watch": {"enabled": bool(opts.get("watch", True)), "every": value("every")},
    }
    return validate_config(config)


def json_safe(value: Any) -> Any:
    """Replace NaN/inf by None (JSON has no such numbers) and stringify unknown objects."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def dumps(value: Any) -> str:
    """Strict JSON for ``--json`` output."""
    return json.dumps(json_safe(value), allow_nan=False)


# config keys a recommendation sets -> the option of `gradlab train` that sets them
OPTION_FOR_KEY = {
    "model.act": "--act", "model.init": "--init", "model.bias_init": "--bias-init", "model.norm": "--norm",
    "model.norm_position": "--norm-position", "model.dropout": "--dropout", "model.hidden": "--hidden",
    "model.depth": "--depth", "model.width": "--width", "model.kind": "--model", "train.optimizer": "--optimizer",
    "train.lr": "--lr", "train.epochs": "--epochs", "train.steps": "--steps", "train.batch_size": "--batch-size",
    "train.schedule": "--schedule", "train.clip_norm": "--clip-norm", "train.clip_value": "--clip-value",
    "train.max_norm": "--max-norm", "train.weight_decay": "--weight-decay", "train.early_stopping": "--early-stopping",
}


def format_recommendation(rec: dict | None, as_options: bool = False) -> str:
    """``{"set": {"model.act": "leaky_relu(0.1)"}, "why": ...}`` -> ``model.act=leaky_relu(0.1)``.

    With ``as_options`` and every key an option of ``gradlab train``, the fix is written as the
    options to add to the command line instead: ``--act 'leaky_relu(0.1)'``.
    """
    import shlex

    if not rec:
        return ""
    changes = rec.get("set") or {}
    if as_options and changes and all(k in OPTION_FOR_KEY for k in changes):
        def cli_value(key: str, v: Any) -> str:
            if key == "model.hidden" and isinstance(v, (list, tuple)):
                return ",".join(str(x) for x in v)
            return "0" if key == "train.batch_size" and v is None else str(v)

        return " ".join(f"{OPTION_FOR_KEY[k]} {shlex.quote(cli_value(k, v))}" for k, v in changes.items())
    return ", ".join(f"{k}={v}" for k, v in changes.items()) or str(rec.get("why", ""))


def print_findings(findings: list[dict], console: Any, group: bool = True) -> None:
    """Print findings, most severe first: severity, code and where, the message, the top fix.

    Findings of one code, severity and top fix are one entry naming all their layers
    (:func:`gradlab.diagnose.finding_groups.group_findings`) with the most extreme layer's
    message; ``group=False`` (``--no-group``) prints every finding on its own.
    """
    from rich.markup import escape

    from gradlab.diagnose.finding_groups import group_findings

    if not findings:
        console.print("[green]no findings[/green]: nothing looked wrong in the vitals")
        return
    colors = {"error": "red", "warning": "yellow", "info": "cyan"}
    groups = group_findings(findings, group=group)
    grouped = f", grouped by code and fix into {len(groups)} (--no-group: one line each)" \
        if len(groups) < len(findings) else ""
    console.print(f"[bold]Findings ({len(findings)})[/bold]{grouped}")
    for g in groups:
        sev = g.severity
        console.print(f"[{colors.get(sev, 'white')}]{sev:<7}[/] [bold]{g.code}[/bold] ({escape(g.where())})")
        console.print(f"  {'worst: ' if len(g.findings) > 1 else ''}{escape(g.worst.message)}")
        if g.recommendations:
            console.print(f"  [dim]try:[/dim] {escape(format_recommendation(g.recommendations[0], as_options=True))}")
