"""``gradlab checkup``: the pre-flight diagnosis of a run, on the same options as ``gradlab train``.

It builds the run exactly as ``gradlab train`` would (same seed, same init), passes one batch of
training data forward and backward under the watch and prints what already looks wrong at
initialization — without training.
"""

from __future__ import annotations

import typer

from gradlab.cli.common import FINDINGS_OPTIONS, RunArgs, dumps, fail, print_findings, run_command
from gradlab.errors import GradlabError

# paragraphs are single lines: typer keeps hard line breaks, which would cut sentences in --help
HELP = """Check a run before training it: one batch forward and backward at initialization.

Reports dead or saturated units, vanishing or exploding gradients through depth, symmetric weights, a poor init scale and NaN/Inf — each with fixes you can pass back as options. Takes the same options as `gradlab train` (those about the training itself, such as --epochs, are accepted and ignored), so a checkup and its run share one command line.

Exit status: 0 when no finding is an error (warnings and notes pass), 1 when at least one is — so `gradlab checkup ... && gradlab train ...` or a CI step stops a run that is broken from the start — and 2 on a usage error.

Examples:

    # the seed articles' dying-ReLU network: every hidden layer is dead from the start
    gradlab checkup --hidden 3,3,3,3 --act relu --init "normal(0, 0.01)" --bias-init "constant(-8)" --optimizer sgd --lr 0.01 --batch-size 0

    gradlab checkup --hidden 2,5 --act sigmoid --init zeros --bias-init zeros --json
"""  # noqa: E501 - a paragraph or an example command is one line (see above)

#: at most this many training samples form the checkup batch (dead units are judged on it)
MAX_BATCH = 1024


def checkup_config(config: dict, seed: int, device: str | None = None) -> list:
    """Build the run of ``config`` with ``seed`` and return its checkup findings (as dicts)."""
    from gradlab.monitor.checkup import checkup
    from gradlab.train.experiment import build

    built = build(config, seed, device=device)
    x, y = built.task.train
    n = len(x) if built.config["train"]["batch_size"] is None else max(built.config["train"]["batch_size"], MAX_BATCH)
    param = next(built.model.parameters(), None)
    device_ = param.device if param is not None else None
    x, y = x[:n].to(device_), y[:n].to(device_)
    rules = built.config.get("watch", {}).get("rules") or None
    findings = checkup(built.model, x, y, loss_fn=built.loss_fn, rules=rules, context={"config": built.config})
    return [f.to_dict() for f in findings]


@run_command(extra=FINDINGS_OPTIONS)
def checkup_cmd(args: RunArgs, no_group: bool = False) -> None:
    """``gradlab checkup``; its ``--help`` is :data:`HELP`."""
    # --no-watch is accepted so a checkup shares its run's command line; a checkup always watches
    try:
        config = args.config()
        findings = checkup_config(config, args.seed, device=args.device)
    except GradlabError as exc:
        raise fail(str(exc)) from None
    if args.as_json:
        typer.echo(dumps({"seed": args.seed, "config": config, "findings": findings}))
    else:
        from rich.console import Console

        print_findings(findings, Console(), group=not no_group)
    if any(f.get("severity") == "error" for f in findings):
        raise typer.Exit(1)  # a gate for scripts and CI: this run is broken before it starts


def register(app: typer.Typer) -> None:
    """Add ``gradlab checkup`` to the app."""
    app.command("checkup", help=HELP)(checkup_cmd)
