import pytest
import torch.nn as nn

from gradlab.components.registry import Registry
from gradlab.components.spec import canonical, format_spec, parse_spec
from gradlab.errors import ConfigError, GradlabError, SpecError, UnknownComponentError

CANONICAL = [
    "relu",
    "leaky_relu(0.2)",
    "normal(0, 0.01)",
    "he_normal(mode='fan_out')",
    "piecewise([5, 50], [0.1, 0.01, 0.001])",
    "constant(-8)",
    "gelu(approximate='tanh')",
    "swish(beta=1.5, learnable=True)",
    "power(s=100, c=1)",
    "uniform(-1, 0)",
]


@pytest.mark.parametrize("text", CANONICAL)
def test_canonical_specs_round_trip_identically(text):
    s = parse_spec(text)
    assert format_spec(s.name, s.args, s.kwargs) == text
    assert str(s) == text


def test_parse_values_and_whitespace():
    s = parse_spec(" normal( 0 ,0.01 ) ")
    assert (s.name, s.args, s.kwargs) == ("normal", (0, 0.01), {})
    assert canonical("normal(0,0.01)") == "normal(0, 0.01)"
    assert parse_spec("he_normal(mode=fan_out)").kwargs == {"mode": "fan_out"}
    assert parse_spec("x(None, True, -1e-3)").args == (None, True, -0.001)


@pytest.mark.parametrize(
    "bad",
    ["", "leaky_relu(", "relu()()", "__import__('os').system('x')", "f(a+b)", "f(*x)", "1+2", "f(lambda: 0)"],
    ids=["empty", "unclosed", "double-call", "injection", "expression", "star", "not-a-call", "lambda"],
)
def test_malformed_specs_fail_cleanly(bad):
    with pytest.raises(SpecError) as exc:
        parse_spec(bad)
    assert isinstance(exc.value, GradlabError)
    assert "spec" in str(exc.value)


def test_spec_never_evaluates_code(tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(SpecError):
        parse_spec(f"open({str(marker)!r}, 'w').write('x')")
    assert not marker.exists()


def make_registry():
    reg = Registry("activation")
    reg.register("relu", nn.ReLU)
    reg.register("leaky_relu", nn.LeakyReLU, aliases=("lrelu_torch",))
    reg.register("tanh", nn.Tanh, help="hyperbolic tangent")
    return reg


def test_registry_names_objects_and_specs():
    reg = make_registry()
    assert reg.names() == ["relu", "leaky_relu", "tanh"]
    assert reg.get("relu") is nn.ReLU
    assert reg.get("leaky_relu(0.3)") is nn.LeakyReLU
    assert reg.get(nn.ELU) is nn.ELU  # objects pass through
    m = reg.create("leaky_relu(0.3)")
    assert isinstance(m, nn.LeakyReLU) and m.negative_slope == 0.3
    assert reg.create(nn.LeakyReLU, 0.1).negative_slope == 0.1
    assert reg.create("leaky_relu", negative_slope=0.2).negative_slope == 0.2
    assert reg.get("LReLU_TORCH") is nn.LeakyReLU
    assert "tanh" in reg and "nope" not in reg
    assert reg.describe()[2]["summary"] == "hyperbolic tangent"


def test_unknown_name_lists_choices_and_suggests():
    reg = make_registry()
    with pytest.raises(UnknownComponentError) as exc:
        reg.get("lrelu")
    msg = str(exc.value)
    assert "unknown activation 'lrelu'" in msg
    assert "did you mean 'leaky_relu'" in msg
    assert "choices: relu, leaky_relu, tanh" in msg
    with pytest.raises(UnknownComponentError, match="did you mean 'tanh'"):
        reg.create("tahn")


def test_bad_arguments_and_duplicates():
    reg = make_registry()
    with pytest.raises(ConfigError, match="bad arguments for activation 'leaky_relu\\(0.1, 0.2, 0.3\\)'"):
        reg.create("leaky_relu(0.1, 0.2, 0.3)")
    with pytest.raises(ConfigError, match="given twice"):
        reg.create("leaky_relu(negative_slope=0.1)", negative_slope=0.2)
    with pytest.raises(ValueError, match="already registered"):
        reg.register("relu", nn.ReLU)


@pytest.mark.parametrize(
    "family,typo,expected",
    [
        ("optimizers", "adma", "adam"),  # regression: difflib suggested 'adamax'
        ("optimizers", "adamm", "adam"),  # a doubled letter beats the same-length 'adamw'
        ("optimizers", "sdg", "sgd"),
        ("optimizers", "nestrov", "nesterov"),
        ("optimizers", "rmsporp", "rmsprop"),
        ("activations", "tahn", "tanh"),
        ("activations", "sigmod", "sigmoid"),
        ("activations", "gleu", "gelu"),
        ("activations", "lrelu", "leaky_relu"),
        ("activations", "leaky", "leaky_relu"),
        ("inits", "xavier_normla", "xavier_normal"),
        ("tasks", "moon", "moons"),
    ],
    ids=lambda v: str(v),
)
def test_did_you_mean_prefers_the_nearest_name_with_transpositions(family, typo, expected):
    from gradlab.cli.list_cmd import registry_for

    _, registry = registry_for(family)
    with pytest.raises(UnknownComponentError) as exc:
        registry.get(typo)
    assert f"did you mean {expected!r}?" in str(exc.value)


def test_far_off_names_get_no_suggestion_only_the_choices():
    from gradlab.components.optim import OPTIMIZERS

    with pytest.raises(UnknownComponentError) as exc:
        OPTIMIZERS.get("lbfgs2000")
    assert "did you mean" not in str(exc.value) and "choices: sgd" in str(exc.value)


def _osa_reference(a: str, b: str) -> int:
    """Brute-force recursion over the last characters (insert, delete, substitute, swap)."""
    import functools

    @functools.lru_cache(maxsize=None)
    def d(i: int, j: int) -> int:
        if min(i, j) == 0:
            return max(i, j)
        best = min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))
        if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
            best = min(best, d(i - 2, j - 2) + 1)
        return best

    return d(len(a), len(b))


def test_edit_distance_matches_a_brute_force_recursion():
    import random

    from gradlab.components.suggest import edit_distance

    rng = random.Random(0)
    for _ in range(300):
        a = "".join(rng.choice("abc") for _ in range(rng.randint(0, 6)))
        b = "".join(rng.choice("abc") for _ in range(rng.randint(0, 6)))
        assert edit_distance(a, b) == _osa_reference(a, b), (a, b)
    assert edit_distance("adma", "adam") == 1 and edit_distance("adma", "adamax") == 2


def test_ties_go_to_the_name_closest_in_length_then_to_the_first_listed():
    from gradlab.components.suggest import closest

    # both one edit from 'abcd': the deletion changes the length, the substitution does not
    assert closest("abcd", ["abc", "abce"]) == "abce"
    assert closest("abcd", ["abcf", "abce"]) == "abcf"
    assert closest("abcd", ["abcd"]) is None  # an exact match is not a typo
    assert closest("abcdd", ["abcde", "abcd"]) == "abcd"  # a doubled letter first
