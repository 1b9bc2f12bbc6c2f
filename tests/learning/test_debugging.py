"""Tests for scribbles.learning.debugging: our learning curve against scikit-learn's, the ridge
model, the diagnosis rule, and the experiments behind the debugging chapter."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial import legendre
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, ShuffleSplit
from sklearn.model_selection import learning_curve as sklearn_learning_curve
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

from scribbles.learning.debugging import (
    DIAGNOSIS_REMEDIES,
    PolynomialRidge,
    bias_variance_decomposition,
    diagnose,
    diagnosis_experiment,
    learning_curve,
    learning_curve_experiment,
    mean_squared_error,
    noisy_sine,
    remedy_verdict,
    scikit_learn_agreement,
    shuffle_splits,
)


def legendre_features(X: np.ndarray, degree: int) -> np.ndarray:
    """The features PolynomialRidge builds, for scikit-learn's pipeline."""
    return legendre.legvander(2.0 * X[:, 0] - 1.0, degree)[:, 1:]


def sklearn_polynomial_ridge(degree: int, alpha: float):
    return make_pipeline(
        FunctionTransformer(legendre_features, kw_args={"degree": degree}),
        Ridge(alpha=alpha, solver="cholesky"),
    )


@pytest.mark.parametrize(("degree", "alpha"), [(1, 1e-3), (5, 0.1), (12, 1e-2), (15, 10.0)])
def test_polynomial_ridge_matches_scikit_learn(degree, alpha):
    X, y = noisy_sine(80, 0.3, np.random.default_rng(degree))
    grid = np.linspace(0, 1, 101)[:, None]
    ours = PolynomialRidge(degree, alpha).fit(X, y)
    reference = sklearn_polynomial_ridge(degree, alpha).fit(X, y)
    np.testing.assert_allclose(ours.predict(grid), reference.predict(grid), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.coef_, reference[-1].coef_, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("train_sizes", [[5, 10, 20, 40, 60], [0.1, 0.25, 0.5, 1.0]])
def test_learning_curve_matches_scikit_learn_on_the_same_splits(train_sizes):
    X, y = noisy_sine(90, 0.3, np.random.default_rng(0))
    splits = list(ShuffleSplit(n_splits=4, test_size=30, random_state=0).split(X))
    model = sklearn_polynomial_ridge(6, 1e-2)
    sizes, train_scores, validation_scores = sklearn_learning_curve(
        model, X, y, train_sizes=train_sizes, cv=splits, scoring="neg_mean_squared_error"
    )
    ours = learning_curve(model, X, y, train_sizes, splits)
    np.testing.assert_array_equal(ours.train_sizes, sizes)
    np.testing.assert_allclose(ours.train_errors, -train_scores, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.validation_errors, -validation_scores, rtol=1e-10, atol=1e-12)


def test_learning_curve_matches_scikit_learn_for_a_classifier_with_zero_one_loss():
    X, y = load_wine(return_X_y=True)
    rng = np.random.default_rng(0)  # the data are sorted by class: shuffle each training set
    folds = KFold(n_splits=3, shuffle=True, random_state=0).split(X)
    splits = [(rng.permutation(train), test) for train, test in folds]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.5))
    with threadpool_limits(limits=1):
        _, train_scores, validation_scores = sklearn_learning_curve(
            model, X, y, train_sizes=[20, 60, 110], cv=splits, scoring="accuracy"
        )

    def zero_one(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return float(np.mean(y_true != y_pred))

    with threadpool_limits(limits=1):
        ours = learning_curve(model, X, y, [20, 60, 110], splits, loss=zero_one)
    np.testing.assert_allclose(ours.train_errors, 1 - train_scores, atol=1e-12)
    np.testing.assert_allclose(ours.validation_errors, 1 - validation_scores, atol=1e-12)


def test_learning_curve_does_not_touch_the_given_estimator():
    X, y = noisy_sine(40, 0.3, np.random.default_rng(0))
    model = PolynomialRidge(3, 0.1)
    learning_curve(model, X, y, [10, 20], shuffle_splits(40, 2, 10))
    assert not hasattr(model, "coef_")


@settings(max_examples=40, deadline=None)
@given(
    n_samples=st.integers(4, 60),
    n_splits=st.integers(1, 5),
    data=st.data(),
)
def test_shuffle_splits_partition_the_data(n_samples, n_splits, data):
    validation_size = data.draw(st.integers(1, n_samples - 1))
    splits = shuffle_splits(n_samples, n_splits, validation_size, seed=data.draw(st.integers(0, 9)))
    assert len(splits) == n_splits
    for train, validation in splits:
        assert len(validation) == validation_size
        assert sorted(np.concatenate([train, validation]).tolist()) == list(range(n_samples))


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.integers(1, 30), min_size=1, max_size=5, unique=True))
def test_training_error_of_least_squares_grows_with_the_data(sizes):
    """Nested training sets: a least-squares fit can only do worse on a superset (alpha = 0).

    Holds for the *sum* of squared errors; each curve row uses the first m points.
    """
    X, y = noisy_sine(40, 0.3, np.random.default_rng(1))
    curve = learning_curve(PolynomialRidge(2, 0.0), X, y, sizes, shuffle_splits(40, 2, 10))
    sse = curve.train_errors * curve.train_sizes[:, None]
    assert np.all(np.diff(sse, axis=0) >= -1e-9)


def test_diagnose_each_case():
    assert diagnose(0.01, 0.5, target_error=0.1, gap_tolerance=0.05) == "high variance"
    assert diagnose(0.3, 0.31, target_error=0.1, gap_tolerance=0.05) == "high bias"
    assert diagnose(0.3, 0.6, target_error=0.1, gap_tolerance=0.05) == "high bias and high variance"
    assert diagnose(0.05, 0.08, target_error=0.1, gap_tolerance=0.05) == "acceptable"


def test_remedy_verdict_thresholds():
    assert remedy_verdict(1.1, 0.6, floor=0.1) == "fixes it"  # excess halved exactly
    assert remedy_verdict(1.1, 0.61, floor=0.1) == "little effect"
    assert remedy_verdict(1.1, 1.21, floor=0.1) == "makes it worse"


def test_bias_variance_decomposition_adds_up_to_a_monte_carlo_test_error(monkeypatch):
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")
    r = bias_variance_decomposition((1, 4), alpha=1e-3, size=30, repeats=300, grid_size=200)
    rng = np.random.default_rng(5)
    for k, degree in enumerate((1, 4)):
        errors = []
        for _ in range(300):
            X, y = noisy_sine(30, 0.3, rng)
            X_test, y_test = noisy_sine(200, 0.3, rng)
            errors.append(
                mean_squared_error(y_test, PolynomialRidge(degree, 1e-3).fit(X, y).predict(X_test))
            )
        assert r["error"][k] == pytest.approx(np.mean(errors), rel=0.05)
    assert r["bias_squared"][0] > r["bias_squared"][1]  # a line cannot follow a sine
    assert r["variance"][0] < r["variance"][1]


def test_learning_curves_show_the_two_problems(monkeypatch):
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")
    r = learning_curve_experiment(train_sizes=(20, 30, 300), n_splits=10)
    high_variance, high_bias = r["curves"]
    floor = r["noise_variance"]
    gap = high_variance["validation_errors"].mean(1) - high_variance["train_errors"].mean(1)
    assert gap[1] > 1.0 > 0.05 > gap[2]  # large gap at 30 examples, closed at 300
    assert high_bias["train_errors"].mean(1)[-1] > 2.5 * floor  # training error stays high
    assert (
        abs(high_bias["validation_errors"].mean(1)[-1] - high_bias["train_errors"].mean(1)[-1])
        < 0.02
    )


def test_every_remedy_fixes_the_problem_the_table_says_and_not_the_other(monkeypatch):
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")
    r = diagnosis_experiment()  # the page's configuration
    floor = r["noise_variance"]
    variance_model, bias_model, regularised_model = r["models"]
    for remedy, problem in DIAGNOSIS_REMEDIES.items():
        after = r["after"][remedy]
        verdict_variance = remedy_verdict(
            r["before"][variance_model][1], after[variance_model][1], floor
        )
        verdict_bias = remedy_verdict(r["before"][bias_model][1], after[bias_model][1], floor)
        verdict_regularised = remedy_verdict(
            r["before"][regularised_model][1], after[regularised_model][1], floor
        )
        if problem == "high variance":
            assert verdict_variance == "fixes it", remedy
            assert verdict_bias != "fixes it", remedy
        else:
            assert verdict_variance != "fixes it", remedy
            assert "fixes it" in (verdict_bias, verdict_regularised), remedy


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: PolynomialRidge(-1), ValueError, "degree must be an int >= 0, got -1"),
        (lambda: PolynomialRidge(2, -0.5), ValueError, "alpha must be >= 0, got -0.5"),
        (lambda: PolynomialRidge(2).predict(np.zeros((2, 1))), RuntimeError, "not fitted"),
        (
            lambda: PolynomialRidge(2).fit(np.zeros((3, 2)), np.zeros(3)),
            ValueError,
            "shape \\(m, 1\\)",
        ),
        (
            lambda: PolynomialRidge(2).fit(np.zeros((3, 1)), np.zeros(4)),
            ValueError,
            "y must have shape \\(3,\\)",
        ),
        (
            lambda: PolynomialRidge(2).fit(np.array([[np.nan], [0.0]]), np.zeros(2)),
            ValueError,
            "X must be finite",
        ),
        (
            lambda: shuffle_splits(10, 2, 10),
            ValueError,
            "validation_size must be in \\[1, n_samples - 1\\]",
        ),
        (lambda: shuffle_splits(10, 0, 3), ValueError, "n_splits must be >= 1, got 0"),
        (lambda: mean_squared_error(np.zeros(2), np.zeros(3)), ValueError, "same non-empty shape"),
        (lambda: diagnose(0.1, 0.2, 0.1, -1.0), ValueError, "gap_tolerance must be >= 0"),
        (lambda: remedy_verdict(0.05, 0.2, 0.1), ValueError, "before must exceed the floor"),
        (lambda: noisy_sine(0, 0.1, np.random.default_rng(0)), ValueError, "n must be >= 1"),
    ],
)
def test_errors_name_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    ("train_sizes", "error", "match"),
    [
        ([0, 5], ValueError, "must lie in \\[1, 30\\]"),
        ([5, 31], ValueError, "must lie in \\[1, 30\\]"),
        ([0.0, 0.5], ValueError, "fractions and must lie in \\(0, 1\\]"),
        ([0.5, 1.5], ValueError, "fractions and must lie in \\(0, 1\\]"),
        ([0.5, 0.51], ValueError, "repeat a size once made absolute: \\[15, 15\\]"),
        (["a"], TypeError, "must hold ints or floats"),
        ([], ValueError, "non-empty 1-D sequence"),
    ],
)
def test_learning_curve_rejects_bad_sizes(train_sizes, error, match):
    X, y = noisy_sine(40, 0.3, np.random.default_rng(0))
    with pytest.raises(error, match=match):
        learning_curve(PolynomialRidge(1), X, y, train_sizes, shuffle_splits(40, 2, 10))


def test_learning_curve_rejects_bad_inputs():
    X, y = noisy_sine(40, 0.3, np.random.default_rng(0))
    splits = shuffle_splits(40, 2, 10)
    with pytest.raises(TypeError, match="estimator must have fit and predict methods, got str"):
        learning_curve("ridge", X, y, [5], splits)
    with pytest.raises(ValueError, match="X must have shape \\(n, d\\) and y shape \\(n,\\)"):
        learning_curve(PolynomialRidge(1), X, y[:-1], [5], splits)
    with pytest.raises(ValueError, match="splits must hold at least one"):
        learning_curve(PolynomialRidge(1), X, y, [5], [])
    with pytest.raises(ValueError, match="validation indices must be non-empty and in \\[0, 39\\]"):
        learning_curve(PolynomialRidge(1), X, y, [5], [(np.arange(10), np.array([40]))])


def test_page_comparison_with_scikit_learn_agrees(monkeypatch):
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")
    result = scikit_learn_agreement()
    assert len(result["learning_curve"]) == 2 and len(result["ridge"]) == 3
    for row in result["learning_curve"]:
        assert row["train_difference"] < 1e-10 and row["validation_difference"] < 1e-10
    for row in result["ridge"]:
        assert row["difference"] < 1e-8
