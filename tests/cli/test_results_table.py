"""The terminal table of `gradlab show`: readable at 80 and 120 columns, nothing cut, all headed."""

import math

import pytest
from rich.console import Console

from gradlab.cli.results_table import print_results, results_table
from gradlab.study.results import GroupRow, StudyResults

KEYS = ["model.act", "train.optimizer", "model.init", "model.bias_init"]


def _row(act, opt, init="normal(0, 0.01)", bias="constant(-8)", **kw):
    setting = dict(zip(KEYS, [act, opt, init, bias]))
    assignment = {k: v for k, v in setting.items() if k in KEYS[:2] or init == "he_normal"}
    label = " ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in assignment.items())
    fields = dict(n=10, mean=0.5, std=0.01, ci_low=0.49, ci_high=0.51)
    fields.update(kw)
    return GroupRow(label, label, assignment, setting=setting, **fields)


def _results():
    base = _row("relu", "sgd", verdict="baseline", findings={"dead_units": 10})
    rows = [base]
    for act in ("leaky_relu(0.01)", "leaky_relu(0.1)", "scheduled_leaky_relu(0.3, 0.1)"):
        for opt in ("sgd", "adam"):
            rows.append(_row(act, opt, baseline=base.label, diff=0.359, diff_low=0.3243,
                             diff_high=0.3941, p=0.00195, p_holm=0.0293, significant=True,
                             verdict="better", mean=0.853, ci_low=0.8312, ci_high=0.8744))
    rows.append(_row("relu", "adam", "he_normal", "zeros", baseline=base.label, diff=-2e-3,
                     diff_low=-0.0312, diff_high=0.02, p=0.6, p_holm=1.0, significant=False,
                     verdict="no clear difference", findings={"dead_units": 4}))
    return StudyResults("dying-relu", "", "dev_accuracy", True, 0.05, rows,
                        {"done": 80}, keys=KEYS)


@pytest.mark.parametrize("width", [80, 120])
def test_the_table_fits_and_cuts_nothing(width):
    console = Console(width=width, record=True, color_system=None)
    with console.capture() as out:
        print_results(_results(), console)
    text = out.get()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width
    assert "…" not in text  # rich's mark of a cut cell
    header = next(line for line in lines if "verdict" in line)
    # at 120 columns one column per differing key; at 80 they share one wrapped "group" column
    keys = ["act", "optimizer", "init", "bias_init"] if width == 120 else ["group"]
    for head in [*keys, "n", "mean", "95% CI", "diff", "diff CI", "p Holm", "verdict"]:
        assert f" {head} " in f" {header} ", head
    body = "\n".join(lines[lines.index(header) + 2:])
    width_1 = results_table(_results(), width).columns[0].width
    table_end = body.index("•")
    first_col = "".join(line[:width_1].strip() for line in body[:table_end].splitlines())
    for act in ("leaky_relu(0.01)", "leaky_relu(0.1)", "scheduled_leaky_relu(0.3,"):
        assert act in first_col.replace(" ", ""), act  # whole once the wrapped lines are joined
    for number in ("0.853", "0.831–0.874", "+0.359", "+0.324–+0.394", "0.029"):
        assert number in text, number
    assert "no clear" in text and "difference" in text and "better" in text


def test_findings_are_one_line_per_code_with_the_groups_that_raised_it():
    console = Console(width=200, record=True, color_system=None)
    with console.capture() as out:
        print_results(_results(), console)
    lines = [line for line in out.get().splitlines() if line.strip().startswith("dead_units")]
    assert lines == ["  dead_units: act=relu optimizer=sgd 10/10; "
                     "act=relu optimizer=adam init=he_normal bias_init=zeros 4/10"]


def test_the_headline_names_the_best_group_and_its_interval():
    console = Console(width=200, record=True, color_system=None)
    with console.capture() as out:
        print_results(_results(), console)
    text = out.get()
    assert "Best: act=leaky_relu(0.01) optimizer=sgd, 0.853 dev_accuracy" in text
    assert "+0.359 (95% CI +0.324 to +0.394" in text
    assert not math.isnan(_results().groups[1].mean)
