"""``gradlab run / studies / show / status``: run studies and read their results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from gradlab.errors import GradlabError


def _fail(exc: Exception) -> typer.Exit:
    from gradlab.cli.common import fail

    return fail(str(exc))


def print_results(results, console=None) -> None:
    """The comparison table, the answer in sentences, and the findings (see results_table)."""
    from gradlab.cli.results_table import print_results as _print

    _print(results, console)


def _tensorboard_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("tensorboard") is not None


def _write_tensorboard(out_dir: Path, wanted: bool) -> None:
    """TensorBoard runs in DIR/tb/<group>/seed<N>/ when asked; otherwise one line saying how to get them.

    Not written by default: every vital of every epoch becomes a scalar event, which for the
    built-in studies (millions of points) takes longer than the study itself.
    """
    if not wanted:
        how = (f"gradlab report {out_dir} --tensorboard" if _tensorboard_installed()
               else "pip install 'gradlab[tensorboard]', then gradlab run ... --tensorboard")
        typer.echo(f"TensorBoard logs (per-trial curves and vitals, HParams): {how}")
        return
    from gradlab.report.tensorboard import export_tensorboard

    tb = export_tensorboard(out_dir)
    typer.echo(f"TensorBoard runs: {tb} (view: tensorboard --logdir {tb})")


def _write_report(out_dir: Path) -> None:
    """Draw DIR/report.html from the store (no training), unless the one there was drawn from
    the store as it is now."""
    from gradlab.report.freshness import is_current
    from gradlab.report.html import write_report

    if is_current(out_dir):
        typer.echo(f"report: {out_dir / 'report.html'} (up to date: nothing changed)")
        return
    typer.echo(f"report: {write_report(out_dir)}")


def _terminate_like_ctrl_c() -> None:
    """Make SIGTERM (``kill PID``, a job scheduler's timeout) stop a run as Ctrl-C does.

    Python's default SIGTERM ends the driver at once and leaves its worker processes training
    as orphans, with their trials marked running; as a KeyboardInterrupt it shuts the workers
    down and sets the unfinished trials back to pending.
    """
    import signal
    import threading

    def stop(signum, frame):  # noqa: ARG001 - the signal handler's signature
        raise KeyboardInterrupt(f"stopped by signal {signum}")

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, stop)


def _resume_command(study: str, out, seeds, workers, executor, set_: list, tensorboard: bool) -> str:
    """The ``gradlab run`` line that resumes an interrupted run: the same study, folder, options."""
    import shlex

    args = ["gradlab", "run", study]
    for flag, value in (("--out", out), ("--seeds", seeds), ("--workers", workers),
                        ("--executor", executor)):
        if value is not None:
            args += [flag, str(value)]
    for item in set_:
        args += ["--set", item]
    return shlex.join(args + (["--tensorboard"] if tensorboard else []))


def register(app: typer.Typer) -> None:
    """Add the study commands to the ``gradlab`` app."""

    @app.command("run")
    def run_cmd(
        study: str = typer.Argument(..., help="A built-in study name (see `gradlab studies`) or a study TOML file."),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="Study folder (default: runs/<study name>)."),
        seeds: Optional[int] = typer.Option(None, "--seeds", min=1, help="Run seeds 0..N-1 instead of the study's."),
        workers: Optional[int] = typer.Option(
            None, "--workers", "-w", min=1, help="Worker processes (default: all cores)."),
        executor: Optional[str] = typer.Option(
            None, "--executor", "-e",
            help="local | ensemble | ray (default: the study file's `executor`, else local)."),
        set_: List[str] = typer.Option([], "--set", help="Change a fixed key: --set train.epochs=50 (repeatable)."),
        no_progress: bool = typer.Option(False, "--no-progress", help="No progress bar."),
        force: bool = typer.Option(
            False, "--force",
            help="Run into a folder that holds another study (its trials are then hidden)."),
        tensorboard: bool = typer.Option(
            False, "--tensorboard",
            help="Also write TensorBoard runs (curves, vitals, HParams) to DIR/tb/<group>/seed<N>/."),
    ) -> None:
        """Run (or resume) a study and print its comparison table.

        Exits 1 when any trial failed (after the table and the report), 2 on a usage error, 130
        when interrupted (Ctrl-C or SIGTERM): finished trials are kept, and the command that
        resumes the run is printed.

        Examples:
          gradlab run dying-relu
          gradlab run my_study.toml --out runs/mine --seeds 5 --workers 2
          gradlab run slope-sweep --set train.epochs=20
          gradlab run zero-init --tensorboard
        """
        from gradlab.study.results import analyze
        from gradlab.study.runner import run_study

        _terminate_like_ctrl_c()
        try:
            summary = run_study(study, out, seeds=seeds, workers=workers, executor=executor,
                                overrides=set_, progress=not no_progress, force=force,
                                log=lambda msg: typer.echo(msg, err=True))
            typer.echo(f"{summary.name}: ran {summary.ran} trials ({summary.done} done, "
                       f"{summary.failed} failed) in {summary.wall_time:.1f} s -> {summary.out_dir}")
            print_results(analyze(summary.out_dir))
            _write_report(Path(summary.out_dir))
            _write_tensorboard(Path(summary.out_dir), tensorboard)
        except KeyboardInterrupt:
            resume = _resume_command(study, out, seeds, workers, executor, set_, tensorboard)
            typer.echo(f"\ninterrupted: finished trials are kept; resume with\n  {resume}", err=True)
            raise typer.Exit(130) from None  # 128 + SIGINT, as shells report Ctrl-C
        except GradlabError as exc:
            raise _fail(exc) from None
        if summary.failed:
            # a script or CI job must see that the study is incomplete: exit 1 (2 is a user error)
            typer.echo(f"{summary.failed} of {summary.ran} trials failed; see "
                       f"`gradlab status {summary.out_dir} --failed`", err=True)
            raise typer.Exit(1)

    @app.command("studies")
    def studies_cmd(
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """List the built-in studies, one line each.

        Example:
          gradlab studies
        """
        from gradlab.study.builtin import list_studies

        try:
            studies = list_studies()
        except GradlabError as exc:
            raise _fail(exc) from None
        if as_json:
            typer.echo(json.dumps(studies, indent=2))
            return
        width = max((len(s["name"]) for s in studies), default=0)
        for s in studies:
            typer.echo(f"{s['name']:<{width}}  {s['configs']:>3} configs x {s['seeds']:>2} seeds  "
                       f"{s['description']}")

    @app.command("show")
    def show_cmd(
        out_dir: Path = typer.Argument(..., help="A study folder (holding gradlab.sqlite)."),
        as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
        csv: Optional[Path] = typer.Option(None, "--csv", help="Also write the table as CSV."),
    ) -> None:
        """Print a study's comparison table and its findings.

        Examples:
          gradlab show runs/dying-relu
          gradlab show runs/dying-relu --json > results.json
          gradlab show runs/dying-relu --csv table.csv
        """
        from gradlab.study.results import analyze

        try:
            results = analyze(out_dir)
        except GradlabError as exc:
            raise _fail(exc) from None
        if csv is not None:
            results.write_csv(csv)
        if as_json:
            typer.echo(json.dumps(results.to_dict(), indent=2, default=str))
        else:
            print_results(results)

    @app.command("status")
    def status_cmd(
        out_dir: Path = typer.Argument(..., help="A study folder (holding gradlab.sqlite)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
        failed: bool = typer.Option(False, "--failed", help="Also print the failed trials' errors."),
    ) -> None:
        """Show how far a study is: trials pending, running, done, failed.

        Example:
          gradlab status runs/dying-relu
        """
        from gradlab.study.store import Store, is_locked

        try:
            with Store(out_dir, create=False) as store:
                meta = store.meta()
                hashes = meta.get("config_hashes")
                counts = store.counts(hashes)
                errors = [(t["group_key"], t["seed"], t["error"] or "")
                          for t in store.trials("failed", hashes=hashes)] if failed else []
        except GradlabError as exc:
            raise _fail(exc) from None
        live = is_locked(out_dir)
        if not live:  # nobody is running them: they were interrupted
            counts["interrupted"] = counts.pop("running")
        total = sum(counts.values())
        if as_json:
            typer.echo(json.dumps({"name": meta.get("name"), "running_now": live, "total": total,
                                   **counts}))
        else:
            parts = ", ".join(f"{v} {k}" for k, v in counts.items())
            state = "running now" if live else "not running"
            typer.echo(f"{meta.get('name', '?')}: {counts['done']}/{total} done ({parts}); {state}")
        for label, seed, error in errors:
            last = error.strip().splitlines()[-1] if error.strip() else "?"
            typer.echo(f"  failed: {label} seed {seed}: {last}")
