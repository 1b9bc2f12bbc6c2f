"""scribbles.generative.diffusion: schedule, forward process, sampling, guidance, inpainting."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.spatial.distance
import scipy.stats
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from scribbles.book.cache import CALL_LOG
from scribbles.generative.diffusion import (
    NoisePredictor,
    NoiseSchedule,
    ddpm_sample,
    diffusion_loss,
    energy_distance,
    forward_process_moments,
    guided_epsilon,
    inpaint,
    load_noise_predictor,
    predict_epsilon,
    q_sample,
    q_step,
    reverse_mean,
    reverse_process,
    sample_trained,
    timestep_embedding,
    train_noise_predictor,
)

KINDS = ["linear", "cosine"]


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    """Every test writes its cache entries to its own directory."""
    monkeypatch.setenv("SCRIBBLES_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("SCRIBBLES_NO_CACHE", raising=False)


@pytest.fixture(autouse=True)
def one_thread():
    """Small tensors: one intra-op thread is faster, and much faster on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


# --- the schedule ---------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(num_steps=st.integers(1, 400), kind=st.sampled_from(KINDS))
def test_schedule_properties(num_steps, kind):
    schedule = NoiseSchedule(num_steps, kind)
    betas, alphas, alpha_bars = schedule.betas, schedule.alphas, schedule.alpha_bars
    assert betas.shape == alphas.shape == alpha_bars.shape == (num_steps + 1,)
    assert betas[0] == 0 and alpha_bars[0] == 1
    assert bool(((betas[1:] > 0) & (betas[1:] <= 0.999)).all())
    torch.testing.assert_close(alphas, 1 - betas, atol=0, rtol=0)
    torch.testing.assert_close(alpha_bars, torch.cumprod(alphas, 0), atol=1e-15, rtol=0)
    assert bool((alpha_bars[1:] < alpha_bars[:-1]).all()), "ᾱ_t must decrease"
    assert bool((alpha_bars > 0).all())
    # the posterior variance never exceeds the forward variance: β̃_t ≤ β_t
    assert bool((schedule.posterior_variances <= betas + 1e-15).all())
    assert schedule.posterior_variances[1] == 0
    assert len(schedule) == num_steps


def test_linear_schedule_is_ddpm_at_1000_steps():
    schedule = NoiseSchedule(1000)
    expected = np.linspace(1e-4, 0.02, 1000)  # Ho et al. (2020), section 4
    np.testing.assert_allclose(schedule.betas[1:].numpy(), expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("num_steps", [50, 100, 1000])
def test_cosine_schedule_matches_its_definition(num_steps):
    s = 0.008
    t = np.arange(num_steps + 1) / num_steps
    f = np.cos((t + s) / (1 + s) * np.pi / 2) ** 2
    expected = f / f[0]
    schedule = NoiseSchedule(num_steps, "cosine")
    unclipped = schedule.betas < 0.999  # the last steps are clipped, as in the paper
    np.testing.assert_allclose(
        schedule.alpha_bars.numpy()[unclipped.numpy()], expected[unclipped.numpy()], atol=1e-12
    )


def test_log_snr_decreases_and_matches_alpha_bar():
    schedule = NoiseSchedule(30, "cosine")
    alpha_bar = schedule.alpha_bars[1:]
    torch.testing.assert_close(schedule.log_snr(), torch.log(alpha_bar / (1 - alpha_bar)))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"num_steps": 0}, ValueError, "num_steps must be >= 1, got 0"),
        ({"num_steps": 2.5}, TypeError, "num_steps must be an int, got float"),
        ({"num_steps": True}, TypeError, "num_steps must be an int, got bool"),
        ({"num_steps": 10, "kind": "quadratic"}, ValueError, "kind must be one of"),
        ({"num_steps": 10, "beta_start": 0.5, "beta_end": 0.1}, ValueError, "beta_start"),
        ({"num_steps": 10, "beta_end": 1.5}, ValueError, "beta_end=1.5"),
        ({"num_steps": 10, "max_beta": 1.0}, ValueError, "max_beta must lie in"),
    ],
)
def test_schedule_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        NoiseSchedule(**kwargs)


# --- the forward process -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_iterated_one_step_moments_are_the_closed_form(kind):
    """Mean and variance of iterating q(x_t | x_{t-1}) t times are √ᾱ_t x0 and 1 − ᾱ_t (exact)."""
    schedule = NoiseSchedule(100, kind)
    mean, variance = 1.0, 0.0  # of x_0 = 1 (a point mass)
    for t in range(1, 101):
        beta = float(schedule.betas[t])
        mean, variance = math.sqrt(1 - beta) * mean, (1 - beta) * variance + beta
        alpha_bar = float(schedule.alpha_bars[t])
        assert mean == pytest.approx(math.sqrt(alpha_bar), abs=1e-12)
        assert variance == pytest.approx(1 - alpha_bar, abs=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_q_sample_moments_match_iterating_q_step(kind):
    """Monte Carlo: one-shot q_sample and t one-step draws agree in mean and variance."""
    schedule = NoiseSchedule(40, kind)
    n = 50_000
    generator = torch.Generator().manual_seed(0)
    x0 = torch.tensor([1.5, -0.5], dtype=torch.float64).expand(n, 2)
    x = x0.clone()
    for t in range(1, 41):
        x = q_step(schedule, x, t, generator=generator)
        if t in (1, 5, 20, 40):
            direct = q_sample(schedule, x0, t, generator=generator)
            alpha_bar = float(schedule.alpha_bars[t])
            expected_mean = math.sqrt(alpha_bar) * x0[0]
            # 5 standard errors of a mean and of a variance of n normal draws
            se_mean = 5 * math.sqrt((1 - alpha_bar) / n)
            se_var = 5 * (1 - alpha_bar) * math.sqrt(2 / n)
            for sample in (x, direct):
                torch.testing.assert_close(
                    sample.mean(0), expected_mean, atol=se_mean + 1e-12, rtol=0
                )
                torch.testing.assert_close(
                    sample.var(0),
                    torch.full((2,), 1 - alpha_bar, dtype=torch.float64),
                    atol=se_var + 1e-12,
                    rtol=0,
                )
            # and the two samples agree as distributions: two-sample KS tests on both
            # margins, at a family-wise level of about 1e-3 over the 16 tests of this file
            for dim in (0, 1):
                assert scipy.stats.ks_2samp(x[:, dim], direct[:, dim]).pvalue > 1e-4


def test_forward_process_moments_table():
    rows = forward_process_moments(50, "cosine", 2.0, [1, 25, 50], num_copies=20_000, seed=3)
    assert [row["t"] for row in rows] == [1, 25, 50]
    for row in rows:
        standard_error = math.sqrt(row["variance_closed_form"] / 20_000)
        for name in ("mean_one_shot", "mean_iterated"):
            assert row[name] == pytest.approx(row["mean_closed_form"], abs=5 * standard_error)
        for name in ("variance_one_shot", "variance_iterated"):
            spread = 5 * row["variance_closed_form"] * math.sqrt(2 / 20_000)
            assert row[name] == pytest.approx(row["variance_closed_form"], abs=spread)
    with pytest.raises(ValueError, match=r"steps must be increasing values in \[1, 50\]"):
        forward_process_moments(50, "cosine", 2.0, [10, 5])
    with pytest.raises(ValueError, match="steps must be increasing"):
        forward_process_moments(50, "cosine", 2.0, [0, 5])


def test_q_sample_formula_and_per_row_timesteps():
    schedule = NoiseSchedule(10, "cosine")
    x0 = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    noise = torch.tensor([[0.5, -1.0], [2.0, 0.0]])
    t = torch.tensor([2, 7])
    expected = torch.stack(
        [
            schedule.alpha_bars[k].sqrt() * x0[i] + (1 - schedule.alpha_bars[k]).sqrt() * noise[i]
            for i, k in enumerate(t.tolist())
        ]
    ).float()
    torch.testing.assert_close(q_sample(schedule, x0, t, noise), expected)
    assert torch.equal(q_sample(schedule, x0, 0), x0)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda s, x: q_sample(s, x, 11), ValueError, r"t must lie in \[0, 10\]"),
        (
            lambda s, x: q_sample(s, x, torch.tensor([1, 2])),
            ValueError,
            r"t must have shape \(3,\)",
        ),
        (lambda s, x: q_sample(s, x, torch.ones(3)), TypeError, "integer tensor"),
        (lambda s, x: q_sample(s, x, 1, torch.zeros(3, 3)), ValueError, r"noise must have the"),
        (lambda s, x: q_sample("linear", x, 1), TypeError, "schedule must be a NoiseSchedule"),
        (lambda s, x: q_sample(s, x.numpy(), 1), TypeError, "x0 must be a torch.Tensor"),
        (lambda s, x: q_sample(s, x.long(), 1), ValueError, "floating tensor"),
        (lambda s, x: q_step(s, x, 0), ValueError, r"t must lie in \[1, 10\]"),
    ],
)
def test_forward_process_errors(call, error, match):
    with pytest.raises(error, match=match):
        call(NoiseSchedule(10), torch.zeros(3, 2))


# --- the network --------------------------------------------------------------------------------


def test_timestep_embedding_is_the_sinusoidal_formula():
    t = torch.tensor([0, 1, 17, 99])
    dim = 8
    ours = timestep_embedding(t, dim)
    expected = torch.zeros(4, dim)
    for row, step in enumerate(t.tolist()):
        for i in range(dim // 2):
            omega = 10_000 ** (-i / (dim // 2))
            expected[row, i] = math.cos(step * omega)
            expected[row, i + dim // 2] = math.sin(step * omega)
    torch.testing.assert_close(ours, expected, atol=1e-5, rtol=0)
    with pytest.raises(ValueError, match="dim must be a positive even integer, got 5"):
        timestep_embedding(t, 5)
    with pytest.raises(ValueError, match="t must be a 1-D tensor"):
        timestep_embedding(t[None], 4)


def test_noise_predictor_shapes_labels_and_errors():
    torch.manual_seed(0)
    model = NoisePredictor(data_dim=3, hidden_dim=16, num_classes=4)
    x, t = torch.randn(5, 3), torch.randint(1, 10, (5,))
    assert model(x, t).shape == (5, 3)
    null = torch.full((5,), 4)
    torch.testing.assert_close(model(x, t), model(x, t, null))  # None means the null label
    assert not torch.allclose(model(x, t, torch.zeros(5).long()), model(x, t))
    with pytest.raises(ValueError, match=r"x_t must have shape \(N, 3\), got \(5, 2\)"):
        model(torch.randn(5, 2), t)
    with pytest.raises(ValueError, match=r"t must have shape \(5,\)"):
        model(x, t[:3])
    with pytest.raises(ValueError, match=r"labels must have shape \(5,\)"):
        model(x, t, null[:2])
    with pytest.raises(ValueError, match="unconditional model"):
        NoisePredictor(hidden_dim=8)(torch.randn(5, 2), t, null)
    with pytest.raises(ValueError, match="time_dim must be even, got 7"):
        NoisePredictor(time_dim=7)
    with pytest.raises(ValueError, match="hidden_dim must be a positive int, got 0"):
        NoisePredictor(hidden_dim=0)
    with pytest.raises(ValueError, match="num_classes must be None or a positive int"):
        NoisePredictor(num_classes=0)


def test_diffusion_loss_is_the_noise_regression_and_dropout_means_null_labels():
    torch.manual_seed(0)
    model = NoisePredictor(hidden_dim=16, num_classes=2)
    schedule = NoiseSchedule(20)
    x0, labels = torch.randn(32, 2), torch.randint(0, 2, (32,))
    # the loss, recomputed by hand from the same random draws
    generator = torch.Generator().manual_seed(3)
    t = torch.randint(1, 21, (32,), generator=generator)
    epsilon = torch.randn(32, 2, generator=generator)
    manual = ((epsilon - model(q_sample(schedule, x0, t, epsilon), t, labels)) ** 2).mean()
    ours = diffusion_loss(model, schedule, x0, labels, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(ours, manual)
    # label_dropout = 1 replaces every label by the null label
    dropped = diffusion_loss(
        model, schedule, x0, labels, label_dropout=1.0, generator=torch.Generator().manual_seed(3)
    )
    unconditional = diffusion_loss(
        model, schedule, x0, None, generator=torch.Generator().manual_seed(3)
    )
    torch.testing.assert_close(dropped, unconditional)
    # gradients reach every parameter
    ours.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    with pytest.raises(ValueError, match="label_dropout must lie in"):
        diffusion_loss(model, schedule, x0, labels, label_dropout=1.5)
    with pytest.raises(ValueError, match="label_dropout > 0 needs labels"):
        diffusion_loss(model, schedule, x0, None, label_dropout=0.2)


# --- guidance -----------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(scale=st.floats(-5, 10), seed=st.integers(0, 1000))
def test_guided_epsilon_formula(scale, seed):
    generator = torch.Generator().manual_seed(seed)
    cond, uncond = torch.randn(4, 2, generator=generator), torch.randn(4, 2, generator=generator)
    guided = guided_epsilon(cond, uncond, scale)
    torch.testing.assert_close(guided, (1 - scale) * uncond + scale * cond, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(guided_epsilon(cond, uncond, 0.0), uncond)
    torch.testing.assert_close(guided_epsilon(cond, uncond, 1.0), cond)


def test_guided_epsilon_errors():
    with pytest.raises(ValueError, match="same shape"):
        guided_epsilon(torch.zeros(2, 2), torch.zeros(3, 2), 1.0)
    with pytest.raises(ValueError, match="scale must be a finite number, got inf"):
        guided_epsilon(torch.zeros(2, 2), torch.zeros(2, 2), math.inf)


def test_predict_epsilon_batches_the_two_predictions():
    torch.manual_seed(1)
    model = NoisePredictor(hidden_dim=16, num_classes=3)
    x, t, y = torch.randn(6, 2), torch.randint(1, 50, (6,)), torch.randint(0, 3, (6,))
    expected = guided_epsilon(model(x, t, y), model(x, t), 3.0)
    torch.testing.assert_close(predict_epsilon(model, x, t, y, 3.0), expected)
    torch.testing.assert_close(predict_epsilon(model, x, t, y, 1.0), model(x, t, y))
    with pytest.raises(ValueError, match="unconditional model"):
        predict_epsilon(NoisePredictor(hidden_dim=8), x, t, y, 3.0)


# --- the reverse process ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_reverse_mean_with_the_true_noise_is_the_posterior_mean(kind):
    """μ_θ with the true ε is μ̃_t = (√ᾱ_{t−1} β_t x_0 + √α_t (1 − ᾱ_{t−1}) x_t)/(1 − ᾱ_t)."""
    schedule = NoiseSchedule(50, kind)
    generator = torch.Generator().manual_seed(0)
    x0 = torch.randn(8, 2, dtype=torch.float64, generator=generator)
    for t in (1, 2, 25, 50):
        epsilon = torch.randn(8, 2, dtype=torch.float64, generator=generator)
        x_t = q_sample(schedule, x0, t, epsilon)
        ab, ab_prev = schedule.alpha_bars[t], schedule.alpha_bars[t - 1]
        posterior_mean = (
            ab_prev.sqrt() * schedule.betas[t] * x0
            + schedule.alphas[t].sqrt() * (1 - ab_prev) * x_t
        ) / (1 - ab)
        torch.testing.assert_close(reverse_mean(schedule, x_t, t, epsilon), posterior_mean)
    with pytest.raises(ValueError, match=r"t must be an int in \[1, 50\], got 0"):
        reverse_mean(schedule, x_t, 0, epsilon)
    with pytest.raises(ValueError, match="epsilon must have the shape of x_t"):
        reverse_mean(schedule, x_t, 3, epsilon[:2])


class GaussianOracle(NoisePredictor):
    """The exact noise predictor for data x_0 ~ N(μ, σ² I): E[ε | x_t] in closed form."""

    def __init__(self, schedule: NoiseSchedule, mean: torch.Tensor, std: float) -> None:
        super().__init__(data_dim=mean.numel(), hidden_dim=1)
        self.schedule, self.mean, self.std = schedule, mean, std

    def forward(self, x_t, t, labels=None):
        alpha_bar = self.schedule.alpha_bars[t].float()[:, None]
        # x_t ~ N(√ᾱ μ, ᾱσ² + 1 − ᾱ);  E[ε | x_t] = √(1−ᾱ)(x_t − √ᾱ μ) / (ᾱσ² + 1 − ᾱ)
        total = alpha_bar * self.std**2 + 1 - alpha_bar
        return (1 - alpha_bar).sqrt() * (x_t - alpha_bar.sqrt() * self.mean) / total


@pytest.mark.parametrize("kind", KINDS)
def test_ancestral_sampling_with_the_exact_noise_predictor_recovers_the_data(kind):
    schedule = NoiseSchedule(100, kind)
    mean, std = torch.tensor([1.0, -2.0]), 0.5
    oracle = GaussianOracle(schedule, mean, std)
    samples = ddpm_sample(oracle, schedule, 10_000, generator=torch.Generator().manual_seed(0))
    # the mean of each step is exact here: 5 standard errors
    torch.testing.assert_close(samples.mean(0), mean, atol=5 * std / 100, rtol=0)
    # the step variance β̃_t is the lower of DDPM's two choices (exact for a point mass),
    # so the spread comes out slightly low at T = 100: within 10 % below, never above
    spread = samples.std(0)
    assert bool(((spread > 0.9 * std) & (spread < 1.02 * std)).all()), spread


def test_reverse_process_trajectory_starts_where_asked_and_is_seeded():
    torch.manual_seed(0)
    model, schedule = NoisePredictor(hidden_dim=8), NoiseSchedule(6)
    start = torch.randn(4, 2)
    path = reverse_process(
        model, schedule, 4, start=start, generator=torch.Generator().manual_seed(1)
    )
    assert path.shape == (7, 4, 2)
    assert torch.equal(path[6], start)
    again = reverse_process(
        model, schedule, 4, start=start, generator=torch.Generator().manual_seed(1)
    )
    assert torch.equal(path, again)


@settings(max_examples=15, deadline=None)
@given(
    mask_bits=st.lists(st.booleans(), min_size=6, max_size=6),
    resample_steps=st.integers(1, 3),
    seed=st.integers(0, 100),
)
def test_inpainting_keeps_the_known_values(mask_bits, resample_steps, seed):
    torch.manual_seed(0)
    model, schedule = NoisePredictor(hidden_dim=8, num_classes=2), NoiseSchedule(8, "cosine")
    generator = torch.Generator().manual_seed(seed)
    known = torch.randn(3, 2, generator=generator)
    mask = torch.tensor(mask_bits).reshape(3, 2)
    out = inpaint(
        model,
        schedule,
        known,
        mask,
        labels=1,
        guidance_scale=3.0,
        resample_steps=resample_steps,
        generator=generator,
    )
    assert torch.equal(out[mask], known[mask])
    assert torch.isfinite(out).all()


def test_inpainting_noises_the_known_part_like_the_forward_process():
    """At step t the known coordinate of x_t is a draw from q(x_t | known)."""
    torch.manual_seed(0)
    model, schedule = NoisePredictor(hidden_dim=8), NoiseSchedule(10)
    n = 20_000
    known = torch.full((n, 2), 2.0)
    mask = torch.zeros(n, 2, dtype=torch.bool)
    mask[:, 0] = True
    path = reverse_process(
        model, schedule, n, known=known, mask=mask, generator=torch.Generator().manual_seed(0)
    )
    for t in (3, 7):
        alpha_bar = float(schedule.alpha_bars[t])
        assert path[t, :, 0].mean().item() == pytest.approx(2 * math.sqrt(alpha_bar), abs=0.03)
        assert path[t, :, 0].var().item() == pytest.approx(1 - alpha_bar, abs=0.03)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"known": torch.zeros(3, 2)}, "known and mask must be given together"),
        (
            {"known": torch.zeros(3, 2), "mask": torch.zeros(3, 2)},
            "mask must be a boolean tensor",
        ),
        (
            {"known": torch.zeros(2, 2), "mask": torch.zeros(2, 2, dtype=torch.bool)},
            r"known and mask must have shape \(3, 2\)",
        ),
        ({"resample_steps": 0}, "resample_steps must be a positive int, got 0"),
        ({"start": torch.zeros(4, 2)}, r"start must have shape \(3, 2\)"),
        ({"labels": torch.zeros(2).long()}, r"labels must be an int or an integer tensor"),
    ],
)
def test_reverse_process_errors(kwargs, match):
    model, schedule = NoisePredictor(hidden_dim=8, num_classes=2), NoiseSchedule(4)
    with pytest.raises(ValueError, match=match):
        reverse_process(model, schedule, 3, **kwargs)


def test_reverse_process_rejects_a_bad_sample_count():
    with pytest.raises(ValueError, match="num_samples must be a positive int, got 0"):
        reverse_process(NoisePredictor(hidden_dim=8), NoiseSchedule(4), 0)


# --- the metric ---------------------------------------------------------------------------------


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 40), m=st.integers(1, 40))
def test_energy_distance_matches_scipy_in_one_dimension(seed, n, m):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=n), rng.normal(0.5, 2.0, size=m)
    reference = scipy.stats.energy_distance(x, y)  # √(2E|X−Y| − E|X−X'| − E|Y−Y'|)
    assert math.sqrt(energy_distance(x, y)) == pytest.approx(reference, rel=1e-9, abs=1e-12)


def test_energy_distance_matches_a_cdist_computation_in_two_dimensions():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(50, 2)), rng.normal(size=(70, 2)) + np.array([1.0, 0.0])
    cd = scipy.spatial.distance.cdist
    expected = 2 * cd(x, y).mean() - cd(x, x).mean() - cd(y, y).mean()
    assert energy_distance(x, y) == pytest.approx(expected, rel=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), shift=st.floats(0, 5))
def test_energy_distance_properties(seed, shift):
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(30, 2)), rng.normal(size=(25, 2)) + shift
    distance = energy_distance(x, y)
    assert distance >= 0
    assert distance == pytest.approx(energy_distance(y, x), rel=1e-12, abs=1e-14)  # symmetric
    assert energy_distance(x, x) == pytest.approx(0.0, abs=1e-12)


def test_energy_distance_separates_distributions():
    rng = np.random.default_rng(1)
    same = energy_distance(rng.normal(size=(500, 2)), rng.normal(size=(500, 2)))
    shifted = energy_distance(rng.normal(size=(500, 2)), rng.normal(size=(500, 2)) + 0.5)
    assert same < 0.02 < shifted


@pytest.mark.parametrize(
    ("x", "y", "match"),
    [
        (np.zeros((3, 2)), np.zeros((3, 3)), r"shapes \(N, D\) and \(M, D\)"),
        (np.zeros((0, 2)), np.zeros((3, 2)), "non-empty"),
        (np.full((2, 2), np.nan), np.zeros((3, 2)), "finite"),
    ],
)
def test_energy_distance_errors(x, y, match):
    with pytest.raises(ValueError, match=match):
        energy_distance(x, y)


# --- training, the cache, sampling helpers -------------------------------------------------------


def gaussian_data(n=512, seed=0):
    return np.random.default_rng(seed).normal([1.0, -1.0], 0.3, size=(n, 2)).astype(np.float32)


def test_training_lowers_the_loss_is_deterministic_and_cached():
    threads = torch.get_num_threads()
    data = gaussian_data()
    kwargs = {"num_steps": 20, "hidden_dim": 32, "iterations": 150, "batch_size": 64}
    CALL_LOG.clear()
    result = train_noise_predictor(data, **kwargs)
    assert torch.get_num_threads() == threads  # the one-thread setting is undone
    losses = result["losses"]
    assert losses.shape == (150,)
    assert losses[-30:].mean() < losses[:30].mean()
    again = train_noise_predictor(data, **kwargs)
    assert [record.hit for record in CALL_LOG] == [False, True]
    for name, value in result["state_dict"].items():
        assert torch.equal(value, again["state_dict"][name])
    model, schedule = load_noise_predictor(result)
    assert schedule.num_steps == 20 and not model.training
    for name, value in model.state_dict().items():
        assert torch.equal(value, result["state_dict"][name])


def test_sample_trained_shapes_and_inpainting():
    data = gaussian_data(128)
    labels = (data[:, 0] > 1.0).astype(np.int64)
    result = train_noise_predictor(
        data, labels, num_steps=5, hidden_dim=8, iterations=3, label_dropout=0.2
    )
    assert sample_trained(result, 4, labels=1, guidance_scale=3.0).shape == (4, 2)
    assert sample_trained(result, 4, keep_trajectory=True).shape == (6, 4, 2)
    known = np.full((4, 2), 0.25, dtype=np.float32)
    mask = np.array([[True, False]] * 4)
    out = sample_trained(result, 4, labels=np.array([0, 1, 0, 1]), known=known, mask=mask)
    assert np.all(out[:, 0] == np.float32(0.25))


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((np.zeros(5),), r"data must have shape \(N, D\)"),
        ((np.zeros((5, 2)), np.zeros(4, dtype=int)), r"labels must be integers of shape \(5,\)"),
        ((np.zeros((5, 2)), np.zeros(5)), "labels must be integers"),
        ((np.zeros((5, 2)), -np.ones(5, dtype=int)), "labels must be >= 0"),
    ],
)
def test_training_errors(args, match):
    with pytest.raises(ValueError, match=match):
        train_noise_predictor(*args, iterations=1)


def test_load_noise_predictor_rejects_other_dicts():
    with pytest.raises(ValueError, match="train_noise_predictor result"):
        load_noise_predictor({"weights": 1})
