import pickle

import pytest
import torch
import torch.nn as nn

from gradlab.errors import ConfigError
from gradlab.models import GAN, MODELS, create_model

# (kind, input_shape, n_outputs, kwargs): tiny models, one per feature worth building
CASES = {
    "mlp-relu": ("mlp", (2,), 1, {"hidden": [3, 3, 3, 3], "act": "relu"}),
    "mlp-bn-after-lrelu": ("mlp", (4,), 3, {"depth": 2, "width": 5, "act": "leaky_relu(0.2)", "norm": "batch",
                                            "norm_position": "after", "dropout": 0.1}),
    "mlp-ln-selu": ("mlp", (1, 4, 4), 2, {"hidden": [6], "act": "selu", "norm": "layer"}),
    "mlp-prelu": ("mlp", (2,), 1, {"hidden": [4, 4], "act": "prelu"}),
    "cnn-bn": ("cnn", (1, 12, 12), 4, {"channels": [4, 8], "act": "relu"}),
    "cnn-ln-after-avg": ("cnn", (3, 8, 8), 2, {"channels": [4, 4, 6], "norm": "layer", "norm_position": "after",
                                               "pool": "avg", "act": "gelu", "dropout": 0.25}),
    "cnn-no-norm-no-pool": ("cnn", (1, 6, 6), 3, {"channels": [3], "norm": "none", "pool": "none"}),
    "resnet8": ("resnet", (3, 8, 8), 10, {"depth": 8, "width": 4}),
    "resnet14-conv-shortcut": ("resnet", (1, 8, 8), 5, {"depth": 14, "width": 2, "shortcut": "conv",
                                                       "act": "leaky_relu(0.1)"}),
    "resnet8-functional-no-bn": ("resnet", (3, 8, 8), 2, {"depth": 8, "width": 4, "functional": True,
                                                         "norm": "none"}),
    "gan": ("gan", (2,), 1, {"g_hidden": [8, 8], "d_hidden": [8], "d_act": "leaky_relu(0.1)"}),
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_every_builder_runs_forward_and_backward(case):
    kind, shape, n_out, kw = CASES[case]
    model = create_model(kind, input_shape=shape, n_outputs=n_out, **kw)
    if isinstance(model, GAN):
        fake = model(torch.randn(5, model.latent_dim))
        assert fake.shape == (5, *shape)
        out = model.discriminator(fake)
    else:
        x = torch.randn(5, *shape)
        out = model(x)
    assert out.shape == (5, n_out) and torch.isfinite(out).all()
    out.square().mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert grads and all(g is not None and torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("depth,n", [(8, 1), (20, 3), (56, 9)], ids=["resnet8", "resnet20", "resnet56"])
def test_resnet_has_six_n_plus_two_weighted_layers(depth, n):
    model = create_model("resnet", input_shape=(3, 32, 32), n_outputs=10, depth=depth, width=2)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert len(convs) == 6 * n + 1 and len(linears) == 1 and model.depth == depth
    assert [len(getattr(model, f"layer{s}")) for s in (1, 2, 3)] == [n, n, n]
    assert [getattr(model, f"layer{s}")[0].conv1.out_channels for s in (1, 2, 3)] == [2, 4, 8]


def test_resnet_downsamples_twice_and_keeps_the_identity_shortcut():
    model = create_model("resnet", input_shape=(3, 32, 32), n_outputs=10, depth=8, width=4).eval()
    shapes = []
    for stage in (model.layer1, model.layer2, model.layer3):
        stage.register_forward_hook(lambda m, i, o: shapes.append(tuple(o.shape[1:])))
    model(torch.randn(2, 3, 32, 32))
    assert shapes == [(4, 32, 32), (8, 16, 16), (16, 8, 8)]
    block = model.layer2[0]
    x = torch.randn(1, 4, 8, 8)
    short = block.shortcut(x)
    assert torch.equal(short[:, :4], x[:, :, ::2, ::2]) and short[:, 4:].abs().sum() == 0  # option A


def test_functional_resnet_has_no_activation_modules_but_the_same_function():
    torch.manual_seed(0)
    a = create_model("resnet", input_shape=(3, 8, 8), n_outputs=3, depth=8, width=4, act="leaky_relu(0.1)")
    torch.manual_seed(0)
    b = create_model("resnet", input_shape=(3, 8, 8), n_outputs=3, depth=8, width=4, act="leaky_relu(0.1)",
                     functional=True)
    assert any(isinstance(m, nn.LeakyReLU) for m in a.modules())
    assert not any(isinstance(m, nn.LeakyReLU) for m in b.modules())
    b.load_state_dict(a.state_dict())
    x = torch.randn(2, 3, 8, 8)
    assert torch.allclose(a.eval()(x), b.eval()(x), atol=1e-6)
    pickle.loads(pickle.dumps(b))  # checkpoints and process pools need it picklable


def test_cnn_layer_names_and_pooling():
    model = create_model("cnn", input_shape=(1, 28, 28), n_outputs=10, channels=[32, 64, 64, 128],
                         act="leaky_relu(0.2)", dropout=0.25)
    names = [n for n, _ in model.named_children()]
    assert names[:6] == ["conv1", "norm1", "act1", "drop1", "pool1", "conv2"]
    assert names[-3:] == ["gap", "flatten", "fc"] and "pool4" not in names
    assert isinstance(model.norm1, nn.BatchNorm2d) and model.conv1.bias is None  # BN follows the conv
    assert isinstance(model.drop1, nn.Dropout2d) and model.act1.negative_slope == 0.2
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)


def test_gan_networks_have_their_own_activations():
    model = create_model("gan", input_shape=(2,), n_outputs=1, latent_dim=3, g_act="leaky_relu(0.3)",
                         d_act="leaky_relu(0.1)")
    assert model.generator.fc1.in_features == 3 and model.generator.fc3.out_features == 2
    assert model.generator.act1.negative_slope == 0.3 and model.discriminator.act1.negative_slope == 0.1
    g = torch.Generator().manual_seed(0)
    s1, s2 = model.sample(4, generator=g), model.sample(4, generator=torch.Generator().manual_seed(0))
    assert s1.shape == (4, 2) and torch.equal(s1, s2) and not s1.requires_grad


@pytest.mark.parametrize(
    "kind,shape,kw,needle",
    [("resnet", (3, 8, 8), {"depth": 10}, "6n\\+2.*got 10"), ("resnet", (3, 8, 8), {"depth": 2}, "got 2"),
     ("resnet", (3, 8, 8), {"width": 0}, "width.*got 0"), ("resnet", (2,), {}, "channels, height, width"),
     ("resnet", (3, 8, 8), {"functional": True, "act": "prelu"}, "prelu"),
     ("cnn", (1, 8, 8), {"channels": []}, "at least one"), ("cnn", (1, 8, 8), {"channels": [4, 0]}, "bad entry 0"),
     ("cnn", (1, 4, 4), {"channels": [2, 2, 2, 2]}, "below one pixel"), ("cnn", (1, 8, 8), {"kernel_size": 2}, "odd"),
     ("cnn", (1, 8, 8), {"pool": "median"}, "median"), ("gan", (2,), {"latent_dim": 0}, "latent_dim"),
     ("gan", (2,), {"g_hidden": [0]}, "hidden"), ("mlp", (0,), {}, "input_shape")],
    ids=["resnet-depth-10", "resnet-depth-2", "resnet-width-0", "resnet-flat-input", "functional-prelu",
         "cnn-no-channels", "cnn-zero-channel", "cnn-overpooled", "cnn-even-kernel", "cnn-bad-pool",
         "gan-latent-0", "gan-zero-hidden", "mlp-zero-input"],
)
def test_impossible_shapes_raise_config_errors(kind, shape, kw, needle):
    with pytest.raises(ConfigError, match=needle):
        create_model(kind, input_shape=shape, n_outputs=2, **kw)


def test_every_registered_model_is_listed():
    assert MODELS.names() == ["mlp", "cnn", "resnet", "gan"]
    assert all(d["summary"] for d in MODELS.describe())


@pytest.mark.parametrize("kind", ["cnn", "resnet"])
def test_conv_models_take_init_specs(kind):
    torch.manual_seed(0)
    kw = {"channels": [16, 32]} if kind == "cnn" else {"depth": 8, "width": 16}
    model = create_model(kind, input_shape=(3, 16, 16), n_outputs=4, norm="none", act="relu",
                         init="he_normal(mode='fan_out')", bias_init="constant(0.5)", **kw)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.in_channels >= 16]
    for conv in convs:
        fan_out = conv.out_channels * conv.kernel_size[0] * conv.kernel_size[1]
        assert abs(conv.weight.std().item() / (2.0 / fan_out) ** 0.5 - 1) < 0.1
        assert torch.all(conv.bias == 0.5)
    assert torch.all(model.fc.bias == 0.5)


def test_gan_generator_can_take_seed_000s_scheduled_slope():
    model = create_model("gan", input_shape=(2,), n_outputs=1, g_act="scheduled_leaky_relu(0.3, 0.1)",
                         d_act="leaky_relu(0.2)")
    acts = [m for m in model.generator.modules() if hasattr(m, "set_progress")]
    assert len(acts) == 2 and not any(hasattr(m, "set_progress") for m in model.discriminator.modules())
    for m in acts:
        m.set_progress(1.0)
    assert all(abs(m.negative_slope - 0.1) < 1e-9 for m in acts)
