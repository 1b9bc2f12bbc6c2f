r"""The Bayes classifier of a distribution we know, its exact risk, and k-NN's approach to it.

Statistical learning assumes examples $(X, Y)$ drawn i.i.d. from a fixed but unknown
distribution $P$. The *risk* of a classifier $f$ under a loss $\ell$ is

$$
R(f) = \mathbb{E}_{(X, Y) \sim P}\,\ell\big(Y, f(X)\big),
$$

and no classifier does better than the **Bayes classifier**, which predicts from the
regression function $\eta(x) = P(Y = 1 \mid X = x)$:

$$
f^*(x) = \mathbb{1}\Big[\eta(x) > \frac{c_{\text{FP}}}{c_{\text{FP}} + c_{\text{FN}}}\Big],
\qquad R^* = R(f^*) \quad\text{(the Bayes risk)}.
$$

To compute $R^*$ exactly we need a distribution we know. This module uses
[`ConcentricGaussians`][scribbles.learning.statistical_learning.ConcentricGaussians]: two classes in
the plane, both centred at the origin, class 1 more spread out than class 0. Its Bayes boundary is
a circle and every risk of a threshold rule has a closed form.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import integrate

from scribbles.book.cache import cached
from scribbles.learning.knn import nearest_neighbors

__all__ = [
    "ConcentricGaussians",
    "best_k_experiment",
    "cost_sensitive_threshold",
    "knn_excess_risk_curves",
    "odd_k",
    "train_and_test_error_by_k",
]


def cost_sensitive_threshold(cost_false_positive: float, cost_false_negative: float) -> float:
    r"""The posterior threshold that minimises the expected cost of a two-class decision.

    Predicting 1 at $x$ costs $c_{\text{FP}}\,(1 - \eta(x))$ in expectation (it is wrong
    when $Y = 0$); predicting 0 costs $c_{\text{FN}}\,\eta(x)$. Predict 1 exactly when
    the first is smaller:

    $$
    c_{\text{FP}}(1 - \eta) < c_{\text{FN}}\,\eta
    \iff \eta > t^* = \frac{c_{\text{FP}}}{c_{\text{FP}} + c_{\text{FN}}}.
    $$

    Equal costs give $t^* = 1/2$ (the 0–1 loss).

    Args:
        cost_false_positive: $c_{\text{FP}} > 0$, the cost of predicting 1 when $Y = 0$.
        cost_false_negative: $c_{\text{FN}} > 0$, the cost of predicting 0 when $Y = 1$.

    Returns:
        threshold: $t^* \in (0, 1)$.

    Raises:
        ValueError: if a cost is not a finite positive number.

    Examples:
        >>> cost_sensitive_threshold(1, 1)
        0.5
        >>> round(cost_sensitive_threshold(10, 1), 4)  # flagging good mail is 10x worse
        0.9091
    """
    for name, cost in (
        ("cost_false_positive", cost_false_positive),
        ("cost_false_negative", cost_false_negative),
    ):
        if not (isinstance(cost, int | float) and math.isfinite(cost) and cost > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {cost!r}")
    return cost_false_positive / (cost_false_positive + cost_false_negative)


def _squared_norms(X: Any) -> np.ndarray:
    """u = |x|^2 for every row of a (n, 2) array, shape (n,)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {X.shape}")
    return np.einsum("nd,nd->n", X, X)


@dataclass(frozen=True)
class ConcentricGaussians:
    r"""Two Gaussian classes in the plane with the same centre and different spreads.

    $$
    X \mid Y = j \sim \mathcal{N}(0, \sigma_j^2 I_2),\qquad P(Y = 1) = \pi_1,
    \qquad \sigma_1 > \sigma_0 .
    $$

    With $u = \lVert x\rVert^2$, the log-likelihood ratio is
    $\log\frac{p_1(x)}{p_0(x)} = -2\log\frac{\sigma_1}{\sigma_0}
    + \frac{u}{2}\big(\frac{1}{\sigma_0^2} - \frac{1}{\sigma_1^2}\big)$, increasing in
    $u$; so every rule "$\eta(x) > t$" is "$u > \rho(t)$", and since $u / \sigma_j^2$
    is $\chi^2_2$, i.e. exponential, under class $j$,

    $$
    P_j(u > \rho) = e^{-\rho / (2\sigma_j^2)} .
    $$

    Args:
        scale_0: $\sigma_0 > 0$, the spread of class 0.
        scale_1: $\sigma_1 > \sigma_0$, the spread of class 1.
        prior_1: $\pi_1 \in (0, 1)$.

    Raises:
        ValueError: if a scale is not positive, $\sigma_1 \le \sigma_0$, or the prior is
            not in (0, 1).

    Examples:
        >>> problem = ConcentricGaussians(scale_0=1.0, scale_1=2.0)
        >>> round(problem.bayes_risk(), 4)
        0.2638
        >>> X, y = problem.sample(3, np.random.default_rng(0))
        >>> X.shape, y.tolist()
        ((3, 2), [0, 1, 1])
    """

    scale_0: float = 1.0
    scale_1: float = 2.0
    prior_1: float = 0.5

    def __post_init__(self) -> None:
        if not (self.scale_0 > 0 and math.isfinite(self.scale_0)):
            raise ValueError(f"scale_0 must be a finite number > 0, got {self.scale_0!r}")
        if not (self.scale_1 > self.scale_0 and math.isfinite(self.scale_1)):
            raise ValueError(
                f"scale_1 must be finite and larger than scale_0={self.scale_0}, got "
                f"{self.scale_1!r}"
            )
        if not 0 < self.prior_1 < 1:
            raise ValueError(f"prior_1 must lie strictly between 0 and 1, got {self.prior_1!r}")

    # ---- the distribution ------------------------------------------------------------

    def sample(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        r"""Draw n i.i.d. examples.

        Args:
            n: number of examples, >= 1.
            rng: the random generator (seed it for reproducible draws).

        Returns:
            X: points, shape (n, 2).
            y: labels in {0, 1}, shape (n,).

        Raises:
            ValueError: if n < 1.
        """
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ValueError(f"n must be an int >= 1, got {n!r}")
        y = (rng.random(n) < self.prior_1).astype(np.int64)  # (n,)
        scales = np.where(y == 1, self.scale_1, self.scale_0)  # (n,)
        return rng.normal(size=(n, 2)) * scales[:, None], y

    def log_likelihood_ratio(self, X: Any) -> np.ndarray:
        r"""$\log p_1(x) / p_0(x)$ for every row of X.

        Args:
            X: points, shape (n, 2).

        Returns:
            llr: shape (n,).

        Raises:
            ValueError: if X is not of shape (n, 2).
        """
        return self._log_likelihood_ratio_of(_squared_norms(X))

    def _log_likelihood_ratio_of(self, u: np.ndarray) -> np.ndarray:
        """The log-likelihood ratio as a function of u = |x|^2."""
        return -2.0 * math.log(self.scale_1 / self.scale_0) + 0.5 * u * self._curvature

    @property
    def _curvature(self) -> float:
        """1/sigma_0^2 - 1/sigma_1^2 (> 0)."""
        return 1.0 / self.scale_0**2 - 1.0 / self.scale_1**2

    def posterior(self, X: Any) -> np.ndarray:
        r"""The regression function $\eta(x) = P(Y = 1 \mid X = x)$ (Bayes' rule).

        $$
        \eta(x) = \frac{\pi_1 p_1(x)}{\pi_0 p_0(x) + \pi_1 p_1(x)}
        = \operatorname{sigmoid}\Big(\log\frac{p_1(x)}{p_0(x)} + \log\frac{\pi_1}{\pi_0}\Big).
        $$

        Args:
            X: points, shape (n, 2).

        Returns:
            eta: shape (n,), values in (0, 1).

        Raises:
            ValueError: if X is not of shape (n, 2).
        """
        return self._posterior_of(_squared_norms(X))

    def _posterior_of(self, u: np.ndarray) -> np.ndarray:
        """eta as a function of u = |x|^2."""
        logit = self._log_likelihood_ratio_of(u) + math.log(self.prior_1 / (1 - self.prior_1))
        return 0.5 * (1.0 + np.tanh(0.5 * logit))  # sigmoid, stable for large |logit|

    def radius_threshold(self, threshold: float) -> float:
        r"""The squared radius $\rho(t)$ with $\eta(x) > t \iff \lVert x\rVert^2 > \rho(t)$.

        $$
        \rho(t) = \max\Big(0,\ \frac{2\big(\operatorname{logit} t - \log\frac{\pi_1}{\pi_0}
        + 2\log\frac{\sigma_1}{\sigma_0}\big)}{1/\sigma_0^2 - 1/\sigma_1^2}\Big).
        $$

        Args:
            threshold: $t \in (0, 1)$.

        Returns:
            rho: $\rho(t) \ge 0$.

        Raises:
            ValueError: if t is not in (0, 1).
        """
        if not 0 < threshold < 1:
            raise ValueError(f"threshold must lie strictly between 0 and 1, got {threshold!r}")
        logit = math.log(threshold / (1 - threshold))
        prior_logit = math.log(self.prior_1 / (1 - self.prior_1))
        numerator = logit - prior_logit + 2.0 * math.log(self.scale_1 / self.scale_0)
        return max(0.0, 2.0 * numerator / self._curvature)

    def bayes_classifier(self, X: Any, threshold: float = 0.5) -> np.ndarray:
        r"""Predict 1 where $\eta(x) > t$.

        Args:
            X: points, shape (n, 2).
            threshold: $t$; use
                [`cost_sensitive_threshold`][scribbles.learning.statistical_learning.cost_sensitive_threshold]
                for unequal costs.

        Returns:
            predictions: shape (n,), in {0, 1}.

        Raises:
            ValueError: if X is not of shape (n, 2) or t is not in (0, 1).
        """
        return (_squared_norms(X) > self.radius_threshold(threshold)).astype(np.int64)

    # ---- exact risks -----------------------------------------------------------------

    def risk_of_threshold(
        self,
        threshold: float,
        cost_false_positive: float = 1.0,
        cost_false_negative: float = 1.0,
    ) -> float:
        r"""Exact expected cost of the rule "predict 1 where $\eta(x) > t$".

        $$
        R(t) = c_{\text{FP}}\,\pi_0\, e^{-\rho(t)/(2\sigma_0^2)}
        + c_{\text{FN}}\,\pi_1\,\big(1 - e^{-\rho(t)/(2\sigma_1^2)}\big).
        $$

        Args:
            threshold: $t \in (0, 1)$.
            cost_false_positive: $c_{\text{FP}} > 0$.
            cost_false_negative: $c_{\text{FN}} > 0$.

        Returns:
            risk: the expected cost; the error probability when both costs are 1.

        Raises:
            ValueError: if t is not in (0, 1) or a cost is not positive.
        """
        cost_sensitive_threshold(cost_false_positive, cost_false_negative)  # validates costs
        rho = self.radius_threshold(threshold)
        false_positive = (1 - self.prior_1) * math.exp(-rho / (2 * self.scale_0**2))
        false_negative = self.prior_1 * -math.expm1(-rho / (2 * self.scale_1**2))
        return cost_false_positive * false_positive + cost_false_negative * false_negative

    def bayes_risk(
        self, cost_false_positive: float = 1.0, cost_false_negative: float = 1.0
    ) -> float:
        r"""The Bayes risk $R^* = R(t^*)$, the smallest expected cost of any classifier.

        Args:
            cost_false_positive: $c_{\text{FP}} > 0$.
            cost_false_negative: $c_{\text{FN}} > 0$.

        Returns:
            risk: $R^*$.

        Raises:
            ValueError: if a cost is not positive.
        """
        threshold = cost_sensitive_threshold(cost_false_positive, cost_false_negative)
        return self.risk_of_threshold(threshold, cost_false_positive, cost_false_negative)

    def nearest_neighbor_asymptotic_risk(self) -> float:
        r"""The error of 1-NN as $n \to \infty$ (Cover and Hart, 1967).

        $$
        R_{1\text{NN}} = \mathbb{E}\big[2\,\eta(X)\,(1 - \eta(X))\big],
        \qquad R^* \le R_{1\text{NN}} \le 2R^*(1 - R^*).
        $$

        The expectation is a one-dimensional integral over $u = \lVert X\rVert^2$, whose
        density is $\sum_j \pi_j\, e^{-u/(2\sigma_j^2)} / (2\sigma_j^2)$; scipy's adaptive
        quadrature computes it to about 1e-12.

        Returns:
            risk: $R_{1\text{NN}}$.
        """

        def integrand(u: float) -> float:
            density = sum(
                prior * math.exp(-u / (2 * scale**2)) / (2 * scale**2)
                for prior, scale in ((1 - self.prior_1, self.scale_0), (self.prior_1, self.scale_1))
            )
            eta = float(self._posterior_of(np.array(u)))
            return density * 2 * eta * (1 - eta)

        value, _ = integrate.quad(integrand, 0, np.inf, epsabs=1e-13, epsrel=1e-12, limit=200)
        return value

    def conditional_error(self, X: Any, predictions: Any) -> np.ndarray:
        r"""The probability of a mistake at each point, $P(Y \ne \hat y \mid X = x)$.

        It is $\eta(x)$ where $\hat y = 0$ and $1 - \eta(x)$ where $\hat y = 1$.

        Averaging it over test points estimates a classifier's risk with far less noise
        than counting mistakes on sampled labels (the labels' coin flips are integrated
        out exactly).

        Args:
            X: points, shape (n, 2).
            predictions: shape (n,), in {0, 1}.

        Returns:
            error: shape (n,).

        Raises:
            ValueError: if the shapes do not match.
        """
        eta = self.posterior(X)
        predictions = np.asarray(predictions)
        if predictions.shape != eta.shape:
            raise ValueError(
                f"predictions must have shape {eta.shape} (one per row of X), got "
                f"{predictions.shape}"
            )
        return np.where(predictions == 1, 1.0 - eta, eta)


# ---- experiments shown in the chapter ---------------------------------------------------


def odd_k(value: float) -> int:
    r"""The odd integer nearest to `value` (at least 1): odd k avoids tied two-class votes.

    Args:
        value: a positive real number, e.g. $\ln n$ or $\sqrt n$.

    Returns:
        k: an odd integer >= 1.

    Examples:
        >>> [odd_k(x) for x in (0.3, 2.0, 4.2, 8.0, 9.9)]
        [1, 3, 5, 9, 9]
    """
    return max(1, 2 * math.floor(value / 2) + 1)


K_RULES: dict[str, Any] = {
    "k = 1": lambda n: 1,
    "k ≈ ln n": lambda n: odd_k(math.log(n)),
    "k ≈ √n": lambda n: odd_k(math.sqrt(n)),
}
"""The choices of k compared in the consistency experiment (rounded to odd integers)."""


def _votes_for_one(neighbor_labels: np.ndarray) -> np.ndarray:
    """Cumulative votes for class 1 among the first k neighbours, shape (q, K)."""
    return np.cumsum(neighbor_labels, axis=1, dtype=np.int32)


@cached
def knn_excess_risk_curves(
    sizes: tuple[int, ...] = (64, 128, 256, 512, 1024, 2048, 4096, 8192),
    n_test: int = 2000,
    repeats: int = 3,
    scale_0: float = 1.0,
    scale_1: float = 2.0,
    seed: int = 0,
) -> dict[str, Any]:
    r"""Excess risk $R(\hat f_n) - R^*$ of k-NN for growing n, for each rule in `K_RULES`.

    For each repeat and size, a training set of n points is drawn from
    [`ConcentricGaussians`][scribbles.learning.statistical_learning.ConcentricGaussians]; the risk
    is averaged over `n_test` fixed test points with
    [`conditional_error`][scribbles.learning.statistical_learning.ConcentricGaussians.conditional_error],
    and the Bayes classifier's conditional error on the same points is subtracted.

    Args:
        sizes: training-set sizes n.
        n_test: test points (the same for every n and repeat).
        repeats: independent training sets per size.
        scale_0: $\sigma_0$.
        scale_1: $\sigma_1$.
        seed: seed of everything random.

    Returns:
        result: dict with `sizes` (S,), `rules` (names), `ks` (rules, S) the k used,
            `excess` (rules, repeats, S), `bayes_risk` and `nn_asymptotic_risk`.
    """
    problem = ConcentricGaussians(scale_0, scale_1)
    rng = np.random.default_rng(seed)
    X_test, _ = problem.sample(n_test, rng)
    bayes_error = problem.conditional_error(X_test, problem.bayes_classifier(X_test)).mean()
    rules = list(K_RULES)
    ks = np.array([[K_RULES[rule](n) for n in sizes] for rule in rules])  # (rules, S)
    excess = np.zeros((len(rules), repeats, len(sizes)))
    for repeat in range(repeats):
        for column, n in enumerate(sizes):
            X, y = problem.sample(n, rng)
            _, indices = nearest_neighbors(X_test, X, int(ks[:, column].max()))
            votes = _votes_for_one(y[indices])  # (n_test, k_max)
            for row in range(len(rules)):
                k = int(ks[row, column])
                predictions = (2 * votes[:, k - 1] > k).astype(np.int64)  # majority, k odd
                error = problem.conditional_error(X_test, predictions).mean()
                excess[row, repeat, column] = error - bayes_error
    return {
        "sizes": np.array(sizes),
        "rules": rules,
        "ks": ks,
        "excess": excess,
        "bayes_risk": problem.bayes_risk(),
        "nn_asymptotic_risk": problem.nearest_neighbor_asymptotic_risk(),
    }


@cached
def best_k_experiment(
    sizes: tuple[int, ...] = (64, 128, 256, 512, 1024, 2048),
    n_test: int = 1000,
    n_validation: int = 1000,
    repeats: int = 5,
    scale_0: float = 1.0,
    scale_1: float = 2.0,
    seed: int = 1,
) -> dict[str, Any]:
    r"""The best k for each n: chosen by leave-one-out cross-validation, and the true best.

    Candidates are the odd k up to $k_{\max} = \max(31, n/4)$. The *cross-validated* k
    minimises the leave-one-out error, estimated on (at most) `n_validation` training
    points, each predicted from the others; the *oracle* k minimises the exact risk
    (test points and $\eta$, as in
    [`knn_excess_risk_curves`][scribbles.learning.statistical_learning.knn_excess_risk_curves]).

    Args:
        sizes: training-set sizes n.
        n_test: test points for the exact risk.
        n_validation: training points whose leave-one-out error is computed.
        repeats: independent training sets per size.
        scale_0: $\sigma_0$.
        scale_1: $\sigma_1$.
        seed: seed of everything random.

    Returns:
        result: dict with `sizes` (S,), `cv_best_k` and `oracle_best_k` (S, repeats),
            `k_max` (S,), `oracle_excess` (list of (repeats, k_max) arrays: excess risk
            for every k) and `bayes_risk`.
    """
    problem = ConcentricGaussians(scale_0, scale_1)
    rng = np.random.default_rng(seed)
    X_test, _ = problem.sample(n_test, rng)
    eta_test = problem.posterior(X_test)[:, None]  # (n_test, 1)
    bayes_error = problem.conditional_error(X_test, problem.bayes_classifier(X_test)).mean()
    cv_best = np.zeros((len(sizes), repeats), dtype=np.int64)
    oracle_best = np.zeros((len(sizes), repeats), dtype=np.int64)
    k_max = np.array([min(n - 1, max(31, n // 4)) for n in sizes])
    oracle_excess = []
    for column, n in enumerate(sizes):
        ks = np.arange(1, k_max[column] + 1)  # (K,)
        odd = ks % 2 == 1
        curves = np.zeros((repeats, k_max[column]))
        for repeat in range(repeats):
            X, y = problem.sample(n, rng)
            # exact risk of every k at once: cumulative votes over sorted neighbours
            _, indices = nearest_neighbors(X_test, X, int(k_max[column]))
            predictions = 2 * _votes_for_one(y[indices]) > ks  # (n_test, K)
            risk = np.where(predictions, 1.0 - eta_test, eta_test).mean(axis=0)  # (K,)
            curves[repeat] = risk - bayes_error
            oracle_best[column, repeat] = ks[odd][np.argmin(risk[odd])]
            # leave-one-out error on a subset of the training points
            held = min(n, n_validation)  # the sample is i.i.d., so the first points will do
            _, indices = nearest_neighbors(X[:held], X, int(k_max[column]), exclude_self=True)
            predictions = 2 * _votes_for_one(y[indices]) > ks  # (held, K)
            loo_error = (predictions != y[:held, None]).mean(axis=0)  # (K,)
            cv_best[column, repeat] = ks[odd][np.argmin(loo_error[odd])]
        oracle_excess.append(curves)
    return {
        "sizes": np.array(sizes),
        "cv_best_k": cv_best,
        "oracle_best_k": oracle_best,
        "k_max": k_max,
        "oracle_excess": oracle_excess,
        "bayes_risk": problem.bayes_risk(),
    }


@cached
def train_and_test_error_by_k(
    ks: tuple[int, ...] = (1, 3, 5, 9, 15, 25, 45, 75, 125, 199),
    n_train: int = 400,
    n_test: int = 4000,
    scale_0: float = 1.0,
    scale_1: float = 2.0,
    seed: int = 2,
) -> dict[str, Any]:
    r"""Training error and (exact) test risk of k-NN on one training set, for several k.

    The training error predicts each training point from the whole training set, itself
    included, as a fitted model would; the test risk uses
    [`conditional_error`][scribbles.learning.statistical_learning.ConcentricGaussians.conditional_error].

    Args:
        ks: the values of k, each <= n_train.
        n_train: size of the training set.
        n_test: test points.
        scale_0: $\sigma_0$.
        scale_1: $\sigma_1$.
        seed: seed of everything random.

    Returns:
        result: dict with `ks`, `train_error`, `test_risk` (arrays of len(ks)) and
            `bayes_risk`.
    """
    problem = ConcentricGaussians(scale_0, scale_1)
    rng = np.random.default_rng(seed)
    X, y = problem.sample(n_train, rng)
    X_test, _ = problem.sample(n_test, rng)
    ks_array = np.array(ks)
    _, train_neighbors = nearest_neighbors(X, X, int(ks_array.max()))
    _, test_neighbors = nearest_neighbors(X_test, X, int(ks_array.max()))
    train_votes = _votes_for_one(y[train_neighbors])[:, ks_array - 1]  # (n_train, len(ks))
    test_votes = _votes_for_one(y[test_neighbors])[:, ks_array - 1]  # (n_test, len(ks))
    train_error = ((2 * train_votes > ks_array) != y[:, None]).mean(axis=0)
    eta = problem.posterior(X_test)[:, None]
    test_risk = np.where(2 * test_votes > ks_array, 1.0 - eta, eta).mean(axis=0)
    return {
        "ks": ks_array,
        "train_error": train_error,
        "test_risk": test_risk,
        "bayes_risk": problem.bayes_risk(),
    }
