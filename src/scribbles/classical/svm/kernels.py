r"""Kernels: inner products in a feature space, computed without building the space.

A kernel $k(x, z) = \langle \phi(x), \phi(z) \rangle$ returns the inner product of two
feature vectors $\phi(x)$ and $\phi(z)$ while only touching $x$ and $z$. Every kernel
here is a function of the inner product $x^\top z$ and of the squared norms, so one
private helper turns those into kernel values for all of them:

$$
\begin{aligned}
k_{\text{linear}}(x, z) &= x^\top z, \\
k_{\text{poly}}(x, z) &= (\gamma\, x^\top z + r)^d, \\
k_{\text{rbf}}(x, z) &= \exp\!\left(-\gamma \lVert x - z \rVert^2\right).
\end{aligned}
$$

Parameter names follow scikit-learn: `degree` is $d$, `gamma` is $\gamma$ and `coef0`
is $r$. [`resolve_gamma`][scribbles.classical.svm.kernels.resolve_gamma] implements the
`gamma="scale"` and `gamma="auto"` rules of `sklearn.svm.SVC`. Two explicit feature maps
show what the kernels compute:
[`quadratic_feature_map`][scribbles.classical.svm.kernels.quadratic_feature_map] (finite, for the
degree-2 polynomial kernel) and
[`rbf_taylor_features`][scribbles.classical.svm.kernels.rbf_taylor_features] (a truncation of the
RBF kernel's infinite one).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "KERNELS",
    "KernelRowCache",
    "check_kernel_name",
    "linear_kernel",
    "pairwise_kernel",
    "polynomial_kernel",
    "quadratic_feature_map",
    "rbf_kernel",
    "rbf_taylor_features",
    "resolve_gamma",
]

KERNELS: tuple[str, ...] = ("linear", "poly", "rbf")
"""Kernel names: the values of `kernel` that `pairwise_kernel` and `SVC` accept."""

Array = NDArray[np.float64]


def _as_matrix(name: str, value: ArrayLike) -> Array:
    """Return `value` as a finite 2-D float64 array, or raise naming the argument."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite; it holds NaN or infinite values")
    return array


def _pair(X: ArrayLike, Y: ArrayLike | None) -> tuple[Array, Array]:
    """Validate `X` and `Y` (default: `X`) and check that their feature counts match."""
    A = _as_matrix("X", X)
    B = A if Y is None else _as_matrix("Y", Y)
    if A.shape[1] != B.shape[1]:
        raise ValueError(
            f"X and Y must have the same number of features, got {A.shape[1]} and {B.shape[1]}"
        )
    return A, B


def _check_gamma(gamma: float) -> float:
    if isinstance(gamma, bool) or not isinstance(gamma, int | float | np.floating | np.integer):
        raise TypeError(f"gamma must be a number, got {type(gamma).__name__}")
    if not gamma > 0 or not math.isfinite(gamma):
        raise ValueError(f"gamma must be a finite number > 0, got {gamma}")
    return float(gamma)


def _check_degree(degree: int) -> int:
    if isinstance(degree, bool) or not isinstance(degree, int | np.integer):
        raise TypeError(f"degree must be an int, got {type(degree).__name__}")
    if degree < 0:
        raise ValueError(f"degree must be >= 0, got {degree}")
    return int(degree)


def _kernel_from_inner(
    inner: Array,
    sq_a: Array,
    sq_b: Array,
    kernel: str,
    degree: int,
    gamma: float,
    coef0: float,
) -> Array:
    """Map inner products `inner` (n, m) and squared norms (n,), (m,) to kernel values."""
    if kernel == "linear":
        return inner
    if kernel == "poly":
        return (gamma * inner + coef0) ** degree  # (γ xᵀz + r)^d
    # ‖x − z‖² = ‖x‖² + ‖z‖² − 2 xᵀz, clipped at 0 against rounding
    squared_distance = np.maximum(sq_a[:, None] + sq_b[None, :] - 2.0 * inner, 0.0)
    return np.exp(-gamma * squared_distance)


def linear_kernel(X: ArrayLike, Y: ArrayLike | None = None) -> Array:
    r"""Linear kernel: plain inner products.

    $$
    k(x, z) = x^\top z
    $$

    Args:
        X: samples, shape (n, d).
        Y: samples, shape (m, d); default `X`.

    Returns:
        gram: kernel matrix, shape (n, m).

    Raises:
        ValueError: if an input is not 2-D, not finite, or the feature counts differ.

    Examples:
        >>> linear_kernel([[1.0, 2.0]], [[3.0, 4.0], [0.0, 1.0]])
        array([[11.,  2.]])
    """
    A, B = _pair(X, Y)
    return A @ B.T  # (n, m)


def polynomial_kernel(
    X: ArrayLike,
    Y: ArrayLike | None = None,
    degree: int = 3,
    gamma: float | None = None,
    coef0: float = 1.0,
) -> Array:
    r"""Polynomial kernel, with scikit-learn's defaults (`gamma=None` means $1/d$).

    $$
    k(x, z) = (\gamma\, x^\top z + r)^{\text{degree}}
    $$

    Args:
        X: samples, shape (n, d).
        Y: samples, shape (m, d); default `X`.
        degree: the power, an int >= 0.
        gamma: the scale $\gamma > 0$; `None` means `1 / n_features`.
        coef0: the offset $r$.

    Returns:
        gram: kernel matrix, shape (n, m).

    Raises:
        ValueError: if an input is malformed, `degree < 0` or `gamma <= 0`.
        TypeError: if `degree` is not an int or `gamma` not a number.

    Examples:
        >>> polynomial_kernel([[1.0, 1.0]], [[1.0, 2.0]], degree=2, gamma=1.0, coef0=1.0)
        array([[16.]])
    """
    A, B = _pair(X, Y)
    degree = _check_degree(degree)
    gamma = 1.0 / A.shape[1] if gamma is None else _check_gamma(gamma)
    return _kernel_from_inner(A @ B.T, np.empty(0), np.empty(0), "poly", degree, gamma, coef0)


def rbf_kernel(X: ArrayLike, Y: ArrayLike | None = None, gamma: float | None = None) -> Array:
    r"""Radial basis function (Gaussian) kernel, with scikit-learn's default $\gamma = 1/d$.

    $$
    k(x, z) = \exp\!\left(-\gamma \lVert x - z \rVert^2\right)
    $$

    Args:
        X: samples, shape (n, d).
        Y: samples, shape (m, d); default `X`.
        gamma: the inverse squared length scale $\gamma > 0$; `None` means `1 / n_features`.

    Returns:
        gram: kernel matrix, shape (n, m), entries in (0, 1].

    Raises:
        ValueError: if an input is malformed or `gamma <= 0`.
        TypeError: if `gamma` is not a number.

    Examples:
        >>> rbf_kernel([[0.0], [1.0]], gamma=1.0).round(4)
        array([[1.    , 0.3679],
               [0.3679, 1.    ]])
    """
    A, B = _pair(X, Y)
    gamma = 1.0 / A.shape[1] if gamma is None else _check_gamma(gamma)
    sq_a = np.einsum("ij,ij->i", A, A)  # (n,)
    sq_b = np.einsum("ij,ij->i", B, B)  # (m,)
    return _kernel_from_inner(A @ B.T, sq_a, sq_b, "rbf", 0, gamma, 0.0)


def resolve_gamma(gamma: float | Literal["scale", "auto"], X: ArrayLike) -> float:
    r"""Turn `SVC`'s `gamma` argument into a number, as scikit-learn does.

    $$
    \gamma_{\text{scale}} = \frac{1}{d \cdot \operatorname{Var}(X)}, \qquad
    \gamma_{\text{auto}} = \frac{1}{d},
    $$

    where $\operatorname{Var}(X)$ is the variance of all entries of $X$ and $d$ its
    number of features; `"scale"` falls back to 1 when that variance is 0.

    Args:
        gamma: `"scale"`, `"auto"` or a number > 0.
        X: the training samples, shape (n, d).

    Returns:
        gamma: the value used by the kernel.

    Raises:
        ValueError: if `gamma` is an unknown string or a number <= 0, or `X` is malformed.
        TypeError: if `gamma` is neither a string nor a number.

    Examples:
        >>> resolve_gamma("auto", [[0.0, 1.0], [2.0, 3.0]])
        0.5
        >>> resolve_gamma("scale", [[0.0, 1.0], [2.0, 3.0]])
        0.4
    """
    A = _as_matrix("X", X)
    if isinstance(gamma, str):
        if gamma == "scale":
            variance = float(A.var())
            return 1.0 / (A.shape[1] * variance) if variance != 0.0 else 1.0
        if gamma == "auto":
            return 1.0 / A.shape[1]
        raise ValueError(f"gamma must be 'scale', 'auto' or a number > 0, got {gamma!r}")
    return _check_gamma(gamma)


def pairwise_kernel(
    X: ArrayLike,
    Y: ArrayLike | None = None,
    kernel: str = "rbf",
    degree: int = 3,
    gamma: float = 1.0,
    coef0: float = 0.0,
) -> Array:
    r"""Kernel matrix for a kernel named as in `sklearn.svm.SVC`.

    $$
    K_{ij} = k(x_i, z_j)
    $$

    Args:
        X: samples, shape (n, d).
        Y: samples, shape (m, d); default `X`.
        kernel: one of [`KERNELS`][scribbles.classical.svm.kernels.KERNELS]: `"linear"`,
            `"poly"`, `"rbf"`.
        degree: the polynomial degree (ignored by the other kernels).
        gamma: a number > 0 (ignored by `"linear"`); see
            [`resolve_gamma`][scribbles.classical.svm.kernels.resolve_gamma] for `"scale"`.
        coef0: the polynomial offset $r$ (ignored by the other kernels).

    Returns:
        gram: kernel matrix, shape (n, m).

    Raises:
        ValueError: if `kernel` is unknown or another argument is out of range.

    Examples:
        >>> pairwise_kernel([[1.0, 0.0]], [[1.0, 0.0], [0.0, 1.0]], kernel="linear")
        array([[1., 0.]])
    """
    check_kernel_name(kernel)
    A, B = _pair(X, Y)
    degree = _check_degree(degree)
    gamma = _check_gamma(gamma)
    sq_a = np.einsum("ij,ij->i", A, A)  # (n,)
    sq_b = sq_a if Y is None else np.einsum("ij,ij->i", B, B)  # (m,)
    return _kernel_from_inner(A @ B.T, sq_a, sq_b, kernel, degree, gamma, float(coef0))


def check_kernel_name(kernel: str) -> str:
    r"""Return `kernel` if it names a supported kernel, else raise.

    Args:
        kernel: a kernel name.

    Returns:
        kernel: the same name.

    Raises:
        ValueError: if `kernel` is not one of [`KERNELS`][scribbles.classical.svm.kernels.KERNELS].

    Examples:
        >>> check_kernel_name("sigmoid")
        Traceback (most recent call last):
        ...
        ValueError: kernel must be one of ('linear', 'poly', 'rbf'), got 'sigmoid'
    """
    if not isinstance(kernel, str) or kernel not in KERNELS:
        raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
    return kernel


def quadratic_feature_map(X: ArrayLike, gamma: float = 1.0, coef0: float = 1.0) -> Array:
    r"""Explicit feature map of the degree-2 polynomial kernel.

    Expanding the square shows which features the kernel compares:

    $$
    \begin{aligned}
    (\gamma\, x^\top z + r)^2
    &= \sum_{i} (\gamma x_i^2)(\gamma z_i^2)
    + \sum_{i<j} (\sqrt{2}\gamma x_i x_j)(\sqrt{2}\gamma z_i z_j) \\
    &\quad + \sum_i (\sqrt{2 r \gamma}\, x_i)(\sqrt{2 r \gamma}\, z_i) + r^2,
    \end{aligned}
    $$

    so $\phi(x) = \big(\gamma x_i^2,\ \sqrt{2}\gamma x_i x_j\ (i<j),\
    \sqrt{2r\gamma}\,x_i,\ r\big)$ has $d(d+3)/2 + 1$ coordinates and
    $\phi(x)^\top\phi(z) = (\gamma x^\top z + r)^2$.

    Args:
        X: samples, shape (n, d).
        gamma: the scale $\gamma > 0$.
        coef0: the offset $r \ge 0$ (its square root is taken).

    Returns:
        features: shape (n, d(d+3)/2 + 1).

    Raises:
        ValueError: if `X` is malformed, `gamma <= 0` or `coef0 < 0`.

    Examples:
        >>> phi = quadratic_feature_map([[1.0, 2.0], [3.0, -1.0]])
        >>> phi.shape
        (2, 6)
        >>> float(phi[0] @ phi[1]), float(polynomial_kernel([[1.0, 2.0]], [[3.0, -1.0]],
        ...     degree=2, gamma=1.0, coef0=1.0)[0, 0])
        (4.0, 4.0)
    """
    A = _as_matrix("X", X)
    gamma = _check_gamma(gamma)
    if not coef0 >= 0:
        raise ValueError(f"coef0 must be >= 0 for a real feature map, got {coef0}")
    n, d = A.shape
    upper_i, upper_j = np.triu_indices(d, k=1)
    squares = gamma * A**2  # (n, d)
    cross = math.sqrt(2.0) * gamma * A[:, upper_i] * A[:, upper_j]  # (n, d(d-1)/2)
    linear = math.sqrt(2.0 * coef0 * gamma) * A  # (n, d)
    constant = np.full((n, 1), float(coef0))  # (n, 1)
    return np.hstack([squares, cross, linear, constant])


def rbf_taylor_features(x: ArrayLike, gamma: float = 1.0, n_terms: int = 10) -> Array:
    r"""First `n_terms` coordinates of the RBF kernel's infinite feature map, for scalars.

    Writing $\lVert x - z\rVert^2 = x^2 + z^2 - 2xz$ and expanding the last exponential
    as a power series,

    $$
    \begin{aligned}
    e^{-\gamma (x - z)^2} &= e^{-\gamma x^2} e^{-\gamma z^2}
    \sum_{k=0}^{\infty} \frac{(2\gamma)^k}{k!} x^k z^k
    = \sum_{k=0}^{\infty} \phi_k(x)\,\phi_k(z), \\
    \phi_k(x) &= e^{-\gamma x^2} \sqrt{\tfrac{(2\gamma)^k}{k!}}\; x^k .
    \end{aligned}
    $$

    The RBF kernel is an inner product of infinitely many features; keeping the first
    `n_terms` gives a kernel that converges to it as `n_terms` grows.

    Args:
        x: scalar samples, shape (n,).
        gamma: the inverse squared length scale $\gamma > 0$.
        n_terms: how many coordinates $\phi_0, \dots, \phi_{n\_terms-1}$ to keep, >= 1.

    Returns:
        features: shape (n, n_terms).

    Raises:
        ValueError: if `x` is not 1-D and finite, `gamma <= 0` or `n_terms < 1`.

    Examples:
        >>> phi = rbf_taylor_features([0.3, -0.5], gamma=1.0, n_terms=20)
        >>> round(float(phi[0] @ phi[1]), 6), round(float(np.exp(-0.8**2)), 6)
        (0.527292, 0.527292)
    """
    values = np.asarray(x, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"x must be 1-D (n,), got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        raise ValueError("x must be finite; it holds NaN or infinite values")
    gamma = _check_gamma(gamma)
    if isinstance(n_terms, bool) or not isinstance(n_terms, int | np.integer) or n_terms < 1:
        raise ValueError(f"n_terms must be an int >= 1, got {n_terms!r}")
    k = np.arange(n_terms)  # (K,)
    # log of sqrt((2γ)^k / k!), computed in logs so that large k does not overflow
    log_scale = 0.5 * (k * math.log(2.0 * gamma) - np.array([math.lgamma(i + 1) for i in k]))
    powers = values[:, None] ** k[None, :]  # (n, K)
    return np.exp(-gamma * values**2)[:, None] * np.exp(log_scale)[None, :] * powers


class KernelRowCache:
    r"""Rows of a training set's kernel matrix, computed when first asked for and kept.

    The SMO solver touches two rows of $K_{ij} = k(x_i, x_j)$ per step, and usually far
    fewer than $n$ distinct rows in all, so it asks for rows one at a time, as LIBSVM's
    kernel cache does (here without LIBSVM's memory limit). Squared norms are computed
    once. The caller validates the inputs (this sits in the solver's inner loop).

    Args:
        X: training samples, shape (n, d), finite.
        kernel: one of [`KERNELS`][scribbles.classical.svm.kernels.KERNELS].
        degree: the polynomial degree.
        gamma: the kernel scale, a number > 0.
        coef0: the polynomial offset.

    Raises:
        ValueError: if `kernel` is unknown.

    Examples:
        >>> rows = KernelRowCache(np.array([[0.0], [1.0]]), "rbf", 3, 1.0, 0.0)
        >>> rows(1).round(4), rows.diagonal(), rows.n_computed
        (array([0.3679, 1.    ]), array([1., 1.]), 1)
    """

    def __init__(self, X: Array, kernel: str, degree: int, gamma: float, coef0: float) -> None:
        self.X = X
        self.kernel = check_kernel_name(kernel)
        self.degree, self.gamma, self.coef0 = int(degree), float(gamma), float(coef0)
        self.squared_norms = np.einsum("ij,ij->i", X, X)  # (n,)
        self._rows: dict[int, Array] = {}

    @property
    def n_computed(self) -> int:
        """How many distinct rows have been computed so far."""
        return len(self._rows)

    def __call__(self, i: int) -> Array:
        """Return row `i` of the kernel matrix, shape (n,)."""
        row = self._rows.get(i)
        if row is None:
            inner = (self.X @ self.X[i])[None, :]  # (1, n)
            row = _kernel_from_inner(
                inner,
                self.squared_norms[i : i + 1],
                self.squared_norms,
                self.kernel,
                self.degree,
                self.gamma,
                self.coef0,
            )[0]
            self._rows[i] = row
        return row

    def diagonal(self) -> Array:
        """Return $K_{ii}$ for every training sample, shape (n,)."""
        if self.kernel == "rbf":
            return np.ones(self.X.shape[0])  # k(x, x) = e^0
        return _kernel_from_inner(
            self.squared_norms,
            self.squared_norms,
            self.squared_norms,
            self.kernel,
            self.degree,
            self.gamma,
            self.coef0,
        )
