"""scribbles.learning.knn: our k-NN against scikit-learn's brute-force search, and its errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.sparse.csgraph import connected_components
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.metrics import pairwise_distances as sklearn_pairwise_distances
from sklearn.model_selection import cross_val_score
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors, kneighbors_graph
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from scribbles.learning.knn import (
    METRICS,
    KNNClassifier,
    _plan,
    _prepare_reference,
    compare_with_scikit_learn,
    digit_pair_accuracy,
    knn_density,
    knn_graph_components,
    knn_outlier_score,
    log_unit_ball_volume,
    metric_and_scaling_accuracy,
    nearest_neighbors,
    pairwise_distances,
    unit_ball_volume,
    vote_for_every_k,
)

KS = (1, 4, 15)


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """scikit-learn on one thread: on a shared machine its OpenMP threads mostly wait."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def digits():
    """The 8×8 digits: even rows train, 300 odd rows query: (X_train, y_train, X_test)."""
    X, y = load_digits(return_X_y=True)
    return X[::2], y[::2], X[1::2][:300]


@pytest.fixture(scope="module")
def jittered_digits(digits):
    """Digits plus tiny noise (1e-3 on pixels of 0..16): no two distances are equal."""
    X_train, y_train, X_test = digits
    rng = np.random.default_rng(0)
    return (
        X_train + 1e-3 * rng.random(X_train.shape),
        y_train,
        X_test + 1e-3 * rng.random(X_test.shape),
    )


def sklearn_knn(k, metric, X, y):
    return KNeighborsClassifier(n_neighbors=k, metric=metric, algorithm="brute").fit(X, y)


@pytest.mark.parametrize("metric", METRICS)
def test_pairwise_distances_match_sklearn(digits, metric):
    X_train, _, X_test = digits
    ours = pairwise_distances(X_test[:50], X_train, metric)
    reference = sklearn_pairwise_distances(X_test[:50], X_train, metric=metric)
    np.testing.assert_allclose(ours, reference, rtol=1e-10, atol=1e-9)


def test_cosine_distance_of_a_zero_vector_is_one():
    np.testing.assert_array_equal(pairwise_distances([[0.0, 0.0]], [[1.0, 2.0]], "cosine"), [[1]])


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("k", KS)
def test_predictions_identical_to_sklearn_when_distances_are_distinct(jittered_digits, metric, k):
    X_train, y_train, X_test = jittered_digits
    ours = KNNClassifier(n_neighbors=k, metric=metric).fit(X_train, y_train)
    reference = sklearn_knn(k, metric, X_train, y_train)
    np.testing.assert_array_equal(ours.predict(X_test), reference.predict(X_test))
    np.testing.assert_allclose(ours.predict_proba(X_test), reference.predict_proba(X_test), atol=0)
    distances, indices = ours.kneighbors(X_test)
    ref_distances, ref_indices = reference.kneighbors(X_test)
    np.testing.assert_array_equal(indices, ref_indices)
    np.testing.assert_allclose(distances, ref_distances, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("k", KS)
def test_on_raw_digits_every_disagreement_is_a_tie_at_the_kth_neighbour(digits, metric, k):
    """Integer pixels make equal distances common; only the choice among them may differ."""
    X_train, y_train, X_test = digits
    ours = KNNClassifier(n_neighbors=k, metric=metric).fit(X_train, y_train)
    reference = sklearn_knn(k, metric, X_train, y_train)
    distances, _ = ours.kneighbors(X_test, n_neighbors=k + 1)
    np.testing.assert_allclose(distances[:, :k], reference.kneighbors(X_test)[0], atol=1e-9)
    tie_at_boundary = np.isclose(distances[:, k - 1], distances[:, k], rtol=0, atol=1e-9)
    differ = ours.predict(X_test) != reference.predict(X_test)
    assert not (differ & ~tie_at_boundary).any()
    assert differ.mean() < 0.01


def test_ties_among_equal_distances_go_to_the_lower_training_index():
    X = np.array([[1.0], [-1.0], [1.0], [-1.0]])
    y = np.array([1, 0, 0, 1])
    model = KNNClassifier(n_neighbors=2).fit(X, y)
    _, indices = model.kneighbors([[0.0]])
    assert indices.tolist() == [[0, 1]]
    # one vote each: the smaller label wins
    assert model.predict([[0.0]]).tolist() == [0]


def test_leave_one_out_neighbours_match_sklearn(jittered_digits):
    X_train, y_train, _ = jittered_digits
    ours = KNNClassifier(n_neighbors=4).fit(X_train, y_train).kneighbors()
    reference = NearestNeighbors(n_neighbors=4, algorithm="brute").fit(X_train).kneighbors()
    np.testing.assert_array_equal(ours[1], reference[1])
    np.testing.assert_allclose(ours[0], reference[0], atol=1e-9)
    # a prefix of the training points as queries gives the same rows
    first = nearest_neighbors(X_train[:50], X_train, 4, exclude_self=True)
    np.testing.assert_array_equal(first[1], reference[1][:50])


@pytest.mark.parametrize("metric", METRICS)
def test_blocks_do_not_change_the_result(jittered_digits, metric):
    X_train, y_train, X_test = jittered_digits
    whole = KNNClassifier(n_neighbors=7, metric=metric).fit(X_train, y_train)
    tiny = KNNClassifier(n_neighbors=7, metric=metric, max_memory_mb=0.01)
    tiny.fit(X_train, y_train)
    np.testing.assert_array_equal(whole.kneighbors(X_test)[1], tiny.kneighbors(X_test)[1])


@pytest.mark.parametrize("metric", METRICS)
def test_threads_do_not_change_the_result(digits, metric):
    """The blocks, hence every bit of the result, are the same with one thread or several
    (raw digits: many ties; the queries span several blocks, which the threads share)."""
    X_train, y_train, X_test = digits
    rows, workers = _plan(len(X_train), len(X_train), 64.0, n_jobs=3)
    assert rows < len(X_test) and workers == 3
    results = {}
    for n_jobs in (None, 3):
        model = KNNClassifier(6, metric=metric, n_jobs=n_jobs).fit(X_train, y_train)
        results[n_jobs] = (model.kneighbors(X_test), model.kneighbors(), model.predict(X_test))
    one, several = results[None], results[3]
    for i in range(2):
        np.testing.assert_array_equal(several[i][1], one[i][1])
        np.testing.assert_array_equal(several[i][0], one[i][0])
    np.testing.assert_array_equal(several[2], one[2])


def test_the_memory_budget_bounds_blocks_and_threads_but_threads_not_blocks():
    rows_one, workers = _plan(10_000, 1000, 64.0, n_jobs=None)
    assert workers == 1
    assert _plan(10_000, 1000, 64.0, n_jobs=4) == (rows_one, 4)
    rows, workers = _plan(10_000, 1000, 0.5, n_jobs=4)  # room for 16 queries: one block
    assert workers == 1
    assert rows * 1000 * 32 <= 0.5 * 2**20
    with threadpool_limits(limits=2, user_api="blas"):
        assert _plan(10_000, 1000, 64.0, n_jobs=-1) == (rows_one, 2)  # -1: BLAS's threads


def test_equal_rounded_distances_tie_even_when_squared_distances_differ():
    """The search compares squared distances; two that differ in the last bit can round to
    the same distance, and then the lower index must win as for any other tie."""
    offsets = 1e-4 + 2e-13 * np.arange(200)
    points = np.column_stack([np.ones_like(offsets), offsets])  # |z|^2 one ulp apart or so
    squared = _prepare_reference(points, "euclidean")[:, -1]  # the keys for a query at 0
    distances = pairwise_distances([[0.0, 0.0]], points)[0]
    i = next(
        i
        for i in range(len(points) - 1)
        if squared[i] < squared[i + 1] and distances[i] == distances[i + 1]
    )
    reference = points[[i + 1, i]]  # the larger squared distance has the lower index
    found_distances, found = nearest_neighbors([[0.0, 0.0]], reference, 1)
    assert found.tolist() == [[0]]
    assert found_distances.tolist() == [[distances[i]]]


@pytest.mark.filterwarnings("ignore:(overflow|invalid value) encountered:RuntimeWarning")
def test_overflowing_inputs_raise_instead_of_returning_garbage():
    X = np.full((1000, 2), 1e200)  # |x|^2 is infinite: the distances are NaN
    assert _plan(1000, 1000, 64.0, n_jobs=2)[1] == 2  # the error must cross a worker thread
    for n_jobs in (None, 2):
        with pytest.raises(FloatingPointError, match=r"distances are NaN"):
            nearest_neighbors(X, X, 3, n_jobs=n_jobs)


def test_string_labels_and_sklearn_tools_work(digits):
    X_train, y_train, X_test = digits
    names = np.array(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )
    model = KNNClassifier(n_neighbors=3).fit(X_train, names[y_train])
    assert list(model.classes_) == sorted(names)
    reference = sklearn_knn(3, "euclidean", X_train, names[y_train])
    assert (model.predict(X_test) == reference.predict(X_test)).mean() > 0.99
    # get_params / clone / cross_val_score come from the estimator contract
    assert clone(model).get_params() == {
        "n_neighbors": 3,
        "metric": "euclidean",
        "max_memory_mb": 64.0,
        "n_jobs": None,
    }
    scores = cross_val_score(KNNClassifier(n_neighbors=3), X_train, y_train, cv=3)
    assert scores.min() > 0.9


@settings(max_examples=40, deadline=None)
@given(
    data=arrays(
        np.float64,
        st.tuples(st.integers(2, 30), st.integers(1, 4)),
        elements=st.floats(-100, 100, allow_subnormal=False),
    ),
    k=st.integers(1, 5),
    labels_seed=st.integers(0, 1000),
)
def test_probabilities_are_vote_fractions(data, k, labels_seed):
    k = min(k, data.shape[0])
    y = np.random.default_rng(labels_seed).integers(0, 3, size=data.shape[0])
    model = KNNClassifier(n_neighbors=k).fit(data, y)
    probabilities = model.predict_proba(data)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    np.testing.assert_allclose(probabilities * k, np.round(probabilities * k), atol=1e-9)
    assert np.array_equal(model.predict(data), model.classes_[probabilities.argmax(axis=1)])


@settings(max_examples=60, deadline=None)
@given(
    reference=arrays(
        np.int64, st.tuples(st.integers(2, 40), st.integers(1, 3)), elements=st.integers(0, 3)
    ),
    queries=st.integers(1, 30),
    k=st.integers(1, 40),
    exclude_self=st.booleans(),
    metric=st.sampled_from(METRICS),
    seed=st.integers(0, 100),
)
def test_neighbours_are_a_stable_sort_of_the_distances(
    reference, queries, k, exclude_self, metric, seed
):
    """Many ties (integer coordinates 0..3): the rule is (distance, then lower index)."""
    rng = np.random.default_rng(seed)
    X_reference = reference.astype(float)
    if exclude_self:
        X_query = X_reference[: min(queries, len(X_reference))]
    else:
        X_query = rng.integers(0, 4, size=(queries, X_reference.shape[1])).astype(float)
    k = min(k, len(X_reference) - exclude_self)
    if k < 1:
        return
    distances = pairwise_distances(X_query, X_reference, metric)
    if exclude_self:
        distances[np.arange(len(X_query)), np.arange(len(X_query))] = np.inf
    expected = np.argsort(distances, axis=1, kind="stable")[:, :k]
    found_distances, found = nearest_neighbors(
        X_query, X_reference, k, metric=metric, exclude_self=exclude_self
    )
    np.testing.assert_array_equal(found, expected)
    np.testing.assert_array_equal(found_distances, np.take_along_axis(distances, expected, 1))


def test_vote_for_every_k_matches_one_classifier_per_k(jittered_digits):
    X_train, y_train, X_test = jittered_digits
    model = KNNClassifier(n_neighbors=1).fit(X_train, y_train)
    _, indices = model.kneighbors(X_test, n_neighbors=12)
    every_k = vote_for_every_k(model.y_encoded_[indices], n_classes=10)
    for k in (1, 4, 12):
        expected = sklearn_knn(k, "euclidean", X_train, y_train).predict(X_test)
        np.testing.assert_array_equal(model.classes_[every_k[:, k - 1]], expected)


def test_unit_ball_volumes():
    assert unit_ball_volume(1) == pytest.approx(2.0)
    assert unit_ball_volume(2) == pytest.approx(np.pi)
    assert unit_ball_volume(3) == pytest.approx(4 / 3 * np.pi)


def _log_volume_from_scipy(d: int) -> float:
    from scipy.special import gammaln

    return d / 2 * np.log(np.pi) - gammaln(d / 2 + 1)


@pytest.mark.parametrize("d", [1, 2, 3, 7, 10, 50, 200, 341, 342, 343, 500, 1000, 100_000])
def test_log_unit_ball_volume_matches_scipy_gammaln(d):
    assert log_unit_ball_volume(d) == pytest.approx(_log_volume_from_scipy(d), rel=1e-12)


def test_unit_ball_volume_is_unchanged_for_small_d_and_finite_beyond_the_gamma_overflow():
    import math

    for d in range(1, 342):  # the formula as it always was, bit for bit
        assert unit_ball_volume(d) == math.pi ** (d / 2) / math.gamma(d / 2 + 1)
    for d in (1, 2, 10, 100, 341, 342, 343, 400, 452):
        expected = np.exp(_log_volume_from_scipy(d))
        assert unit_ball_volume(d) == pytest.approx(expected, rel=1e-12)
    assert unit_ball_volume(500) == 0.0  # below the smallest float, no OverflowError
    with pytest.raises(ValueError, match="dimension must be >= 1, got 0"):
        log_unit_ball_volume(0)


def test_knn_density_in_500_dimensions_matches_the_formula():
    d, n, k = 500, 12, 3
    # Training point j lies on axis j at distance radii[j] from the origin, the query.
    radii = np.exp(-_log_volume_from_scipy(d) / d) * np.linspace(0.98, 1.02, n)
    X_train = np.zeros((n, d))
    X_train[np.arange(n), np.arange(n)] = radii
    query = np.zeros((1, d))
    expected = np.log(k / n) - _log_volume_from_scipy(d) - d * np.log(radii[k - 1])
    log_density = knn_density(X_train, query, n_neighbors=k, log=True)
    np.testing.assert_allclose(log_density, [expected], rtol=0, atol=1e-9)
    density = knn_density(X_train, query, n_neighbors=k)
    assert np.isfinite(density).all() and density[0] > 0
    np.testing.assert_allclose(density, np.exp([expected]), rtol=1e-9)


def test_knn_density_log_scales_with_the_data_in_many_dimensions():
    rng = np.random.default_rng(3)
    sample, queries = rng.random((300, 500)), rng.random((4, 500))
    base = knn_density(sample, queries, n_neighbors=10, log=True)
    scaled = knn_density(2 * sample, 2 * queries, n_neighbors=10, log=True)
    assert np.isfinite(base).all()
    np.testing.assert_allclose(scaled, base - 500 * np.log(2), rtol=1e-12)


@pytest.mark.parametrize("d", [1, 2, 5, 30])
def test_knn_density_for_small_d_is_todays_formula(d):
    rng = np.random.default_rng(d)
    sample, queries = rng.normal(size=(2000, d)), rng.normal(size=(50, d))
    distances, _ = nearest_neighbors(queries, sample, 20)
    before = 20 / (len(sample) * unit_ball_volume(d) * distances[:, -1] ** d)
    np.testing.assert_allclose(knn_density(sample, queries, n_neighbors=20), before, rtol=1e-12)


def test_knn_density_is_infinite_where_k_points_coincide_with_the_query():
    sample = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    assert knn_density(sample, [[0.0, 0.0]], n_neighbors=2).tolist() == [np.inf]
    assert knn_density(sample, [[0.0, 0.0]], n_neighbors=2, log=True).tolist() == [np.inf]


def test_knn_density_recovers_a_gaussian():
    rng = np.random.default_rng(0)
    sample = rng.normal(size=(50_000, 1))
    grid = np.linspace(-1.5, 1.5, 7)[:, None]
    estimate = knn_density(sample, grid, n_neighbors=1000)  # relative noise ≈ 1/√k
    truth = np.exp(-(grid[:, 0] ** 2) / 2) / np.sqrt(2 * np.pi)
    np.testing.assert_allclose(estimate, truth, rtol=0.1)


def test_knn_density_of_a_uniform_square_is_one_inside():
    rng = np.random.default_rng(1)
    sample = rng.random((20_000, 2))
    estimate = knn_density(sample, [[0.5, 0.5], [0.3, 0.6]], n_neighbors=1000)
    np.testing.assert_allclose(estimate, 1.0, rtol=0.1)


def test_outlier_score_is_sklearn_kth_neighbour_distance():
    rng = np.random.default_rng(2)
    X = np.vstack([rng.normal(size=(200, 2)), [[8.0, 8.0]]])
    ours = knn_outlier_score(X, n_neighbors=5)
    reference = NearestNeighbors(n_neighbors=5).fit(X).kneighbors()[0][:, -1]
    np.testing.assert_allclose(ours, reference, atol=1e-9)
    assert ours.argmax() == 200


def test_graph_components_match_scipy():
    rng = np.random.default_rng(3)
    X = np.vstack([rng.normal(size=(60, 2)), rng.normal(size=(60, 2)) + 20, [[50.0, 50.0]] * 3])
    for k in (1, 2, 5):
        ours = knn_graph_components(X, n_neighbors=k)
        graph = kneighbors_graph(X, n_neighbors=k)
        count, reference = connected_components(graph, directed=False)
        assert ours.max() + 1 == count
        # same partition: a bijection between our labels and scipy's
        pairs = set(zip(ours.tolist(), reference.tolist(), strict=True))
        assert len(pairs) == count


def test_scaling_changes_neighbours_on_wine_like_data():
    """A feature in large units dominates the euclidean distance until features are scaled."""
    rng = np.random.default_rng(4)
    y = rng.integers(0, 2, size=300)
    informative = y + 0.3 * rng.normal(size=300)
    nuisance = 1000 * rng.normal(size=300)
    X = np.column_stack([informative, nuisance])
    raw = KNNClassifier(5).fit(X[:200], y[:200]).score(X[200:], y[200:])
    scaler = StandardScaler().fit(X[:200])
    scaled = KNNClassifier(5).fit(scaler.transform(X[:200]), y[:200])
    assert scaled.score(scaler.transform(X[200:]), y[200:]) > raw + 0.2


# ---- the experiments shown on the page (small versions) ------------------------------


@pytest.fixture
def no_cache(monkeypatch):
    """Run the cached experiments for real: a stale cache entry must not hide a bug."""
    monkeypatch.setenv("SCRIBBLES_NO_CACHE", "1")


def test_page_comparison_finds_only_tie_disagreements(no_cache):
    rows = compare_with_scikit_learn(ks=(3,), metrics=("manhattan",))
    assert rows[0]["disagreements_without_tie"] == 0
    assert rows[0]["tied_queries"] > 0
    assert rows[0]["agreement_jittered"] == 1.0
    assert rows[0]["max_probability_difference"] == 0.0


def test_digit_pairs_are_easy_and_the_hardest_are_reported(no_cache):
    result = digit_pair_accuracy(n_hardest=2, ks=(1, 5))
    assert result["accuracy"].shape == (2, 2)
    assert result["accuracy"][0, 0] == result["worst_over_all_pairs"][0]
    assert result["mean_over_all_pairs"].min() > 0.95
    assert result["n_images"] == 1797
    with pytest.raises(ValueError, match=r"ks must start at 1"):
        digit_pair_accuracy(ks=(3, 5))


def test_standardising_rescues_wine(no_cache):
    (row,) = metric_and_scaling_accuracy(datasets=("wine",), metrics=("euclidean",))
    assert row["scaled"] > row["raw"] + 0.2


# ---- error messages -------------------------------------------------------------------


def test_k_larger_than_training_set_is_rejected():
    with pytest.raises(ValueError, match=r"n_neighbors=5 is larger than the 3 training points"):
        KNNClassifier(n_neighbors=5).fit(np.zeros((3, 2)), [0, 1, 0])
    model = KNNClassifier(n_neighbors=2).fit(np.zeros((3, 2)), [0, 1, 0])
    with pytest.raises(ValueError, match=r"n_neighbors=4 is larger than the 3"):
        model.kneighbors(np.zeros((1, 2)), n_neighbors=4)
    with pytest.raises(ValueError, match=r"larger than the 2 training points"):
        KNNClassifier(n_neighbors=3).fit(np.zeros((3, 2)), [0, 1, 0]).kneighbors()


def test_mismatched_feature_counts_are_rejected():
    model = KNNClassifier(n_neighbors=1).fit(np.zeros((3, 4)), [0, 1, 0])
    with pytest.raises(ValueError, match=r"X has 3 features, but the classifier was fitted with 4"):
        model.predict(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"X_query has 2 features but X_reference has 3"):
        pairwise_distances(np.zeros((1, 2)), np.zeros((1, 3)))


def test_nan_input_is_rejected():
    X = np.zeros((4, 2))
    X[1, 1] = np.nan
    with pytest.raises(ValueError, match=r"X contains 1 NaN or infinite values"):
        KNNClassifier(n_neighbors=1).fit(X, [0, 1, 0, 1])
    model = KNNClassifier(n_neighbors=1).fit(np.zeros((4, 2)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"X contains 1 NaN"):
        model.predict(X[1:2])
    with pytest.raises(ValueError, match=r"y contains NaN"):
        KNNClassifier(n_neighbors=1).fit(np.zeros((2, 2)), [0.0, np.nan])


def test_other_bad_arguments_are_rejected():
    X, y = np.zeros((4, 2)), [0, 1, 0, 1]
    with pytest.raises(ValueError, match=r"metric must be one of .* got 'chebyshev'"):
        KNNClassifier(metric="chebyshev").fit(X, y)
    with pytest.raises(TypeError, match=r"n_neighbors must be an int, got float"):
        KNNClassifier(n_neighbors=2.0).fit(X, y)
    with pytest.raises(ValueError, match=r"n_neighbors must be >= 1, got 0"):
        KNNClassifier(n_neighbors=0).fit(X, y)
    with pytest.raises(ValueError, match=r"y must be 1-D with one label per row of X \(4\)"):
        KNNClassifier(n_neighbors=1).fit(X, [0, 1])
    with pytest.raises(ValueError, match=r"X must be 2-D \(n_samples, n_features\), got shape"):
        KNNClassifier(n_neighbors=1).fit(np.zeros(4), y)
    with pytest.raises(TypeError, match=r"X must be an array of numbers"):
        KNNClassifier(n_neighbors=1).fit([["a", "b"]], [0])
    with pytest.raises(ValueError, match=r"not fitted yet"):
        KNNClassifier().predict(X)
    with pytest.raises(ValueError, match=r"max_memory_mb must be > 0"):
        KNNClassifier(n_neighbors=1, max_memory_mb=0).fit(X, y)
    for n_jobs in (0, -2, 1.5, True):
        with pytest.raises(ValueError, match=r"n_jobs must be None, -1 or an int >= 1, got"):
            KNNClassifier(n_neighbors=1, n_jobs=n_jobs).fit(X, y)
    with pytest.raises(ValueError, match=r"n_jobs must be None, -1 or an int >= 1, got 0"):
        nearest_neighbors(X, X, 1, n_jobs=0)
    with pytest.raises(ValueError, match=r"neighbor_labels must lie in 0..1"):
        vote_for_every_k([[0, 2]], n_classes=2)
    with pytest.raises(ValueError, match=r"exclude_self=True needs the queries to be the first"):
        nearest_neighbors(np.ones((2, 2)), np.zeros((3, 2)), 1, exclude_self=True)
