"""The alive mask of a smooth activation, decided from the per-unit maximum of z, against the
definition (a unit is dead when ``|f'(z)|`` is at most the threshold on every sample of the window)
on adversarial inputs: every float next to a change between ``f' == 0`` and ``f' != 0``, GELU's
isolated zero near its root, the flat tails, infinities and NaN."""

from dataclasses import replace

import pytest
import torch

from gradlab.components.act_info import build_info
from gradlab.watch.probes import ActivationSite

POINTWISE = [
    ("gelu", {}), ("gelu", {"approximate": "tanh"}), ("silu", {}), ("swish", {"beta": 1.702}),
    ("swish", {"beta": torch.tensor(0.5)}), ("mish", {}), ("elu", {}), ("selu", {}), ("celu", {"alpha": 0.5}),
    ("softplus", {}), ("sigmoid", {}), ("tanh", {}), ("hard_sigmoid", {}), ("hardtanh", {}),
    ("hardswish", {}), ("relu6", {}),
]
IDS = [f"{n}-{'-'.join(str(v if not isinstance(v, torch.Tensor) else v.item()) for v in p.values())}".rstrip("-")
       for n, p in POINTWISE]

ULPS = 512  # floats on each side of every change of "f' == 0" along the grid


def _neighbours(x: torch.Tensor) -> torch.Tensor:
    """The ``ULPS`` floats either side of each value of ``x`` (same dtype), by their bit patterns."""
    itype = torch.int32 if x.dtype == torch.float32 else torch.int64
    bits = x.view(itype).to(torch.int64)
    steps = torch.arange(-ULPS, ULPS + 1, dtype=torch.int64)
    # bit patterns of negative floats grow with magnitude; adding k moves k floats away from 0
    out = (bits[:, None] + steps[None, :]).reshape(-1)
    out = out[(out >= torch.iinfo(itype).min) & (out <= torch.iinfo(itype).max)]
    return out.to(itype).view(x.dtype)


def strided(x: torch.Tensor) -> torch.Tensor:
    """``x`` as a non-contiguous view: elementwise kernels take their scalar path on it."""
    return torch.stack([x, x], -1)[..., 0]


def no_gradient(info, x: torch.Tensor, scalar_path: bool) -> torch.Tensor:
    """Where ``|f'(x)|`` is at most the threshold, by the kernel's vectorised or scalar path."""
    return info.derivative(strided(x) if scalar_path else x).abs() <= info.dead_threshold


def adversarial_points(info, dtype: torch.dtype) -> torch.Tensor:
    """Finite floats where ``f'`` changes between zero and nonzero in either code path of the
    kernel (and their neighbours), plus the values every derivative handles specially."""
    grid = torch.cat([torch.linspace(-800.0, 800.0, 400_001, dtype=dtype), torch.linspace(-3, 1, 400_001, dtype=dtype)])
    grid = grid.sort().values
    edges = []
    for scalar_path in (False, True):
        zero = no_gradient(info, grid, scalar_path)
        sign = torch.sign(info.derivative(strided(grid) if scalar_path else grid))  # where f' crosses 0
        change = torch.nonzero((zero[1:] != zero[:-1]) | (sign[1:] * sign[:-1] < 0)).flatten()
        edges += [grid[change], grid[change + 1]]
    edges = torch.cat(edges)
    fi = torch.finfo(dtype)
    special = torch.tensor([0.0, -0.0, float("inf"), -float("inf"), fi.max, -fi.max, fi.tiny, -fi.tiny,
                            -1e30, 1e30, -3.0, 3.0, -7.0, -150.0, 150.0], dtype=dtype)
    return torch.cat([_neighbours(edges), special, grid[::997], torch.tensor([float("nan")], dtype=dtype)])


def brute_dead(info, calls: list[torch.Tensor]) -> torch.Tensor:
    """Dead units of ``[N, units]`` calls by the definition: no sample's ``|f'|`` above the threshold."""
    d = torch.cat([info.derivative(z).abs() for z in calls])  # [all samples, units]
    return (d <= info.dead_threshold).all(0)  # a NaN derivative is not "no gradient"


@pytest.mark.parametrize("layout", ["contiguous", "strided"])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name,params", POINTWISE, ids=IDS)
def test_dead_units_from_the_maximum_equal_the_definition(name, params, dtype, layout):
    """Strided tensors take the kernel's scalar path, which rounds f' near 0 differently from the
    vectorised one: the reference is f' of the very tensor the site saw."""
    info = build_info(name, **params)
    assert info.pointwise
    pts = adversarial_points(info, dtype)
    is_zero = no_gradient(info, pts, layout == "strided")  # NaN: not zero (it counts as alive)
    zeros, others = pts[is_zero], pts[~is_zero]
    assert len(zeros) > 0, "no point without gradient: the test would not test the shortcut's fallback"
    g = torch.Generator().manual_seed(0)
    units, batch, steps = 600, 5, 3

    def draw(pool: torch.Tensor, shape) -> torch.Tensor:
        return pool[torch.randint(0, len(pool), shape, generator=g)]

    calls = []
    for _ in range(steps):
        z = draw(zeros, (batch, units))
        # a third of the units get one sample with gradient somewhere in the batch, at one step
        hit = torch.rand(units, generator=g) < 0.12
        rows = torch.randint(0, batch, (units,), generator=g)
        z[rows[hit], torch.nonzero(hit).flatten()] = draw(others, (int(hit.sum()),))
        calls.append(strided(z) if layout == "strided" else z)
    site = ActivationSite("act", info)
    for z in calls:
        site.observe_pre(z, sampled=False)
    assert site.smooth
    got = site.report_tensors() <= info.dead_threshold
    want = brute_dead(info, calls)
    assert 0 < int(want.sum()) < units  # both kinds of unit are present
    assert torch.equal(got, want)


def test_gelu_isolated_zero_near_its_root_is_handled():
    """float32 GELU's f' rounds to exactly 0 at a float near its root z = -0.7518 (in the kernel's
    vectorised path): a unit whose maximum is that float is dead only if every other sample is
    without gradient too."""
    info = build_info("gelu")
    near = torch.linspace(-0.7519, -0.7517, 20001)
    root = near[info.derivative(near) == 0]
    if len(root) == 0:
        pytest.skip("this build's float32 GELU derivative has no exact zero near the root")
    r = float(root[0])
    cases = {"dead: root and tail": [r, -7.0], "alive: root and -2": [r, -2.0], "dead: root only": [r, r],
             "alive: root and -inf (f' is NaN)": [r, -float("inf")]}
    z = torch.tensor(list(cases.values())).T.contiguous().repeat(4, 1)  # [8 samples, 4 units]
    site = ActivationSite("gelu", info)
    site.observe_pre(z, sampled=False)
    assert (site.report_tensors() <= 0).tolist() == [k.startswith("dead") for k in cases]
    assert torch.equal(site.report_tensors() <= 0, brute_dead(info, [z]))
    # one unit: f' of its maximum is a one-element tensor, which the kernel rounds by its scalar
    # path (6e-8 at this float, not 0): too close to 0 to decide, so the samples decide
    for i, case in enumerate(cases):
        one = ActivationSite("gelu", info)
        one.observe_pre(z[:, i:i + 1].contiguous(), sampled=False)
        assert bool(one.report_tensors() <= 0) == case.startswith("dead"), case


def test_sampled_steps_of_bounded_activations_keep_the_shared_derivative():
    """On a sampled step a sigmoid's derivative is needed for saturation anyway: the mask uses it."""
    info = build_info("sigmoid")
    z = torch.tensor([[200.0, 0.0], [200.0, 200.0]])
    for sampled in (False, True):
        site = ActivationSite("sig", info)
        site.observe_pre(z, sampled=sampled)
        assert (site.report_tensors() <= 0).tolist() == [True, False]


@pytest.mark.parametrize("name", ["gelu", "silu", "tanh"])
def test_a_layer_whose_maxima_have_gradient_skips_the_derivative_of_every_sample(name):
    """The point of the shortcut: f' on the units' maxima only, unless some unit may be dead."""
    calls = []

    def counted(z):
        calls.append(tuple(z.shape))
        return base.derivative(z)

    base = build_info(name)
    info = replace(base, derivative=counted)
    z = torch.randn(64, 8, 32, generator=torch.Generator().manual_seed(0))
    z[:, :, :5] = -1e4  # five units in the flat tail, where f' is 0: all samples of those are below...
    z[0, 0, :5] = 0.5  # ...one with gradient, which is each one's maximum
    site = ActivationSite("act", info)
    site.observe_pre(z, sampled=False)
    assert calls == [(32,)]  # f' of the 32 per-unit maxima only
    assert not (site.report_tensors() <= 0).any()
    z[0, 0, :5] = -1e4  # now dead: the maxima have no gradient, so every sample's f' is read
    site.reset()  # (in a new window: this one is settled, every unit had gradient)
    site.observe_pre(z, sampled=False)
    assert calls[1:] == [(32,), (64, 8, 32)]
    site2 = ActivationSite("act", base)
    site2.observe_pre(z, sampled=False)
    assert (site2.report_tensors() <= 0).tolist() == [True] * 5 + [False] * 27


def test_slopes_per_channel_are_not_pointwise():
    """A slope per channel makes f' depend on the position: no shortcut from a per-unit maximum."""
    assert build_info("swish", beta=torch.tensor(1.5)).pointwise
    assert not build_info("swish", beta=torch.tensor([1.5, 2.0])).pointwise


@pytest.mark.parametrize("name,shape", [("gelu", (16, 8)), ("relu", (64, 1024))], ids=["gelu", "relu-large"])
def test_a_window_whose_units_all_had_gradient_skips_its_remaining_calls(name, shape):
    """Once every unit had gradient in the window no later call can make one dead: the window's
    remaining calls are skipped, and the next window starts over."""
    info = build_info(name)
    site = ActivationSite("act", info)
    g = torch.Generator().manual_seed(0)
    healthy = torch.randn(*shape, generator=g).abs() + 0.1
    gone = torch.full(shape, -1e4)
    site.observe_pre(healthy, sampled=False)
    assert site.alive
    before = site.report_tensors().clone()
    site.observe_pre(gone, sampled=False)  # skipped: it cannot change the verdict
    assert torch.equal(site.report_tensors(), before)
    assert site.report(None, 0.0, shape[1]) is not None and not site.alive  # the window closes
    site.observe_pre(gone, sampled=False)
    assert not site.alive and bool((site.report_tensors() <= 0).all())  # all dead in the new window
    site.reset()
    half = healthy.clone()
    half[:, : shape[1] // 2] = -1e4  # half the units dead: the window is never settled
    for z in (half, half):
        site.observe_pre(z, sampled=False)
        assert not site.alive
    assert int((site.report_tensors() <= 0).sum()) == shape[1] // 2


def test_a_saturated_layer_settles_after_one_full_evaluation():
    """tanh units whose largest input is saturated (f' ~ 0 there) but whose other samples pass
    gradient: the maxima prove nothing, the full evaluation does, and the window is settled."""
    info = build_info("tanh")
    z = torch.zeros(4, 6)
    z[0] = 30.0  # every unit's maximum: tanh'(30) is 0 in float32
    site = ActivationSite("tanh", info)
    site.observe_pre(z, sampled=True)  # a sampled call ends its window: it does not settle
    assert not site.alive
    site.reset()
    site.observe_pre(z, sampled=False)
    assert site.alive and not (site.report_tensors() <= 0).any()
    dead = torch.full((4, 6), 30.0)
    site.reset()
    site.observe_pre(dead, sampled=False)
    assert not site.alive and bool((site.report_tensors() <= 0).all())
