r"""Vapnik–Chervonenkis theory: shattering, the VC bound and structural risk minimisation.

A class of classifiers $\mathcal{F}$ *shatters* $n$ points when it realises all $2^n$
labellings of them. Its **VC dimension** $h$ is the largest $n$ it can shatter. For a
classifier chosen from $\mathcal{F}$ by *any* rule, with probability at least $1-\delta$
over the $n$ training points (Vapnik, 1995; Burges, 1998),

$$
R(f) \le R_{\text{emp}}(f) + \sqrt{\frac{h\left(\ln\frac{2n}{h} + 1\right)
- \ln\frac{\delta}{4}}{n}} \quad \text{for every } f \in \mathcal{F}.
$$

This module counts realised labellings with a linear program (so that VC dimensions are
*computed*, not quoted), evaluates the bound, and runs the experiment that compares it
with the measured gap between training and test error for polynomial classifiers of
growing degree, the nested structure of **structural risk minimisation** (SRM).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.polynomial import legendre
from scipy.optimize import linprog
from threadpoolctl import threadpool_limits

from scribbles.book.cache import cached

__all__ = [
    "count_dichotomies",
    "cover_count",
    "dichotomy_counts",
    "even_polynomial_features",
    "is_linearly_separable",
    "least_squares_classifier",
    "noisy_cosine_labels",
    "polynomial_features",
    "sample_size_for_confidence",
    "sauer_bound",
    "scikit_learn_agreement",
    "separating_hyperplane",
    "shatters",
    "srm_experiment",
    "vc_bound",
    "vc_confidence",
    "vc_gap_versus_sample_size",
]


def _as_points(points: np.ndarray, name: str = "points") -> np.ndarray:
    """Return `points` as a finite float array of shape (n, d), or raise naming the problem."""
    array = np.asarray(points, dtype=float)
    if array.ndim != 2 or array.shape[0] == 0:
        raise ValueError(f"{name} must have shape (n, d) with n >= 1, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite, got NaN or infinite entries")
    return array


def separating_hyperplane(
    points: np.ndarray, labels: np.ndarray
) -> tuple[np.ndarray, float] | None:
    r"""Find an affine halfspace that realises a labelling, by linear programming, or None.

    The labelling $y \in \{-1, +1\}^n$ is realised by some $\operatorname{sign}(w^\top x + b)$
    exactly when the linear constraints

    $$
    y_i \left(w^\top x_i + b\right) \ge 1, \qquad i = 1, \dots, n
    $$

    are feasible (scale any strict separator until its smallest margin is 1). HiGHS
    decides feasibility exactly up to its tolerances.

    Args:
        points: the inputs, shape `(n, d)`.
        labels: the labels in $\{-1, +1\}$, shape `(n,)`.

    Returns:
        hyperplane: `(w, b)` with `w` of shape `(d,)`, or `None` when no halfspace puts
            every point on the side of its label.

    Raises:
        ValueError: if the shapes disagree, an entry is not finite or a label is not ±1.

    Examples:
        >>> square = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
        >>> separating_hyperplane(square, np.array([1, 1, -1, -1])) is None  # XOR
        True
        >>> w, b = separating_hyperplane(square, np.array([1, -1, 1, -1]))
        >>> bool(np.all(np.array([1, -1, 1, -1]) * (square @ w + b) >= 1 - 1e-9))
        True
    """
    x = _as_points(points)  # (n, d)
    y = np.asarray(labels)
    if y.shape != (x.shape[0],):
        raise ValueError(f"labels must have shape ({x.shape[0]},) to match points, got {y.shape}")
    if not np.all(np.isin(y, (-1, 1))):
        raise ValueError(f"labels must be -1 or +1, got values {np.unique(y).tolist()}")
    n, d = x.shape
    # Variables (w, b), shape (d + 1,). Constraint -y_i (w·x_i + b) <= -1.
    lifted = np.hstack([x, np.ones((n, 1))])  # (n, d + 1)
    result = linprog(
        c=np.zeros(d + 1),
        A_ub=-y[:, None] * lifted,
        b_ub=-np.ones(n),
        bounds=[(None, None)] * (d + 1),
        method="highs",
    )
    if result.status == 2:  # infeasible: no separating halfspace
        return None
    if result.status != 0:
        raise RuntimeError(f"the linear program did not finish: {result.message}")
    return result.x[:d], float(result.x[d])


def is_linearly_separable(points: np.ndarray, labels: np.ndarray) -> bool:
    r"""Decide whether an affine halfspace realises a labelling.

    Args:
        points: the inputs, shape `(n, d)`.
        labels: the labels in $\{-1, +1\}$, shape `(n,)`.

    Returns:
        separable: True when
            [`separating_hyperplane`][scribbles.learning.vapnik.separating_hyperplane] finds one.

    Raises:
        ValueError: as [`separating_hyperplane`][scribbles.learning.vapnik.separating_hyperplane].

    Examples:
        >>> square = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
        >>> is_linearly_separable(square, np.array([1, 1, -1, -1]))  # XOR
        False
        >>> is_linearly_separable(square, np.array([1, -1, 1, -1]))
        True
    """
    return separating_hyperplane(points, labels) is not None


def count_dichotomies(points: np.ndarray) -> int:
    r"""Count the labellings of `points` that affine halfspaces realise.

    Tries all $2^n$ labellings (one linear program each), so keep $n \le 12$ or so.

    Args:
        points: the inputs, shape `(n, d)`.

    Returns:
        count: the number of $y \in \{-1, +1\}^n$ with `is_linearly_separable(points, y)`.

    Raises:
        ValueError: if `points` is not a finite `(n, d)` array or has more than 16 rows.

    Examples:
        >>> count_dichotomies(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
        8
        >>> count_dichotomies(np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]]))
        14
    """
    x = _as_points(points)
    if x.shape[0] > 16:
        raise ValueError(f"points must have at most 16 rows, got {len(x)} (2^n linear programs)")
    labellings = itertools.product((-1, 1), repeat=x.shape[0])
    return sum(is_linearly_separable(x, np.array(y)) for y in labellings)


def shatters(points: np.ndarray) -> bool:
    r"""Decide whether affine halfspaces shatter `points` (realise all $2^n$ labellings).

    Args:
        points: the inputs, shape `(n, d)`.

    Returns:
        shattered: True when `count_dichotomies(points) == 2 ** n`.

    Raises:
        ValueError: as [`count_dichotomies`][scribbles.learning.vapnik.count_dichotomies].

    Examples:
        >>> shatters(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]))
        True
        >>> shatters(np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]))  # collinear
        False
    """
    x = _as_points(points)
    return count_dichotomies(x) == 2 ** x.shape[0]


def _check_count(value: int, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def cover_count(n: int, d: int) -> int:
    r"""Cover's count of the labellings that affine halfspaces in $\mathbb{R}^d$ realise.

    For $n$ points in general position (Cover, 1965), homogeneous halfspaces in
    $\mathbb{R}^{d+1}$ acting on the lifted points $(x, 1)$ realise

    $$
    C(n, d + 1) = 2 \sum_{k=0}^{d} \binom{n-1}{k}
    $$

    labellings; it equals $2^n$ while $n \le d + 1$, so the VC dimension is $d + 1$.

    Args:
        n: the number of points, at least 1.
        d: the input dimension, at least 0.

    Returns:
        count: the number of realisable labellings.

    Raises:
        TypeError: if an argument is not an int.
        ValueError: if `n < 1` or `d < 0`.

    Examples:
        >>> cover_count(3, 2), cover_count(4, 2), 2 ** 4
        (8, 14, 16)
    """
    n = _check_count(n, "n", 1)
    d = _check_count(d, "d", 0)
    return 2 * sum(math.comb(n - 1, k) for k in range(d + 1))


def sauer_bound(n: int, h: int) -> int:
    r"""Sauer's lemma: the most labellings a class of VC dimension $h$ realises on $n$ points.

    $$
    \Pi(n) \le \sum_{i=0}^{h} \binom{n}{i} \le \left(\frac{e n}{h}\right)^h ,
    $$

    a polynomial in $n$ instead of $2^n$ once $n > h$ (Sauer, 1972).

    Args:
        n: the number of points, at least 1.
        h: the VC dimension, at least 0.

    Returns:
        bound: $\sum_{i=0}^{h} \binom{n}{i}$ (equal to $2^n$ when $n \le h$).

    Raises:
        TypeError: if an argument is not an int.
        ValueError: if `n < 1` or `h < 0`.

    Examples:
        >>> sauer_bound(4, 3), sauer_bound(3, 3)
        (15, 8)
    """
    n = _check_count(n, "n", 1)
    h = _check_count(h, "h", 0)
    return sum(math.comb(n, i) for i in range(min(h, n) + 1))


def vc_confidence(h: int, n: int, delta: float = 0.05) -> float:
    r"""The confidence term of the VC bound: how far test error may exceed training error.

    $$
    \varepsilon(h, n, \delta) = \sqrt{\frac{h\left(\ln\frac{2n}{h} + 1\right)
    - \ln\frac{\delta}{4}}{n}}
    $$

    Args:
        h: the VC dimension of the class, at least 1.
        n: the number of training points, at least `h`.
        delta: the probability that the bound may fail, in (0, 1).

    Returns:
        epsilon: the term (it may exceed 1, where the bound says nothing).

    Raises:
        TypeError: if `h` or `n` is not an int.
        ValueError: if `h < 1`, `n < h` or `delta` is not in (0, 1).

    Examples:
        >>> round(vc_confidence(h=10, n=1000), 3)
        0.26
        >>> round(vc_confidence(h=10, n=100_000), 3)
        0.034
    """
    h = _check_count(h, "h", 1)
    n = _check_count(n, "n", 1)
    if n < h:
        raise ValueError(f"n must be >= h for the VC bound, got n={n} and h={h}")
    if not 0.0 < delta < 1.0:
        raise ValueError(f"delta must be in (0, 1), got {delta}")
    return math.sqrt((h * (math.log(2 * n / h) + 1) - math.log(delta / 4)) / n)


def vc_bound(train_error: float, h: int, n: int, delta: float = 0.05) -> float:
    r"""Vapnik's upper bound on the risk: training error plus the confidence term.

    $$
    R(f) \le R_{\text{emp}}(f) + \varepsilon(h, n, \delta)
    $$

    Args:
        train_error: the empirical 0–1 risk $R_{\text{emp}}(f)$, in [0, 1].
        h: the VC dimension of the class.
        n: the number of training points.
        delta: the failure probability.

    Returns:
        bound: the guaranteed risk (not clipped at 1, so that vacuous bounds show).

    Raises:
        ValueError: if `train_error` is not in [0, 1], or as
            [`vc_confidence`][scribbles.learning.vapnik.vc_confidence].

    Examples:
        >>> round(vc_bound(0.1, h=3, n=1000), 3)
        0.264
    """
    if not 0.0 <= train_error <= 1.0:
        raise ValueError(f"train_error must be in [0, 1], got {train_error}")
    return float(train_error) + vc_confidence(h, n, delta)


def sample_size_for_confidence(h: int, epsilon: float, delta: float = 0.05) -> int:
    r"""The smallest $n$ for which the VC confidence term falls to `epsilon`.

    The term decreases in $n$ for $n \ge h$, so a bisection over $n$ finds
    $\min\{n \ge h : \varepsilon(h, n, \delta) \le \epsilon\}$.

    Args:
        h: the VC dimension, at least 1.
        epsilon: the target gap, in (0, 1).
        delta: the failure probability, in (0, 1).

    Returns:
        n: the number of training points the bound asks for.

    Raises:
        ValueError: if `epsilon` is not in (0, 1), or as
            [`vc_confidence`][scribbles.learning.vapnik.vc_confidence].

    Examples:
        >>> n = sample_size_for_confidence(h=10, epsilon=0.1)
        >>> vc_confidence(10, n) <= 0.1 < vc_confidence(10, n - 1)
        True
    """
    if not 0.0 < epsilon < 1.0:
        raise ValueError(f"epsilon must be in (0, 1), got {epsilon}")
    vc_confidence(h, h, delta)  # validates h and delta
    low, high = h, h
    while vc_confidence(h, high, delta) > epsilon:
        low, high = high, 2 * high
    while low < high:  # invariant: confidence(high) <= epsilon
        middle = (low + high) // 2
        if vc_confidence(h, middle, delta) <= epsilon:
            high = middle
        else:
            low = middle + 1
    return high


@cached
def dichotomy_counts(
    dimensions: Sequence[int] = (1, 2, 3), extra_points: int = 2, seed: int = 0
) -> list[dict[str, int]]:
    r"""Count, by linear programming, the labellings halfspaces realise on random points.

    For each input dimension $d$ and each $n = 1, \dots, d + 1 + $ `extra_points`, draw
    $n$ Gaussian points (in general position with probability one) and count the
    labellings with [`count_dichotomies`][scribbles.learning.vapnik.count_dichotomies], next to
    [`cover_count`][scribbles.learning.vapnik.cover_count],
    [`sauer_bound`][scribbles.learning.vapnik.sauer_bound] with $h = d + 1$, and $2^n$.

    Args:
        dimensions: the input dimensions $d$.
        extra_points: how many sizes beyond the VC dimension $d + 1$.
        seed: seed of the points.

    Returns:
        rows: one dict per $(d, n)$ with keys `d`, `n`, `counted`, `cover`, `sauer`,
            `all`.

    Examples:
        >>> [row["counted"] for row in dichotomy_counts((1,), 1)]
        [2, 4, 6]
    """
    rng = np.random.default_rng(seed)
    rows = []
    for d in dimensions:
        for n in range(1, d + 2 + extra_points):
            points = rng.standard_normal((n, d))  # (n, d)
            rows.append(
                {
                    "d": d,
                    "n": n,
                    "counted": count_dichotomies(points),
                    "cover": cover_count(n, d),
                    "sauer": sauer_bound(n, d + 1),
                    "all": 2**n,
                }
            )
    return rows


def _check_inputs_1d(x: np.ndarray) -> np.ndarray:
    array = np.asarray(x, dtype=float)
    if array.ndim != 1:
        raise ValueError(f"x must be one-dimensional, shape (n,), got shape {array.shape}")
    if np.any(np.abs(array) > 1.0) or not np.all(np.isfinite(array)):
        raise ValueError("x must lie in [-1, 1] (the Legendre basis is built on it)")
    return array


def polynomial_features(x: np.ndarray, degree: int) -> np.ndarray:
    r"""Legendre features $[P_0(x), P_1(x), \dots, P_p(x)]$ of inputs in $[-1, 1]$.

    A halfspace on these features is $\operatorname{sign}$ of a polynomial of degree at
    most $p$; such a class is a $(p + 1)$-dimensional vector space of functions, so its VC
    dimension is $p + 1$ (Dudley's theorem). Legendre polynomials span the same space as
    monomials but keep least squares well conditioned.

    Args:
        x: inputs in $[-1, 1]$, shape `(n,)`.
        degree: the polynomial degree $p \ge 0$.

    Returns:
        features: shape `(n, p + 1)`.

    Raises:
        ValueError: if `x` is not one-dimensional in $[-1, 1]$ or `degree < 0`.

    Examples:
        >>> polynomial_features(np.array([0.0, 1.0]), 2)
        array([[ 1. ,  0. , -0.5],
               [ 1. ,  1. ,  1. ]])
    """
    array = _check_inputs_1d(x)
    degree = _check_count(degree, "degree", 0)
    return legendre.legvander(array, degree)  # (n, p + 1)


def even_polynomial_features(x: np.ndarray, degree: int) -> np.ndarray:
    r"""Even Legendre features $[P_0(x), P_2(x), \dots, P_{2\lfloor p/2 \rfloor}(x)]$.

    The class of $\operatorname{sign}$ of *even* polynomials of degree at most $p$: it
    knows the invariant $f(-x) = f(x)$, and its VC dimension drops to
    $\lfloor p/2 \rfloor + 1$.

    Args:
        x: inputs in $[-1, 1]$, shape `(n,)`.
        degree: the largest degree $p \ge 0$.

    Returns:
        features: shape `(n, floor(p / 2) + 1)`.

    Raises:
        ValueError: as [`polynomial_features`][scribbles.learning.vapnik.polynomial_features].

    Examples:
        >>> even_polynomial_features(np.array([-0.5, 0.5]), 3).round(3)
        array([[ 1.   , -0.125],
               [ 1.   , -0.125]])
    """
    return polynomial_features(x, degree)[:, 0::2]


def least_squares_classifier(features: np.ndarray, labels: np.ndarray) -> np.ndarray:
    r"""Fit least squares to ±1 labels and classify by the sign of the fit.

    $$
    w = \arg\min_w \lVert \Phi w - y \rVert^2, \qquad
    \hat y(x) = \operatorname{sign}\left(\phi(x)^\top w\right).
    $$

    A cheap surrogate for minimising the 0–1 training error (doing that exactly is
    NP-hard for halfspaces in general). The VC bound holds for *every* function of the
    class, so it applies to this learner too.

    Args:
        features: the design matrix $\Phi$, shape `(n, D)`.
        labels: labels in $\{-1, +1\}$, shape `(n,)`.

    Returns:
        weights: $w$, shape `(D,)` (the minimum-norm solution when $n < D$).

    Raises:
        ValueError: if the shapes disagree or the labels are not ±1.

    Examples:
        >>> phi = polynomial_features(np.array([-0.5, 0.5]), 1)
        >>> least_squares_classifier(phi, np.array([-1, 1])).round(6)
        array([0., 2.])
    """
    phi = _as_points(features, "features")
    y = np.asarray(labels)
    if y.shape != (phi.shape[0],):
        raise ValueError(
            f"labels must have shape ({phi.shape[0]},) to match features, got {y.shape}"
        )
    if not np.all(np.isin(y, (-1, 1))):
        raise ValueError(f"labels must be -1 or +1, got values {np.unique(y).tolist()}")
    weights, *_ = np.linalg.lstsq(phi, y.astype(float), rcond=None)
    return weights


def noisy_cosine_labels(
    n: int, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    r"""Draw noisy labels of the even rule $\operatorname{sign}\cos(2.5\pi x)$ on $[-1, 1]$.

    $x \sim U[-1, 1]$ and $y = \operatorname{sign}\cos(2.5\pi x)$, each label flipped
    with probability `noise`.

    The clean rule is even, $f(-x) = f(x)$, and changes sign four times inside
    $(-1, 1)$; the Bayes risk is exactly `noise`.

    Args:
        n: the number of points.
        noise: the label-flip probability, in [0, 0.5).
        rng: a numpy random generator.

    Returns:
        x: inputs, shape `(n,)`.
        y: labels in $\{-1, +1\}$, shape `(n,)`.

    Raises:
        ValueError: if `n < 1` or `noise` is not in [0, 0.5).

    Examples:
        >>> x, y = noisy_cosine_labels(5, 0.0, np.random.default_rng(0))
        >>> bool(np.all(y == np.where(np.cos(2.5 * np.pi * x) >= 0, 1, -1)))
        True
    """
    n = _check_count(n, "n", 1)
    if not 0.0 <= noise < 0.5:
        raise ValueError(f"noise must be in [0, 0.5), got {noise}")
    x = rng.uniform(-1.0, 1.0, size=n)  # (n,)
    clean = np.where(np.cos(2.5 * np.pi * x) >= 0.0, 1, -1)
    flip = rng.random(n) < noise
    return x, np.where(flip, -clean, clean)


def _error(features: np.ndarray, weights: np.ndarray, labels: np.ndarray) -> float:
    """0–1 error of sign(features @ weights); a score of exactly 0 counts as +1."""
    predictions = np.where(features @ weights >= 0.0, 1, -1)
    return float(np.mean(predictions != labels))


def _risk_on_grid(
    phi_grid: np.ndarray, clean_grid: np.ndarray, weights: np.ndarray, noise: float
) -> float:
    r"""The exact risk of sign(phi @ w) under noisy_cosine_labels, up to the grid's resolution.

    With labels flipped with probability $\eta$, $R(f) = \eta + (1 - 2\eta)\,
    P_x(f(x) \ne f^*(x))$; the disagreement probability is a midpoint-rule integral.
    """
    predictions = np.where(phi_grid @ weights >= 0.0, 1, -1)
    return float(noise + (1.0 - 2.0 * noise) * np.mean(predictions != clean_grid))


def _risk_grid(grid_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Midpoints of `grid_size` equal cells of [-1, 1] and the clean labels there."""
    x = -1.0 + (np.arange(grid_size) + 0.5) * (2.0 / grid_size)  # (G,)
    return x, np.where(np.cos(2.5 * np.pi * x) >= 0.0, 1, -1)


def _features(x: np.ndarray, degree: int, even: bool) -> np.ndarray:
    return even_polynomial_features(x, degree) if even else polynomial_features(x, degree)


def _columns(degree: int, even: bool) -> int:
    """How many leading columns of the largest feature matrix make the class of `degree`."""
    return degree // 2 + 1 if even else degree + 1


def _cross_validation_error(phi: np.ndarray, y: np.ndarray, folds: int) -> float:
    """Mean held-out 0–1 error over `folds` contiguous folds (the rows are already random)."""
    errors = []
    for held_out in np.array_split(np.arange(len(y)), folds):
        keep = np.ones(len(y), dtype=bool)
        keep[held_out] = False
        weights = least_squares_classifier(phi[keep], y[keep])
        errors.append(_error(phi[held_out], weights, y[held_out]))
    return float(np.mean(errors))


@cached
def srm_experiment(
    n: int,
    degrees: Sequence[int] = tuple(range(21)),
    noise: float = 0.1,
    repeats: int = 30,
    delta: float = 0.05,
    even: bool = False,
    folds: int = 5,
    grid_size: int = 20_000,
    seed: int = 0,
) -> dict[str, Any]:
    r"""Measure training error, risk and the VC bound for polynomial classifiers of growing degree.

    For each of `repeats` training sets of size `n` from
    [`noisy_cosine_labels`][scribbles.learning.vapnik.noisy_cosine_labels] and each degree $p$, fit
    [`least_squares_classifier`][scribbles.learning.vapnik.least_squares_classifier] on Legendre
    features and record the training error $R_{\text{emp}}$, the risk $R$ (computed
    exactly, since the distribution is known:
    $R = \eta + (1 - 2\eta)\,P_x(f(x) \ne f^*(x))$ on a fine grid), the VC bound with
    $h = p + 1$ (or $\lfloor p/2 \rfloor + 1$ for the even class) and the `folds`-fold
    cross-validation error. Then pick a degree per training set by four rules: smallest
    bound (SRM), smallest cross-validation error, smallest training error (plain
    empirical risk minimisation) and smallest risk (an oracle no learner has).

    Args:
        n: training-set size.
        degrees: the nested structure $S_{p_1} \subset S_{p_2} \subset \dots$, increasing.
        noise: label-flip probability $\eta$ (the Bayes risk).
        repeats: number of independent training sets.
        delta: failure probability of the bound.
        even: use the even-polynomial classes (the invariant $f(-x) = f(x)$).
        folds: folds of the cross-validation rule.
        grid_size: cells of the midpoint rule that computes the risk.
        seed: seed of the generator that draws every training set.

    Returns:
        result: a dict with `degrees` (P,), `vc_dimension` (P,), `train_error`, `risk`,
            `bound`, `cv_error` (each (repeats, P)), `chosen` (rule → (repeats,) chosen
            degrees), `chosen_risk` (rule → (repeats,) risks), `bound_held` (fraction
            of (run, degree) pairs with risk ≤ bound), and the scalars `n`, `noise`,
            `delta`.

    Raises:
        ValueError: if `degrees` is empty or not increasing, or `n` is smaller than the
            largest VC dimension.

    Examples:
        >>> r = srm_experiment(n=200, degrees=(1, 4), repeats=2, grid_size=1000)
        >>> r["train_error"].shape, r["vc_dimension"].tolist()
        ((2, 2), [2, 5])
    """
    degree_array = np.asarray(degrees, dtype=int)
    if degree_array.ndim != 1 or degree_array.size == 0 or np.any(np.diff(degree_array) <= 0):
        raise ValueError(f"degrees must be a non-empty increasing sequence, got {degrees}")
    vc_dimension = np.array([_columns(int(p), even) for p in degree_array])  # (P,)
    if n < vc_dimension.max():
        raise ValueError(f"n must be at least the largest VC dimension {vc_dimension.max()}")
    rng = np.random.default_rng(seed)
    largest = int(degree_array.max())
    x_grid, clean_grid = _risk_grid(grid_size)
    phi_grid_all = _features(x_grid, largest, even)  # (G, D_max)
    shape = (repeats, degree_array.size)
    train_error, risk, bound, cv_error = (np.zeros(shape) for _ in range(4))
    with threadpool_limits(limits=1):  # tiny solves: BLAS threads only add contention
        for run in range(repeats):
            x, y = noisy_cosine_labels(n, noise, rng)
            phi_all = _features(x, largest, even)  # (n, D_max)
            for j, degree in enumerate(degree_array):
                columns = _columns(int(degree), even)
                phi = phi_all[:, :columns]  # nested classes share leading columns
                weights = least_squares_classifier(phi, y)
                train_error[run, j] = _error(phi, weights, y)
                risk[run, j] = _risk_on_grid(phi_grid_all[:, :columns], clean_grid, weights, noise)
                bound[run, j] = vc_bound(train_error[run, j], int(vc_dimension[j]), n, delta)
                cv_error[run, j] = _cross_validation_error(phi, y, folds)
    rows = np.arange(repeats)
    picks = {
        "SRM (smallest VC bound)": bound.argmin(axis=1),
        "cross-validation": cv_error.argmin(axis=1),
        "ERM (smallest training error)": train_error.argmin(axis=1),
        "oracle (smallest risk)": risk.argmin(axis=1),
    }
    return {
        "degrees": degree_array,
        "vc_dimension": vc_dimension,
        "train_error": train_error,
        "risk": risk,
        "bound": bound,
        "cv_error": cv_error,
        "chosen": {rule: degree_array[index] for rule, index in picks.items()},
        "chosen_risk": {rule: risk[rows, index] for rule, index in picks.items()},
        "bound_held": float(np.mean(risk <= bound)),
        "n": n,
        "noise": noise,
        "delta": delta,
    }


@cached
def vc_gap_versus_sample_size(
    sizes: Sequence[int],
    degree: int = 8,
    noise: float = 0.1,
    repeats: int = 100,
    delta: float = 0.05,
    even: bool = False,
    grid_size: int = 20_000,
    seed: int = 1,
) -> dict[str, Any]:
    r"""Measure the gap between risk and training error of one class as the training set grows.

    The "more data" route to generalisation: for a fixed class (degree $p$, VC
    dimension $h$) the measured gap $R - R_{\text{emp}}$ and the VC confidence term
    $\varepsilon(h, n, \delta)$ both shrink as $n$ grows; their ratio says how loose the
    bound is.

    Args:
        sizes: training-set sizes, each at least the VC dimension.
        degree: the polynomial degree $p$.
        noise: label-flip probability.
        repeats: training sets per size.
        delta: failure probability of the bound.
        even: use the even-polynomial class.
        grid_size: cells of the midpoint rule that computes the risk.
        seed: seed of the generator.

    Returns:
        result: a dict with `sizes` (S,), `train_error` and `risk` (each (S, repeats)),
            `confidence` (S,), and the scalars `vc_dimension`, `degree`, `noise`.

    Raises:
        ValueError: if a size is smaller than the VC dimension.

    Examples:
        >>> r = vc_gap_versus_sample_size((50, 100), degree=2, repeats=2, grid_size=1000)
        >>> r["risk"].shape, r["vc_dimension"]
        ((2, 2), 3)
    """
    size_array = np.asarray(sizes, dtype=int)
    h = _columns(degree, even)
    if size_array.ndim != 1 or size_array.size == 0 or size_array.min() < h:
        raise ValueError(f"sizes must be a non-empty sequence of values >= h = {h}, got {sizes}")
    rng = np.random.default_rng(seed)
    x_grid, clean_grid = _risk_grid(grid_size)
    phi_grid = _features(x_grid, degree, even)  # (G, D)
    train_error = np.zeros((size_array.size, repeats))
    risk = np.zeros_like(train_error)
    with threadpool_limits(limits=1):
        for i, n in enumerate(size_array):
            for run in range(repeats):
                x, y = noisy_cosine_labels(int(n), noise, rng)
                phi = _features(x, degree, even)
                weights = least_squares_classifier(phi, y)
                train_error[i, run] = _error(phi, weights, y)
                risk[i, run] = _risk_on_grid(phi_grid, clean_grid, weights, noise)
    confidence = np.array([vc_confidence(h, int(n), delta) for n in size_array])
    return {
        "sizes": size_array,
        "train_error": train_error,
        "risk": risk,
        "confidence": confidence,
        "vc_dimension": h,
        "degree": degree,
        "noise": noise,
    }


@cached
def scikit_learn_agreement(trials: int = 20, seed: int = 0) -> list[dict[str, Any]]:
    r"""Compare this module's two fitted objects with scikit-learn's on the same data.

    - **Separability**: on `trials` random point sets labelled by a random line with a
      margin of at least 0.2, and on XOR, does
      [`is_linearly_separable`][scribbles.learning.vapnik.is_linearly_separable] agree with "a
      linear `SVC(C=1000)` fits every training label"?
    - **Least squares**: the largest difference between the weights of
      [`least_squares_classifier`][scribbles.learning.vapnik.least_squares_classifier] and those of
      `LinearRegression(fit_intercept=False)` on degree-9 Legendre features.

    Args:
        trials: random labelled point sets for the separability check.
        seed: seed of the data.

    Returns:
        rows: dicts with `check`, `reference`, `cases` and `result` (the fraction of
            agreeing cases, or the largest absolute difference).

    Examples:
        >>> rows = scikit_learn_agreement(trials=3)
        >>> rows[0]["result"], rows[1]["result"] < 1e-9
        (1.0, True)
    """
    from sklearn.linear_model import LinearRegression
    from sklearn.svm import SVC

    with threadpool_limits(limits=1):
        rng = np.random.default_rng(seed)
        agreements = []
        for _ in range(trials):
            normal, offset = rng.standard_normal(2), rng.standard_normal()
            points = rng.standard_normal((40, 2))
            score = (points @ normal + offset) / np.linalg.norm(normal)
            points, score = points[np.abs(score) > 0.2], score[np.abs(score) > 0.2]
            labels = np.where(score > 0, 1, -1)
            if np.unique(labels).size == 1:  # one class only: nothing to separate
                continue
            svm_fits = bool(
                np.all(SVC(kernel="linear", C=1e3).fit(points, labels).predict(points) == labels)
            )
            agreements.append(is_linearly_separable(points, labels) == svm_fits)
        xor = np.array([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 0.0]])
        xor_labels = np.array([1, 1, -1, -1])
        svm_fits = bool(
            np.all(SVC(kernel="linear", C=1e3).fit(xor, xor_labels).predict(xor) == xor_labels)
        )
        agreements.append(is_linearly_separable(xor, xor_labels) == svm_fits)
        x, y = noisy_cosine_labels(300, 0.1, rng)
        phi = polynomial_features(x, 9)
        reference = LinearRegression(fit_intercept=False).fit(phi, y).coef_
        return [
            {
                "check": "linearly separable?",
                "reference": "sklearn.svm.SVC(kernel='linear', C=1000) fits all labels",
                "cases": len(agreements),
                "result": float(np.mean(agreements)),
            },
            {
                "check": "least-squares weights",
                "reference": "sklearn.linear_model.LinearRegression(fit_intercept=False)",
                "cases": 1,
                "result": float(np.abs(least_squares_classifier(phi, y) - reference).max()),
            },
        ]
