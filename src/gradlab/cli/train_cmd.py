"""``gradlab train``: train one network, print its results and what the watch found."""

from __future__ import annotations

from typing import Any

import typer

from gradlab.cli.common import FINDINGS_OPTIONS, RunArgs, dumps, fail, print_findings, run_command
from gradlab.errors import GradlabError

# paragraphs are single lines: typer keeps hard line breaks, which would cut sentences in --help
HELP = """Train one network and report dev/test results and the watch's findings.

Without options it trains a 16-16 ReLU MLP (He init, Adam 0.01, 100 epochs) on two moons. The model defaults shown below are the mlp's; --model cnn and resnet keep their own (BatchNorm, PyTorch's init) unless an option is given.

Examples:

    # the seed articles' dying-ReLU network
    gradlab train --task moons --hidden 3,3,3,3 --act relu --init "normal(0, 0.01)" --bias-init "constant(-8)" --optimizer sgd --lr 0.01 --epochs 200 --batch-size 0

    gradlab train --act "leaky_relu(0.1)" --schedule cosine --early-stopping 10

    gradlab train --task "gaussian_mixture(k=3)" --depth 3 --width 32 --json

    # a GAN on the ring of 8 Gaussians (generator and discriminator each watched: G.*, D.*)
    gradlab train --model gan --task ring --optimizer adam --lr 0.001 --epochs 50 --batch-size 128
"""  # noqa: E501 - a paragraph or an example command is one line (see above)


@run_command(extra=FINDINGS_OPTIONS)
def train(args: RunArgs, no_group: bool = False) -> None:
    """``gradlab train``; its ``--help`` is :data:`HELP`."""
    from gradlab.train.experiment import run_trial

    try:
        config = args.config(watch=not args.no_watch)
        result = run_trial(config, args.seed, device=args.device, progress=False if args.quiet else None)
    except GradlabError as exc:
        raise fail(str(exc)) from None
    if args.as_json:
        typer.echo(dumps({**result.metrics, "seed": args.seed, "config": config, "history": result.history,
                          "findings": result.findings, "layers": result.layers,
                          "wall_time": result.wall_time}))
        return
    _print_results(result, config, args.seed, group=not no_group)


def _print_results(result: Any, config: dict, seed: int, group: bool = True) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console()
    m = result.metrics
    if "modes" in m:  # a GAN: mode coverage instead of accuracy
        _print_gan_results(result, config, seed, console, group)
        return
    # the title goes on its own line: a two-column regression table would wrap it mid-phrase
    task, kind = escape(str(config["task"]["name"])), escape(str(config["model"]["kind"]))
    console.print(f"[bold]{task} · {kind} · seed {seed}[/bold]")
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
        print_findings(result.findings, console, group)


def _print_gan_results(result: Any, config: dict, seed: int, console: Any, group: bool = True) -> None:
    from rich.markup import escape

    m = result.metrics
    console.print(f"[bold]{escape(str(config['task']['name']))} · gan · seed {seed}[/bold]")
    console.print(
        f"modes captured {m['modes']} of {m['n_modes']}, high-quality samples {m['hq_share']:.1%}; "
        f"last epoch: D loss {m['d_loss']:.3f}{' (D wins outright)' if m['d_wins'] else ''}, "
        f"G loss {m['g_loss']:.3f}; dead units G {m['g_dead_frac']:.1%}, D {m['d_dead_frac']:.1%}; "
        f"{m['steps']} steps, {result.wall_time:.1f} s")
    if config["watch"]["enabled"]:
        print_findings(result.findings, console, group)


def register(app: typer.Typer) -> None:
    """Add ``gradlab train`` to the app."""
    app.command("train", help=HELP)(train)
