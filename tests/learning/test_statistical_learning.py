"""scribbles.learning.statistical_learning: exact Bayes risks against scipy and Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate
from scipy.stats import multivariate_normal

from scribbles.learning.statistical_learning import (
    ConcentricGaussians,
    best_k_experiment,
    cost_sensitive_threshold,
    knn_excess_risk_curves,
    odd_k,
    train_and_test_error_by_k,
)

PROBLEM = ConcentricGaussians(scale_0=1.0, scale_1=2.0, prior_1=0.5)


@pytest.fixture(autouse=True)
def no_cache(monkeypatch):
    """Run the cached experiments for real: a stale cache entry must not hide a bug."""
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")


problems = st.builds(
    lambda s0, ratio, prior: ConcentricGaussians(s0, s0 * ratio, prior),
    st.floats(0.2, 5.0),
    st.floats(1.1, 5.0),
    st.floats(0.05, 0.95),
)
costs = st.floats(0.1, 20.0)


def scipy_posterior(problem: ConcentricGaussians, X: np.ndarray) -> np.ndarray:
    """eta(x) from scipy's Gaussian log-densities and Bayes' rule."""
    log_p0 = multivariate_normal([0, 0], problem.scale_0**2 * np.eye(2)).logpdf(X)
    log_p1 = multivariate_normal([0, 0], problem.scale_1**2 * np.eye(2)).logpdf(X)
    log_odds = np.log(problem.prior_1) + log_p1 - np.log(1 - problem.prior_1) - log_p0
    return np.atleast_1d(1 / (1 + np.exp(-log_odds)))


def scipy_risk(problem, threshold, c_fp=1.0, c_fn=1.0) -> float:
    """Expected cost of "eta > t" by numerical integration over the plane (polar form)."""
    pi1 = problem.prior_1

    def integrand(r):
        x = np.array([[r, 0.0]])
        eta = scipy_posterior(problem, x)[0]
        p0 = np.exp(-(r**2) / (2 * problem.scale_0**2)) / (2 * np.pi * problem.scale_0**2)
        p1 = np.exp(-(r**2) / (2 * problem.scale_1**2)) / (2 * np.pi * problem.scale_1**2)
        cost = c_fp * (1 - pi1) * p0 if eta > threshold else c_fn * pi1 * p1
        return 2 * np.pi * r * cost

    boundary = math.sqrt(problem.radius_threshold(threshold))
    upper = 15 * problem.scale_1
    inside, _ = integrate.quad(integrand, 0, boundary, epsabs=1e-12) if boundary > 0 else (0, 0)
    outside, _ = integrate.quad(integrand, boundary, upper, epsabs=1e-12, limit=200)
    return inside + outside


def test_posterior_matches_scipy_densities():
    X = np.random.default_rng(0).normal(size=(200, 2)) * 3
    for problem in (PROBLEM, ConcentricGaussians(0.5, 3.0, 0.2)):
        np.testing.assert_allclose(problem.posterior(X), scipy_posterior(problem, X), rtol=1e-10)


@settings(max_examples=10, deadline=None)
@given(problem=problems, c_fp=costs, c_fn=costs)
def test_exact_bayes_risk_matches_numerical_integration(problem, c_fp, c_fn):
    threshold = cost_sensitive_threshold(c_fp, c_fn)
    exact = problem.bayes_risk(c_fp, c_fn)
    assert exact == pytest.approx(scipy_risk(problem, threshold, c_fp, c_fn), abs=1e-7)


def test_bayes_risk_matches_monte_carlo():
    rng = np.random.default_rng(1)
    X, y = PROBLEM.sample(400_000, rng)
    empirical = (PROBLEM.bayes_classifier(X) != y).mean()
    standard_error = math.sqrt(PROBLEM.bayes_risk() * (1 - PROBLEM.bayes_risk()) / len(y))
    assert abs(empirical - PROBLEM.bayes_risk()) < 4 * standard_error
    # the conditional error averages to the same risk, with less noise
    rao_blackwell = PROBLEM.conditional_error(X, PROBLEM.bayes_classifier(X)).mean()
    assert abs(rao_blackwell - PROBLEM.bayes_risk()) < 2 * standard_error


@settings(max_examples=40, deadline=None)
@given(problem=problems, c_fp=costs, c_fn=costs, other=st.floats(0.01, 0.99))
def test_cost_sensitive_threshold_minimises_the_expected_cost(problem, c_fp, c_fn, other):
    best = problem.bayes_risk(c_fp, c_fn)
    assert best <= problem.risk_of_threshold(other, c_fp, c_fn) + 1e-12
    # and it is a local minimum of the exact cost curve
    t = cost_sensitive_threshold(c_fp, c_fn)
    for nearby in (t * 0.98, min(0.999, t * 1.02)):
        assert best <= problem.risk_of_threshold(nearby, c_fp, c_fn) + 1e-12


@settings(max_examples=40, deadline=None)
@given(problem=problems)
def test_cover_hart_bounds(problem):
    bayes = problem.bayes_risk()
    nn = problem.nearest_neighbor_asymptotic_risk()
    assert bayes - 1e-12 <= nn <= 2 * bayes * (1 - bayes) + 1e-12
    assert bayes <= min(problem.prior_1, 1 - problem.prior_1) + 1e-12


def test_nearest_neighbor_asymptotic_risk_matches_integration():
    def integrand(r):
        eta = scipy_posterior(PROBLEM, np.array([[r, 0.0]]))[0]
        density = 0.5 * np.exp(-(r**2) / 2) / (2 * np.pi) + 0.5 * np.exp(-(r**2) / 8) / (8 * np.pi)
        return 2 * np.pi * r * density * 2 * eta * (1 - eta)

    reference, _ = integrate.quad(integrand, 0, 60, epsabs=1e-13, limit=200)
    assert PROBLEM.nearest_neighbor_asymptotic_risk() == pytest.approx(reference, abs=1e-9)


def test_bayes_classifier_is_the_threshold_on_the_posterior():
    X = np.random.default_rng(2).normal(size=(1000, 2)) * 2
    for threshold in (0.2, 0.5, 0.9):
        expected = (scipy_posterior(PROBLEM, X) > threshold).astype(int)
        np.testing.assert_array_equal(PROBLEM.bayes_classifier(X, threshold), expected)


def test_samples_have_the_right_class_spreads():
    X, y = ConcentricGaussians(1.0, 3.0, 0.3).sample(100_000, np.random.default_rng(3))
    assert y.mean() == pytest.approx(0.3, abs=0.01)
    assert X[y == 0].std() == pytest.approx(1.0, rel=0.02)
    assert X[y == 1].std() == pytest.approx(3.0, rel=0.02)


def test_odd_k():
    assert [odd_k(v) for v in (0.1, 1.0, 3.0, 4.99, 5.0, math.sqrt(1024))] == [1, 1, 3, 5, 5, 33]


def test_knn_excess_risk_shrinks_for_sqrt_n_but_not_for_one_neighbour():
    result = knn_excess_risk_curves(sizes=(64, 2048), n_test=500, repeats=2)
    excess = result["excess"].mean(axis=1)  # (rules, sizes)
    rules = result["rules"]
    gap = result["nn_asymptotic_risk"] - result["bayes_risk"]
    assert excess[rules.index("k ≈ √n"), 1] < 0.3 * excess[rules.index("k ≈ √n"), 0]
    assert excess[rules.index("k = 1"), 1] == pytest.approx(gap, abs=0.03)
    assert (result["excess"] > -0.01).all()


def test_best_k_experiment_shapes_and_ranges():
    result = best_k_experiment(sizes=(64, 256), n_test=300, n_validation=100, repeats=2)
    assert result["cv_best_k"].shape == result["oracle_best_k"].shape == (2, 2)
    assert (result["oracle_best_k"] % 2 == 1).all()
    assert (result["oracle_best_k"] <= result["k_max"][:, None]).all()
    assert [curves.shape for curves in result["oracle_excess"]] == [(2, 31), (2, 64)]


def test_training_error_of_one_nn_is_zero_but_its_test_risk_is_not_the_lowest():
    result = train_and_test_error_by_k(ks=(1, 15, 45), n_train=300, n_test=1000)
    assert result["train_error"][0] == 0
    assert result["test_risk"][0] > result["test_risk"].min()
    assert (result["test_risk"] >= result["bayes_risk"] - 0.02).all()


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match=r"cost_false_positive must be a finite number > 0, got 0"):
        cost_sensitive_threshold(0, 1)
    with pytest.raises(ValueError, match=r"cost_false_negative must be .* got nan"):
        cost_sensitive_threshold(1, float("nan"))
    with pytest.raises(ValueError, match=r"scale_1 must be finite and larger than scale_0=2.0"):
        ConcentricGaussians(2.0, 1.0)
    with pytest.raises(ValueError, match=r"scale_0 must be a finite number > 0, got -1"):
        ConcentricGaussians(-1.0, 1.0)
    with pytest.raises(ValueError, match=r"prior_1 must lie strictly between 0 and 1, got 1"):
        ConcentricGaussians(1.0, 2.0, 1)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\), got \(3, 3\)"):
        PROBLEM.posterior(np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"threshold must lie strictly between 0 and 1, got 1.5"):
        PROBLEM.risk_of_threshold(1.5)
    with pytest.raises(ValueError, match=r"predictions must have shape \(2,\)"):
        PROBLEM.conditional_error(np.zeros((2, 2)), [0, 1, 1])
    with pytest.raises(ValueError, match=r"n must be an int >= 1, got 0"):
        PROBLEM.sample(0, np.random.default_rng(0))
