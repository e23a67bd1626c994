"""The ``gradlab`` command: a thin face over the library.

Each command group lives in its own module under ``gradlab.cli`` and exposes ``register(app)``.
Errors that are the user's (bad names, malformed specs, impossible shapes) print one line and
exit with status 2; they never show a traceback.
"""

from __future__ import annotations

import importlib
import sys

import typer

from gradlab import __version__
from gradlab.errors import GradlabError

app = typer.Typer(
    name="gradlab",
    help="A lab for the training dynamics of PyTorch networks: watch, diagnose, study, report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

# command modules, each with register(app); listed here so the order of --help is stable
COMMAND_MODULES = [
    "gradlab.cli.list_cmd",
    "gradlab.cli.train_cmd",
    "gradlab.cli.checkup_cmd",
    "gradlab.cli.repair_cmd",
    "gradlab.cli.study_cmd",
    "gradlab.cli.report_cmd",
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gradlab {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    threads: int = typer.Option(
        None, "--threads", min=1, envvar="GRADLAB_THREADS",
        help="CPU threads for torch in this process (default: torch's own choice). Small models "
        "often train fastest with 1, especially on a busy machine. Study workers always use 1.",
    ),
) -> None:
    """gradlab: watch, diagnose, study and report the training of PyTorch networks.

    Examples: gradlab list activations · gradlab train --act gelu · gradlab run dying-relu ·
    gradlab --threads 1 train --epochs 50
    """
    if threads is not None:
        import torch

        torch.set_num_threads(threads)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)


_register_all()


def main() -> None:
    """Console entry point."""
    try:
        app()
    except GradlabError as exc:  # errors raised outside a command's own handling
        typer.secho(f"error: {exc}", err=True, fg=typer.colors.RED)
        sys.exit(2)


if __name__ == "__main__":
    main()
