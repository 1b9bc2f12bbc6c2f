"""scribbles.classical.svm.kernels: equal to scikit-learn's, PSD Gram matrices, feature maps."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics.pairwise import linear_kernel as sk_linear
from sklearn.metrics.pairwise import polynomial_kernel as sk_poly
from sklearn.metrics.pairwise import rbf_kernel as sk_rbf
from sklearn.svm import SVC as SklearnSVC

from scribbles.classical.svm.kernels import (
    KERNELS,
    KernelRowCache,
    check_kernel_name,
    linear_kernel,
    pairwise_kernel,
    polynomial_kernel,
    quadratic_feature_map,
    rbf_kernel,
    rbf_taylor_features,
    resolve_gamma,
)

RNG = np.random.default_rng(0)
X = RNG.normal(size=(12, 4))
Y = RNG.normal(size=(7, 4))


def test_linear_kernel_equals_sklearn() -> None:
    np.testing.assert_allclose(linear_kernel(X, Y), sk_linear(X, Y), rtol=1e-12)
    np.testing.assert_allclose(linear_kernel(X), sk_linear(X), rtol=1e-12)


@pytest.mark.parametrize(
    ("degree", "gamma", "coef0"), [(3, None, 1.0), (2, 0.5, 0.0), (4, 2.0, -1.0)]
)
def test_polynomial_kernel_equals_sklearn(degree: int, gamma: float | None, coef0: float) -> None:
    ours = polynomial_kernel(X, Y, degree=degree, gamma=gamma, coef0=coef0)
    theirs = sk_poly(X, Y, degree=degree, gamma=gamma, coef0=coef0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("gamma", [None, 0.1, 3.0])
def test_rbf_kernel_equals_sklearn(gamma: float | None) -> None:
    np.testing.assert_allclose(
        rbf_kernel(X, Y, gamma=gamma), sk_rbf(X, Y, gamma=gamma), rtol=1e-10, atol=1e-14
    )
    np.testing.assert_allclose(np.diag(rbf_kernel(X, gamma=gamma)), 1.0)


@pytest.mark.parametrize("gamma", ["scale", "auto", 0.7])
def test_resolve_gamma_matches_sklearn_svc(gamma: str | float) -> None:
    labels = (X[:, 0] > 0).astype(int)
    fitted = SklearnSVC(gamma=gamma).fit(X, labels)
    assert resolve_gamma(gamma, X) == pytest.approx(fitted._gamma, rel=1e-12)


def test_resolve_gamma_scale_with_constant_data_is_one() -> None:
    assert resolve_gamma("scale", np.ones((3, 2))) == 1.0


@pytest.mark.parametrize("kernel", KERNELS)
def test_pairwise_kernel_dispatches_to_the_named_kernel(kernel: str) -> None:
    expected = {
        "linear": linear_kernel(X, Y),
        "poly": polynomial_kernel(X, Y, degree=3, gamma=0.3, coef0=0.5),
        "rbf": rbf_kernel(X, Y, gamma=0.3),
    }[kernel]
    got = pairwise_kernel(X, Y, kernel=kernel, degree=3, gamma=0.3, coef0=0.5)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


@pytest.mark.parametrize("kernel", KERNELS)
def test_kernel_row_cache_rows_and_diagonal(kernel: str) -> None:
    rows = KernelRowCache(X, kernel, 3, 0.3, 0.5)
    full = pairwise_kernel(X, kernel=kernel, degree=3, gamma=0.3, coef0=0.5)
    np.testing.assert_allclose(rows(5), full[5], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(rows(5), full[5], rtol=1e-12, atol=1e-14)  # from the cache
    np.testing.assert_allclose(rows.diagonal(), np.diag(full), rtol=1e-12)
    assert rows.n_computed == 1


@pytest.mark.parametrize(("gamma", "coef0"), [(1.0, 1.0), (0.25, 0.0), (2.0, 3.0)])
def test_quadratic_feature_map_reproduces_the_degree_2_kernel(gamma: float, coef0: float) -> None:
    phi_x, phi_y = quadratic_feature_map(X, gamma, coef0), quadratic_feature_map(Y, gamma, coef0)
    d = X.shape[1]
    assert phi_x.shape == (X.shape[0], d * (d + 3) // 2 + 1)
    kernel = polynomial_kernel(X, Y, degree=2, gamma=gamma, coef0=coef0)
    np.testing.assert_allclose(phi_x @ phi_y.T, kernel, rtol=1e-10, atol=1e-12)


def test_rbf_taylor_features_converge_to_the_rbf_kernel() -> None:
    x = np.linspace(-2.0, 2.0, 9)
    exact = rbf_kernel(x[:, None], gamma=0.5)
    errors = []
    for n_terms in (1, 3, 6, 12, 30):
        phi = rbf_taylor_features(x, gamma=0.5, n_terms=n_terms)
        errors.append(np.abs(phi @ phi.T - exact).max())
    assert all(a > b for a, b in itertools.pairwise(errors))
    assert errors[-1] < 1e-12


@settings(max_examples=40, deadline=None)
@given(
    data=arrays(
        np.float64,
        st.tuples(st.integers(1, 8), st.integers(1, 4)),
        elements=st.floats(-3, 3, allow_nan=False),
    ),
    kernel=st.sampled_from(KERNELS),
    gamma=st.floats(0.05, 3.0),
    degree=st.integers(1, 4),
    coef0=st.floats(0.0, 2.0),
)
def test_gram_matrices_are_positive_semidefinite(
    data: np.ndarray, kernel: str, gamma: float, degree: int, coef0: float
) -> None:
    gram = pairwise_kernel(data, kernel=kernel, degree=degree, gamma=gamma, coef0=coef0)
    np.testing.assert_allclose(gram, gram.T, rtol=1e-12, atol=1e-12)
    smallest = np.linalg.eigvalsh(gram).min()
    assert smallest >= -1e-9 * max(1.0, np.abs(gram).max())


def test_a_non_psd_matrix_would_fail_the_property() -> None:
    # the check above can fail: a "kernel" with a negative eigenvalue is caught
    fake = np.array([[1.0, 2.0], [2.0, 1.0]])
    assert np.linalg.eigvalsh(fake).min() < -1e-9


def test_errors_name_the_argument() -> None:
    with pytest.raises(ValueError, match="X must be 2-D"):
        linear_kernel(np.ones(3))
    with pytest.raises(ValueError, match="X must be finite"):
        rbf_kernel([[np.nan, 1.0]])
    with pytest.raises(ValueError, match="same number of features"):
        linear_kernel(np.ones((2, 3)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="gamma must be a finite number > 0, got -1"):
        rbf_kernel(X, gamma=-1.0)
    with pytest.raises(TypeError, match="gamma must be a number"):
        rbf_kernel(X, gamma="big")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="degree must be >= 0, got -2"):
        polynomial_kernel(X, degree=-2)
    with pytest.raises(TypeError, match="degree must be an int"):
        polynomial_kernel(X, degree=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="kernel must be one of"):
        pairwise_kernel(X, kernel="sigmoid")
    with pytest.raises(ValueError, match="kernel must be one of"):
        check_kernel_name("precomputed")
    with pytest.raises(ValueError, match="gamma must be 'scale', 'auto' or a number"):
        resolve_gamma("large", X)
    with pytest.raises(ValueError, match="coef0 must be >= 0"):
        quadratic_feature_map(X, coef0=-1.0)
    with pytest.raises(ValueError, match="n_terms must be an int >= 1"):
        rbf_taylor_features([0.0], n_terms=0)
    with pytest.raises(ValueError, match="x must be 1-D"):
        rbf_taylor_features(np.ones((2, 2)))
