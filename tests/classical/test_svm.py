"""scribbles.classical.svm: our SMO solver against scikit-learn's LIBSVM, attributes, errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_digits, load_iris, make_blobs, make_moons
from sklearn.svm import SVC as SklearnSVC

from scribbles.classical.svm import (
    SVC,
    ConvergenceWarning,
    compare_with_scikit_learn,
    dual_objective,
    smo,
)
from scribbles.classical.svm.kernels import pairwise_kernel


def _blobs() -> tuple[np.ndarray, np.ndarray]:
    return make_blobs(120, centers=[[-2.0, -2.0], [2.0, 2.0]], cluster_std=0.8, random_state=1)


def _moons() -> tuple[np.ndarray, np.ndarray]:
    return make_moons(200, noise=0.2, random_state=1)


def _digits() -> tuple[np.ndarray, np.ndarray]:
    digits = load_digits()
    keep = np.isin(digits.target, [3, 8])
    return digits.data[keep] / 16.0, digits.target[keep]


CASES = {
    "blobs-linear": (_blobs, {"kernel": "linear", "C": 1.0}),
    "moons-rbf": (_moons, {"kernel": "rbf", "C": 1.0}),
    "moons-rbf-C10": (_moons, {"kernel": "rbf", "C": 10.0, "gamma": 2.0}),
    "moons-poly": (_moons, {"kernel": "poly", "C": 1.0, "degree": 3, "coef0": 1.0}),
    "digits-rbf": (_digits, {"kernel": "rbf", "C": 1.0}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_binary_svc_matches_sklearn(case: str) -> None:
    make, params = CASES[case]
    X, y = make()
    ours, theirs = SVC(**params).fit(X, y), SklearnSVC(**params).fit(X, y)
    # predictions agree on >= 99% of points
    assert (ours.predict(X) == theirs.predict(X)).mean() >= 0.99
    # decision functions correlate > 0.999 (and are close in value)
    ours_f, theirs_f = ours.decision_function(X), theirs.decision_function(X)
    assert np.corrcoef(ours_f, theirs_f)[0, 1] > 0.999
    np.testing.assert_allclose(ours_f, theirs_f, atol=0.02 * np.abs(theirs_f).max())
    # dual objectives agree to 1e-3 relative
    gram = pairwise_kernel(
        theirs.support_vectors_,
        None,
        params["kernel"],
        params.get("degree", 3),
        theirs._gamma,
        params.get("coef0", 0.0),
    )
    theirs_objective = dual_objective(theirs.dual_coef_, gram)
    assert ours.dual_objective_[0] == pytest.approx(theirs_objective, rel=1e-3)
    # our reported objective is the objective of our coefficients
    ours_gram = pairwise_kernel(
        ours.support_vectors_,
        None,
        params["kernel"],
        params.get("degree", 3),
        ours.gamma_,
        params.get("coef0", 0.0),
    )
    assert dual_objective(ours.dual_coef_, ours_gram) == pytest.approx(
        ours.dual_objective_[0], rel=1e-9
    )
    assert ours.gamma_ == pytest.approx(theirs._gamma, rel=1e-12)


def test_dual_solution_satisfies_the_constraints_and_kkt_conditions() -> None:
    X, y = _moons()
    C, tol = 1.0, 1e-3
    model = SVC(C=C, tol=tol).fit(X, y)
    coef = model.dual_coef_[0]
    assert coef.sum() == pytest.approx(0.0, abs=1e-10)  # yᵀα = 0
    assert np.all(np.abs(coef) <= C + 1e-12) and np.all(np.abs(coef) > 0)
    np.testing.assert_array_equal(model.support_vectors_, X[model.support_])
    margin = np.where(y == model.classes_[1], 1.0, -1.0) * model.decision_function(X)
    free = np.abs(coef) < C  # 0 < α < C: on the margin, y f(x) = 1
    np.testing.assert_allclose(margin[model.support_[free]], 1.0, atol=tol)
    outside = np.setdiff1d(np.arange(len(y)), model.support_)  # α = 0: y f(x) >= 1
    assert np.all(margin[outside] >= 1.0 - tol)


def test_support_vectors_are_grouped_by_class_like_sklearn() -> None:
    X, y = _moons()
    ours, theirs = SVC().fit(X, y), SklearnSVC().fit(X, y)
    np.testing.assert_array_equal(ours.n_support_, theirs.n_support_)
    np.testing.assert_array_equal(ours.support_, theirs.support_)
    np.testing.assert_allclose(ours.dual_coef_, theirs.dual_coef_, atol=0.05)
    np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=0.02)


def test_representer_theorem_gives_sklearns_primal_weights() -> None:
    X, y = _blobs()
    ours, theirs = SVC(kernel="linear").fit(X, y), SklearnSVC(kernel="linear").fit(X, y)
    w = ours.dual_coef_ @ ours.support_vectors_  # w = Σ αᵢ yᵢ xᵢ, shape (1, d)
    np.testing.assert_allclose(w, theirs.coef_, rtol=1e-2)
    np.testing.assert_allclose(
        X @ w[0] + ours.intercept_[0], ours.decision_function(X), rtol=1e-10, atol=1e-10
    )


@pytest.mark.parametrize("name", ["iris", "digits"])
def test_multiclass_one_vs_one_matches_sklearn(name: str) -> None:
    X, y = load_iris(return_X_y=True) if name == "iris" else load_digits(return_X_y=True)
    X, y = X[:400], y[:400]
    ours, theirs = SVC().fit(X, y), SklearnSVC().fit(X, y)
    assert (ours.predict(X) == theirs.predict(X)).mean() >= 0.99
    np.testing.assert_array_equal(ours.n_support_, theirs.n_support_)
    assert ours.dual_coef_.shape == theirs.dual_coef_.shape
    assert ours.intercept_.shape == theirs.intercept_.shape == ours.n_iter_.shape
    ours.decision_function_shape = theirs.decision_function_shape = "ovo"
    ours_f, theirs_f = ours.decision_function(X), theirs.decision_function(X)
    for column in range(ours_f.shape[1]):
        assert np.corrcoef(ours_f[:, column], theirs_f[:, column])[0, 1] > 0.999
    ours.decision_function_shape = theirs.decision_function_shape = "ovr"
    ovr_ours, ovr_theirs = ours.decision_function(X), theirs.decision_function(X)
    assert ovr_ours.shape == ovr_theirs.shape == (len(y), np.unique(y).size)
    assert (ovr_ours.argmax(1) == ovr_theirs.argmax(1)).mean() >= 0.99


def test_string_labels_and_fit_returns_self() -> None:
    X, y = _blobs()
    names = np.array(["left", "right"])[y]
    model = SVC(kernel="linear")
    assert model.fit(X, names) is model
    assert set(model.predict(X)) <= {"left", "right"}
    assert (model.predict(X) == names).mean() == 1.0


def test_smo_solves_a_two_point_problem_exactly() -> None:
    # points ±1 on a line, linear kernel: α = (½, ½), ρ = 0, f(α) = −½
    K = np.array([[1.0, -1.0], [-1.0, 1.0]])
    result = smo(lambda t: K[t], np.diag(K).copy(), np.array([1.0, -1.0]), C=10.0)
    np.testing.assert_allclose(result.alpha, [0.5, 0.5])
    assert result.rho == pytest.approx(0.0) and result.objective == pytest.approx(-0.5)
    assert result.converged and result.n_iter == 1


def test_max_iter_stops_early_with_a_warning() -> None:
    X, y = _moons()
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        model = SVC(max_iter=2).fit(X, y)
    assert model.n_iter_[0] == 2


def test_compare_with_scikit_learn_reports_agreement(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")
    result = compare_with_scikit_learn("blobs", "linear", repeats=1)
    assert result["agreement"] >= 0.99 and result["correlation"] > 0.999
    assert result["objective_gap"] < 1e-3
    with pytest.raises(ValueError, match="dataset must be"):
        compare_with_scikit_learn("mnist", "rbf", repeats=1)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"C": 0.0}, ValueError, "C must be a finite number > 0, got 0.0"),
        ({"C": -1.0}, ValueError, "C must be a finite number > 0, got -1.0"),
        ({"C": "1"}, TypeError, "C must be a number"),
        ({"kernel": "sigmoid"}, ValueError, "kernel must be one of"),
        ({"gamma": "wide"}, ValueError, "gamma must be 'scale', 'auto' or a number"),
        ({"gamma": -0.5}, ValueError, "gamma must be a finite number > 0"),
        ({"degree": -1}, ValueError, "degree must be >= 0"),
        ({"tol": 0.0}, ValueError, "tol must be a finite number > 0"),
        ({"max_iter": 0}, ValueError, "max_iter must be -1"),
        ({"decision_function_shape": "ovx"}, ValueError, "decision_function_shape"),
    ],
)
def test_bad_hyperparameters_raise(params: dict, error: type, message: str) -> None:
    X, y = _blobs()
    with pytest.raises(error, match=message):
        SVC(**params).fit(X, y)


def test_bad_data_raises() -> None:
    X, y = _blobs()
    with pytest.raises(ValueError, match="y must hold at least two classes, got 1"):
        SVC().fit(X, np.zeros(len(y)))
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="X must not contain NaN"):
        SVC().fit(bad, y)
    with pytest.raises(ValueError, match="y must not contain NaN"):
        SVC().fit(X, np.where(y == 1, np.nan, 0.0))
    with pytest.raises(ValueError, match="same length, got 120 and 119"):
        SVC().fit(X, y[:-1])
    with pytest.raises(ValueError, match="X must be 2-D"):
        SVC().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="not fitted"):
        SVC().predict(X)
    model = SVC().fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but the model was fitted with 2"):
        model.predict(np.ones((2, 3)))
    with pytest.raises(ValueError, match="y must hold both -1 and \\+1"):
        smo(lambda t: np.ones(2), np.ones(2), np.array([1.0, 1.0]), C=1.0)
    with pytest.raises(ValueError, match="gram must have shape"):
        dual_objective([1.0, -1.0], np.eye(3))
