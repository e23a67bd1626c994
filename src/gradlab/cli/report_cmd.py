"""``gradlab report DIR``: write a study's self-contained HTML report (and TensorBoard files)."""

from __future__ import annotations

from pathlib import Path

import typer

from gradlab.errors import GradlabError


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to ``app``."""

    @app.command("report")
    def report(
        study_dir: Path = typer.Argument(..., help="A study folder (holding gradlab.sqlite)."),
        out: Path = typer.Option(None, "--out", "-o", help="Where to write (default DIR/report.html)."),
        open_: bool = typer.Option(False, "--open", help="Open the report in the web browser."),
        tensorboard: bool = typer.Option(
            False, "--tensorboard", help="Also write TensorBoard event files to DIR/tb/<group>/seed<N>/."),
        activations: bool = typer.Option(
            True, "--activations/--no-activations", "--replay/--no-replay",
            help="Draw the activation histograms the trials recorded while they ran "
                 "(--replay is the old name; nothing is re-run)."),
    ) -> None:
        """Write DIR/report.html: comparison table, verdict, findings, figures, groups.

        One file with every image inline: it opens offline and prints. The report only reads the
        store: it never trains.

        Examples:
          gradlab report runs/dying-relu
          gradlab report runs/dying-relu --open --tensorboard
        """
        from gradlab.cli.common import fail
        from gradlab.report.html import write_report

        try:
            path = write_report(study_dir, out, activations=activations)
            typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
            if tensorboard:
                from gradlab.report.tensorboard import export_tensorboard

                tb = export_tensorboard(study_dir)
                typer.echo(f"wrote TensorBoard runs to {tb} (view: tensorboard --logdir {tb})")
        except GradlabError as exc:
            raise fail(str(exc)) from None
        if open_:
            import webbrowser

            webbrowser.open(path.resolve().as_uri())
