import pytest
import torch
import torch.nn as nn

from gradlab.errors import ConfigError
from gradlab.models import MODELS, MLP, create_model


def names(model):
    return [n for n, _ in model.named_children()]


def test_mlp_layer_names_follow_fc_act_convention():
    m = create_model("mlp", input_shape=(2,), n_outputs=1, hidden=[3, 3, 3, 3], act=nn.ReLU)
    assert names(m) == ["fc1", "act1", "fc2", "act2", "fc3", "act3", "fc4", "act4", "fc5"]
    assert [m.fc1.in_features, m.fc1.out_features, m.fc5.out_features] == [2, 3, 1]
    assert all(isinstance(getattr(m, f"act{i}"), nn.ReLU) for i in range(1, 5))


def test_each_hidden_layer_gets_its_own_activation_module():
    proto = nn.PReLU()
    m = create_model("mlp", input_shape=(2,), n_outputs=1, hidden=[4, 4], act=proto)
    assert m.act1 is not m.act2 and m.act1 is not proto
    assert m.act1.weight.data_ptr() != m.act2.weight.data_ptr()
    # regression: keeping the prototype module on the model made it an extra layer of the Sequential
    assert names(m) == ["fc1", "act1", "fc2", "act2", "fc3"]
    assert m(torch.randn(3, 2)).shape == (3, 1) and isinstance(m.act_spec, str)


@pytest.mark.parametrize(
    "norm,position,expected",
    [
        ("batch", "before", ["fc1", "norm1", "act1", "fc2", "norm2", "act2", "fc3"]),
        ("batch", "after", ["fc1", "act1", "norm1", "fc2", "act2", "norm2", "fc3"]),
        ("layer", "before", ["fc1", "norm1", "act1", "fc2", "norm2", "act2", "fc3"]),
    ],
    ids=["bn-then-act", "act-then-bn", "ln-then-act"],
)
def test_norm_position_orders_the_block(norm, position, expected):
    m = create_model(
        "mlp", input_shape=(2,), n_outputs=1, hidden=[5, 5], act=nn.LeakyReLU, norm=norm, norm_position=position
    )
    assert names(m) == expected
    assert isinstance(m.norm1, nn.BatchNorm1d if norm == "batch" else nn.LayerNorm)


def test_norm_before_activation_normalizes_the_pre_activation():
    torch.manual_seed(1)
    m = create_model("mlp", input_shape=(3,), n_outputs=1, hidden=[8], act=nn.ReLU, norm="batch").train()
    seen = {}
    m.act1.register_forward_hook(lambda mod, inp, out: seen.setdefault("pre", inp[0]))
    m(torch.randn(256, 3) * 5 + 3)
    pre = seen["pre"]
    assert torch.allclose(pre.mean(0), torch.zeros(8), atol=1e-5)


def test_dropout_float_and_depth_width():
    m = create_model("mlp", input_shape=(4,), n_outputs=3, depth=3, width=7, act=nn.Tanh, dropout=0.25)
    assert names(m) == ["fc1", "act1", "drop1", "fc2", "act2", "drop2", "fc3", "act3", "drop3", "fc4"]
    assert m.drop1.p == 0.25 and m.fc2.in_features == 7 and m.hidden == [7, 7, 7]


def test_no_hidden_layers_is_logistic_regression():
    m = create_model("mlp", input_shape=(2,), n_outputs=1, hidden=[])
    assert names(m) == ["fc1"]


def test_image_input_is_flattened_and_outputs_logits():
    m = create_model("mlp", input_shape=(1, 4, 4), n_outputs=10, hidden=[6], act=nn.ReLU)
    x = torch.randn(5, 1, 4, 4)
    out = m(x)
    assert out.shape == (5, 10) and m.fc1.in_features == 16
    assert isinstance(m, MLP) and not isinstance(list(m.children())[-1], nn.Sigmoid)


@pytest.mark.parametrize(
    "kwargs,needle",
    [
        ({"hidden": [0]}, "hidden"),
        ({"hidden": [3, -1]}, "-1"),
        ({"depth": 0, "width": 3}, "depth"),
        ({"depth": 2, "width": 0}, "width"),
        ({"hidden": [3], "depth": 2}, "not both"),
        ({"norm": "group"}, "group"),
        ({"norm": "batch", "norm_position": "middle"}, "middle"),
        ({"dropout": 1.5}, "1.5"),
    ],
    ids=["zero-width", "negative-width", "zero-depth", "zero-width-dw", "both", "bad-norm", "bad-position", "bad-dropout"],
)
def test_impossible_arguments_raise_config_error(kwargs, needle):
    with pytest.raises(ConfigError, match=needle):
        create_model("mlp", input_shape=(2,), n_outputs=1, act=nn.ReLU, **kwargs)


def test_unknown_argument_and_kind_are_config_errors():
    with pytest.raises(ConfigError, match="hiden"):
        create_model("mlp", input_shape=(2,), n_outputs=1, hiden=[3])
    with pytest.raises(ConfigError, match="did you mean 'mlp'"):
        create_model("mpl", input_shape=(2,), n_outputs=1)
    assert "mlp" in MODELS.names()


def test_string_activation_specs_build_registry_modules():
    m = create_model("mlp", input_shape=(2,), n_outputs=1, hidden=[4, 4], act="leaky_relu(0.2)")
    assert isinstance(m.act1, nn.LeakyReLU) and m.act1.negative_slope == 0.2 and m.act_spec == "leaky_relu(0.2)"
    assert m.act1 is not m.act2


def test_seed_dying_relu_network_gets_its_init():
    """The seeds' 2-3-3-3-3-1 net: weights N(0, 0.01), biases -8, so every ReLU starts dead."""
    torch.manual_seed(0)
    m = create_model("mlp", input_shape=(2,), n_outputs=1, hidden=[3, 3, 3, 3], act="relu",
                     init="normal(0, 0.01)", bias_init="constant(-8)")
    linears = [getattr(m, f"fc{i}") for i in range(1, 6)]
    assert all(torch.all(fc.bias == -8) for fc in linears)
    weights = torch.cat([fc.weight.flatten() for fc in linears])
    assert 0.004 < weights.std().item() < 0.016 and weights.abs().max() < 0.06
    seen = []
    m.act1.register_forward_hook(lambda mod, i, o: seen.append(o))
    m(torch.randn(64, 2))
    assert torch.all(seen[0] == 0)


def test_he_init_uses_the_gain_of_the_activation():
    torch.manual_seed(0)
    m = create_model("mlp", input_shape=(400,), n_outputs=1, hidden=[1000], act="leaky_relu(0.5)", init="he_normal")
    expected = (2.0 / (1 + 0.5**2) / 400) ** 0.5  # He et al. 2015 with the LeakyReLU slope
    assert abs(m.fc1.weight.std().item() / expected - 1) < 0.03


def test_dropout_spec_string_builds_alpha_dropout():
    pytest.importorskip("gradlab.components.regularizers")
    m = create_model("mlp", input_shape=(2,), n_outputs=1, hidden=[4], act="selu", dropout="alpha_dropout(0.1)")
    assert isinstance(m.drop1, nn.AlphaDropout) and m.drop1.p == 0.1
