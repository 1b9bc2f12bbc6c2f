"""scribbles.deep.residuals_normalization against torch.nn.functional (float64, tolerance 1e-9)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from scribbles.deep.residuals_normalization import (
    LayerNorm,
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
    statistics_groups,
)

TOL = 1e-9  # float64 agreement with torch
SHAPES = {"2d": (8, 6), "3d": (5, 6, 7), "4d": (4, 6, 3, 5)}


def draw(*shape: int, seed: int = 0, scale: float = 3.0, shift: float = 1.5) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return shift + scale * torch.randn(*shape, generator=generator, dtype=torch.float64)


def affine(channels: int, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    return draw(channels, seed=seed, scale=0.5, shift=1.0), draw(channels, seed=seed + 1)


def close(actual: torch.Tensor, expected: torch.Tensor) -> None:
    torch.testing.assert_close(actual, expected, atol=TOL, rtol=0)


# --- batch norm --------------------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_batch_norm_training_matches_torch_including_running_statistics(shape, momentum):
    channels = shape[1]
    weight, bias = affine(channels)
    ours_mean, ours_var = draw(channels, seed=7), draw(channels, seed=8).abs()
    torch_mean, torch_var = ours_mean.clone(), ours_var.clone()
    for step in range(3):  # several updates: the running estimates accumulate
        x = draw(*shape, seed=10 + step)
        ours = batch_norm(x, ours_mean, ours_var, weight, bias, training=True, momentum=momentum)
        reference = F.batch_norm(
            x, torch_mean, torch_var, weight, bias, training=True, momentum=momentum
        )
        close(ours, reference)
        close(ours_mean, torch_mean)
        close(ours_var, torch_var)


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_batch_norm_evaluation_uses_running_statistics_like_torch(shape):
    channels = shape[1]
    weight, bias = affine(channels)
    mean, var = draw(channels, seed=3), draw(channels, seed=4).abs() + 0.1
    x = draw(*shape)
    ours = batch_norm(x, mean, var, weight, bias, training=False)
    close(ours, F.batch_norm(x, mean, var, weight, bias, training=False))
    # evaluation mode: a sample's output does not depend on the rest of the batch
    close(batch_norm(x[:1], mean, var, weight, bias), ours[:1])


def test_batch_norm_without_running_statistics_matches_torch():
    x = draw(*SHAPES["4d"])
    close(batch_norm(x, None, None, training=True), F.batch_norm(x, None, None, training=True))


def test_running_variance_is_the_unbiased_estimate():
    x = draw(4, 3, seed=5)
    mean, var = torch.zeros(3, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)
    batch_norm(x, mean, var, training=True, momentum=1.0)  # momentum 1: replace with the batch's
    close(mean, x.mean(0))
    close(var, x.var(0, correction=1))


def test_batch_norm_output_of_a_sample_depends_on_its_batch_but_layer_norm_does_not():
    big = draw(64, 6, seed=2)
    small = big[:2]
    in_small = batch_norm(small, None, None, training=True)[0]
    in_big = batch_norm(big, None, None, training=True)[0]
    assert (in_small - in_big).abs().max() > 0.1
    close(layer_norm(small, 6)[0], layer_norm(big, 6)[0])


# --- layer, instance, group norm ----------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("trailing", [1, 2])
def test_layer_norm_matches_torch(shape, trailing):
    normalized_shape = shape[len(shape) - trailing :]
    x = draw(*shape)
    weight = draw(*normalized_shape, seed=3)
    bias = draw(*normalized_shape, seed=4)
    close(layer_norm(x, normalized_shape), F.layer_norm(x, normalized_shape))
    close(
        layer_norm(x, normalized_shape, weight, bias, eps=1e-3),
        F.layer_norm(x, normalized_shape, weight, bias, eps=1e-3),
    )


@pytest.mark.parametrize("shape", [SHAPES["3d"], SHAPES["4d"]], ids=["3d", "4d"])
def test_instance_norm_matches_torch(shape):
    x = draw(*shape)
    weight, bias = affine(shape[1])
    close(instance_norm(x), F.instance_norm(x))
    close(instance_norm(x, weight, bias), F.instance_norm(x, weight=weight, bias=bias))


def test_instance_norm_refuses_2d_input_like_torch():
    x = draw(*SHAPES["2d"])
    with pytest.raises(ValueError, match=r"at least 3 dimensions, got shape \(8, 6\)"):
        instance_norm(x)
    with pytest.raises(ValueError):
        F.instance_norm(x)


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("groups", [1, 2, 3, 6])
def test_group_norm_matches_torch(shape, groups):
    x = draw(*shape)
    weight, bias = affine(shape[1])
    close(group_norm(x, groups), F.group_norm(x, groups))
    close(group_norm(x, groups, weight, bias), F.group_norm(x, groups, weight, bias))


def test_group_norm_extremes_are_layer_and_instance_norm():
    x = draw(*SHAPES["4d"])
    close(group_norm(x, 1), layer_norm(x, x.shape[1:]))
    close(group_norm(x, x.shape[1]), instance_norm(x))


def test_layer_norm_module_matches_torch_module():
    reference = torch.nn.LayerNorm(6, dtype=torch.float64)
    with torch.no_grad():
        reference.weight.copy_(draw(6, seed=3))
        reference.bias.copy_(draw(6, seed=4))
    ours = LayerNorm(6).double()
    ours.load_state_dict(reference.state_dict())
    x = draw(*SHAPES["3d"][:2], 6)
    close(ours(x), reference(x))


# --- properties ---------------------------------------------------------------------------


@st.composite
def normalization_cases(draw_from):
    method = draw_from(st.sampled_from(["batch", "layer", "instance", "group"]))
    n = draw_from(st.integers(2, 5))
    groups = draw_from(st.integers(1, 3))
    channels = groups * draw_from(st.integers(1, 3))
    spatial = draw_from(st.lists(st.integers(2, 4), min_size=1, max_size=2))
    seed = draw_from(st.integers(0, 2**16))
    scale = draw_from(st.floats(0.1, 100.0))
    shift = draw_from(st.floats(-100.0, 100.0))
    return method, (n, channels, *spatial), groups, seed, scale, shift


def normalize(method: str, x: torch.Tensor, groups: int) -> torch.Tensor:
    if method == "batch":
        return batch_norm(x, None, None, training=True, eps=0.0)
    if method == "layer":
        return layer_norm(x, x.shape[1:], eps=0.0)
    if method == "instance":
        return instance_norm(x, eps=0.0)
    return group_norm(x, groups, eps=0.0)


@settings(max_examples=60, deadline=None)
@given(normalization_cases())
def test_every_statistics_group_has_mean_zero_and_variance_one(case):
    method, shape, groups, seed, scale, shift = case
    x = draw(*shape, seed=seed, scale=scale, shift=shift)
    y = normalize(method, x, groups)
    labels = statistics_groups(method, shape, num_groups=groups)
    for label in labels.unique():
        members = y[labels == label]
        assert abs(float(members.mean())) < 1e-9
        assert abs(float(members.var(correction=0)) - 1.0) < 1e-9


@settings(max_examples=30, deadline=None)
@given(normalization_cases(), st.floats(0.01, 50.0), st.floats(-50.0, 50.0))
def test_output_is_invariant_to_rescaling_each_group(case, factor, offset):
    method, shape, groups, seed, scale, shift = case
    x = draw(*shape, seed=seed, scale=scale, shift=shift)
    close(normalize(method, factor * x + offset, groups), normalize(method, x, groups))


def test_statistics_groups_count_one_mean_per_group():
    shape = (4, 6, 3, 5)
    counts = {
        "batch": 6,
        "layer": 4,
        "instance": 24,
        "group": 8,  # 4 samples × 2 groups
    }
    for method, expected in counts.items():
        assert statistics_groups(method, shape, num_groups=2).unique().numel() == expected


# --- errors -------------------------------------------------------------------------------


def test_errors_name_the_argument_and_the_value():
    x = draw(4, 6, 5)
    with pytest.raises(ValueError, match=r"positive divisor .* C=6, got num_groups=4"):
        group_norm(x, 4)
    with pytest.raises(ValueError, match=r"weight must have shape \(6,\), got \(5,\)"):
        batch_norm(x, None, None, weight=torch.ones(5, dtype=torch.float64), training=True)
    with pytest.raises(ValueError, match=r"running_mean and running_var are required"):
        batch_norm(x, None, None, training=False)
    with pytest.raises(ValueError, match=r"more than 1 value per channel .* shape \(1, 6\)"):
        batch_norm(x[:1, :, 0], None, None, training=True)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\], got 1.5"):
        batch_norm(x, None, None, training=True, momentum=1.5)
    with pytest.raises(ValueError, match=r"normalized_shape \(4,\) must equal .* \(4, 6, 5\)"):
        layer_norm(x, 4)
    with pytest.raises(ValueError, match=r"more than 1 spatial element .* \(4, 6, 1\)"):
        instance_norm(x[..., :1])
    with pytest.raises(ValueError, match=r"eps must be >= 0, got -1"):
        layer_norm(x, 5, eps=-1)
    with pytest.raises(TypeError, match=r"floating-point tensor, got dtype torch.int64"):
        layer_norm(torch.ones(2, 3, dtype=torch.long), 3)
    with pytest.raises(TypeError, match=r"x must be a torch.Tensor, got list"):
        group_norm([[1.0, 2.0]], 1)
    with pytest.raises(ValueError, match=r"method must be one of .* got 'weight'"):
        statistics_groups("weight", (2, 3))
