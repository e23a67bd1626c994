"""A misspelt keyword in a spec names the valid ones (``leaky_relu(slope=0.1)``)."""

import pytest
from typer.testing import CliRunner

from gradlab.cli.app import app
from gradlab.components.activations import create_activation
from gradlab.components.init import INITS
from gradlab.errors import ConfigError


@pytest.mark.parametrize("spec,bad,meant,valid", [
    ("leaky_relu(slope=0.1)", "slope", "negative_slope", "negative_slope, inplace"),
    ("elu(alhpa=1.0)", "alhpa", "alpha", "alpha, inplace"),
], ids=["leaky-slope", "elu-typo"])
def test_unknown_keyword_names_the_one_meant_and_the_valid_ones(spec, bad, meant, valid):
    with pytest.raises(ConfigError) as err:
        create_activation(spec)
    assert str(err.value) == (f"activation {spec!r}: unknown argument {bad!r} — did you mean "
                              f"{meant!r}? (valid: {valid})")


def test_an_init_keyword_typo_and_a_component_without_arguments():
    with pytest.raises(ConfigError, match=r"unknown argument 'sd' — did you mean 'std'\? \(valid: mean, std\)"):
        INITS.create("normal(0, sd=0.1)")
    with pytest.raises(ConfigError, match=r"unknown argument 'x' \(valid: inplace\)"):
        create_activation("relu(x=1)")


def test_the_cli_says_it_in_one_line_and_exits_2():
    result = CliRunner().invoke(app, ["train", "--act", "leaky_relu(slope=0.1)", "--epochs", "1"])
    assert result.exit_code == 2
    assert "unknown argument 'slope' — did you mean 'negative_slope'?" in result.output
    assert "__init__" not in result.output and "Traceback" not in result.output
