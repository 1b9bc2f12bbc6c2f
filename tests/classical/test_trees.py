"""scribbles.classical.trees: impurities, vectorised split search, trees equal to sklearn's."""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import entropy as scipy_entropy
from sklearn.datasets import load_breast_cancer, load_iris, load_wine
from sklearn.tree import DecisionTreeClassifier as SklearnTree
from sklearn.tree import export_text as sklearn_export_text

from scribbles.classical.trees import (
    DecisionTreeClassifier,
    best_split,
    compare_with_scikit_learn,
    entropy,
    exhaustive_tree_search,
    export_text,
    gini,
    information_gain,
    misclassification_error,
    same_structure,
)

LOADERS = {"iris": load_iris, "wine": load_wine, "breast-cancer": load_breast_cancer}


# ---------------------------------------------------------------- impurity functions


def test_impurities_on_known_distributions() -> None:
    assert entropy([0.5, 0.5]) == pytest.approx(1.0)
    assert entropy([0.25] * 4) == pytest.approx(2.0)
    assert entropy([0.5, 0.5], base=math.e) == pytest.approx(math.log(2))
    assert gini([0.5, 0.5]) == pytest.approx(0.5)
    assert gini([1 / 3] * 3) == pytest.approx(2 / 3)
    assert misclassification_error([0.2, 0.5, 0.3]) == pytest.approx(0.5)
    batch = np.array([[1.0, 0.0], [0.5, 0.5], [0.9, 0.1]])  # vectorised along the last axis
    assert entropy(batch).shape == gini(batch).shape == (3,)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=8).filter(lambda w: sum(w) > 1e-3))
def test_entropy_equals_scipy_and_is_maximal_at_the_uniform_distribution(weights: list) -> None:
    p = np.array(weights) / sum(weights)
    k = p.size
    assert entropy(p) == pytest.approx(scipy_entropy(p, base=2), abs=1e-12)
    assert entropy(p) <= entropy(np.full(k, 1 / k)) + 1e-12
    assert entropy(np.full(k, 1 / k)) == pytest.approx(math.log2(k))
    assert gini(p) <= gini(np.full(k, 1 / k)) + 1e-12
    assert misclassification_error(p) <= 1 - 1 / k + 1e-12


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 10), st.data())
def test_impurity_is_zero_at_a_pure_node(k: int, data: st.DataObject) -> None:
    pure = np.zeros(k)
    pure[data.draw(st.integers(0, k - 1))] = 1.0
    assert entropy(pure) == 0.0 and gini(pure) == 0.0 and misclassification_error(pure) == 0.0


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 30), min_size=3, max_size=3), min_size=2, max_size=4).filter(
        lambda rows: all(sum(r) > 0 for r in rows)
    ),
    st.sampled_from(["entropy", "gini"]),
)
def test_information_gain_is_never_negative(counts: list, criterion: str) -> None:
    assert information_gain(counts, criterion) >= -1e-12


def test_information_gain_examples() -> None:
    # children with the parent's proportions gain nothing; a perfect split gains H(parent)
    assert information_gain([[2, 6], [1, 3]]) == pytest.approx(0.0, abs=1e-12)
    assert information_gain([[5, 0], [0, 3]]) == pytest.approx(entropy([5 / 8, 3 / 8]))
    # misclassification error cannot tell these splits apart; entropy and Gini can
    a, b = [[300, 100], [100, 300]], [[200, 400], [200, 0]]
    assert information_gain(a, "misclassification") == pytest.approx(
        information_gain(b, "misclassification")
    )
    assert information_gain(b, "entropy") > information_gain(a, "entropy")
    assert information_gain(b, "gini") > information_gain(a, "gini")


# ---------------------------------------------------------------- split search


def _brute_force_split(X: np.ndarray, y: np.ndarray, k: int, criterion: str, leaf: int):
    """Every feature, every threshold, one at a time (the loop best_split vectorises)."""
    best = (math.inf, None, None)
    for f in range(X.shape[1]):
        values = np.unique(X[:, f])
        for low, high in itertools.pairwise(values):
            threshold = low / 2 + high / 2
            left = X[:, f] <= threshold
            if left.sum() < leaf or (~left).sum() < leaf:
                continue
            score = 0.0
            for side in (left, ~left):
                p = np.bincount(y[side], minlength=k) / side.sum()
                score += side.sum() * (entropy(p) if criterion == "entropy" else gini(p))
            if score < best[0] - 1e-9:
                best = (score, f, threshold)
    return best


@settings(max_examples=40, deadline=None)
@given(
    st.integers(2, 40),
    st.integers(1, 4),
    st.integers(2, 3),
    st.integers(0, 10_000),
    st.sampled_from(["entropy", "gini"]),
    st.integers(1, 3),
)
def test_vectorised_split_search_equals_brute_force(
    n: int, d: int, k: int, seed: int, criterion: str, leaf: int
) -> None:
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 6, size=(n, d)).astype(float)  # small integers: many ties
    y = rng.integers(0, k, size=n)
    split = best_split(X, y, k, criterion, leaf)
    score, feature, threshold = _brute_force_split(X, y, k, criterion, leaf)
    if split is None:
        assert feature is None
        return
    assert split.score == pytest.approx(score, abs=1e-9)
    assert (split.feature, split.threshold) == (feature, threshold)


# ---------------------------------------------------------------- trees against scikit-learn


def _walk_untied(ours: DecisionTreeClassifier, theirs: SklearnTree) -> int:
    """Walk both trees from the root; where our best split is unique, the nodes must match.

    Returns how many nodes were compared (below a tied node the trees may differ).
    """
    a, b = ours.tree_, theirs.tree_
    compared, stack = 0, [(0, 0)]
    while stack:
        i, j = stack.pop()
        compared += 1
        counts = b.value[j, 0] * b.weighted_n_node_samples[j]
        np.testing.assert_allclose(a.class_counts[i], counts)
        assert a.is_leaf[i] == (b.children_left[j] == -1)
        if a.is_leaf[i] or a.n_tied_features[i] > 1:
            continue
        assert a.feature[i] == b.feature[j]
        assert a.threshold[i] == pytest.approx(b.threshold[j], rel=1e-6)
        stack += [
            (a.children_left[i], b.children_left[j]),
            (a.children_right[i], b.children_right[j]),
        ]
    return compared


def _assert_same_text(ours: str, theirs: str) -> None:
    """Same rules; printed thresholds may differ in the last digit (sklearn rounds float32)."""
    number = re.compile(r"\d+\.\d+")
    assert number.sub("#", ours) == number.sub("#", theirs)
    ours_numbers = [float(v) for v in number.findall(ours)]
    theirs_numbers = [float(v) for v in number.findall(theirs)]
    np.testing.assert_allclose(ours_numbers, theirs_numbers, rtol=0, atol=0.0100001)


@pytest.mark.parametrize("dataset", list(LOADERS))
@pytest.mark.parametrize("criterion", ["entropy", "gini"])
@pytest.mark.parametrize("max_depth", [1, 2, 3, None])
def test_tree_matches_sklearn_where_the_best_split_is_unique(
    dataset: str, criterion: str, max_depth: int | None
) -> None:
    X, y = LOADERS[dataset](return_X_y=True)
    ours = DecisionTreeClassifier(criterion, max_depth).fit(X, y)
    theirs = SklearnTree(criterion=criterion, max_depth=max_depth, random_state=0).fit(X, y)
    assert _walk_untied(ours, theirs) >= 1
    # predictions agree for every sample whose path crosses no tied node
    visited, _ = ours.decision_path(X)
    untied = ~(visited & (ours.tree_.n_tied_features > 1)).any(axis=1)
    np.testing.assert_array_equal(ours.predict(X)[untied], theirs.predict(X)[untied])
    if max_depth is None:  # grown to purity: both fit the training data alike
        assert (ours.predict(X) == y).mean() == (theirs.predict(X) == y).mean()
    if not (ours.tree_.n_tied_features > 1).any():  # no tie at all: the very same tree
        assert same_structure(ours, theirs)
        np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X))
        np.testing.assert_allclose(
            ours.feature_importances_, theirs.feature_importances_, atol=1e-12
        )
        _assert_same_text(export_text(ours), sklearn_export_text(theirs))
        assert (ours.depth_, ours.n_leaves_) == (theirs.get_depth(), theirs.get_n_leaves())


def test_untied_trees_exist_among_the_comparisons() -> None:
    # guard: the strict branch above must actually run on some data set
    X, y = load_wine(return_X_y=True)
    ours = DecisionTreeClassifier("gini", max_depth=2).fit(X, y)
    theirs = SklearnTree(criterion="gini", max_depth=2, random_state=0).fit(X, y)
    assert (ours.tree_.n_tied_features <= 1).all() and same_structure(ours, theirs)


def test_iris_root_is_a_tie_between_two_petal_features() -> None:
    X, y = load_iris(return_X_y=True)
    ours = DecisionTreeClassifier("entropy", max_depth=1).fit(X, y)
    assert ours.tree_.n_tied_features[0] == 2  # petal length and petal width isolate setosa
    assert ours.tree_.feature[0] == 2  # ties go to the lowest feature index


@pytest.mark.parametrize(("leaf", "split"), [(5, 2), (1, 20), (3, 10)])
def test_min_samples_rules_match_sklearn(leaf: int, split: int) -> None:
    X, y = load_breast_cancer(return_X_y=True)
    ours = DecisionTreeClassifier("gini", 4, min_samples_split=split, min_samples_leaf=leaf)
    theirs = SklearnTree(
        criterion="gini",
        max_depth=4,
        min_samples_split=split,
        min_samples_leaf=leaf,
        random_state=0,
    )
    ours.fit(X, y)
    theirs.fit(X, y)
    assert _walk_untied(ours, theirs) >= 3
    assert ours.tree_.n_node_samples[ours.tree_.is_leaf].min() >= leaf


def test_xor_needs_a_useless_first_split() -> None:
    X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = np.array([0, 1, 1, 0])
    for f in range(2):  # no single split helps
        left = X[:, f] <= 0.5
        counts = [np.bincount(y[left], minlength=2), np.bincount(y[~left], minlength=2)]
        assert information_gain(counts) == 0.0
    greedy = DecisionTreeClassifier("entropy").fit(X, y)
    assert (greedy.predict(X) == y).all() and greedy.depth_ == 2
    cautious = DecisionTreeClassifier("entropy", min_impurity_decrease=0.01).fit(X, y)
    assert cautious.n_leaves_ == 1 and (cautious.predict(X) == y).mean() == 0.5
    sk = SklearnTree(criterion="entropy", min_impurity_decrease=0.01).fit(X, y)
    assert sk.get_n_leaves() == 1


def test_exhaustive_search_finds_the_xor_tree_greedy_misses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")
    grid = np.arange(4.0)
    X = np.array([[a, b] for a in grid for b in grid])
    y = ((X[:, 0] >= 2) ^ (X[:, 1] >= 2)).astype(int)
    assert exhaustive_tree_search(X, y, 2) == {"accuracy": 1.0, "n_leaves": 4.0}
    assert exhaustive_tree_search(X, y, 1)["accuracy"] == 0.5
    greedy = DecisionTreeClassifier("entropy", max_depth=2).fit(X, y)
    assert (greedy.predict(X) == y).mean() == 0.75  # stuck below the optimum
    with pytest.raises(ValueError, match="max_depth must be >= 0"):
        exhaustive_tree_search(X, y, -1)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 2))
def test_greedy_never_beats_the_exhaustive_search(seed: int, depth: int) -> None:
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 4, size=(12, 2)).astype(float)
    y = rng.integers(0, 2, size=12)
    greedy = DecisionTreeClassifier("gini", max_depth=depth).fit(X, y)
    best = exhaustive_tree_search.__wrapped__(X, y, depth)  # uncached: hypothesis runs many
    assert (greedy.predict(X) == y).mean() <= best["accuracy"] + 1e-12


def test_a_continuous_feature_is_reused_along_a_path() -> None:
    x = np.linspace(0.0, 10.0, 41)[:, None]
    y = ((x[:, 0] > 3.0) & (x[:, 0] < 7.0)).astype(int)  # class 1 inside an interval
    tree = DecisionTreeClassifier("entropy").fit(x, y)
    assert (tree.predict(x) == y).all()
    visited, _ = tree.decision_path(np.array([[5.0]]))
    path = np.flatnonzero(visited[0] & ~tree.tree_.is_leaf)
    assert tree.tree_.feature[path].tolist() == [0, 0]  # the same feature twice
    assert len(set(tree.tree_.threshold[path])) == 2  # at two thresholds


def test_compare_with_scikit_learn_reports(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")
    result = compare_with_scikit_learn("wine", "gini", 2, repeats=1)
    assert result["same_tree"] == 1.0 and result["agreement"] == 1.0
    assert result["untied_agreement"] == 1.0 and result["tied_nodes"] == 0.0


def test_predict_proba_rows_sum_to_one_and_export_text_shows_weights() -> None:
    X, y = load_iris(return_X_y=True)
    tree = DecisionTreeClassifier(max_depth=2).fit(X, y)
    np.testing.assert_allclose(tree.predict_proba(X).sum(axis=1), 1.0)
    text = export_text(tree, feature_names=["sl", "sw", "pl", "pw"], show_weights=True)
    assert text.startswith("|--- pl <= 2.45\n|   |--- weights: [50.00, 0.00, 0.00] class: 0")


# ---------------------------------------------------------------- errors


def test_bad_inputs_raise() -> None:
    X, y = load_iris(return_X_y=True)
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="X must not contain NaN"):
        DecisionTreeClassifier().fit(bad, y)
    with pytest.raises(ValueError, match="same length, got 150 and 149"):
        DecisionTreeClassifier().fit(X, y[:-1])
    with pytest.raises(ValueError, match=r"criterion must be one of .* got 'log_gain'"):
        DecisionTreeClassifier(criterion="log_gain").fit(X, y)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_depth must be >= 1, got 0"):
        DecisionTreeClassifier(max_depth=0).fit(X, y)
    with pytest.raises(TypeError, match="max_depth must be an int or None"):
        DecisionTreeClassifier(max_depth=2.5).fit(X, y)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_samples_split must be >= 2"):
        DecisionTreeClassifier(min_samples_split=1).fit(X, y)
    with pytest.raises(ValueError, match="min_samples_leaf must be >= 1"):
        DecisionTreeClassifier(min_samples_leaf=0).fit(X, y)
    with pytest.raises(ValueError, match="min_impurity_decrease must be >= 0"):
        DecisionTreeClassifier(min_impurity_decrease=-0.1).fit(X, y)
    with pytest.raises(ValueError, match="not fitted"):
        DecisionTreeClassifier().predict(X)
    tree = DecisionTreeClassifier(max_depth=1).fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but the tree was fitted with 4"):
        tree.predict(X[:, :2])
    with pytest.raises(ValueError, match="feature_names must have 4 entries, got 1"):
        export_text(tree, feature_names=["a"])
    with pytest.raises(ValueError, match="p must sum to 1"):
        entropy([0.5, 0.2])
    with pytest.raises(ValueError, match="p must be finite and non-negative"):
        gini([1.5, -0.5])
    with pytest.raises(ValueError, match="every child must hold at least one sample"):
        information_gain([[1, 2], [0, 0]])
    with pytest.raises(ValueError, match="criterion must be one of"):
        information_gain([[1, 2], [3, 0]], criterion="variance")
