"""``gradlab repair``: diagnose a run, try the recommended fixes, keep the one proven on every seed."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from gradlab.cli.common import OPTION_FOR_KEY, RUN_OPTIONS, RunArgs, dumps, fail, run_command
from gradlab.errors import ConfigError, GradlabError

# paragraphs are single lines: typer keeps hard line breaks, which would cut sentences in --help
HELP = """Train a run on several seeds, try the fixes its findings recommend, and keep the one that removes the findings and improves the dev score on every seed.

Takes the same options as `gradlab train`. Prints the before/after table and the fixed command line; --write-config PATH also writes the fixed run config (JSON). It stops within --budget times the original runs' time. A healthy run is left as it is.

Examples:

    # the seed articles' dying-ReLU network
    gradlab repair --hidden 3,3,3,3 --act relu --init "normal(0, 0.01)" --bias-init "constant(-8)" --optimizer sgd --lr 0.01 --epochs 200 --batch-size 0

    gradlab repair --hidden 5 --act sigmoid --init zeros --bias-init zeros --lr 0.2 --optimizer sgd --batch-size 0 --write-config fixed.json
"""  # noqa: E501 - a paragraph or an example command is one line (see above)

SeedsOpt = Annotated[int, typer.Option(
    "--seeds", min=2, show_default=False, help="Seeds to judge on, from --seed on (default: 3).")]
BudgetOpt = Annotated[float, typer.Option(
    "--budget", show_default=False, help="The most wall time, as a multiple of the original runs' time (default: 3).")]
WriteConfigOpt = Annotated[Optional[Path], typer.Option(
    "--write-config", metavar="PATH", help="Write the fixed run config here (JSON).")]
EXTRA = {"seeds": (SeedsOpt, 3), "budget": (BudgetOpt, 3.0), "write_config": (WriteConfigOpt, None)}


def fixed_command(options: dict[str, Any], changes: dict) -> str:
    """``gradlab train`` with the given options and the changed keys as options (changed ones replace)."""
    flag = {name: "--" + name.replace("_", "-") for name in RUN_OPTIONS}
    given = {flag[k]: v for k, v in options.items() if v is not None}
    for key, value in changes.items():
        if key not in OPTION_FOR_KEY:
            raise ConfigError(f"{key} has no `gradlab train` option")
        text = ",".join(str(x) for x in value) if isinstance(value, (list, tuple)) else str(value)
        given[OPTION_FOR_KEY[key]] = text
    return "gradlab train " + " ".join(f"{k} {shlex.quote(str(v))}" for k, v in given.items())


@run_command(extra=EXTRA)
def repair_cmd(args: RunArgs, seeds: int = 3, budget: float = 3.0, write_config: Path | None = None) -> None:
    """``gradlab repair``; its ``--help`` is :data:`HELP`."""
    from gradlab.repair.config_runs import repair_config

    try:
        config = args.config()
        result, fixed = repair_config(config, list(range(args.seed, args.seed + seeds)), budget,
                                      device=args.device, progress=False if args.quiet else None)
        command = fixed_command(args.options, result.changes) if result.changes else None
    except GradlabError as exc:
        raise fail(str(exc)) from None
    if write_config is not None:
        write_config.write_text(json.dumps(fixed, indent=2) + "\n")
    if args.as_json:
        typer.echo(dumps({"fixed": result.fixed, "changes": result.changes, "message": result.message,
                          "metric": result.metric, "before": _side(result.before), "after": _side(result.after),
                          "command": command, "config": fixed, "time_ratio": result.time_ratio,
                          "candidates": [vars(c) for c in result.candidates]}))
        return
    _print(result, command, write_config)


def _side(o: Any) -> dict:
    return {"mean": o.mean, "ci": [o.ci_low, o.ci_high], "values": {str(k): v for k, v in o.values.items()},
            "findings": sorted(o.codes)}


def _print(result: Any, command: str | None, written: Path | None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from gradlab.repair.result import describe

    console = Console()
    table = Table(title=escape(result.message))
    for col in ("", result.metric, "findings (warning or error)"):
        table.add_column(col)
    table.add_row("before", describe(result.before), ", ".join(sorted(result.before.codes)) or "none")
    if result.changes:
        table.add_row("after", describe(result.after), ", ".join(sorted(result.after.codes)) or "none")
    console.print(table)
    for c in result.candidates:
        if c.status != "untried":
            console.print(f"  [dim]{c.status}:[/dim] {escape(c.label)} — {escape(c.reason)}")
    if command:
        console.print("[bold]fixed command:[/bold]")
        console.print(escape(command), soft_wrap=True)
    if written is not None:
        console.print(f"fixed run config written to {escape(str(written))}")
    console.print(f"[dim]{result.seconds:.1f} s, {result.time_ratio:.1f}x the original runs[/dim]")


def register(app: typer.Typer) -> None:
    """Add ``gradlab repair`` to the app."""
    app.command("repair", help=HELP)(repair_cmd)
