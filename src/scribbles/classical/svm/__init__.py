r"""Support vector classification, solved from scratch with SMO (numpy only).

The soft-margin SVM's dual problem, for labels $y_i \in \{-1, +1\}$ and a kernel $k$, is

$$
\min_{\alpha}\ f(\alpha) = \tfrac12 \alpha^\top Q \alpha - \mathbf{1}^\top \alpha
\quad \text{s.t.} \quad y^\top \alpha = 0,\ \ 0 \le \alpha_i \le C,
\qquad Q_{ij} = y_i y_j\, k(x_i, x_j).
$$

[`smo`][scribbles.classical.svm.smo] solves it as LIBSVM does: sequential minimal optimisation,
which changes two multipliers per step (the fewest that can keep $y^\top\alpha = 0$),
with the second-order working-set selection of Fan, Chen and Lin (2005).
[`SVC`][scribbles.classical.svm.SVC] wraps it in scikit-learn's estimator contract, with the
same parameter names, the same sign conventions for `dual_coef_` and `intercept_`, and
one-vs-one voting for more than two classes.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from scribbles.book.cache import cached
from scribbles.classical.svm.kernels import (
    KernelRowCache,
    check_kernel_name,
    pairwise_kernel,
    resolve_gamma,
)

__all__ = [
    "SVC",
    "ConvergenceWarning",
    "SMOResult",
    "compare_with_scikit_learn",
    "dual_objective",
    "fit_summary",
    "smo",
]

Array = NDArray[np.float64]

TAU = 1e-12
"""LIBSVM's stand-in for a non-positive curvature $a_{ij}$ in the two-variable step."""


class ConvergenceWarning(UserWarning):
    """SMO stopped at its iteration limit before the KKT gap fell below `tol`."""


@dataclass(frozen=True)
class SMOResult:
    r"""What [`smo`][scribbles.classical.svm.smo] found.

    Attributes:
        alpha: the dual variables, shape (n,), each in $[0, C]$.
        rho: the offset; the decision function is $\sum_i \alpha_i y_i k(x_i, x) - \rho$.
        objective: the dual objective $f(\alpha)$ at the solution.
        n_iter: how many two-variable steps were taken.
        converged: whether the KKT gap fell below `tol` (False: the limit was hit).
    """

    alpha: Array
    rho: float
    objective: float
    n_iter: int
    converged: bool


def _offset(alpha: Array, y: Array, y_gradient: Array, C: float) -> float:
    r"""LIBSVM's $\rho$: the mean of $y_t \nabla_t f$ over free $\alpha_t$, else a midpoint."""
    free = (alpha > 0) & (alpha < C)
    if free.any():
        return float(y_gradient[free].mean())
    # Bounded α only: ρ lies in [lb, ub] of the KKT conditions; take the middle.
    at_upper, at_lower, positive = alpha >= C, alpha <= 0, y > 0
    ub_set = (at_upper & ~positive) | (at_lower & positive)
    lb_set = (at_upper & positive) | (at_lower & ~positive)
    ub = float(y_gradient[ub_set].min()) if ub_set.any() else math.inf
    lb = float(y_gradient[lb_set].max()) if lb_set.any() else -math.inf
    return (ub + lb) / 2.0


def smo(
    kernel_row: Callable[[int], Array],
    diagonal: Array,
    y: Array,
    C: float,
    tol: float = 1e-3,
    max_iter: int = -1,
) -> SMOResult:
    r"""Solve the SVM dual with SMO and second-order working-set selection (WSS3).

    With $v_t = -y_t \nabla_t f(\alpha)$, the sets of indices whose $\alpha_t$ may move
    up or down along $y$ are
    $I_{\text{up}} = \{t : y_t = 1, \alpha_t < C\} \cup \{t : y_t = -1, \alpha_t > 0\}$
    and $I_{\text{low}}$ (the same with the roles of the bounds swapped). Each step

    1. stops when the KKT gap $m - M < \text{tol}$, where
       $m = \max_{I_\text{up}} v_t$ and $M = \min_{I_\text{low}} v_t$;
    2. picks $i = \arg\max_{t \in I_\text{up}} v_t$, the most violating index;
    3. picks $j$ by the second-order rule of Fan, Chen and Lin (2005): among
       $t \in I_\text{low}$ with $b_t = m - v_t > 0$, the one that decreases $f$ most
       along the pair, $j = \arg\min_t -b_t^2 / a_t$ with
       $a_t = K_{ii} + K_{tt} - 2K_{it}$ (replaced by $\tau = 10^{-12}$ if $\le 0$);
    4. minimises $f$ exactly over $(\alpha_i, \alpha_j)$ with the box clipped as in
       LIBSVM, and updates $v$ with two kernel rows.

    Args:
        kernel_row: `kernel_row(t)` returns row $t$ of the kernel matrix, shape (n,).
        diagonal: $K_{tt}$, shape (n,).
        y: labels in $\{-1, +1\}$, shape (n,).
        C: the box bound, > 0.
        tol: the stopping tolerance on the KKT gap (LIBSVM's `eps`), > 0.
        max_iter: the most steps; -1 means LIBSVM's limit $\max(10^7, 100 n)$.

    Returns:
        result: an [`SMOResult`][scribbles.classical.svm.SMOResult] (a
            [`ConvergenceWarning`][scribbles.classical.svm.ConvergenceWarning] is issued if the
            limit stopped it).

    Raises:
        ValueError: if `y` is not in $\{-1, +1\}$ or has one sign only, the shapes
            differ, `C <= 0` or `tol <= 0`.

    Examples:
        >>> K = np.array([[1.0, 0.0], [0.0, 1.0]])
        >>> result = smo(lambda t: K[t], np.diag(K).copy(), np.array([1.0, -1.0]), C=10.0)
        >>> result.alpha, result.rho, result.objective
        (array([1., 1.]), 0.0, -1.0)
    """
    y = np.asarray(y, dtype=np.float64)
    n = y.shape[0]
    if y.ndim != 1 or not np.all(np.abs(y) == 1.0):
        raise ValueError("y must be a 1-D array of -1 and +1 labels")
    if (y > 0).all() or (y < 0).all():
        raise ValueError("y must hold both -1 and +1 labels")
    if diagonal.shape != (n,):
        raise ValueError(f"diagonal must have shape ({n},), got {diagonal.shape}")
    if not C > 0:
        raise ValueError(f"C must be > 0, got {C}")
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol}")
    limit = max(10_000_000, 100 * n) if max_iter == -1 else max_iter

    C = float(C)
    alpha = np.zeros(n)
    v = y.copy()  # v_t = −y_t ∇_t f; at α = 0, ∇f = Qα − 1 = −1, so v = y
    positive = y > 0
    up = np.ones(n, dtype=bool)  # every α_t = 0 may grow along y_t
    low = np.ones(n, dtype=bool)
    up[~positive], low[positive] = False, False
    curvatures: dict[int, Array] = {}  # a = K_ii + diag(K) − 2 K_i, per row i used
    n_iter, converged = 0, False
    while True:
        # 1–2. most violating index i and the KKT gap
        v_up = np.where(up, v, -np.inf)
        i = int(np.argmax(v_up))
        m = float(v_up[i])
        v_low = np.where(low, v, np.inf)
        if m - float(v_low.min()) < tol:
            converged = True
            break
        if n_iter >= limit:
            break
        # 3. second-order choice of j: the largest decrease b²/a along the pair (i, j)
        K_i = kernel_row(i)  # (n,)
        a = curvatures.get(i)
        if a is None:  # a_t = K_ii + K_tt − 2 K_it, replaced by τ where it is <= 0
            a = diagonal[i] + diagonal - 2.0 * K_i  # (n,)
            a = curvatures[i] = np.where(a > 0, a, TAU)
        b = np.maximum(m - v_low, 0.0)  # (n,): b_t = m − v_t > 0 for candidates, else 0
        j = int(np.argmax(b * b / a))  # argmin of −b²/a over t ∈ I_low with v_t < m
        K_j = kernel_row(j)

        # 4. exact minimisation over (α_i, α_j), clipped to the box (LIBSVM's update)
        y_i, y_j = y[i], y[j]
        old_i, old_j = float(alpha[i]), float(alpha[j])
        grad_i, grad_j = -y_i * v[i], -y_j * v[j]  # ∇_i f, ∇_j f
        curvature = max(float(diagonal[i] + diagonal[j] - 2.0 * K_i[j]), TAU)
        if y_i != y_j:
            delta = (-grad_i - grad_j) / curvature
            diff = old_i - old_j
            new_i, new_j = old_i + delta, old_j + delta
            if diff > 0:
                if new_j < 0:
                    new_j, new_i = 0.0, diff
            elif new_i < 0:
                new_i, new_j = 0.0, -diff
            if diff > 0:
                if new_i > C:
                    new_i, new_j = C, C - diff
            elif new_j > C:
                new_j, new_i = C, C + diff
        else:
            delta = (grad_i - grad_j) / curvature
            total = old_i + old_j
            new_i, new_j = old_i - delta, old_j + delta
            if total > C:
                if new_i > C:
                    new_i, new_j = C, total - C
            elif new_j < 0:
                new_j, new_i = 0.0, total
            if total > C:
                if new_j > C:
                    new_j, new_i = C, total - C
            elif new_i < 0:
                new_i, new_j = 0.0, total
        alpha[i], alpha[j] = new_i, new_j
        # v_t −= y_i Δα_i K_it + y_j Δα_j K_jt  (from ∇f += Q_i Δα_i + Q_j Δα_j)
        v -= (y_i * (new_i - old_i)) * K_i
        v -= (y_j * (new_j - old_j)) * K_j
        for t, value in ((i, new_i), (j, new_j)):
            if positive[t]:
                up[t], low[t] = value < C, value > 0
            else:
                up[t], low[t] = value > 0, value < C
        n_iter += 1

    if not converged:
        warnings.warn(
            f"SMO stopped after max_iter={limit} steps with the KKT gap above tol={tol}",
            ConvergenceWarning,
            stacklevel=2,
        )
    y_gradient = -v  # y_t ∇_t f = −v_t
    gradient = -y * v
    objective = float(alpha @ (gradient - 1.0)) / 2.0  # ½αᵀQα − 1ᵀα = ½ Σ α_t(∇_t f − 1)
    return SMOResult(alpha, _offset(alpha, y, y_gradient, C), objective, n_iter, converged)


def dual_objective(dual_coef: ArrayLike, gram: ArrayLike) -> float:
    r"""Dual objective of a binary SVM from its signed coefficients $c_i = y_i \alpha_i$.

    $$
    f(\alpha) = \tfrac12 \sum_{i,j} c_i c_j K_{ij} - \sum_i |c_i|
    $$

    This is how the objective of scikit-learn's fit is recovered from `dual_coef_` and
    the kernel matrix of `support_vectors_`.

    Args:
        dual_coef: signed coefficients, shape (n_sv,) or (1, n_sv).
        gram: kernel matrix of the support vectors, shape (n_sv, n_sv).

    Returns:
        objective: $f(\alpha)$.

    Raises:
        ValueError: if the shapes do not match.

    Examples:
        >>> dual_objective([1.0, -1.0], np.eye(2))
        -1.0
    """
    c = np.asarray(dual_coef, dtype=np.float64).reshape(-1)
    K = np.asarray(gram, dtype=np.float64)
    if K.shape != (c.size, c.size):
        raise ValueError(f"gram must have shape ({c.size}, {c.size}), got {K.shape}")
    return float(0.5 * c @ K @ c - np.abs(c).sum())


def _check_number(name: str, value: Any, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not math.isfinite(value) or (positive and not value > 0):
        raise ValueError(f"{name} must be a finite number{' > 0' if positive else ''}, got {value}")
    return float(value)


def _check_X(X: ArrayLike, n_features: int | None = None) -> Array:
    array = np.asarray(X, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {array.shape}")
    if array.shape[0] == 0:
        raise ValueError("X must hold at least one sample, got 0")
    if not np.all(np.isfinite(array)):
        raise ValueError("X must not contain NaN or infinite values")
    if n_features is not None and array.shape[1] != n_features:
        raise ValueError(
            f"X has {array.shape[1]} features, but the model was fitted with {n_features}"
        )
    return array


class SVC:
    r"""C-support vector classifier, a from-scratch counterpart of `sklearn.svm.SVC`.

    The decision function of a binary model is

    $$
    f(x) = \sum_{i \in \text{SV}} c_i\, k(x_i, x) + b, \qquad c_i = y_i \alpha_i,
    $$

    positive for `classes_[1]` (scikit-learn's convention). With $K > 2$ classes, one
    binary model is fitted per pair of classes (one-vs-one) and `predict` takes a vote,
    ties going to the lowest class, as LIBSVM does.

    Args:
        C: the soft-margin constant, > 0: large C punishes margin violations hard.
        kernel: `"linear"`, `"poly"` or `"rbf"`.
        degree: the degree of `"poly"`.
        gamma: `"scale"`, `"auto"` or a number > 0 (see
            [`resolve_gamma`][scribbles.classical.svm.kernels.resolve_gamma]).
        coef0: the offset of `"poly"`.
        tol: the stopping tolerance of [`smo`][scribbles.classical.svm.smo].
        max_iter: the most SMO steps per binary problem; -1 for LIBSVM's limit.
        decision_function_shape: `"ovr"` (scikit-learn's default: votes plus bounded
            confidences, shape (n, K)) or `"ovo"` (one column per pair) for $K > 2$.

    Attributes:
        classes_: the sorted class labels, shape (K,).
        n_features_in_: the number of features seen by `fit`.
        gamma_: the numeric kernel scale used.
        support_: indices of the support vectors, grouped by class, shape (n_sv,).
        support_vectors_: the support vectors, shape (n_sv, d).
        n_support_: support vectors per class, shape (K,).
        dual_coef_: signed coefficients $y_i\alpha_i$, shape (K - 1, n_sv), laid out as
            in scikit-learn.
        intercept_: the offsets $b$, one per pair, shape (K(K-1)/2,).
        n_iter_: SMO steps per pair, shape (K(K-1)/2,).
        dual_objective_: the dual objective per pair, shape (K(K-1)/2,).

    Examples:
        >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [2.0, 0.0], [2.0, 1.0]])
        >>> model = SVC(kernel="linear", C=10.0).fit(X, [0, 0, 1, 1])
        >>> model.predict([[0.4, 0.5], [1.7, 0.5]]).tolist()
        [0, 1]
        >>> model.decision_function([[1.0, 0.5]]).round(6).tolist()
        [0.0]
    """

    def __init__(
        self,
        C: float = 1.0,
        kernel: str = "rbf",
        degree: int = 3,
        gamma: float | Literal["scale", "auto"] = "scale",
        coef0: float = 0.0,
        tol: float = 1e-3,
        max_iter: int = -1,
        decision_function_shape: Literal["ovr", "ovo"] = "ovr",
    ) -> None:
        self.C = C
        self.kernel = kernel
        self.degree = degree
        self.gamma = gamma
        self.coef0 = coef0
        self.tol = tol
        self.max_iter = max_iter
        self.decision_function_shape = decision_function_shape

    def _check_parameters(self) -> None:
        _check_number("C", self.C, positive=True)
        check_kernel_name(self.kernel)
        if isinstance(self.degree, bool) or not isinstance(self.degree, int | np.integer):
            raise TypeError(f"degree must be an int, got {type(self.degree).__name__}")
        if self.degree < 0:
            raise ValueError(f"degree must be >= 0, got {self.degree}")
        _check_number("coef0", self.coef0, positive=False)
        _check_number("tol", self.tol, positive=True)
        if isinstance(self.max_iter, bool) or not isinstance(self.max_iter, int | np.integer):
            raise TypeError(f"max_iter must be an int, got {type(self.max_iter).__name__}")
        if self.max_iter != -1 and self.max_iter < 1:
            raise ValueError(f"max_iter must be -1 (no limit) or >= 1, got {self.max_iter}")
        if self.decision_function_shape not in ("ovr", "ovo"):
            raise ValueError(
                "decision_function_shape must be 'ovr' or 'ovo', "
                f"got {self.decision_function_shape!r}"
            )

    def fit(self, X: ArrayLike, y: ArrayLike) -> SVC:
        r"""Fit one SMO problem per pair of classes.

        Args:
            X: training samples, shape (n, d), finite.
            y: labels, shape (n,), with at least two distinct values.

        Returns:
            self: the fitted model.

        Raises:
            ValueError: for `C <= 0`, an unknown kernel, NaN or infinite inputs,
                mismatched lengths, or fewer than two classes.
            TypeError: if a numeric hyperparameter is not a number.
        """
        self._check_parameters()
        X = _check_X(X)
        labels = np.asarray(y)
        if labels.ndim != 1:
            raise ValueError(f"y must be 1-D (n_samples,), got shape {labels.shape}")
        if labels.shape[0] != X.shape[0]:
            raise ValueError(
                f"X and y must have the same length, got {X.shape[0]} and {labels.shape[0]}"
            )
        if labels.dtype.kind == "f" and not np.all(np.isfinite(labels)):
            raise ValueError("y must not contain NaN or infinite values")
        classes, y_index = np.unique(labels, return_inverse=True)
        if classes.size < 2:
            raise ValueError(
                f"y must hold at least two classes, got {classes.size} ({classes.tolist()})"
            )
        self.classes_ = classes
        self.n_features_in_ = X.shape[1]
        self.gamma_ = resolve_gamma(self.gamma, X)  # unused by "linear", kept as sklearn does
        n_classes = classes.size
        pairs = list(combinations(range(n_classes), 2))

        # One binary problem per pair (a, b), a < b: +1 for class a, as in LIBSVM.
        is_support = np.zeros(X.shape[0], dtype=bool)
        solved = []
        for a, b in pairs:
            members = np.flatnonzero((y_index == a) | (y_index == b))  # (n_ab,)
            signs = np.where(y_index[members] == a, 1.0, -1.0)
            rows = KernelRowCache(X[members], self.kernel, self.degree, self.gamma_, self.coef0)
            result = smo(rows, rows.diagonal(), signs, float(self.C), self.tol, self.max_iter)
            is_support[members[result.alpha > 0]] = True
            solved.append((members, signs * result.alpha, result))

        # scikit-learn's layout: support vectors grouped by class, then by index.
        support = np.concatenate(
            [np.flatnonzero(is_support & (y_index == c)) for c in range(n_classes)]
        )
        position = np.full(X.shape[0], -1)
        position[support] = np.arange(support.size)
        dual_coef = np.zeros((n_classes - 1, support.size))
        for (a, b), (members, coef, _) in zip(pairs, solved, strict=True):
            keep = is_support[members]
            chosen = members[keep]
            # coefficients of class-a vectors go to row b − 1, those of class b to row a
            rows_of = np.where(y_index[chosen] == a, b - 1, a)
            dual_coef[rows_of, position[chosen]] = coef[keep]
        intercept = np.array([-result.rho for _, _, result in solved])

        if n_classes == 2:  # positive decision ⇔ classes_[1], as in scikit-learn
            dual_coef, intercept = -dual_coef, -intercept
        self.support_ = support
        self.support_vectors_ = X[support]
        self.n_support_ = np.bincount(y_index[support], minlength=n_classes)
        self.dual_coef_ = dual_coef
        self.intercept_ = intercept
        self.n_iter_ = np.array([result.n_iter for _, _, result in solved])
        self.dual_objective_ = np.array([result.objective for _, _, result in solved])
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "support_"):
            raise ValueError("this SVC is not fitted yet; call fit(X, y) first")

    def _pairwise_decision(self, X: ArrayLike) -> Array:
        """One column per pair (a, b), positive for class a (LIBSVM's sign), shape (n, P)."""
        self._check_fitted()
        A = _check_X(X, self.n_features_in_)
        gram = pairwise_kernel(
            A, self.support_vectors_, self.kernel, self.degree, self.gamma_, self.coef0
        )  # (n, n_sv)
        n_classes = self.classes_.size
        starts = np.concatenate([[0], np.cumsum(self.n_support_)])
        coef = -self.dual_coef_ if n_classes == 2 else self.dual_coef_
        intercept = -self.intercept_ if n_classes == 2 else self.intercept_
        columns = []
        for p, (a, b) in enumerate(combinations(range(n_classes), 2)):
            in_a = slice(starts[a], starts[a + 1])
            in_b = slice(starts[b], starts[b + 1])
            value = gram[:, in_a] @ coef[b - 1, in_a] + gram[:, in_b] @ coef[a, in_b]
            columns.append(value + intercept[p])
        return np.stack(columns, axis=1)

    def decision_function(self, X: ArrayLike) -> Array:
        r"""Signed distances (up to $\lVert w\rVert$) to the decision boundaries.

        Args:
            X: samples, shape (n, d).

        Returns:
            scores: shape (n,) for two classes (positive means `classes_[1]`); for more,
                shape (n, K) with `"ovr"` or (n, K(K-1)/2) with `"ovo"`.

        Raises:
            ValueError: if the model is not fitted or `X` is malformed.
        """
        pairwise = self._pairwise_decision(X)
        n_classes = self.classes_.size
        if n_classes == 2:
            return -pairwise[:, 0]
        if self.decision_function_shape == "ovo":
            return pairwise
        # scikit-learn's ovr transform: votes plus confidences squashed into (−1/3, 1/3)
        votes = np.zeros((pairwise.shape[0], n_classes))
        confidence = np.zeros_like(votes)
        for p, (a, b) in enumerate(combinations(range(n_classes), 2)):
            confidence[:, a] += pairwise[:, p]
            confidence[:, b] -= pairwise[:, p]
            votes[:, a] += pairwise[:, p] > 0
            votes[:, b] += pairwise[:, p] <= 0
        return votes + confidence / (3.0 * (np.abs(confidence) + 1.0))

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        r"""Predict classes by one-vs-one votes (the sign of $f$ for two classes).

        Args:
            X: samples, shape (n, d).

        Returns:
            labels: predicted classes, shape (n,).

        Raises:
            ValueError: if the model is not fitted or `X` is malformed.
        """
        pairwise = self._pairwise_decision(X)
        n_classes = self.classes_.size
        votes = np.zeros((pairwise.shape[0], n_classes), dtype=np.int64)
        for p, (a, b) in enumerate(combinations(range(n_classes), 2)):
            votes[:, a] += pairwise[:, p] > 0
            votes[:, b] += pairwise[:, p] <= 0
        return self.classes_[np.argmax(votes, axis=1)]  # first maximum: lowest class wins


@cached
def fit_summary(
    X: Array,
    y: NDArray[Any],
    X_eval: Array | None = None,
    C: float = 1.0,
    kernel: str = "rbf",
    degree: int = 3,
    gamma: float | str = "scale",
    coef0: float = 0.0,
) -> dict[str, Any]:
    r"""Fit our binary [`SVC`][scribbles.classical.svm.SVC]; return what a chapter plots, as data.

    For the linear kernel the primal weights come from the representer theorem,
    $w = \sum_i c_i x_i$ with $c_i = y_i \alpha_i$ the entries of `dual_coef_`.

    Args:
        X: training samples, shape (n, d).
        y: two-class labels, shape (n,).
        X_eval: extra points to score (a plotting grid, say), shape (m, d), or None.
        C: the soft-margin constant.
        kernel: the kernel name.
        degree: the polynomial degree.
        gamma: the kernel scale (`"scale"`, `"auto"` or a number).
        coef0: the polynomial offset.

    Returns:
        summary: `support` (indices), `dual_coef` (n_sv,), `intercept`, `n_iter`,
            `objective`, `gamma`, `classes`, `decision_train` (n,), `train_accuracy`,
            `w` (d,) for the linear kernel, and `decision_eval` (m,) if `X_eval` is given.

    Raises:
        ValueError: if the labels are not two classes, or as
            [`SVC.fit`][scribbles.classical.svm.SVC.fit].

    Examples:
        >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [2.0, 0.0], [2.0, 1.0]])
        >>> summary = fit_summary(X, np.array([-1, -1, 1, 1]), C=10.0, kernel="linear")
        >>> summary["w"].round(6).tolist(), round(summary["intercept"], 6)
        ([1.0, 0.0], -1.0)
    """
    model = SVC(C=C, kernel=kernel, degree=degree, gamma=gamma, coef0=coef0).fit(X, y)
    if model.classes_.size != 2:
        raise ValueError(f"y must hold two classes, got {model.classes_.size}")
    summary: dict[str, Any] = {
        "support": model.support_,
        "dual_coef": model.dual_coef_[0],
        "intercept": float(model.intercept_[0]),
        "n_iter": int(model.n_iter_[0]),
        "objective": float(model.dual_objective_[0]),
        "gamma": float(model.gamma_),
        "classes": model.classes_,
        "decision_train": model.decision_function(X),
        "train_accuracy": float((model.predict(X) == np.asarray(y)).mean()),
    }
    if kernel == "linear":
        summary["w"] = model.dual_coef_[0] @ model.support_vectors_  # w = Σ c_i x_i, (d,)
    if X_eval is not None:
        summary["decision_eval"] = model.decision_function(X_eval)
    return summary


@cached
def compare_with_scikit_learn(
    dataset: str, kernel: str, C: float = 1.0, seed: int = 0, repeats: int = 7
) -> dict[str, float]:
    r"""Fit our `SVC` and `sklearn.svm.SVC` with the same hyperparameters and compare them.

    Data sets (all generated or bundled with scikit-learn, split 70/30 with `seed`):
    `"blobs"` (two linearly separable Gaussian blobs, 200 points), `"moons"` (two
    moons with noise 0.3, 300 points) and `"digits"` (the often confused digits 4 and 9,
    8x8 pixels scaled to [0, 1]).

    Args:
        dataset: `"blobs"`, `"moons"` or `"digits"`.
        kernel: the kernel both models use.
        C: the soft-margin constant both models use.
        seed: seed of the data and of the split.
        repeats: fits per model; the fastest wall time is kept.

    Returns:
        comparison: test accuracy, support-vector counts, fit seconds and dual
            objective of each model; prediction agreement on all points, the
            correlation of decision functions and the relative objective gap.

    Raises:
        ValueError: if `dataset` is unknown.

    Examples:
        >>> result = compare_with_scikit_learn("blobs", "linear", repeats=1)
        >>> result["agreement"], result["objective_gap"] < 1e-3
        (1.0, True)
    """
    from sklearn.svm import SVC as SklearnSVC

    X, y = _dataset(dataset, seed)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    cut = int(0.7 * len(y))
    train, test = order[:cut], order[cut:]

    def best_fit(factory: Callable[[], Any]) -> tuple[Any, float]:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            model = factory().fit(X[train], y[train])
            times.append(time.perf_counter() - start)
        return model, min(times)

    ours, ours_s = best_fit(lambda: SVC(C=C, kernel=kernel))
    theirs, theirs_s = best_fit(lambda: SklearnSVC(C=C, kernel=kernel))
    ours_scores, theirs_scores = ours.decision_function(X), theirs.decision_function(X)
    gram = pairwise_kernel(theirs.support_vectors_, None, kernel, 3, ours.gamma_, 0.0)
    theirs_objective = dual_objective(theirs.dual_coef_, gram)
    ours_objective = float(ours.dual_objective_[0])
    return {
        "n_train": float(train.size),
        "ours_accuracy": float((ours.predict(X[test]) == y[test]).mean()),
        "sklearn_accuracy": float((theirs.predict(X[test]) == y[test]).mean()),
        "ours_n_support": float(ours.support_.size),
        "sklearn_n_support": float(theirs.support_.size),
        "ours_fit_s": ours_s,
        "sklearn_fit_s": theirs_s,
        "agreement": float((ours.predict(X) == theirs.predict(X)).mean()),
        "correlation": float(np.corrcoef(ours_scores, theirs_scores)[0, 1]),
        "ours_objective": ours_objective,
        "sklearn_objective": theirs_objective,
        "objective_gap": abs(ours_objective - theirs_objective) / abs(theirs_objective),
        "ours_n_iter": float(ours.n_iter_[0]),
        "sklearn_n_iter": float(theirs.n_iter_[0]),
    }


def _dataset(name: str, seed: int) -> tuple[Array, NDArray[np.int64]]:
    """The data sets of `compare_with_scikit_learn`: samples (n, d) and labels (n,)."""
    from sklearn.datasets import load_digits, make_blobs, make_moons

    if name == "blobs":
        X, y = make_blobs(
            200, centers=[[-2.0, -2.0], [2.0, 2.0]], cluster_std=0.8, random_state=seed
        )
    elif name == "moons":
        X, y = make_moons(300, noise=0.3, random_state=seed)
    elif name == "digits":
        digits = load_digits()
        keep = np.isin(digits.target, [4, 9])
        X, y = digits.data[keep] / 16.0, (digits.target[keep] == 9).astype(np.int64)
    else:
        raise ValueError(f"dataset must be 'blobs', 'moons' or 'digits', got {name!r}")
    return np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.int64)
