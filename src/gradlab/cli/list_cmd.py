"""``gradlab list FAMILY``: what can be named in a spec, with a one-line summary each."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from gradlab.cli.common import dumps, fail
from gradlab.components.suggest import did_you_mean

# family -> (module, registry attribute); singular forms are accepted too
FAMILIES = {
    "activations": ("gradlab.components.activations", "ACTIVATIONS"),
    "inits": ("gradlab.components.init", "INITS"),
    "optimizers": ("gradlab.components.optim", "OPTIMIZERS"),
    "schedules": ("gradlab.components.schedules", "SCHEDULES"),
    "tasks": ("gradlab.data", "TASKS"),
    "models": ("gradlab.models", "MODELS"),
}
ALIASES = {"activation": "activations", "init": "inits", "initializers": "inits", "initializer": "inits",
           "optimizer": "optimizers", "schedule": "schedules", "task": "tasks", "model": "models"}

HELP = """List the components of one family: activations, inits, optimizers, schedules, tasks, models.

Examples:

    gradlab list activations

    gradlab list inits --json
"""


def registry_for(family: str):
    """The registry of a family name (plural or singular); ConfigError-style exit otherwise."""
    key = ALIASES.get(family.lower(), family.lower())
    if key not in FAMILIES:
        hint = did_you_mean(family, list(FAMILIES), ALIASES)
        raise fail(f"unknown family {family!r}{hint} (choices: {', '.join(FAMILIES)})")
    module, attr = FAMILIES[key]
    return key, getattr(importlib.import_module(module), attr)


def list_components(
    family: Annotated[str, typer.Argument(help="activations | inits | optimizers | schedules | tasks | models")],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list instead of a table.")] = False,
) -> None:
    """``gradlab list``; its ``--help`` is :data:`HELP`."""
    key, registry = registry_for(family)
    rows = registry.describe()
    if as_json:
        typer.echo(dumps(rows))
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"{key} ({len(rows)})")
    table.add_column("name", style="bold")
    table.add_column("aliases")
    table.add_column("summary", overflow="fold")
    for row in rows:
        # summaries hold brackets ('[lower, upper]') that rich would take for markup and drop
        table.add_row(escape(row["name"]), escape(", ".join(row.get("aliases") or [])), escape(row.get("summary", "")))
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``gradlab list`` to the app."""
    app.command("list", help=HELP)(list_components)
