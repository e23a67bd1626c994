"""``gradlab train``: train one network, print its results and what the watch found."""

from __future__ import annotations

from typing import Any

import typer

from gradlab.cli.common import (
    ActOpt, BatchSizeOpt, BiasInitOpt, ClipNormOpt, ClipValueOpt, DepthOpt, DeviceOpt, DropoutOpt,
    EarlyStoppingOpt, EpochsOpt, EveryOpt, HiddenOpt, InitOpt, JsonOpt, LrOpt, MaxNormOpt, ModelOpt,
    NormOpt, NormPositionOpt, NoWatchOpt, OptimizerOpt, QuietOpt, ScheduleOpt, SeedOpt, StepsOpt,
    TaskOpt, WeightDecayOpt, WidthOpt, dumps, fail, options_to_config, print_findings,
)
from gradlab.errors import GradlabError

# paragraphs are single lines: typer keeps hard line breaks, which would cut sentences in --help
HELP = """Train one network and report dev/test results and the watch's findings.

Without options it trains a 16-16 ReLU MLP (He init, Adam 0.01, 100 epochs) on two moons. The model defaults shown below are the mlp's; --model cnn and resnet keep their own (BatchNorm, PyTorch's init) unless an option is given.

Examples:

    # the seed articles' dying-ReLU network
    gradlab train --task moons --hidden 3,3,3,3 --act relu --init "normal(0, 0.01)" --bias-init "constant(-8)" --optimizer sgd --lr 0.01 --epochs 200 --batch-size 0

    gradlab train --act "leaky_relu(0.1)" --schedule cosine --early-stopping 10

    gradlab train --task "gaussian_mixture(k=3)" --depth 3 --width 32 --json
"""


def train(
    task: TaskOpt = None, model: ModelOpt = None, hidden: HiddenOpt = None, depth: DepthOpt = None,
    width: WidthOpt = None, act: ActOpt = None, init: InitOpt = None, bias_init: BiasInitOpt = None,
    norm: NormOpt = None, norm_position: NormPositionOpt = None, dropout: DropoutOpt = None,
    optimizer: OptimizerOpt = None, lr: LrOpt = None, epochs: EpochsOpt = None, steps: StepsOpt = None,
    batch_size: BatchSizeOpt = None, schedule: ScheduleOpt = None, clip_norm: ClipNormOpt = None,
    clip_value: ClipValueOpt = None, max_norm: MaxNormOpt = None, weight_decay: WeightDecayOpt = None,
    early_stopping: EarlyStoppingOpt = None, seed: SeedOpt = 0, device: DeviceOpt = None,
    no_watch: NoWatchOpt = False, every: EveryOpt = None, as_json: JsonOpt = False, quiet: QuietOpt = False,
) -> None:
    opts = dict(locals())
    from gradlab.train.experiment import run_trial

    try:
        opts["watch"] = not opts.pop("no_watch")
        for key in ("seed", "device", "as_json", "quiet"):
            opts.pop(key)
        config = options_to_config(opts)
        result = run_trial(config, seed, device=device, progress=False if quiet else None)
    except GradlabError as exc:
        raise fail(str(exc)) from None
    if as_json:
        typer.echo(dumps({**result.metrics, "seed": seed, "config": config, "history": result.history,
                          "findings": result.findings, "layers": result.layers,
                          "wall_time": result.wall_time}))
        return
    _print_results(result, config, seed)


def _print_results(result: Any, config: dict, seed: int) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    m = result.metrics
    # the title goes on its own line: a two-column regression table would wrap it mid-phrase
    console.print(f"[bold]{escape(str(config['task']['name']))} · {escape(str(config['model']['kind']))} · seed {seed}[/bold]")
    table = Table()
    table.add_column("split")
    score_key = "accuracy" if "dev_accuracy" in m else None
    if score_key:
        table.add_column("accuracy", justify="right")
    table.add_column("loss", justify="right")
    for part in ("train", "dev", "test"):
        cells = [f"{m[f'{part}_{score_key}']:.4f}"] if score_key else []
        table.add_row(part, *cells, f"{m[f'{part}_loss']:.4g}")
    console.print(table)
    stopped = " (stopped early)" if m.get("stopped_early") else ""
    console.print(
        f"best epoch {m['best_epoch']} of {m['epochs_run']}{stopped}, {m['steps']} steps, "
        f"{result.wall_time:.1f} s"
    )
    if config["watch"]["enabled"]:
        print_findings(result.findings, console)


train.__doc__ = HELP


def register(app: typer.Typer) -> None:
    """Add ``gradlab train`` to the app."""
    app.command("train", help=HELP)(train)
