"""One did-you-mean for every unknown name: the same typo gets the same hint everywhere.

Regression: seven copies (``difflib`` with four different cutoffs beside the registry's edit
distance) suggested ``'adamax'`` for ``'adma'`` in one place and ``'adam'`` in another.
"""

from __future__ import annotations

import pytest
import typer

from gradlab.components.suggest import did_you_mean, suggestion
from gradlab.errors import ConfigError


@pytest.mark.parametrize(
    "typed, choices, aliases, expected",
    [
        ("adma", ["adam", "adamax", "adamw"], None, "adam"),  # a swap, not the longer name
        ("lrelu", ["relu", "leaky_relu"], None, "leaky_relu"),  # an abbreviation
        ("kaiming", ["zeros", "kaiming_normal"], None, "kaiming_normal"),  # a part of the name
        ("dev_acc", ["dev_loss", "dev_accuracy"], None, "dev_accuracy"),
        ("logistik", ["sigmoid", "tanh"], {"logistic": "sigmoid"}, "sigmoid"),  # alias -> its name
        ("ADAM", ["adam", "sgd"], None, None),  # an exact match is no typo
        ("lbfgs2000", ["sgd", "adam"], None, None),  # far off: no guess
    ],
    ids=["swap", "abbreviation", "part", "prefix", "alias", "exact", "far"],
)
def test_suggestion(typed, choices, aliases, expected):
    assert suggestion(typed, choices, aliases) == expected
    hint = did_you_mean(typed, choices, aliases)
    assert hint == (f" — did you mean {expected!r}?" if expected else "")


def test_prefix_names_the_full_key():
    assert did_you_mean("lrr", ["lr", "epochs"], prefix="train.") == " — did you mean 'train.lr'?"


def _message(call) -> str:
    with pytest.raises(ConfigError) as exc:
        call()
    return str(exc.value)


def test_every_unknown_name_error_uses_it(capsys):
    from gradlab.cli.list_cmd import registry_for
    from gradlab.diagnose.rules import resolve
    from gradlab.studies import find_study
    from gradlab.study.executors import create_executor
    from gradlab.train.config import get_dotted

    assert "did you mean 'dying-relu'?" in _message(lambda: find_study("dying"))
    assert "did you mean 'ensemble'?" in _message(lambda: create_executor("ensmble"))
    assert "did you mean 'dead_units'?" in _message(lambda: resolve({"dead_unit": True}))
    assert "did you mean 'train.lr'?" in _message(lambda: get_dotted({"train": {"lr": 1}}, "train.lrr"))
    with pytest.raises(typer.Exit):  # the CLI's fail(): one line on stderr, exit status 2
        registry_for("activaton")
    assert "did you mean 'activations'?" in capsys.readouterr().err
