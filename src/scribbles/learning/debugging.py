r"""Debugging a learning algorithm: learning curves and the bias–variance diagnosis.

A **learning curve** plots the training error and the validation error of a model
against the number of training examples $m$. Read at the largest $m$:

- **high variance** (overfitting): training error far below validation error, and the
  gap closes slowly as $m$ grows;
- **high bias** (underfitting): both errors high and close together; more data does not
  bring them down.

Each remedy in Andrew Ng's diagnosis table fixes one of the two. The expected squared
error of a regression fit decomposes (Geman et al., 1992) as

$$
\mathbb{E}\left[(\hat f(x) - y)^2\right] = \underbrace{\left(\mathbb{E}\hat f(x)
- f(x)\right)^2}_{\text{bias}^2} + \underbrace{\operatorname{Var} \hat f(x)}_{\text{variance}}
+ \sigma^2 .
$$

[`learning_curve`][scribbles.learning.debugging.learning_curve] is our own and works with any
estimator that has `fit` and `predict`; the tests check it against scikit-learn's.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.polynomial import legendre
from threadpoolctl import threadpool_limits

from scribbles.book.cache import cached

__all__ = [
    "DIAGNOSIS_REMEDIES",
    "Estimator",
    "LearningCurve",
    "PolynomialRidge",
    "bias_variance_decomposition",
    "diagnose",
    "diagnosis_experiment",
    "learning_curve",
    "learning_curve_experiment",
    "mean_squared_error",
    "noisy_sine",
    "remedy_verdict",
    "scikit_learn_agreement",
    "shuffle_splits",
]


class Estimator(Protocol):
    """Anything with scikit-learn's `fit(X, y)` and `predict(X)`, e.g. a `Pipeline`."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> Any:
        """Fit to inputs `X` of shape `(m, d)` and targets `y` of shape `(m,)`."""

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predict targets of shape `(m,)` for inputs `X` of shape `(m, d)`."""


def mean_squared_error(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    r"""The mean squared error $\frac{1}{m}\sum_i (y_i - \hat y_i)^2$.

    Args:
        y_true: targets, shape `(m,)`.
        y_pred: predictions, shape `(m,)`.

    Returns:
        mse: a non-negative float.

    Raises:
        ValueError: if the shapes differ or are empty.

    Examples:
        >>> mean_squared_error(np.array([0.0, 1.0]), np.array([0.0, 3.0]))
        2.0
    """
    true, pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    if true.shape != pred.shape or true.size == 0:
        raise ValueError(
            f"y_true and y_pred must have the same non-empty shape, got {true.shape} "
            f"and {pred.shape}"
        )
    return float(np.mean((true - pred) ** 2))


def noisy_sine(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    r"""Draw $x \sim U[0, 1]$ and $y = \sin(2\pi x) + \epsilon$ with Gaussian noise.

    $$
    y = \sin(2\pi x) + \epsilon, \qquad \epsilon \sim \mathcal{N}(0, \sigma^2).
    $$

    Args:
        n: the number of points, at least 1.
        noise: the noise standard deviation $\sigma \ge 0$; $\sigma^2$ is the smallest
            expected squared error any model can reach.
        rng: a numpy random generator.

    Returns:
        X: inputs, shape `(n, 1)`.
        y: targets, shape `(n,)`.

    Raises:
        ValueError: if `n < 1` or `noise < 0`.

    Examples:
        >>> X, y = noisy_sine(3, 0.0, np.random.default_rng(0))
        >>> X.shape, bool(np.allclose(y, np.sin(2 * np.pi * X[:, 0])))
        ((3, 1), True)
    """
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    x = rng.uniform(0.0, 1.0, size=n)  # (n,)
    return x[:, None], np.sin(2 * np.pi * x) + noise * rng.standard_normal(n)


class PolynomialRidge:
    r"""Polynomial ridge regression on one input in $[0, 1]$, with an unpenalised intercept.

    Features are Legendre polynomials $P_1, \dots, P_p$ of $t = 2x - 1$ (the same space as
    the monomials $x, \dots, x^p$, better conditioned). With centred features $\Phi_c$ and
    centred targets $y_c$,

    $$
    w = \left(\Phi_c^\top \Phi_c + \alpha I\right)^{-1} \Phi_c^\top y_c, \qquad
    b = \bar y - \bar\phi^\top w,
    $$

    which is scikit-learn's `Ridge(alpha)` on the same features.

    Args:
        degree: the polynomial degree $p \ge 0$ (the number of features).
        alpha: the ridge penalty $\alpha \ge 0$.

    Attributes:
        coef_: $w$, shape `(p,)`.
        intercept_: $b$.

    Raises:
        ValueError: if `degree < 0` or `alpha < 0`.

    Examples:
        >>> X = np.linspace(0, 1, 5)[:, None]
        >>> model = PolynomialRidge(degree=2, alpha=0.0).fit(X, 3 * X[:, 0] ** 2)
        >>> model.predict(np.array([[0.5]])).round(6)
        array([0.75])
    """

    def __init__(self, degree: int = 1, alpha: float = 0.0) -> None:
        if isinstance(degree, bool) or not isinstance(degree, int | np.integer) or degree < 0:
            raise ValueError(f"degree must be an int >= 0, got {degree!r}")
        if not alpha >= 0:
            raise ValueError(f"alpha must be >= 0, got {alpha!r}")
        self.degree = int(degree)
        self.alpha = float(alpha)

    def __repr__(self) -> str:
        return f"PolynomialRidge(degree={self.degree}, alpha={self.alpha:g})"

    def features(self, X: np.ndarray) -> np.ndarray:
        r"""Legendre features $[P_1(2x - 1), \dots, P_p(2x - 1)]$, shape `(m, p)`.

        Args:
            X: inputs, shape `(m, 1)`.

        Returns:
            features: shape `(m, p)`.

        Raises:
            ValueError: if `X` is not a finite `(m, 1)` array.
        """
        x = np.asarray(X, dtype=float)
        if x.ndim != 2 or x.shape[1] != 1:
            raise ValueError(f"X must have shape (m, 1), got {x.shape}")
        if not np.all(np.isfinite(x)):
            raise ValueError("X must be finite, got NaN or infinite entries")
        return legendre.legvander(2.0 * x[:, 0] - 1.0, self.degree)[:, 1:]  # (m, p)

    def fit(self, X: np.ndarray, y: np.ndarray) -> PolynomialRidge:
        """Fit the weights and the intercept; return `self`.

        Args:
            X: inputs, shape `(m, 1)`.
            y: targets, shape `(m,)`.

        Returns:
            self: the fitted model.

        Raises:
            ValueError: if the shapes disagree or an entry is not finite.
        """
        phi = self.features(X)  # (m, p)
        target = np.asarray(y, dtype=float)
        if target.shape != (phi.shape[0],):
            raise ValueError(f"y must have shape ({phi.shape[0]},) to match X, got {target.shape}")
        if not np.all(np.isfinite(target)):
            raise ValueError("y must be finite, got NaN or infinite entries")
        phi_mean, y_mean = phi.mean(axis=0), target.mean()  # (p,), ()
        centred = phi - phi_mean  # (m, p)
        gram = centred.T @ centred + self.alpha * np.eye(self.degree)  # (p, p)
        # lstsq also covers the singular case alpha = 0 with fewer points than features.
        self.coef_ = np.linalg.lstsq(gram, centred.T @ (target - y_mean), rcond=None)[0]
        self.intercept_ = float(y_mean - phi_mean @ self.coef_)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        r"""Predict $\Phi w + b$, shape `(m,)`.

        Args:
            X: inputs, shape `(m, 1)`.

        Returns:
            predictions: shape `(m,)`.

        Raises:
            RuntimeError: if the model has not been fitted.
        """
        if not hasattr(self, "coef_"):
            raise RuntimeError("PolynomialRidge is not fitted yet; call fit(X, y) first")
        return self.features(X) @ self.coef_ + self.intercept_


def shuffle_splits(
    n_samples: int, n_splits: int, validation_size: int, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    r"""Random train/validation splits: each a fresh permutation cut in two.

    Args:
        n_samples: size of the data set.
        n_splits: how many splits.
        validation_size: validation points per split, in `[1, n_samples - 1]`.
        seed: seed of the permutations.

    Returns:
        splits: `n_splits` pairs `(train_indices, validation_indices)`, shapes
            `(n_samples - validation_size,)` and `(validation_size,)`.

    Raises:
        ValueError: if a size is out of range.

    Examples:
        >>> [(len(t), len(v)) for t, v in shuffle_splits(10, 2, 3)]
        [(7, 3), (7, 3)]
    """
    if n_splits < 1:
        raise ValueError(f"n_splits must be >= 1, got {n_splits}")
    if not 1 <= validation_size < n_samples:
        raise ValueError(
            f"validation_size must be in [1, n_samples - 1] = [1, {n_samples - 1}], "
            f"got {validation_size}"
        )
    rng = np.random.default_rng(seed)
    splits = []
    for _ in range(n_splits):
        order = rng.permutation(n_samples)
        splits.append((order[validation_size:], order[:validation_size]))
    return splits


@dataclass(frozen=True)
class LearningCurve:
    """Training and validation errors for growing training sets.

    Attributes:
        train_sizes: the numbers of training examples, shape `(S,)`.
        train_errors: loss on the examples fitted, shape `(S, K)` (K splits).
        validation_errors: loss on each split's validation set, shape `(S, K)`.
    """

    train_sizes: np.ndarray
    train_errors: np.ndarray
    validation_errors: np.ndarray

    @property
    def train_mean(self) -> np.ndarray:
        """Mean training error over the splits, shape `(S,)`."""
        return self.train_errors.mean(axis=1)

    @property
    def validation_mean(self) -> np.ndarray:
        """Mean validation error over the splits, shape `(S,)`."""
        return self.validation_errors.mean(axis=1)


def _absolute_sizes(train_sizes: Sequence[int] | Sequence[float], largest: int) -> np.ndarray:
    """Fractions in (0, 1] become `int(fraction * largest)` (at least 1), as in scikit-learn."""
    sizes = np.asarray(train_sizes)
    if sizes.ndim != 1 or sizes.size == 0:
        raise ValueError(f"train_sizes must be a non-empty 1-D sequence, got {train_sizes!r}")
    if np.issubdtype(sizes.dtype, np.floating):
        if sizes.min() <= 0.0 or sizes.max() > 1.0:
            raise ValueError(
                f"train_sizes given as floats are fractions and must lie in (0, 1], got "
                f"values in [{sizes.min()}, {sizes.max()}]"
            )
        sizes = np.clip((sizes * largest).astype(int), 1, largest)
    elif np.issubdtype(sizes.dtype, np.integer):
        if sizes.min() < 1 or sizes.max() > largest:
            raise ValueError(
                f"train_sizes given as ints must lie in [1, {largest}] (the smallest training "
                f"set of the splits), got values in [{sizes.min()}, {sizes.max()}]"
            )
    else:
        raise TypeError(f"train_sizes must hold ints or floats, got dtype {sizes.dtype}")
    if np.unique(sizes).size != sizes.size:
        raise ValueError(f"train_sizes repeat a size once made absolute: {sizes.tolist()}")
    return np.sort(sizes)


def learning_curve(
    estimator: Estimator,
    X: np.ndarray,
    y: np.ndarray,
    train_sizes: Sequence[int] | Sequence[float],
    splits: Sequence[tuple[np.ndarray, np.ndarray]],
    loss: Callable[[np.ndarray, np.ndarray], float] = mean_squared_error,
) -> LearningCurve:
    r"""Training and validation error of `estimator` for growing training sets.

    For every split $k$ and every size $m$, a fresh copy of the estimator is fitted to
    the *first* $m$ training indices of the split, then

    $$
    E_{\text{train}}(m, k) = \operatorname{loss}(y_{T_k[:m]}, \hat y_{T_k[:m]}), \qquad
    E_{\text{val}}(m, k) = \operatorname{loss}(y_{V_k}, \hat y_{V_k}).
    $$

    These are scikit-learn's `learning_curve(..., cv=splits, shuffle=False)` semantics
    (it reports *scores*, higher is better; we report *losses*).

    Args:
        estimator: an unfitted model with `fit(X, y)` and `predict(X)`; it is deep-copied
            before every fit.
        X: inputs, shape `(n, d)`.
        y: targets, shape `(n,)`.
        train_sizes: ints (numbers of examples) or floats in (0, 1] (fractions of the
            smallest training set among the splits).
        splits: pairs `(train_indices, validation_indices)`.
        loss: `loss(y_true, y_pred) -> float`, default the mean squared error.

    Returns:
        curve: a [`LearningCurve`][scribbles.learning.debugging.LearningCurve] with errors of
            shape `(S, K)` for S sizes and K splits.

    Raises:
        ValueError: if `X` and `y` disagree, `splits` is empty, an index is out of range,
            or a size is out of range or repeated.
        TypeError: if `estimator` lacks `fit` or `predict`.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> X, y = noisy_sine(60, 0.1, rng)
        >>> curve = learning_curve(PolynomialRidge(3), X, y, [10, 40], shuffle_splits(60, 3, 20))
        >>> curve.train_errors.shape, bool(curve.validation_mean[1] < curve.validation_mean[0])
        ((2, 3), True)
    """
    if not (hasattr(estimator, "fit") and hasattr(estimator, "predict")):
        raise TypeError(
            f"estimator must have fit and predict methods, got {type(estimator).__name__}"
        )
    features, targets = np.asarray(X), np.asarray(y)
    if features.ndim != 2 or targets.shape != (features.shape[0],):
        raise ValueError(
            f"X must have shape (n, d) and y shape (n,), got {features.shape} and {targets.shape}"
        )
    pairs = [(np.asarray(train), np.asarray(validation)) for train, validation in splits]
    if not pairs:
        raise ValueError("splits must hold at least one (train, validation) pair")
    for train, validation in pairs:
        for name, index in (("train", train), ("validation", validation)):
            if index.size == 0 or index.min() < 0 or index.max() >= len(targets):
                raise ValueError(f"{name} indices must be non-empty and in [0, {len(targets) - 1}]")
    sizes = _absolute_sizes(train_sizes, min(len(train) for train, _ in pairs))
    train_errors = np.zeros((sizes.size, len(pairs)))
    validation_errors = np.zeros_like(train_errors)
    for k, (train, validation) in enumerate(pairs):
        for s, size in enumerate(sizes):
            subset = train[:size]
            model = copy.deepcopy(estimator).fit(features[subset], targets[subset])
            train_errors[s, k] = loss(targets[subset], model.predict(features[subset]))
            validation_errors[s, k] = loss(targets[validation], model.predict(features[validation]))
    return LearningCurve(sizes, train_errors, validation_errors)


def diagnose(
    train_error: float, validation_error: float, target_error: float, gap_tolerance: float
) -> str:
    r"""Name the problem a learning curve shows, with Andrew Ng's two tests.

    - **high bias**: the training error is already above the error we want,
      $E_{\text{train}} > E_{\text{target}}$ (the model cannot even fit what it sees);
    - **high variance**: the validation error exceeds the training error by more than
      the tolerance, $E_{\text{val}} - E_{\text{train}} > \tau$.

    Args:
        train_error: training error at the largest training set.
        validation_error: validation error there.
        target_error: the error we would accept.
        gap_tolerance: the largest acceptable gap $\tau \ge 0$.

    Returns:
        diagnosis: `"high bias"`, `"high variance"`, `"high bias and high variance"` or
            `"acceptable"`.

    Raises:
        ValueError: if `gap_tolerance < 0`.

    Examples:
        >>> diagnose(0.01, 0.30, target_error=0.1, gap_tolerance=0.05)
        'high variance'
        >>> diagnose(0.25, 0.27, target_error=0.1, gap_tolerance=0.05)
        'high bias'
    """
    if gap_tolerance < 0:
        raise ValueError(f"gap_tolerance must be >= 0, got {gap_tolerance}")
    bias = train_error > target_error
    variance = validation_error - train_error > gap_tolerance
    if bias and variance:
        return "high bias and high variance"
    if bias:
        return "high bias"
    if variance:
        return "high variance"
    return "acceptable"


@cached
def learning_curve_experiment(
    models: Sequence[tuple[int, float]] = ((15, 1e-3), (1, 1e-3)),
    train_sizes: Sequence[int] = (16, 20, 25, 30, 40, 60, 80, 120, 200, 300),
    noise: float = 0.3,
    n_samples: int = 1300,
    validation_size: int = 1000,
    n_splits: int = 30,
    seed: int = 0,
) -> dict[str, Any]:
    r"""Learning curves of polynomial ridge models on one noisy-sine data set.

    Args:
        models: `(degree, alpha)` of each
            [`PolynomialRidge`][scribbles.learning.debugging.PolynomialRidge].
        train_sizes: numbers of training examples.
        noise: noise standard deviation $\sigma$ of
            [`noisy_sine`][scribbles.learning.debugging.noisy_sine].
        n_samples: size of the data set.
        validation_size: validation points in each split.
        n_splits: random splits to average over.
        seed: seed of the data and of the splits.

    Returns:
        result: a dict with `train_sizes` (S,), `curves` (a list, per model, of dicts
            with `degree`, `alpha`, `train_errors` and `validation_errors`, each
            (S, n_splits)) and `noise_variance` ($\sigma^2$, the floor).

    Examples:
        >>> r = learning_curve_experiment(((1, 0.0),), (5, 10), 0.1, 40, 20, 2)
        >>> r["curves"][0]["train_errors"].shape
        (2, 2)
    """
    rng = np.random.default_rng(seed)
    X, y = noisy_sine(n_samples, noise, rng)
    splits = shuffle_splits(n_samples, n_splits, validation_size, seed=seed)
    curves = []
    with threadpool_limits(limits=1):
        for degree, alpha in models:
            curve = learning_curve(PolynomialRidge(degree, alpha), X, y, list(train_sizes), splits)
            curves.append(
                {
                    "degree": degree,
                    "alpha": alpha,
                    "train_errors": curve.train_errors,
                    "validation_errors": curve.validation_errors,
                }
            )
    return {
        "train_sizes": np.asarray(train_sizes),
        "curves": curves,
        "noise_variance": noise**2,
    }


DIAGNOSIS_REMEDIES: dict[str, str] = {
    "get more training examples": "high variance",
    "try a smaller set of features": "high variance",
    "try a larger set of features": "high bias",
    "increase the regularisation α": "high variance",
    "decrease the regularisation α": "high bias",
}
"""Andrew Ng's diagnosis table: each remedy and the problem it is meant to fix."""


def remedy_verdict(before: float, after: float, floor: float) -> str:
    r"""Say what a remedy did to the validation error, measured above the noise floor.

    With the *excess* error $e = E_{\text{val}} - \sigma^2$ (what a model can still
    remove), a remedy **fixes** the problem when it at least halves the excess,
    **makes it worse** when it raises the excess by more than 10 %, and otherwise has
    **little effect**.

    Args:
        before: validation error before the remedy.
        after: validation error after it.
        floor: the irreducible error $\sigma^2$.

    Returns:
        verdict: `"fixes it"`, `"makes it worse"` or `"little effect"`.

    Raises:
        ValueError: if `before` is not above `floor`.

    Examples:
        >>> remedy_verdict(before=1.0, after=0.2, floor=0.1)
        'fixes it'
        >>> remedy_verdict(before=0.3, after=0.29, floor=0.1)
        'little effect'
    """
    if not before > floor:
        raise ValueError(f"before must exceed the floor {floor}, got {before}")
    ratio = (after - floor) / (before - floor)
    if ratio <= 0.5:
        return "fixes it"
    if ratio > 1.1:
        return "makes it worse"
    return "little effect"


def _apply_remedy(remedy: str, degree: int, alpha: float, size: int) -> tuple[int, float, int]:
    """The (degree, alpha, training-set size) after one remedy of DIAGNOSIS_REMEDIES."""
    if remedy == "get more training examples":
        return degree, alpha, 10 * size
    if remedy == "try a smaller set of features":
        return max(degree // 3, 0), alpha, size
    if remedy == "try a larger set of features":
        return max(3 * degree, 5), alpha, size
    if remedy == "increase the regularisation α":
        return degree, alpha * 1e2, size
    if remedy == "decrease the regularisation α":
        return degree, alpha * 1e-2, size
    raise ValueError(f"remedy must be one of {list(DIAGNOSIS_REMEDIES)}, got {remedy!r}")


@cached
def diagnosis_experiment(
    models: dict[str, tuple[int, float]] | None = None,
    size: int = 30,
    noise: float = 0.3,
    validation_size: int = 2000,
    n_splits: int = 40,
    seed: int = 0,
) -> dict[str, Any]:
    r"""Apply every remedy of the diagnosis table to every model and measure what it does.

    Each model (a `(degree, alpha)` pair) is trained on `size` noisy-sine examples;
    each remedy changes one thing (10× the examples, a third or three times the
    polynomial degree, α × 100 or α / 100). Training and validation errors are averaged
    over `n_splits` random splits of one data set, with the same splits before and after.

    Args:
        models: name → `(degree, alpha)`; default a high-variance model (degree 15,
            α = 10⁻³), a high-bias model (degree 1) and an over-regularised one (degree
            15, α = 10).
        size: training examples before the remedy.
        noise: noise standard deviation $\sigma$.
        validation_size: validation points in each split.
        n_splits: random splits.
        seed: seed of the data and the splits.

    Returns:
        result: a dict with `models` (name → (degree, alpha)), `remedies` (the keys of
            `DIAGNOSIS_REMEDIES`), `before` (name → (train, validation) mean errors),
            `after` (remedy → name → (train, validation, degree, alpha, size)) and
            `noise_variance`.

    Examples:
        >>> r = diagnosis_experiment({"line": (1, 1e-3)}, 10, 0.3, 50, 2)
        >>> sorted(r["after"]) == sorted(DIAGNOSIS_REMEDIES)
        True
    """
    if models is None:
        models = {
            "high variance (degree 15, α = 0.001)": (15, 1e-3),
            "high bias (degree 1)": (1, 1e-3),
            "high bias (degree 15, α = 10)": (15, 10.0),
        }
    rng = np.random.default_rng(seed)
    n_samples = 10 * size + validation_size
    X, y = noisy_sine(n_samples, noise, rng)
    splits = shuffle_splits(n_samples, n_splits, validation_size, seed=seed)

    def errors(degree: int, alpha: float, m: int) -> tuple[float, float]:
        curve = learning_curve(PolynomialRidge(degree, alpha), X, y, [m], splits)
        return float(curve.train_mean[0]), float(curve.validation_mean[0])

    before: dict[str, tuple[float, float]] = {}
    after: dict[str, dict[str, tuple[float, float, int, float, int]]] = {}
    with threadpool_limits(limits=1):
        for name, (degree, alpha) in models.items():
            before[name] = errors(degree, alpha, size)
        for remedy in DIAGNOSIS_REMEDIES:
            after[remedy] = {}
            for name, (degree, alpha) in models.items():
                new_degree, new_alpha, new_size = _apply_remedy(remedy, degree, alpha, size)
                train, validation = errors(new_degree, new_alpha, new_size)
                after[remedy][name] = (train, validation, new_degree, new_alpha, new_size)
    return {
        "models": dict(models),
        "remedies": list(DIAGNOSIS_REMEDIES),
        "before": before,
        "after": after,
        "noise_variance": noise**2,
    }


@cached
def bias_variance_decomposition(
    degrees: Sequence[int] = tuple(range(16)),
    alpha: float = 1e-3,
    size: int = 30,
    noise: float = 0.3,
    repeats: int = 200,
    grid_size: int = 500,
    seed: int = 0,
) -> dict[str, np.ndarray | float]:
    r"""Estimate bias², variance and expected error of polynomial ridge fits by resampling.

    Fit `repeats` models, each on a fresh training set of `size` points, and evaluate
    them on a grid of `grid_size` inputs in $[0, 1]$:

    $$
    \begin{aligned}
    \text{bias}^2 &= \overline{\left(\bar f(x) - f(x)\right)^2}, \\
    \text{variance} &= \overline{\tfrac{1}{R}\textstyle\sum_r
    \left(\hat f_r(x) - \bar f(x)\right)^2}, \\
    \text{error} &= \text{bias}^2 + \text{variance} + \sigma^2,
    \end{aligned}
    $$

    with $\bar f$ the average fit and the overline an average over the grid (uniform
    $x$, as in the data).

    Args:
        degrees: polynomial degrees to compare.
        alpha: ridge penalty.
        size: training examples per fit.
        noise: noise standard deviation $\sigma$.
        repeats: training sets per degree ($R$).
        grid_size: evaluation points.
        seed: seed of the training sets.

    Returns:
        result: a dict with `degrees` (P,), `bias_squared`, `variance`, `error` (each
            (P,)) and `noise_variance`.

    Examples:
        >>> r = bias_variance_decomposition((0, 3), repeats=20, grid_size=50)
        >>> bool(r["bias_squared"][0] > r["bias_squared"][1])
        True
    """
    rng = np.random.default_rng(seed)
    grid = ((np.arange(grid_size) + 0.5) / grid_size)[:, None]  # (G, 1)
    truth = np.sin(2 * np.pi * grid[:, 0])  # (G,)
    bias_squared, variance = [], []
    with threadpool_limits(limits=1):
        for degree in degrees:
            fits = np.empty((repeats, grid_size))  # (R, G)
            for r in range(repeats):
                X, y = noisy_sine(size, noise, rng)
                fits[r] = PolynomialRidge(degree, alpha).fit(X, y).predict(grid)
            average = fits.mean(axis=0)  # (G,)
            bias_squared.append(float(np.mean((average - truth) ** 2)))
            variance.append(float(np.mean(fits.var(axis=0))))
    bias_array, variance_array = np.array(bias_squared), np.array(variance)
    return {
        "degrees": np.asarray(degrees),
        "bias_squared": bias_array,
        "variance": variance_array,
        "error": bias_array + variance_array + noise**2,
        "noise_variance": noise**2,
    }


def _zero_one(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The 0–1 loss, the fraction of wrong labels."""
    return float(np.mean(y_true != y_pred))


@cached
def scikit_learn_agreement(seed: int = 1) -> dict[str, list[dict[str, Any]]]:
    r"""Compare our learning curve and our ridge model with scikit-learn's.

    - `learning_curve` against `sklearn.model_selection.learning_curve` on the same
      splits. scikit-learn reports scores (higher is better), so the comparison is with
      the negated mean squared error for a spline ridge regression on the noisy sine, and
      with one minus the accuracy for a logistic regression on scikit-learn's bundled wine
      data.
    - [`PolynomialRidge`][scribbles.learning.debugging.PolynomialRidge] against `Ridge` on the
      same features, for the three models of the debugging chapter fitted to 30 points:
      the largest difference between their predictions on a grid of $[0, 1]$.

    Args:
        seed: seed of the data and of the splits.

    Returns:
        comparison: a dict with `learning_curve` (dicts with `model`, `loss`,
            `train_sizes`, `train_difference`, `validation_difference`) and `ridge`
            (dicts with `degree`, `alpha`, `difference`).

    Examples:
        >>> result = scikit_learn_agreement()
        >>> [row["validation_difference"] < 1e-12 for row in result["learning_curve"]]
        [True, True]
        >>> [row["difference"] < 1e-9 for row in result["ridge"]]
        [True, True, True]
    """
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression, Ridge
    from sklearn.model_selection import learning_curve as sklearn_learning_curve
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, SplineTransformer, StandardScaler

    with threadpool_limits(limits=1):  # tiny fits: BLAS threads only add contention
        curves = []
        X, y = noisy_sine(400, 0.3, np.random.default_rng(seed))
        splits = shuffle_splits(400, 5, 100, seed=seed)
        spline_ridge = make_pipeline(SplineTransformer(n_knots=8), Ridge(alpha=1e-2))
        sizes = [20, 50, 100, 300]
        ours = learning_curve(spline_ridge, X, y, sizes, splits)
        _, train_scores, validation_scores = sklearn_learning_curve(
            spline_ridge, X, y, train_sizes=sizes, cv=splits, scoring="neg_mean_squared_error"
        )
        curves.append(
            {
                "model": "spline ridge regression, noisy sine",
                "loss": "squared error",
                "train_sizes": sizes,
                "train_difference": float(np.abs(ours.train_errors + train_scores).max()),
                "validation_difference": float(
                    np.abs(ours.validation_errors + validation_scores).max()
                ),
            }
        )
        grid = np.linspace(0.0, 1.0, 201)[:, None]
        ridge_rows = []
        for degree, alpha in ((15, 1e-3), (1, 1e-3), (15, 10.0)):
            model = PolynomialRidge(degree, alpha).fit(X[:30], y[:30])
            reference = make_pipeline(
                FunctionTransformer(model.features), Ridge(alpha=alpha, solver="cholesky")
            ).fit(X[:30], y[:30])
            difference = float(np.abs(model.predict(grid) - reference.predict(grid)).max())
            ridge_rows.append({"degree": degree, "alpha": alpha, "difference": difference})
        wine_X, wine_y = load_wine(return_X_y=True)
        splits = shuffle_splits(len(wine_y), 5, 50, seed=seed + 1)
        logistic = make_pipeline(StandardScaler(), LogisticRegression(C=0.5))
        sizes = [20, 60, 128]
        ours = learning_curve(logistic, wine_X, wine_y, sizes, splits, loss=_zero_one)
        _, train_scores, validation_scores = sklearn_learning_curve(
            logistic, wine_X, wine_y, train_sizes=sizes, cv=splits, scoring="accuracy"
        )
        curves.append(
            {
                "model": "logistic regression, wine",
                "loss": "0–1 error",
                "train_sizes": sizes,
                "train_difference": float(np.abs(ours.train_errors - (1 - train_scores)).max()),
                "validation_difference": float(
                    np.abs(ours.validation_errors - (1 - validation_scores)).max()
                ),
            }
        )
        return {"learning_curve": curves, "ridge": ridge_rows}
