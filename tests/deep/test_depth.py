"""Tests for scribbles.deep.depth: sawtooth networks and exact counting of linear pieces."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from scribbles.deep.depth import (
    count_linear_pieces,
    depth_versus_width_experiment,
    parameter_count,
    piece_count_sweep,
    piecewise_linear,
    relu_network,
    sawtooth,
    sawtooth_network,
    shallow_sawtooth_network,
    train_relu_networks,
)


def evaluate(network: nn.Module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return network(torch.from_numpy(np.asarray(x, dtype=np.float64))[:, None])[:, 0].numpy()


def autograd_slope(network: nn.Module, x: float) -> float:
    point = torch.tensor([[x]], dtype=torch.float64, requires_grad=True)
    network(point).sum().backward()
    assert point.grad is not None
    return float(point.grad[0, 0])


@pytest.mark.parametrize("depth", range(1, 11))
def test_sawtooth_network_has_two_to_the_depth_pieces(depth: int) -> None:
    assert count_linear_pieces(sawtooth_network(depth), 0.0, 1.0) == 2**depth
    assert parameter_count(sawtooth_network(depth)) == 6 * depth + 1


@pytest.mark.parametrize("depth", [1, 3, 6, 8])
def test_breakpoints_are_exactly_k_over_two_to_the_depth(depth: int) -> None:
    knots, slopes, _ = piecewise_linear(sawtooth_network(depth), 0.0, 1.0)
    np.testing.assert_array_equal(knots, np.arange(2**depth + 1) / 2**depth)
    np.testing.assert_array_equal(np.abs(slopes), np.full(2**depth, 2.0**depth))


@pytest.mark.parametrize("depth", [1, 2, 5, 9])
def test_deep_and_shallow_constructions_equal_the_tent_map_composition(depth: int) -> None:
    x = np.linspace(0.0, 1.0, 2049)
    expected = sawtooth(x, depth)
    np.testing.assert_allclose(evaluate(sawtooth_network(depth), x), expected, atol=1e-12)
    shallow = shallow_sawtooth_network(depth)
    np.testing.assert_allclose(evaluate(shallow, x), expected, atol=1e-9)
    assert shallow[0].out_features == 2**depth
    assert count_linear_pieces(shallow, 0.0, 1.0) == 2**depth


def test_sawtooth_by_hand() -> None:
    np.testing.assert_array_equal(
        sawtooth(np.array([0.0, 0.125, 0.25, 0.375, 0.5]), 2), [0.0, 0.5, 1.0, 0.5, 0.0]
    )


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(1, 6), min_size=1, max_size=4),
    st.integers(0, 10_000),
    st.floats(-3.0, 0.0),
    st.floats(0.1, 3.0),
)
def test_piecewise_form_reproduces_the_network_and_autograd(
    widths: list[int], seed: int, lo: float, length: float
) -> None:
    network = relu_network(widths, seed=seed)
    hi = lo + length
    knots, slopes, intercepts = piecewise_linear(network, lo, hi)
    assert knots[0] == lo and knots[-1] == hi and np.all(np.diff(knots) > 0)
    # The pieces give the network's values everywhere (torch forward pass).
    x = np.random.default_rng(seed).uniform(lo, hi, 200)
    cell = np.clip(np.searchsorted(knots, x, side="right") - 1, 0, len(slopes) - 1)
    np.testing.assert_allclose(slopes[cell] * x + intercepts[cell], evaluate(network, x), atol=1e-9)
    # Each piece's slope is torch's derivative inside it (autograd).
    middles = (knots[:-1] + knots[1:]) / 2
    for middle, slope in zip(middles[:5], slopes[:5], strict=False):
        assert autograd_slope(network, float(middle)) == pytest.approx(slope, abs=1e-9)
    # Neighbouring pieces really differ in slope: the count is not inflated.
    assert np.all(np.abs(np.diff(slopes)) > 1e-9 * max(1.0, np.abs(slopes).max()))
    # And it never exceeds the bound prod(w + 1) of a 1-D input network.
    assert len(slopes) <= np.prod([w + 1 for w in widths])


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.integers(0, 10_000))
def test_one_hidden_layer_has_at_most_width_plus_one_pieces(width: int, seed: int) -> None:
    assert count_linear_pieces(relu_network([width], seed=seed), -5.0, 5.0) <= width + 1


def test_count_merges_cells_with_equal_slopes() -> None:
    # relu(x) - relu(x) = 0 everywhere: the kink at 0 cancels, one piece.
    network = nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 1))
    with torch.no_grad():
        network[0].weight.copy_(torch.tensor([[1.0], [1.0]]))
        network[0].bias.zero_()
        network[2].weight.copy_(torch.tensor([[1.0, -1.0]]))
        network[2].bias.zero_()
    assert count_linear_pieces(network, -1.0, 1.0) == 1
    with torch.no_grad():
        network[2].weight.copy_(torch.tensor([[1.0, 1.0]]))
    assert count_linear_pieces(network, -1.0, 1.0) == 2
    assert count_linear_pieces(network, 0.5, 1.0) == 1  # the kink is outside


def test_nested_sequentials_and_identity_are_accepted() -> None:
    inner = sawtooth_network(3)
    assert count_linear_pieces(nn.Sequential(nn.Identity(), inner), 0.0, 1.0) == 8


def test_bad_networks_and_intervals_are_rejected() -> None:
    with pytest.raises(TypeError, match=r"fn must be an nn\.Sequential.*got Linear"):
        count_linear_pieces(nn.Linear(1, 1), 0.0, 1.0)
    with pytest.raises(TypeError, match="only hold Linear, ReLU and Identity layers, got Tanh"):
        count_linear_pieces(nn.Sequential(nn.Linear(1, 2), nn.Tanh(), nn.Linear(2, 1)), 0, 1)
    with pytest.raises(
        ValueError, match=r"map 1 input to 1 output, got Linear shapes \[\(2, 1\)\]"
    ):
        count_linear_pieces(nn.Sequential(nn.Linear(2, 1)), 0.0, 1.0)
    with pytest.raises(ValueError, match=r"need lo < hi, got lo=1\.0, hi=1\.0"):
        count_linear_pieces(sawtooth_network(2), 1.0, 1.0)
    with pytest.raises(ValueError, match=r"depth must be in \[1, 20\].*got 0"):
        sawtooth_network(0)
    with pytest.raises(TypeError, match="depth must be an int, got bool"):
        sawtooth_network(True)
    with pytest.raises(ValueError, match="depth must be <= 16 for the shallow construction"):
        shallow_sawtooth_network(17)
    with pytest.raises(ValueError, match=r"x must lie in \[0, 1\]"):
        sawtooth(np.array([1.5]), 2)
    with pytest.raises(ValueError, match="widths must be a non-empty list of positive ints"):
        relu_network([])
    with pytest.raises(ValueError, match=r"x and y must be 1-D of equal length, got shapes \(3,\)"):
        train_relu_networks([2], np.zeros(3), np.zeros(4))


def test_batched_training_equals_training_each_network_alone() -> None:
    x = np.linspace(0.0, 1.0, 32)
    y = sawtooth(x, 2)
    batched = train_relu_networks([3, 3], x, y, restarts=2, steps=25, learning_rate=1e-2, seed=5)
    # Train member 1 alone with an ordinary nn.Sequential, Adam and MSE.
    alone = relu_network([3, 3], seed=6)
    optimiser = torch.optim.Adam(alone.parameters(), lr=1e-2)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, 25)
    inputs, targets = torch.from_numpy(x)[:, None], torch.from_numpy(y)[:, None]
    for _ in range(25):
        loss = ((alone(inputs) - targets) ** 2).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
    for trained, reference in zip(batched[1].parameters(), alone.parameters(), strict=True):
        torch.testing.assert_close(trained, reference, atol=1e-10, rtol=1e-8)


def test_piece_count_sweep_tiny() -> None:
    sweep = piece_count_sweep(depths=(1, 2, 3), widths=(2, 8), random_networks=3)
    assert sweep["sawtooth_pieces"] == [2, 4, 8]
    assert sweep["deep_units"] == [2, 4, 6]
    assert sweep["shallow_bound"] == [3, 9]
    assert all(
        p <= b for p, b in zip(sweep["shallow_random_pieces"], sweep["shallow_bound"], strict=True)
    )


def test_experiment_reports_equal_parameter_counts() -> None:
    result = depth_versus_width_experiment(
        target_depth=2, architectures=((2, 2), (4,)), n_train=16, restarts=2, steps=10
    )
    deep, shallow = result["rows"]
    assert deep["parameters"] == shallow["parameters"] == 13
    assert deep["max_pieces"] == 9 and shallow["max_pieces"] == 5
    assert len(deep["train_mse"]) == len(deep["pieces"]) == 2
    assert result["construction_test_mse"] == 0.0
    assert result["construction_parameters"] == 13
    assert len(result["best_predictions"][0]) == len(result["grid"]) == 1001
