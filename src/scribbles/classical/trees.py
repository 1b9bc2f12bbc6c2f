r"""Decision trees: impurity functions and greedy top-down induction, from scratch.

A classification tree is grown greedily: at each node, among all axis-aligned splits
$x_f \le \theta$, take the one whose children are purest on average, then recurse.
Purity is measured with an impurity function of the class proportions $p$:

$$
H(p) = -\sum_k p_k \log_2 p_k, \qquad
G(p) = 1 - \sum_k p_k^2, \qquad
E(p) = 1 - \max_k p_k,
$$

(entropy, Gini impurity, misclassification error). The information gain of a split is
the parent's impurity minus the size-weighted mean impurity of its children.

[`DecisionTreeClassifier`][scribbles.classical.trees.DecisionTreeClassifier] follows
`sklearn.tree.DecisionTreeClassifier` (same criteria, stopping rules, thresholds at
midpoints and node order), so the two grow the same tree wherever the best split of a
node is unique. Ties are broken deterministically: lowest feature index first, then
lowest threshold (scikit-learn visits features in a random order, so its choice among
tied features depends on `random_state`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from scribbles.book.cache import cached

__all__ = [
    "CRITERIA",
    "DecisionTreeClassifier",
    "Split",
    "Tree",
    "best_split",
    "compare_with_scikit_learn",
    "entropy",
    "exhaustive_tree_search",
    "export_text",
    "fit_summary",
    "gini",
    "information_gain",
    "misclassification_error",
    "same_structure",
]

Array = NDArray[np.float64]

CRITERIA: tuple[str, ...] = ("entropy", "gini")
"""Split criteria: the values of `criterion` that `DecisionTreeClassifier` accepts."""

FEATURE_THRESHOLD = 1e-7
"""Two values closer than this are not split apart (scikit-learn's constant)."""

TIE_TOLERANCE = 1e-10
"""Relative tolerance under which two candidate splits count as tied."""

TREE_LEAF = -1
"""`children_left`/`children_right` of a leaf (as in scikit-learn)."""

TREE_UNDEFINED = -2
"""`feature` and `threshold` of a leaf (as in scikit-learn)."""


def _scalar_or_array(value: Array) -> float | Array:
    """A Python float for a single distribution, the array for a batch."""
    return float(value) if np.ndim(value) == 0 else value


def _as_distribution(p: ArrayLike) -> Array:
    """Check that `p` holds probability vectors along its last axis."""
    array = np.asarray(p, dtype=np.float64)
    if array.ndim == 0 or array.shape[-1] == 0:
        raise ValueError(
            f"p must hold probability vectors along its last axis, got shape {array.shape}"
        )
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError("p must be finite and non-negative")
    if not np.allclose(array.sum(axis=-1), 1.0, atol=1e-9):
        raise ValueError("p must sum to 1 along its last axis")
    return array


def entropy(p: ArrayLike, base: float = 2.0) -> float | Array:
    r"""Shannon entropy of class proportions, with $0 \log 0 = 0$.

    $$
    H(p) = -\sum_{k} p_k \log_b p_k
    $$

    It is 0 for a pure node and largest, $\log_b K$, for the uniform distribution over
    $K$ classes.

    Args:
        p: probabilities along the last axis, shape (..., K), each vector summing to 1.
        base: the logarithm's base $b > 1$ (2 gives bits, as scikit-learn uses).

    Returns:
        entropy: shape (...); a float for a single vector.

    Raises:
        ValueError: if `p` is negative, not finite, does not sum to 1, or `base <= 1`.

    Examples:
        >>> entropy([0.5, 0.5]), entropy([1.0, 0.0]), entropy([0.25] * 4)
        (1.0, 0.0, 2.0)
        >>> entropy([[0.5, 0.5], [0.9, 0.1]]).round(3)
        array([1.   , 0.469])
    """
    probabilities = _as_distribution(p)
    if not base > 1:
        raise ValueError(f"base must be > 1, got {base}")
    safe = np.where(probabilities > 0, probabilities, 1.0)  # log 1 = 0 gives 0 log 0 = 0
    value = -np.sum(probabilities * np.log(safe), axis=-1) / math.log(base)
    return _scalar_or_array(value + 0.0)  # + 0.0 turns −0.0 (a pure node) into 0.0


def gini(p: ArrayLike) -> float | Array:
    r"""Gini impurity: the chance that two draws from the node disagree.

    $$
    G(p) = 1 - \sum_k p_k^2
    $$

    Args:
        p: probabilities along the last axis, shape (..., K).

    Returns:
        gini: shape (...), in $[0, 1 - 1/K]$; a float for a single vector.

    Raises:
        ValueError: if `p` is not a probability vector.

    Examples:
        >>> gini([0.5, 0.5]), gini([1.0, 0.0])
        (0.5, 0.0)
    """
    probabilities = _as_distribution(p)
    return _scalar_or_array(1.0 - np.sum(probabilities**2, axis=-1))


def misclassification_error(p: ArrayLike) -> float | Array:
    r"""Misclassification error: the error of predicting the node's majority class.

    $$
    E(p) = 1 - \max_k p_k
    $$

    Args:
        p: probabilities along the last axis, shape (..., K).

    Returns:
        error: shape (...), in $[0, 1 - 1/K]$; a float for a single vector.

    Raises:
        ValueError: if `p` is not a probability vector.

    Examples:
        >>> round(misclassification_error([0.7, 0.3]), 6)
        0.3
    """
    probabilities = _as_distribution(p)
    return _scalar_or_array(1.0 - probabilities.max(axis=-1))


_IMPURITIES: dict[str, Callable[..., float | Array]] = {
    "entropy": entropy,
    "gini": gini,
    "misclassification": misclassification_error,
}


def information_gain(child_counts: ArrayLike, criterion: str = "entropy") -> float:
    r"""Impurity decrease of a split, given the class counts of its children.

    With $n_c$ samples in child $c$ and $n = \sum_c n_c$ in the parent,

    $$
    \operatorname{IG} = I(\text{parent}) - \sum_c \frac{n_c}{n}\, I(\text{child}_c).
    $$

    The parent's counts are the column sums, so the children always partition it. For
    entropy and Gini the gain is never negative (both are concave).

    Args:
        child_counts: class counts per child, shape (n_children, K), non-negative.
        criterion: `"entropy"`, `"gini"` or `"misclassification"`.

    Returns:
        gain: the impurity decrease (in bits for entropy).

    Raises:
        ValueError: if the counts are negative, not finite, a child or the parent is
            empty, or the criterion is unknown.

    Examples:
        >>> information_gain([[4, 0], [0, 4]])  # a perfect split of a 50/50 node: 1 bit
        1.0
        >>> information_gain([[2, 2], [2, 2]])  # children as mixed as the parent
        0.0
    """
    if criterion not in _IMPURITIES:
        raise ValueError(f"criterion must be one of {tuple(_IMPURITIES)}, got {criterion!r}")
    counts = np.asarray(child_counts, dtype=np.float64)
    if counts.ndim != 2:
        raise ValueError(f"child_counts must be 2-D (n_children, K), got shape {counts.shape}")
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise ValueError("child_counts must be finite and non-negative")
    sizes = counts.sum(axis=1)  # (n_children,)
    if np.any(sizes == 0):
        raise ValueError("every child must hold at least one sample")
    impurity = _IMPURITIES[criterion]
    parent = counts.sum(axis=0)  # (K,)
    total = parent.sum()
    children = impurity(counts / sizes[:, None])  # (n_children,)
    return float(impurity(parent / total) - np.sum(sizes / total * children))


def _impurity_of_counts(counts: Array, sizes: Array, criterion: str) -> Array:
    """Impurity from class counts (..., K) and sizes (...,) without validation (inner loop)."""
    p = counts / sizes[..., None]
    if criterion == "gini":
        return 1.0 - np.sum(p * p, axis=-1)
    safe = np.where(p > 0, p, 1.0)
    return -np.sum(p * np.log2(safe), axis=-1)


@dataclass(frozen=True)
class Split:
    r"""The best split of one node, found by [`best_split`][scribbles.classical.trees.best_split].

    Attributes:
        feature: the feature index $f$.
        threshold: samples with $x_f \le$ threshold go left.
        n_left: how many samples go left.
        score: $n_L I_L + n_R I_R$, the size-weighted impurity of the children.
        n_tied_features: how many features reach the best score (1: the best is unique).
    """

    feature: int
    threshold: float
    n_left: int
    score: float
    n_tied_features: int


def best_split(
    X: Array, y: NDArray[np.int64], n_classes: int, criterion: str, min_samples_leaf: int = 1
) -> Split | None:
    r"""Search every feature and every threshold of a node for the best split, vectorised.

    Per feature, the samples are sorted once; the class counts of every candidate left
    child are then a cumulative sum, so all $n - 1$ thresholds are scored at once:

    $$
    \text{score}(f, p) = n_L I(\text{counts}_{\le p}) + n_R I(\text{total} - \text{counts}_{\le p}),
    $$

    minimised over features $f$ and positions $p$ where consecutive sorted values
    differ (by more than $10^{-7}$) and both children keep `min_samples_leaf` samples.
    The threshold is the midpoint of the two values around the cut. Ties (within a
    relative $10^{-10}$) go to the lowest feature index, then the lowest threshold.

    Args:
        X: the node's samples, shape (n, d).
        y: their class indices in `range(n_classes)`, shape (n,).
        n_classes: the number of classes $K$.
        criterion: `"entropy"` or `"gini"`.
        min_samples_leaf: the fewest samples a child may hold.

    Returns:
        split: the best [`Split`][scribbles.classical.trees.Split], or None when no valid split
            exists (all features constant, or too few samples).

    Examples:
        >>> X = np.array([[1.0, 5.0], [2.0, 6.0], [3.0, 5.0], [4.0, 6.0]])
        >>> best_split(X, np.array([0, 0, 1, 1]), 2, "entropy")
        Split(feature=0, threshold=2.5, n_left=2, score=0.0, n_tied_features=1)
    """
    n, d = X.shape
    if n < 2:
        return None
    total = np.bincount(y, minlength=n_classes).astype(np.float64)  # (K,)
    n_left = np.arange(1, n, dtype=np.float64)  # (n-1,): sizes of the candidate left children
    n_right = n - n_left
    size_ok = (n_left >= min_samples_leaf) & (n_right >= min_samples_leaf)  # (n-1,)
    if not size_ok.any():
        return None
    # features per block so that the (n, block, K) count tensor stays a few MB
    block = max(1, min(d, 2**21 // max(1, n * n_classes)))
    feature_best = np.full(d, np.inf)
    feature_position = np.zeros(d, dtype=np.int64)
    sorted_values: list[Array] = []
    for start in range(0, d, block):
        columns = X[:, start : start + block]  # (n, b)
        order = np.argsort(columns, axis=0, kind="stable")  # (n, b)
        values = np.take_along_axis(columns, order, axis=0)  # (n, b), sorted per feature
        one_hot = y[order][..., None] == np.arange(n_classes)  # (n, b, K)
        left = np.cumsum(one_hot, axis=0, dtype=np.float64)[:-1]  # (n-1, b, K)
        right = total - left
        score = n_left[:, None] * _impurity_of_counts(left, n_left[:, None], criterion)
        score += n_right[:, None] * _impurity_of_counts(right, n_right[:, None], criterion)
        valid = (values[1:] > values[:-1] + FEATURE_THRESHOLD) & size_ok[:, None]  # (n-1, b)
        score = np.where(valid, score, np.inf)  # (n-1, b)
        best = score.min(axis=0)  # (b,)
        within = score <= best + TIE_TOLERANCE * np.maximum(1.0, np.abs(best))
        feature_best[start : start + block] = best
        feature_position[start : start + block] = np.argmax(within, axis=0)  # first tie
        sorted_values.append(values)
    overall = float(feature_best.min())
    if not math.isfinite(overall):
        return None
    tied = feature_best <= overall + TIE_TOLERANCE * max(1.0, abs(overall))  # (d,)
    feature = int(np.argmax(tied))  # lowest tied feature index
    p = int(feature_position[feature])  # p + 1 samples go left
    values = sorted_values[feature // block][:, feature % block]
    threshold = float(values[p] / 2.0 + values[p + 1] / 2.0)  # midpoint, as scikit-learn
    return Split(feature, threshold, p + 1, float(feature_best[feature]), int(tied.sum()))


@dataclass
class Tree:
    """A fitted tree as parallel arrays indexed by node id (root 0, depth-first order).

    The layout is scikit-learn's `tree_`, with class counts instead of proportions.

    Attributes:
        children_left: left child per node, `-1` for leaves, shape (n_nodes,).
        children_right: right child per node, `-1` for leaves, shape (n_nodes,).
        feature: split feature per node, `-2` for leaves, shape (n_nodes,).
        threshold: split threshold per node, `-2.0` for leaves, shape (n_nodes,).
        class_counts: training samples of each class per node, shape (n_nodes, K).
        impurity: impurity per node, shape (n_nodes,).
        n_node_samples: training samples per node, shape (n_nodes,).
        n_tied_features: features tied for the node's best split (0 for leaves).
        depth: depth per node (root 0), shape (n_nodes,).
    """

    children_left: NDArray[np.int64]
    children_right: NDArray[np.int64]
    feature: NDArray[np.int64]
    threshold: Array
    class_counts: Array
    impurity: Array
    n_node_samples: NDArray[np.int64]
    n_tied_features: NDArray[np.int64]
    depth: NDArray[np.int64]

    @property
    def n_nodes(self) -> int:
        """The number of nodes."""
        return int(self.children_left.size)

    @property
    def is_leaf(self) -> NDArray[np.bool_]:
        """Whether each node is a leaf, shape (n_nodes,)."""
        return self.children_left == TREE_LEAF


def _check_int(name: str, value: Any, minimum: int, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        expected = "an int or None" if allow_none else "an int"
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


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
            f"X has {array.shape[1]} features, but the tree was fitted with {n_features}"
        )
    return array


class DecisionTreeClassifier:
    r"""A classification tree grown greedily, top-down, like scikit-learn's.

    A node becomes a leaf when it is pure, when `max_depth` is reached, when it holds
    fewer than `min_samples_split` (or `2 * min_samples_leaf`) samples, when no split
    exists, or when the best split's weighted impurity decrease

    $$
    \frac{n_t}{n}\Big(I_t - \frac{n_L}{n_t} I_L - \frac{n_R}{n_t} I_R\Big)
    $$

    is below `min_impurity_decrease`. With the default 0, a split that does not help
    at all is still made, which is what lets a greedy tree solve XOR.

    Args:
        criterion: `"entropy"` (information gain, in bits) or `"gini"`.
        max_depth: the deepest a leaf may be (root at depth 0); None for no limit.
        min_samples_split: the fewest samples a node needs to be split.
        min_samples_leaf: the fewest samples each child must keep.
        min_impurity_decrease: the smallest weighted impurity decrease worth a split.

    Attributes:
        classes_: sorted class labels, shape (K,).
        n_features_in_: number of features seen by `fit`.
        tree_: the fitted [`Tree`][scribbles.classical.trees.Tree].
        depth_: depth of the deepest leaf.
        n_leaves_: number of leaves.
        feature_importances_: normalised total impurity decrease per feature, shape (d,).

    Examples:
        >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
        >>> tree = DecisionTreeClassifier().fit(X, [0, 1, 1, 0])  # XOR
        >>> tree.predict(X).tolist(), tree.depth_, tree.n_leaves_
        ([0, 1, 1, 0], 2, 4)
    """

    def __init__(
        self,
        criterion: Literal["entropy", "gini"] = "gini",
        max_depth: int | None = None,
        min_samples_split: int = 2,
        min_samples_leaf: int = 1,
        min_impurity_decrease: float = 0.0,
    ) -> None:
        self.criterion = criterion
        self.max_depth = max_depth
        self.min_samples_split = min_samples_split
        self.min_samples_leaf = min_samples_leaf
        self.min_impurity_decrease = min_impurity_decrease

    def _check_parameters(self) -> None:
        if self.criterion not in CRITERIA:
            raise ValueError(f"criterion must be one of {CRITERIA}, got {self.criterion!r}")
        _check_int("max_depth", self.max_depth, 1, allow_none=True)
        _check_int("min_samples_split", self.min_samples_split, 2)
        _check_int("min_samples_leaf", self.min_samples_leaf, 1)
        decrease = self.min_impurity_decrease
        if isinstance(decrease, bool) or not isinstance(decrease, int | float | np.floating):
            raise TypeError(
                f"min_impurity_decrease must be a number, got {type(decrease).__name__}"
            )
        if not (math.isfinite(decrease) and decrease >= 0):
            raise ValueError(f"min_impurity_decrease must be >= 0, got {decrease}")

    def fit(self, X: ArrayLike, y: ArrayLike) -> DecisionTreeClassifier:
        r"""Grow the tree depth-first (left child before right, as scikit-learn numbers nodes).

        Args:
            X: training samples, shape (n, d), finite.
            y: labels, shape (n,).

        Returns:
            self: the fitted tree.

        Raises:
            ValueError: for NaN or infinite inputs, mismatched lengths, an unknown
                criterion or an out-of-range hyperparameter.
            TypeError: if an integer hyperparameter is not an int.
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
        self.classes_, y_index = np.unique(labels, return_inverse=True)
        self.n_features_in_ = X.shape[1]
        n_classes, n_total = self.classes_.size, X.shape[0]
        max_depth = np.iinfo(np.int64).max if self.max_depth is None else self.max_depth

        nodes: list[dict[str, Any]] = []
        # stack of (sample indices, depth, parent id, is_left); left is popped first
        stack: list[tuple[NDArray[np.int64], int, int, bool]] = [
            (np.arange(n_total), 0, TREE_LEAF, False)
        ]
        while stack:
            indices, depth, parent, is_left = stack.pop()
            counts = np.bincount(y_index[indices], minlength=n_classes).astype(np.float64)
            n_node = indices.size
            impurity = float(_impurity_of_counts(counts, np.array(float(n_node)), self.criterion))
            node_id = len(nodes)
            if parent != TREE_LEAF:
                nodes[parent]["left" if is_left else "right"] = node_id
            node = {
                "left": TREE_LEAF,
                "right": TREE_LEAF,
                "feature": TREE_UNDEFINED,
                "threshold": float(TREE_UNDEFINED),
                "counts": counts,
                "impurity": impurity,
                "n": n_node,
                "tied": 0,
                "depth": depth,
            }
            nodes.append(node)
            if (
                depth >= max_depth
                or n_node < self.min_samples_split
                or n_node < 2 * self.min_samples_leaf
                or impurity <= np.finfo(float).eps
            ):
                continue
            split = best_split(
                X[indices], y_index[indices], n_classes, self.criterion, self.min_samples_leaf
            )
            if split is None:
                continue
            # weighted impurity decrease (n_t / n)(I_t − (n_L I_L + n_R I_R) / n_t)
            decrease = (n_node / n_total) * (impurity - split.score / n_node)
            if decrease + np.finfo(float).eps < self.min_impurity_decrease:
                continue
            goes_left = X[indices, split.feature] <= split.threshold
            node.update(
                feature=split.feature, threshold=split.threshold, tied=split.n_tied_features
            )
            stack.append((indices[~goes_left], depth + 1, node_id, False))
            stack.append((indices[goes_left], depth + 1, node_id, True))

        self.tree_ = Tree(
            children_left=np.array([n["left"] for n in nodes], dtype=np.int64),
            children_right=np.array([n["right"] for n in nodes], dtype=np.int64),
            feature=np.array([n["feature"] for n in nodes], dtype=np.int64),
            threshold=np.array([n["threshold"] for n in nodes]),
            class_counts=np.stack([n["counts"] for n in nodes]),
            impurity=np.array([n["impurity"] for n in nodes]),
            n_node_samples=np.array([n["n"] for n in nodes], dtype=np.int64),
            n_tied_features=np.array([n["tied"] for n in nodes], dtype=np.int64),
            depth=np.array([n["depth"] for n in nodes], dtype=np.int64),
        )
        leaves = self.tree_.is_leaf
        self.depth_ = int(self.tree_.depth[leaves].max())
        self.n_leaves_ = int(leaves.sum())
        self.feature_importances_ = self._importances()
        return self

    def _importances(self) -> Array:
        """Total weighted impurity decrease per feature, normalised to sum to 1."""
        tree = self.tree_
        importances = np.zeros(self.n_features_in_)
        weighted = tree.n_node_samples * tree.impurity  # (n_nodes,)
        for node in np.flatnonzero(~tree.is_leaf):
            left, right = tree.children_left[node], tree.children_right[node]
            importances[tree.feature[node]] += weighted[node] - weighted[left] - weighted[right]
        total = importances.sum()
        return importances / total if total > 0 else importances

    def _check_fitted(self) -> None:
        if not hasattr(self, "tree_"):
            raise ValueError("this DecisionTreeClassifier is not fitted yet; call fit(X, y) first")

    def apply(self, X: ArrayLike) -> NDArray[np.int64]:
        r"""Return the leaf each sample lands in (all samples descend together, level by level).

        Args:
            X: samples, shape (n, d).

        Returns:
            leaves: node ids, shape (n,).

        Raises:
            ValueError: if the tree is not fitted or `X` is malformed.
        """
        return self.decision_path(X)[1]

    def decision_path(self, X: ArrayLike) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
        r"""Return the nodes each sample visits and the leaf it lands in.

        Args:
            X: samples, shape (n, d).

        Returns:
            visited: `visited[i, t]` is True if sample `i` passes node `t`, shape
                (n, n_nodes) (dense, unlike scikit-learn's sparse matrix).
            leaves: the leaf of each sample, shape (n,).

        Raises:
            ValueError: if the tree is not fitted or `X` is malformed.
        """
        self._check_fitted()
        A = _check_X(X, self.n_features_in_)
        tree = self.tree_
        node = np.zeros(A.shape[0], dtype=np.int64)  # (n,): every sample starts at the root
        visited = np.zeros((A.shape[0], tree.n_nodes), dtype=bool)
        rows = np.arange(A.shape[0])
        visited[rows, 0] = True
        for _ in range(self.depth_):
            inner = ~tree.is_leaf[node]
            if not inner.any():
                break
            at = node[inner]
            goes_left = A[rows[inner], tree.feature[at]] <= tree.threshold[at]
            node[inner] = np.where(goes_left, tree.children_left[at], tree.children_right[at])
            visited[rows[inner], node[inner]] = True
        return visited, node

    def predict_proba(self, X: ArrayLike) -> Array:
        r"""Class proportions of the training samples in each sample's leaf.

        Args:
            X: samples, shape (n, d).

        Returns:
            probabilities: shape (n, K), columns in the order of `classes_`.

        Raises:
            ValueError: if the tree is not fitted or `X` is malformed.
        """
        self._check_fitted()
        counts = self.tree_.class_counts[self.apply(X)]  # (n, K)
        return counts / counts.sum(axis=1, keepdims=True)

    def predict(self, X: ArrayLike) -> NDArray[Any]:
        r"""Majority class of each sample's leaf (ties go to the lowest class).

        Args:
            X: samples, shape (n, d).

        Returns:
            labels: shape (n,).

        Raises:
            ValueError: if the tree is not fitted or `X` is malformed.
        """
        probabilities = self.predict_proba(X)  # checks that the tree is fitted
        return self.classes_[np.argmax(probabilities, axis=1)]


def export_text(
    model: DecisionTreeClassifier,
    feature_names: Sequence[str] | None = None,
    class_names: Sequence[str] | None = None,
    decimals: int = 2,
    show_weights: bool = False,
) -> str:
    r"""Render a fitted tree as indented rules, in the format of `sklearn.tree.export_text`.

    Args:
        model: a fitted
            [`DecisionTreeClassifier`][scribbles.classical.trees.DecisionTreeClassifier].
        feature_names: a name per feature; default `feature_0`, `feature_1`, ...
        class_names: a name per class; default `classes_`.
        decimals: digits after the point for thresholds and weights.
        show_weights: also print the class counts of each leaf.

    Returns:
        report: one line per branch and leaf, ending with a newline.

    Raises:
        ValueError: if the model is not fitted or a name list has the wrong length.

    Examples:
        >>> X = np.array([[1.0], [2.0], [3.0]])
        >>> print(export_text(DecisionTreeClassifier().fit(X, [0, 0, 1]), ["x"]), end="")
        |--- x <= 2.50
        |   |--- class: 0
        |--- x >  2.50
        |   |--- class: 1
    """
    model._check_fitted()
    tree = model.tree_
    if feature_names is None:
        feature_names = [f"feature_{i}" for i in range(model.n_features_in_)]
    if len(feature_names) != model.n_features_in_:
        raise ValueError(
            f"feature_names must have {model.n_features_in_} entries, got {len(feature_names)}"
        )
    names = list(model.classes_) if class_names is None else list(class_names)
    if len(names) != model.classes_.size:
        raise ValueError(f"class_names must have {model.classes_.size} entries, got {len(names)}")
    lines: list[str] = []

    def render(node: int, depth: int) -> None:
        indent = ("|" + " " * 3) * depth
        indent = indent[:-3] + "-" * 3
        if tree.is_leaf[node]:
            counts = tree.class_counts[node]
            weights = ""
            if show_weights:
                weights = " weights: [" + ", ".join(f"{c:.{decimals}f}" for c in counts) + "]"
            lines.append(f"{indent}{weights} class: {names[int(np.argmax(counts))]}")
            return
        name, threshold = feature_names[tree.feature[node]], f"{tree.threshold[node]:.{decimals}f}"
        lines.append(f"{indent} {name} <= {threshold}")
        render(int(tree.children_left[node]), depth + 1)
        lines.append(f"{indent} {name} >  {threshold}")
        render(int(tree.children_right[node]), depth + 1)

    render(0, 1)
    return "\n".join(lines) + "\n"


def _dataset(name: str) -> tuple[Array, NDArray[Any], list[str]]:
    """A data set bundled with scikit-learn: samples, labels, feature names."""
    from sklearn.datasets import load_breast_cancer, load_iris, load_wine

    loaders = {"iris": load_iris, "wine": load_wine, "breast-cancer": load_breast_cancer}
    if name not in loaders:
        raise ValueError(f"dataset must be one of {tuple(loaders)}, got {name!r}")
    bunch = loaders[name]()
    return np.asarray(bunch.data, dtype=np.float64), bunch.target, list(bunch.feature_names)


def same_structure(ours: DecisionTreeClassifier, theirs: Any) -> bool:
    r"""Whether our tree and a fitted `sklearn.tree.DecisionTreeClassifier` are the same tree.

    Same node order, children, features and class counts; thresholds equal to a
    relative $10^{-6}$ (scikit-learn stores its samples as float32).

    Args:
        ours: a fitted [`DecisionTreeClassifier`][scribbles.classical.trees.DecisionTreeClassifier].
        theirs: a fitted scikit-learn tree.

    Returns:
        same: True when every node matches.

    Examples:
        >>> from sklearn.tree import DecisionTreeClassifier as SklearnTree
        >>> X, y = np.array([[1.0], [2.0], [3.0], [4.0]]), np.array([0, 0, 1, 1])
        >>> same_structure(DecisionTreeClassifier().fit(X, y), SklearnTree().fit(X, y))
        True
    """
    a, b = ours.tree_, theirs.tree_
    if a.n_nodes != b.node_count:
        return False
    counts = b.value[:, 0, :] * b.weighted_n_node_samples[:, None]
    inner = ~a.is_leaf
    return bool(
        np.array_equal(a.children_left, b.children_left)
        and np.array_equal(a.children_right, b.children_right)
        and np.array_equal(a.feature[inner], b.feature[inner])
        and np.allclose(a.threshold[inner], b.threshold[inner], rtol=1e-6, atol=1e-9)
        and np.allclose(a.class_counts, counts)
    )


def _best_tree(X: Array, y: NDArray[np.int64], n_classes: int, depth: int) -> tuple[int, int]:
    """(most samples classified correctly, fewest leaves doing so) over trees of `depth` levels."""
    best = (int(np.bincount(y, minlength=n_classes).max()), -1)  # a leaf: the majority
    if depth == 0 or best[0] == y.size:
        return best[0], 1
    for feature in range(X.shape[1]):
        values = np.unique(X[:, feature])
        for threshold in (values[:-1] + values[1:]) / 2.0:  # every midpoint
            left = X[:, feature] <= threshold
            correct_l, leaves_l = _best_tree(X[left], y[left], n_classes, depth - 1)
            correct_r, leaves_r = _best_tree(X[~left], y[~left], n_classes, depth - 1)
            best = max(best, (correct_l + correct_r, -(leaves_l + leaves_r)))
    return best[0], -best[1]


@cached
def exhaustive_tree_search(X: Array, y: NDArray[Any], max_depth: int) -> dict[str, float]:
    r"""The best tree of depth at most `max_depth`, found by trying them all.

    Every split at every node is tried (thresholds at midpoints); among the trees with
    the highest training accuracy, the one with the fewest leaves is reported. The cost
    grows like $(d\,n)^{2^{\text{depth}}}$: only for toy data. Finding an optimal tree
    is NP-complete in general (Hyafil and Rivest, 1976), which is why trees are grown
    greedily.

    Args:
        X: samples, shape (n, d).
        y: labels, shape (n,).
        max_depth: the depth limit, >= 0.

    Returns:
        best: `accuracy`, the largest share of training samples such a tree classifies
            correctly, and `n_leaves`, the fewest leaves a tree reaching it needs.

    Raises:
        ValueError: if `X` is malformed, the lengths differ or `max_depth < 0`.

    Examples:
        >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
        >>> exhaustive_tree_search(X, np.array([0, 1, 1, 0]), 2)
        {'accuracy': 1.0, 'n_leaves': 4.0}
    """
    A = _check_X(X)
    _check_int("max_depth", max_depth, 0)
    _, labels = np.unique(np.asarray(y), return_inverse=True)
    if labels.shape[0] != A.shape[0]:
        raise ValueError(f"X and y must have the same length, got {A.shape[0]} and {labels.size}")
    correct, leaves = _best_tree(A, labels, int(labels.max()) + 1, max_depth)
    return {"accuracy": correct / labels.size, "n_leaves": float(leaves)}


@cached
def fit_summary(
    X: Array,
    y: NDArray[Any],
    X_eval: Array | None = None,
    feature_names: list[str] | None = None,
    criterion: str = "entropy",
    max_depth: int | None = None,
    min_samples_leaf: int = 1,
    min_impurity_decrease: float = 0.0,
) -> dict[str, Any]:
    r"""Grow our tree and return what a chapter shows, as plain data.

    The tree is a [`DecisionTreeClassifier`][scribbles.classical.trees.DecisionTreeClassifier].

    Args:
        X: training samples, shape (n, d).
        y: labels, shape (n,).
        X_eval: extra points to classify (a plotting grid, say), shape (m, d), or None.
        feature_names: names for the text rendering, or None.
        criterion: `"entropy"` or `"gini"`.
        max_depth: the depth limit, or None.
        min_samples_leaf: the fewest samples per leaf.
        min_impurity_decrease: the smallest weighted impurity decrease worth a split.

    Returns:
        summary: `text` (the [`export_text`][scribbles.classical.trees.export_text] rendering),
            `tree` (the [`Tree`][scribbles.classical.trees.Tree]'s arrays as a dict), `depth`,
            `n_leaves`, `train_accuracy`, `classes`, and `predict_eval` (m,) if `X_eval`
            is given.

    Raises:
        ValueError: as
            [`DecisionTreeClassifier.fit`][scribbles.classical.trees.DecisionTreeClassifier.fit].

    Examples:
        >>> summary = fit_summary(np.array([[1.0], [2.0], [3.0]]), np.array([0, 0, 1]))
        >>> summary["depth"], summary["n_leaves"], summary["tree"]["threshold"].tolist()
        (1, 2, [2.5, -2.0, -2.0])
    """
    model = DecisionTreeClassifier(
        criterion,  # type: ignore[arg-type]
        max_depth,
        min_samples_leaf=min_samples_leaf,
        min_impurity_decrease=min_impurity_decrease,
    ).fit(X, y)
    summary: dict[str, Any] = {
        "text": export_text(model, feature_names),
        "tree": {name: getattr(model.tree_, name) for name in model.tree_.__dataclass_fields__},
        "depth": model.depth_,
        "n_leaves": model.n_leaves_,
        "train_accuracy": float((model.predict(X) == np.asarray(y)).mean()),
        "classes": model.classes_,
    }
    if X_eval is not None:
        summary["predict_eval"] = model.predict(X_eval)
    return summary


@cached
def compare_with_scikit_learn(
    dataset: str, criterion: str, max_depth: int | None, seed: int = 0, repeats: int = 7
) -> dict[str, float]:
    r"""Grow our tree and scikit-learn's with the same settings and compare them.

    Args:
        dataset: `"iris"`, `"wine"` or `"breast-cancer"`, split 70/30 with `seed`.
        criterion: `"entropy"` or `"gini"`.
        max_depth: the depth limit both trees use (None for none).
        seed: the seed of the split (scikit-learn's `random_state` is 0).
        repeats: fits per model; the fastest wall time is kept.

    Returns:
        comparison: test accuracy, depth, leaves and fit seconds of each tree; the
            share of test points predicted alike; whether the trees are identical
            (1.0 or 0.0); how many split nodes had tied features; and the agreement on
            the test points whose path crosses no tied node.

    Raises:
        ValueError: if `dataset` or `criterion` is unknown.

    Examples:
        >>> result = compare_with_scikit_learn("wine", "gini", 2, repeats=1)
        >>> result["same_tree"], result["agreement"]
        (1.0, 1.0)
    """
    from sklearn.tree import DecisionTreeClassifier as SklearnTree

    X, y, _ = _dataset(dataset)
    order = np.random.default_rng(seed).permutation(len(y))
    cut = int(0.7 * len(y))
    train, test = order[:cut], order[cut:]

    def best_fit(factory: Callable[[], Any]) -> tuple[Any, float]:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            model = factory().fit(X[train], y[train])
            times.append(time.perf_counter() - start)
        return model, min(times)

    ours, ours_s = best_fit(lambda: DecisionTreeClassifier(criterion, max_depth))
    theirs, theirs_s = best_fit(
        lambda: SklearnTree(criterion=criterion, max_depth=max_depth, random_state=0)
    )
    ours_test, theirs_test = ours.predict(X[test]), theirs.predict(X[test])
    tied_nodes = ours.tree_.n_tied_features > 1
    visited, _ = ours.decision_path(X[test])
    untied = ~(visited & tied_nodes).any(axis=1)
    return {
        "ours_accuracy": float((ours_test == y[test]).mean()),
        "sklearn_accuracy": float((theirs_test == y[test]).mean()),
        "ours_depth": float(ours.depth_),
        "sklearn_depth": float(theirs.get_depth()),
        "ours_leaves": float(ours.n_leaves_),
        "sklearn_leaves": float(theirs.get_n_leaves()),
        "agreement": float((ours_test == theirs_test).mean()),
        "same_tree": float(same_structure(ours, theirs)),
        "tied_nodes": float(tied_nodes.sum()),
        "untied_agreement": float((ours_test[untied] == theirs_test[untied]).mean())
        if untied.any()
        else 1.0,
        "ours_fit_s": ours_s,
        "sklearn_fit_s": theirs_s,
    }
