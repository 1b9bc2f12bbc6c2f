r"""k-nearest neighbours: a vectorised, chunked classifier and its unsupervised uses.

The k-NN rule predicts, for a query point $x$, the most frequent label among the $k$
training points closest to $x$:

$$
\begin{aligned}
\hat f_k(x) &= \arg\max_{c}\ \sum_{i \in N_k(x)} \mathbb{1}[y_i = c],\\
\hat p_k(c \mid x) &= \frac{1}{k} \sum_{i \in N_k(x)} \mathbb{1}[y_i = c],
\end{aligned}
$$

where $N_k(x)$ holds the indices of the $k$ nearest training points. Its inductive bias
is that nearby points share a label; everything therefore hinges on the distance.

**Tie-breaking**:

- *equal distances*: among training points at the same distance, the one with the lower
  training index is the nearer one, so $N_k(x)$ is always well defined.
  scikit-learn's brute-force search keeps one of the tied points according to its
  internal heap order, so the two can differ, but only when the k-th and (k+1)-th
  neighbours are at the same distance;
- *equal votes*: among classes with the same number of votes, the smallest label (the
  first entry of `classes_`) wins, as in scikit-learn.

No Python loop runs over query points: distances are computed for a block of queries at
once (one matrix product for the euclidean and cosine distances; the square root is
taken only for the few candidate neighbours), and the blocks are sized so that the
working memory stays below `max_memory_mb` whatever the size of the input. With
`n_jobs` the blocks are shared out among threads, each running BLAS on one thread; the
blocks do not depend on the number of threads, so neither does any bit of the result.
"""

from __future__ import annotations

import math
import queue
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from threadpoolctl import ThreadpoolController

from scribbles.book.cache import cached

__all__ = [
    "METRICS",
    "KNNClassifier",
    "compare_with_scikit_learn",
    "digit_pair_accuracy",
    "knn_density",
    "knn_graph_components",
    "knn_outlier_score",
    "log_unit_ball_volume",
    "metric_and_scaling_accuracy",
    "nearest_neighbors",
    "pairwise_distances",
    "unit_ball_volume",
    "vote_for_every_k",
]

METRICS: tuple[str, ...] = ("euclidean", "manhattan", "cosine")
"""The distance functions this module implements."""

_THREADPOOLS: ThreadpoolController | None = None

_BLOCK_BYTES = 2**21
"""Target size of one block's float keys: small enough for the passes after the matrix
product to read from cache, large enough to spread the cost of the ~30 numpy calls of a
block (on the digits, 2 to 4 MiB beat 0.5 to 1 MiB and 8 MiB or more)."""
_MIN_BLOCK_ROWS = 16
"""Fewest queries per block (memory budget permitting), whatever the reference size."""
_BYTES_PER_PAIR = 32
"""Working memory of a block per (reference point, query) pair: the float key, the
float difference of the manhattan distance, the boolean mask, rounded up."""
_EPSILON = float(np.finfo(np.float64).eps)
_SMALLEST_NORMAL = float(np.finfo(np.float64).tiny)


def _threadpools() -> ThreadpoolController:
    """The (cached) controller of the native thread pools: BLAS, OpenMP."""
    global _THREADPOOLS
    if _THREADPOOLS is None:
        _THREADPOOLS = ThreadpoolController()
    return _THREADPOOLS


def _one_blas_thread() -> Any:
    """A context that runs BLAS on one thread (the products here are small; several BLAS
    threads on a busy machine wait more than they compute; scikit-learn does the same:
    its threads split the queries, as `_search`'s workers do with `n_jobs`)."""
    return _threadpools().limit(limits=1, user_api="blas")


def _as_matrix(X: Any, name: str) -> np.ndarray:
    """Return `X` as a finite float64 matrix (n, d) or raise an error naming `name`."""
    try:
        matrix = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be an array of numbers, got {type(X).__name__}") from error
    if matrix.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {matrix.shape}")
    if matrix.shape[0] == 0 or matrix.shape[1] == 0:
        raise ValueError(
            f"{name} must have at least one sample and one feature, got shape {matrix.shape}"
        )
    if not np.isfinite(matrix).all():
        bad = int((~np.isfinite(matrix)).sum())
        raise ValueError(f"{name} contains {bad} NaN or infinite values; expected finite numbers")
    return matrix


def _check_metric(metric: Any) -> str:
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    return metric


def _check_n_jobs(n_jobs: Any) -> int | None:
    if n_jobs is not None and (
        isinstance(n_jobs, bool)
        or not isinstance(n_jobs, int | np.integer)
        or not (n_jobs >= 1 or n_jobs == -1)
    ):
        raise ValueError(f"n_jobs must be None, -1 or an int >= 1, got {n_jobs!r}")
    return None if n_jobs is None else int(n_jobs)


def _check_n_neighbors(n_neighbors: Any, n_reference: int, name: str = "n_neighbors") -> int:
    if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, int | np.integer):
        raise TypeError(f"{name} must be an int, got {type(n_neighbors).__name__}")
    if n_neighbors < 1:
        raise ValueError(f"{name} must be >= 1, got {n_neighbors}")
    if n_neighbors > n_reference:
        raise ValueError(
            f"{name}={n_neighbors} is larger than the {n_reference} training points available; "
            f"expected {name} <= {n_reference}"
        )
    return int(n_neighbors)


def pairwise_distances(
    X_query: np.ndarray, X_reference: np.ndarray, metric: str = "euclidean"
) -> np.ndarray:
    r"""Distances between every query point and every reference point.

    $$
    \begin{aligned}
    d_{\text{euclidean}}(x, z) &= \sqrt{\lVert x\rVert^2 - 2\,x^\top z + \lVert z\rVert^2},\\
    d_{\text{manhattan}}(x, z) &= \textstyle\sum_j |x_j - z_j|,\\
    d_{\text{cosine}}(x, z) &= 1 - \frac{x^\top z}{\lVert x\rVert\,\lVert z\rVert}.
    \end{aligned}
    $$

    A zero vector has cosine distance 1 to everything (as in scikit-learn). No chunking
    happens here: use [`nearest_neighbors`][scribbles.learning.knn.nearest_neighbors] for large
    inputs.

    Args:
        X_query: query points, shape (q, d).
        X_reference: reference points, shape (r, d).
        metric: one of [`METRICS`][scribbles.learning.knn.METRICS].

    Returns:
        distances: shape (q, r), entry (i, j) is the distance from query i to reference j.

    Raises:
        ValueError: if the metric is unknown, an input is not 2-D or not finite, or the
            feature counts differ.
        TypeError: if an input is not numeric.

    Examples:
        >>> pairwise_distances([[0.0, 0.0]], [[3.0, 4.0], [1.0, 0.0]])
        array([[5., 1.]])
        >>> pairwise_distances([[0.0, 0.0]], [[3.0, 4.0]], metric="manhattan")
        array([[7.]])
    """
    _check_metric(metric)
    X_query = _as_matrix(X_query, "X_query")
    X_reference = _as_matrix(X_reference, "X_reference")
    if X_query.shape[1] != X_reference.shape[1]:
        raise ValueError(
            f"X_query has {X_query.shape[1]} features but X_reference has "
            f"{X_reference.shape[1]}; expected the same number"
        )
    reference = _prepare_reference(X_reference, metric)
    queries = _prepare_queries(X_query, metric)
    keys = np.empty((X_reference.shape[0], X_query.shape[0]))
    with _one_blas_thread():  # as in the search: BLAS's last bits can depend on it
        _keys(queries, reference, metric, keys)  # (r, q)
    return np.ascontiguousarray(_distances_from_keys(keys, metric).T)


def _prepare_reference(X_reference: np.ndarray, metric: str) -> np.ndarray:
    r"""The reference points in the form the metric's matrix product uses (once per fit).

    - euclidean: $[z,\ 1,\ \lVert z\rVert^2]$, shape (r, d + 2): its product with the
      queries' $[-2x,\ \lVert x\rVert^2,\ 1]$ is the squared distance;
    - cosine: $z / \lVert z\rVert$ (a zero vector stays zero), shape (r, d);
    - manhattan: $z$ itself, shape (r, d).
    """
    if metric == "euclidean":
        squared_norms = np.einsum("rd,rd->r", X_reference, X_reference)  # (r,) |z|^2
        return np.column_stack([X_reference, np.ones(len(X_reference)), squared_norms])
    if metric == "cosine":
        return _unit_rows(X_reference)
    return X_reference


def _prepare_queries(X_query: np.ndarray, metric: str) -> np.ndarray:
    r"""The queries' side of `_prepare_reference`: $[-2x,\ \lVert x\rVert^2,\ 1]$ (euclidean,
    shape (q, d + 2)), $x / \lVert x\rVert$ (cosine) or $x$ (manhattan)."""
    if metric == "euclidean":
        squared_norms = np.einsum("qd,qd->q", X_query, X_query)  # (q,) |x|^2
        return np.column_stack([-2.0 * X_query, squared_norms, np.ones(len(X_query))])
    if metric == "cosine":
        return _unit_rows(X_query)
    return X_query


def _unit_rows(X: np.ndarray) -> np.ndarray:
    """The rows (n, d) of `X` divided by their length; a zero row stays zero."""
    norms = np.sqrt(np.einsum("nd,nd->n", X, X))  # (n,)
    return X / np.where(norms == 0.0, 1.0, norms)[:, None]


def _keys(queries: np.ndarray, reference: np.ndarray, metric: str, out: np.ndarray) -> np.ndarray:
    """Keys (r, b) of b prepared queries against the prepared reference, written to `out`.

    A key is the squared distance (euclidean) or the distance (manhattan, cosine): the
    distance is a non-decreasing function of it. The layout is reference-major,
    one column per query, so that the reductions of `_k_smallest` run down the columns,
    vectorised over the queries.
    """
    if metric == "euclidean":
        # [z, 1, |z|^2] . [-2x, |x|^2, 1] = |x|^2 - 2 x.z + |z|^2: no pass besides the product
        return np.matmul(reference, queries.T, out=out)
    if metric == "cosine":
        # 1 - x.z / (|x| |z|), clipped to [0, 2] against rounding (in place)
        np.matmul(reference, queries.T, out=out)
        np.subtract(1.0, out, out=out)
        return np.clip(out, 0.0, 2.0, out=out)
    # manhattan: sum_j |x_j - z_j|, one feature at a time: memory (r, b) instead of (r, b, d)
    out.fill(0.0)
    difference = np.empty_like(out)
    for j in range(queries.shape[1]):
        np.subtract(reference[:, j, None], queries[None, :, j], out=difference)
        out += np.abs(difference, out=difference)
    return out


def _distances_from_keys(keys: np.ndarray, metric: str) -> np.ndarray:
    r"""Distances from keys: $\sqrt{\max(s, 0)}$ for a squared euclidean distance s (which
    rounding can leave slightly negative); the other keys are the distances."""
    if metric == "euclidean":
        return np.sqrt(np.maximum(keys, 0.0))
    return keys


def _candidate_threshold(bound: np.ndarray, metric: str) -> np.ndarray:
    """A key above which no entry is as near as an entry with key `bound` (same shape).

    Manhattan and cosine keys are the distances: the bound itself. A euclidean key is a
    squared distance s, and the rounding of sqrt(max(s, 0)) can give keys a few units in
    the last place above the bound the same distance (a tie that the lower index may
    win), so the bound is widened by 16 such units, plus the smallest normal number for
    subnormal keys. A wider threshold only adds candidates; it never changes the result.
    """
    if metric != "euclidean":
        return bound
    return np.maximum(bound, 0.0) * (1.0 + 16 * _EPSILON) + _SMALLEST_NORMAL


def _group_minima(keys: np.ndarray, n_groups: int) -> np.ndarray:
    """Column minima (n_groups, b) of `keys` (r, b) over n_groups <= r disjoint row groups.

    Group g holds the rows g, g + n_groups, g + 2 n_groups, ..., so that each step of the
    reduction is a vectorised minimum of two (n_groups, b) slabs.
    """
    r, b = keys.shape
    width = r // n_groups  # >= 1
    minima = keys[: n_groups * width].reshape(width, n_groups, b).min(axis=0)
    rest = r - n_groups * width  # < n_groups leftover rows: one more in each first group
    np.minimum(minima[:rest], keys[n_groups * width :], out=minima[:rest])
    return minima


def _k_smallest(
    keys: np.ndarray, k: int, metric: str, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Distances and indices (b, k) of the k nearest reference points of each query.

    Each query is a column of `keys` (r, b), contiguous; its neighbours are ordered by
    (distance, index). `mask` is a boolean (r, b) scratch array. A full partition of every
    column is the slow part of a k-NN search, so the columns are first cut down to a few
    candidates with cheap vectorised passes, and only those are sorted.
    """
    r, b = keys.shape
    # 1. An upper bound on each column's k-th smallest key: split the rows into
    #    n_groups >= k groups; the k smallest group minima are k distinct entries, so the
    #    k-th smallest key is <= the k-th smallest group minimum.
    minima = _group_minima(keys, min(r, max(4 * k, 32)))  # (n_groups, b)
    bound = np.partition(minima, k - 1, axis=0)[k - 1]  # (b,)
    # 2. The candidates: every entry that can be as near as the k-th neighbour (>= k per
    #    query), listed in increasing (reference index, query) order.
    np.less_equal(keys, _candidate_threshold(bound, metric), out=mask)
    flat = np.flatnonzero(mask)  # (m,)
    reference, query = np.divmod(flat, b)  # (m,), (m,)
    distances = _distances_from_keys(keys.ravel()[flat], metric)  # (m,)
    counts = np.bincount(query, minlength=b)  # (b,)
    if counts.min() < k:  # only NaN keys compare false to every bound
        raise FloatingPointError(
            "some distances are NaN: the inputs overflow float64 (|x|^2 is infinite); rescale them"
        )
    # 3. A stable sort of the few candidates: by query, then distance, then lower index.
    order = np.lexsort((reference, distances, query))  # (m,)
    first = np.cumsum(counts) - counts  # (b,) where each query's candidates start in order
    chosen = order[first[:, None] + np.arange(k)]  # (b, k)
    return distances[chosen], reference[chosen]


def _blas_threads() -> int:
    """How many threads BLAS may use now: by default one per core, fewer under
    `threadpoolctl.threadpool_limits` or `OMP_NUM_THREADS`; what `n_jobs=-1` asks for."""
    libraries = _threadpools().select(user_api="blas").lib_controllers
    return max((library.num_threads for library in libraries), default=1)


def _plan(
    n_queries: int, n_reference: int, max_memory_mb: float, n_jobs: int | None
) -> tuple[int, int]:
    """Queries per block and worker threads: (rows, workers).

    A block's keys take about `_BLOCK_BYTES` (they stay in cache between the passes), and
    the blocks that the workers hold at once stay within `max_memory_mb`. The block size
    does not depend on `n_jobs`, so neither do the results: every block is computed the
    same way whichever thread runs it.
    """
    budget_rows = max(1, int(max_memory_mb * 2**20) // (_BYTES_PER_PAIR * n_reference))
    cache_rows = max(_MIN_BLOCK_ROWS, _BLOCK_BYTES // (8 * n_reference))
    rows = min(n_queries, budget_rows, cache_rows)
    n_blocks = -(-n_queries // rows)
    wanted = 1 if n_jobs is None else _blas_threads() if n_jobs == -1 else n_jobs
    return rows, max(1, min(wanted, n_blocks, budget_rows // rows))


def nearest_neighbors(
    X_query: Any,
    X_reference: Any,
    n_neighbors: int,
    metric: str = "euclidean",
    exclude_self: bool = False,
    max_memory_mb: float = 64.0,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""The `n_neighbors` nearest reference points of every query point, block by block.

    $$
    N_k(x) = \{\text{the } k \text{ indices } i \text{ with the smallest } d(x, z_i)\},
    $$

    ties being broken by the lower index $i$.

    Args:
        X_query: query points, shape (q, d).
        X_reference: reference (training) points, shape (r, d).
        n_neighbors: k, with 1 <= k <= r (k <= r - 1 when `exclude_self`).
        metric: one of [`METRICS`][scribbles.learning.knn.METRICS].
        exclude_self: the queries are the first q reference points (query i is reference
            point i) and a point is not its own neighbour (duplicates elsewhere still
            are); for leave-one-out.
        max_memory_mb: working-memory budget of the search (all its threads together),
            which caps how many queries form a block and how many blocks run at once.
        n_jobs: threads that share the blocks: `None` for one, -1 for as many as BLAS
            may use (one per core unless limited). The result is the same for any value.

    Returns:
        distances: shape (q, k), sorted increasingly along each row.
        indices: shape (q, k), indices into `X_reference`.

    Raises:
        ValueError: for an unknown metric, non-finite or badly shaped inputs, a feature
            mismatch, k out of range, a non-positive budget, a bad `n_jobs`, or
            `exclude_self` with queries that are not the first reference points.
        TypeError: if an input is not numeric or k is not an int.

    Examples:
        >>> reference = [[0.0], [1.0], [3.0], [1.0]]
        >>> distances, indices = nearest_neighbors([[0.9]], reference, n_neighbors=3)
        >>> indices.tolist(), distances.round(2).tolist()
        ([[1, 3, 0]], [[0.1, 0.1, 0.9]])
        >>> nearest_neighbors(reference, reference, 1, exclude_self=True)[1].ravel().tolist()
        [1, 3, 1, 1]
    """
    metric = _check_metric(metric)
    X_query = _as_matrix(X_query, "X_query")
    X_reference = _as_matrix(X_reference, "X_reference")
    if X_query.shape[1] != X_reference.shape[1]:
        raise ValueError(
            f"X_query has {X_query.shape[1]} features but X_reference has "
            f"{X_reference.shape[1]}; expected the same number"
        )
    if exclude_self and not np.array_equal(X_query, X_reference[: X_query.shape[0]]):
        raise ValueError(
            f"exclude_self=True needs the queries to be the first rows of X_reference, got "
            f"{X_query.shape[0]} queries that differ from them"
        )
    available = X_reference.shape[0] - (1 if exclude_self else 0)
    k = _check_n_neighbors(n_neighbors, available)
    if not max_memory_mb > 0:
        raise ValueError(f"max_memory_mb must be > 0, got {max_memory_mb}")
    n_jobs = _check_n_jobs(n_jobs)
    return _search(X_query, X_reference, k, metric, exclude_self, max_memory_mb, n_jobs)


def _search(
    X_query: np.ndarray,
    X_reference: np.ndarray,
    k: int,
    metric: str,
    exclude_self: bool,
    max_memory_mb: float,
    n_jobs: int | None = None,
    reference: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Blocked k-NN search on validated inputs; `reference` from `_prepare_reference`.

    Each block of queries writes its own rows of the output, so the workers share only
    read-only inputs.
    """
    if reference is None:
        reference = _prepare_reference(X_reference, metric)
    q, r = X_query.shape[0], X_reference.shape[0]
    rows, n_workers = _plan(q, r, max_memory_mb, n_jobs)
    all_distances = np.empty((q, k))
    all_indices = np.empty((q, k), dtype=np.intp)

    def search_block(start: int, keys_buffer: np.ndarray, mask_buffer: np.ndarray) -> None:
        stop = min(start + rows, q)
        b = stop - start
        queries = _prepare_queries(X_query[start:stop], metric)
        keys = _keys(queries, reference, metric, keys_buffer[: r * b].reshape(r, b))
        if exclude_self:  # query i is reference point start + i
            keys[np.arange(start, stop), np.arange(b)] = np.inf
        mask = mask_buffer[: r * b].reshape(r, b)
        all_distances[start:stop], all_indices[start:stop] = _k_smallest(keys, k, metric, mask)

    with _one_blas_thread():  # process-wide: set once for all the workers
        _run_blocks(search_block, range(0, q, rows), n_workers, r * rows)
    return all_distances, all_indices


def _run_blocks(
    search_block: Callable[[int, np.ndarray, np.ndarray], None],
    starts: range,
    n_workers: int,
    buffer_size: int,
) -> None:
    """Call `search_block(start, keys_buffer, mask_buffer)` for every start.

    On `n_workers` threads, each block taking a free pair of buffers (float and boolean,
    `buffer_size` entries each) and handing it back, so that the blocks reuse their key
    and mask arrays. numpy releases the GIL in the matrix products, reductions and
    comparisons that take the time, so the threads do run at the same time.
    """

    def buffers() -> tuple[np.ndarray, np.ndarray]:
        return np.empty(buffer_size), np.empty(buffer_size, dtype=bool)

    if n_workers == 1:
        keys_buffer, mask_buffer = buffers()
        for start in starts:
            search_block(start, keys_buffer, mask_buffer)
        return
    free: queue.SimpleQueue[tuple[np.ndarray, np.ndarray]] = queue.SimpleQueue()
    for _ in range(n_workers):  # one pair per thread: `get` never waits
        free.put(buffers())

    def run(start: int) -> None:
        pair = free.get()
        try:
            search_block(start, *pair)
        finally:
            free.put(pair)

    with ThreadPoolExecutor(max_workers=n_workers) as pool:
        list(pool.map(run, starts))  # waits for every block; re-raises a block's error


def vote_for_every_k(neighbor_labels: Any, n_classes: int) -> np.ndarray:
    r"""Predictions of the k-NN rule for every k = 1..K at once, from sorted neighbour labels.

    With $v_c^{(k)} = \sum_{j \le k} \mathbb{1}[y_{(j)} = c]$ the votes of the k nearest
    neighbours, the prediction for each k is $\arg\max_c v_c^{(k)}$ (smallest class on a
    tie). One cumulative sum gives all K predictions; this is what makes the choice of
    k by leave-one-out cheap.

    Args:
        neighbor_labels: encoded labels (0..n_classes-1) of the neighbours sorted by
            distance, shape (q, K).
        n_classes: the number of classes C.

    Returns:
        predictions: shape (q, K); column k-1 holds the k-NN prediction.

    Raises:
        ValueError: if `neighbor_labels` is not 2-D or holds labels outside 0..C-1.

    Examples:
        >>> vote_for_every_k([[1, 0, 0, 1]], n_classes=2).tolist()
        [[1, 0, 0, 0]]
    """
    labels = np.asarray(neighbor_labels)
    if labels.ndim != 2:
        raise ValueError(f"neighbor_labels must be 2-D (q, K), got shape {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"neighbor_labels must lie in 0..{n_classes - 1}, got values in "
            f"[{labels.min()}, {labels.max()}]"
        )
    votes = np.zeros((*labels.shape, n_classes), dtype=np.int32)  # (q, K, C)
    np.put_along_axis(votes, labels[..., None].astype(np.intp), 1, axis=2)
    np.cumsum(votes, axis=1, out=votes)  # v_c^{(k)}
    return votes.argmax(axis=2)  # first maximum = smallest class


class KNNClassifier(ClassifierMixin, BaseEstimator):
    r"""The k-nearest-neighbour classifier, with scikit-learn's estimator contract.

    $$
    \hat p(c \mid x) = \frac{1}{k}\sum_{i \in N_k(x)} \mathbb{1}[y_i = c],\qquad
    \hat f(x) = \arg\max_c \hat p(c \mid x).
    $$

    Predictions equal those of
    `sklearn.neighbors.KNeighborsClassifier(algorithm="brute")` with the same `k` and
    metric, except possibly where the k-th and (k+1)-th neighbours are tied (see the
    [module][scribbles.learning.knn] for the tie-breaking rules).

    Args:
        n_neighbors: k, the number of neighbours that vote.
        metric: `"euclidean"`, `"manhattan"` or `"cosine"`.
        max_memory_mb: working-memory budget of a search (all its threads together).
        n_jobs: threads of a search: `None` for one, -1 for one per core (see
            [`nearest_neighbors`][scribbles.learning.knn.nearest_neighbors]); same results.

    Attributes:
        classes_: the sorted distinct labels seen by `fit`, shape (C,).
        n_features_in_: d, the number of features seen by `fit`.
        X_fit_: the training points, shape (n, d).
        y_encoded_: training labels as indices into `classes_`, shape (n,).

    Examples:
        >>> X, y = [[0.0], [1.0], [2.0], [9.0]], ["a", "a", "b", "b"]
        >>> model = KNNClassifier(n_neighbors=3).fit(X, y)
        >>> model.predict([[0.4], [8.0]]).tolist()
        ['a', 'b']
        >>> model.predict_proba([[8.0]]).round(3).tolist()
        [[0.333, 0.667]]
    """

    def __init__(
        self,
        n_neighbors: int = 5,
        metric: str = "euclidean",
        max_memory_mb: float = 64.0,
        n_jobs: int | None = None,
    ) -> None:
        self.n_neighbors = n_neighbors
        self.metric = metric
        self.max_memory_mb = max_memory_mb
        self.n_jobs = n_jobs

    def fit(self, X: Any, y: Any) -> KNNClassifier:
        r"""Store the training set (k-NN is a lazy learner: fitting is memorising).

        Args:
            X: training points, shape (n, d).
            y: labels, shape (n,), any sortable type.

        Returns:
            self: the fitted classifier.

        Raises:
            ValueError: for NaN or infinite values, bad shapes, `len(y) != n`, an unknown
                metric, `n_neighbors > n`, a non-positive memory budget or a bad `n_jobs`.
            TypeError: if `X` is not numeric or `n_neighbors` is not an int.
        """
        _check_metric(self.metric)
        X = _as_matrix(X, "X")
        labels = np.asarray(y)
        if labels.ndim != 1 or labels.shape[0] != X.shape[0]:
            raise ValueError(
                f"y must be 1-D with one label per row of X ({X.shape[0]}), got shape "
                f"{labels.shape}"
            )
        if labels.dtype.kind == "f" and not np.isfinite(labels).all():
            raise ValueError("y contains NaN or infinite labels; expected finite labels")
        _check_n_neighbors(self.n_neighbors, X.shape[0])
        if not self.max_memory_mb > 0:
            raise ValueError(f"max_memory_mb must be > 0, got {self.max_memory_mb}")
        _check_n_jobs(self.n_jobs)
        self.classes_, self.y_encoded_ = np.unique(labels, return_inverse=True)
        self.X_fit_ = X.copy()
        self.n_features_in_ = X.shape[1]
        self._reference = _prepare_reference(self.X_fit_, self.metric)
        return self

    def _check_query(self, X: Any) -> np.ndarray:
        if not hasattr(self, "X_fit_"):
            raise ValueError("this KNNClassifier is not fitted yet; call fit(X, y) first")
        X = _as_matrix(X, "X")
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but the classifier was fitted with "
                f"{self.n_features_in_} features"
            )
        return X

    def kneighbors(
        self, X: Any = None, n_neighbors: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        r"""Distances to and indices of the nearest training points.

        Args:
            X: query points, shape (q, d); `None` means the training points themselves,
                each excluded from its own neighbours (leave-one-out).
            n_neighbors: how many neighbours; defaults to `self.n_neighbors`.

        Returns:
            distances: shape (q, k), increasing along each row.
            indices: shape (q, k), indices into the training set.

        Raises:
            ValueError: if not fitted, for NaN input, a feature mismatch or k too large.
        """
        k = self.n_neighbors if n_neighbors is None else n_neighbors
        exclude_self = X is None
        X = self._check_query(self.X_fit_ if exclude_self else X)
        k = _check_n_neighbors(k, self.X_fit_.shape[0] - exclude_self)
        return _search(
            X,
            self.X_fit_,
            k,
            self.metric,
            exclude_self,
            self.max_memory_mb,
            _check_n_jobs(self.n_jobs),
            self._reference,
        )

    def predict_proba(self, X: Any) -> np.ndarray:
        r"""Fraction of the k neighbours in each class.

        Args:
            X: query points, shape (q, d).

        Returns:
            probabilities: shape (q, C), rows sum to 1, columns ordered as `classes_`.

        Raises:
            ValueError: if not fitted, for NaN input or a feature mismatch.
        """
        if X is None:
            raise ValueError("X must be an array of query points, got None")
        _, indices = self.kneighbors(X)  # (q, k)
        labels = self.y_encoded_[indices]  # (q, k)
        q, k = labels.shape
        n_classes = len(self.classes_)
        cells = np.arange(q)[:, None] * n_classes + labels  # (q, k) flat index of (row, class)
        counts = np.bincount(cells.ravel(), minlength=q * n_classes).reshape(q, n_classes)
        return counts / k

    def predict(self, X: Any) -> np.ndarray:
        r"""The majority label of the k nearest training points (smallest label on a tie).

        Args:
            X: query points, shape (q, d).

        Returns:
            labels: shape (q,), entries of `classes_`.

        Raises:
            ValueError: if not fitted, for NaN input or a feature mismatch.
        """
        probabilities = self.predict_proba(X)  # (q, C)
        return self.classes_[probabilities.argmax(axis=1)]


def log_unit_ball_volume(dimension: int) -> float:
    r"""Natural logarithm of the volume of the unit euclidean ball in $\mathbb{R}^d$.

    $$
    \log V_d = \frac{d}{2} \log \pi - \log \Gamma\Big(\frac{d}{2} + 1\Big),
    $$

    finite for every d, whereas $\Gamma(d/2 + 1)$ overflows from d = 342 and $V_d$ itself
    underflows to 0.0 from d = 453.

    Args:
        dimension: d >= 1.

    Returns:
        log_volume: $\log V_d$.

    Raises:
        ValueError: if `dimension < 1`.

    Examples:
        >>> round(log_unit_ball_volume(2), 6) == round(math.log(math.pi), 6)
        True
        >>> round(log_unit_ball_volume(500), 3)
        -847.863
    """
    _check_dimension(dimension)
    return dimension / 2 * math.log(math.pi) - math.lgamma(dimension / 2 + 1)


def _check_dimension(dimension: Any) -> None:
    if dimension < 1:
        raise ValueError(f"dimension must be >= 1, got {dimension}")


_GAMMA_LIMIT = 341
r"""Largest d for which $\Gamma(d/2 + 1)$ is a finite float."""


def unit_ball_volume(dimension: int) -> float:
    r"""Volume of the unit euclidean ball in $\mathbb{R}^d$.

    $$
    V_d = \frac{\pi^{d/2}}{\Gamma(d/2 + 1)}.
    $$

    Up to d = 341 this is computed as written; beyond, as the exponential of
    [`log_unit_ball_volume`][scribbles.learning.knn.log_unit_ball_volume] (the gamma
    function would overflow); that is 0.0 from d = 453 on, where the volume is below the
    smallest float.

    Args:
        dimension: d >= 1.

    Returns:
        volume: $V_d$.

    Raises:
        ValueError: if `dimension < 1`.

    Examples:
        >>> round(unit_ball_volume(2), 6), round(unit_ball_volume(3), 6)
        (3.141593, 4.18879)
        >>> f"{unit_ball_volume(400):.4e}"
        '3.4126e-276'
        >>> unit_ball_volume(500)
        0.0
    """
    _check_dimension(dimension)
    if dimension <= _GAMMA_LIMIT:
        return math.pi ** (dimension / 2) / math.gamma(dimension / 2 + 1)
    return math.exp(log_unit_ball_volume(dimension))


def knn_density(X_train: Any, X_query: Any, n_neighbors: int, log: bool = False) -> np.ndarray:
    r"""k-NN density estimate: k points fall in the ball that reaches the k-th neighbour.

    $$
    \hat p(x) = \frac{k}{n\, V_d\, r_k(x)^d},\qquad
    \log \hat p(x) = \log k - \log n - \log V_d - d \log r_k(x),
    $$

    with $r_k(x)$ the euclidean distance from $x$ to its k-th nearest training point and
    $V_d$ the [volume of the unit ball][scribbles.learning.knn.unit_ball_volume]. The
    estimate is computed in log space, so that neither $V_d$ nor $r_k(x)^d$ overflows in
    many dimensions; in hundreds of dimensions the density itself is often too small or
    too large for a float, and `log=True` returns its logarithm instead.

    Args:
        X_train: sample of the density, shape (n, d).
        X_query: where to estimate it, shape (q, d).
        n_neighbors: k.
        log: return $\log \hat p(x)$ rather than $\hat p(x)$.

    Returns:
        density: shape (q,); infinite where $r_k(x) = 0$ (then `+inf` also with `log`).

    Raises:
        ValueError: for bad shapes, NaN input or k larger than n.

    Examples:
        >>> sample = np.random.default_rng(0).random((10_000, 1))  # uniform on [0, 1]
        >>> knn_density(sample, [[0.25], [0.5]], n_neighbors=200).round(2).tolist()
        [1.0, 0.88]
        >>> wide = np.random.default_rng(0).random((200, 500))  # uniform on [0, 1]^500
        >>> bool(np.isfinite(knn_density(wide, wide[:3] + 0.01, 5, log=True)).all())
        True
    """
    distances, _ = nearest_neighbors(X_query, X_train, n_neighbors)
    n, d = np.shape(X_train)
    radius = distances[:, -1]  # r_k(x), shape (q,)
    with np.errstate(divide="ignore"):
        log_radius = np.log(radius)  # -inf where r_k(x) = 0
    log_density = math.log(n_neighbors / n) - log_unit_ball_volume(d) - d * log_radius
    return log_density if log else np.exp(log_density)


def knn_outlier_score(X: Any, n_neighbors: int, metric: str = "euclidean") -> np.ndarray:
    r"""Outlier score of every point: its distance to its k-th nearest *other* point.

    $$
    s(x_i) = d\big(x_i, x_{(k)}\big),\quad x_{(k)} \text{ the k-th nearest of } \{x_j\}_{j\ne i}.
    $$

    Points in sparse regions are far from their neighbours and score high.

    Args:
        X: the data, shape (n, d).
        n_neighbors: k, with k <= n - 1.
        metric: one of [`METRICS`][scribbles.learning.knn.METRICS].

    Returns:
        scores: shape (n,).

    Raises:
        ValueError: for bad shapes, NaN input or k > n - 1.

    Examples:
        >>> knn_outlier_score([[0.0], [0.1], [0.2], [5.0]], n_neighbors=1).round(2).tolist()
        [0.1, 0.1, 0.1, 4.8]
    """
    distances, _ = nearest_neighbors(X, X, n_neighbors, metric=metric, exclude_self=True)
    return distances[:, -1]


def knn_graph_components(X: Any, n_neighbors: int) -> np.ndarray:
    r"""Cluster labels: connected components of the symmetric k-NN graph.

    Points $i$ and $j$ are joined when either is among the other's k nearest neighbours
    (euclidean). Labels spread by repeated minimum over neighbours,
    $\ell_i \leftarrow \min(\ell_i, \min_{j \sim i} \ell_j)$, until nothing changes; a
    component's label is its smallest point index, renumbered 0, 1, 2, ... in order of
    first appearance.

    Args:
        X: the data, shape (n, d).
        n_neighbors: k, with k <= n - 1.

    Returns:
        labels: shape (n,), integers 0..(number of components - 1).

    Raises:
        ValueError: for bad shapes, NaN input or k > n - 1.

    Examples:
        >>> X = [[0.0], [0.1], [0.2], [5.0], [5.1]]
        >>> knn_graph_components(X, n_neighbors=1).tolist()
        [0, 0, 0, 1, 1]
    """
    _, indices = nearest_neighbors(X, X, n_neighbors, exclude_self=True)  # (n, k)
    n = indices.shape[0]
    sources = np.repeat(np.arange(n), indices.shape[1])
    targets = indices.ravel()
    sources, targets = np.concatenate([sources, targets]), np.concatenate([targets, sources])
    labels = np.arange(n)
    while True:  # at most n rounds; each round is vectorised over all edges
        updated = labels.copy()
        np.minimum.at(updated, sources, labels[targets])
        updated = updated[updated]  # pointer jumping: labels[j] <= j lies in j's component
        if np.array_equal(updated, labels):
            break
        labels = updated
    return np.unique(labels, return_inverse=True)[1]


# ---- experiments shown in the chapter ---------------------------------------------------


def _digits_halves(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 8x8 digits split in two stratified halves: X_train, y_train, X_test, y_test."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.5, random_state=seed, stratify=y
    )
    return X_train, y_train, X_test, y_test


@cached
def compare_with_scikit_learn(
    ks: tuple[int, ...] = (1, 5, 15), metrics: tuple[str, ...] = METRICS, seed: int = 0
) -> list[dict[str, Any]]:
    r"""Our predictions against `KNeighborsClassifier(algorithm="brute")` on the digits.

    On the raw digits (integer pixels) equal distances are common, and when the k-th and
    (k+1)-th neighbours are at the same distance the two libraries may keep different
    points; on digits plus noise of $10^{-3}$ (no equal distances) the predictions must
    be identical.

    Args:
        ks: the values of k.
        metrics: the distances.
        seed: seed of the split and of the noise.

    Returns:
        rows: one dict per (metric, k) with `agreement_raw`, `tied_queries` (queries with
            a tie at the k-th neighbour), `disagreements`, `disagreements_without_tie`,
            `agreement_jittered` and `max_probability_difference` (jittered data).
    """
    from sklearn.neighbors import KNeighborsClassifier
    from threadpoolctl import threadpool_limits

    X_train, y_train, X_test, _ = _digits_halves(seed)
    rng = np.random.default_rng(seed)
    jittered = (
        X_train + 1e-3 * rng.random(X_train.shape),
        X_test + 1e-3 * rng.random(X_test.shape),
    )
    rows = []
    with threadpool_limits(limits=1):
        for metric in metrics:
            for k in ks:
                ours = KNNClassifier(k, metric).fit(X_train, y_train)
                theirs = KNeighborsClassifier(n_neighbors=k, metric=metric, algorithm="brute")
                theirs.fit(X_train, y_train)
                distances, _ = ours.kneighbors(X_test, n_neighbors=k + 1)
                tied = distances[:, k - 1] == distances[:, k]
                differ = ours.predict(X_test) != theirs.predict(X_test)
                ours.fit(jittered[0], y_train)
                theirs.fit(jittered[0], y_train)
                ours_p, theirs_p = (
                    ours.predict_proba(jittered[1]),
                    theirs.predict_proba(jittered[1]),
                )
                rows.append(
                    {
                        "metric": metric,
                        "k": k,
                        "agreement_raw": float(1 - differ.mean()),
                        "tied_queries": int(tied.sum()),
                        "disagreements": int(differ.sum()),
                        "disagreements_without_tie": int((differ & ~tied).sum()),
                        "agreement_jittered": float(
                            (ours_p.argmax(axis=1) == theirs_p.argmax(axis=1)).mean()
                        ),
                        "max_probability_difference": float(np.abs(ours_p - theirs_p).max()),
                    }
                )
    return rows


@cached
def digit_pair_accuracy(
    n_hardest: int = 3,
    ks: tuple[int, ...] = (1, 3, 5, 9, 15, 31, 61, 121),
    seed: int = 0,
) -> dict[str, Any]:
    r"""Test accuracy of euclidean k-NN on the 45 two-class digit problems and on all ten.

    Each problem is split in stratified halves (train, test); all k are evaluated from
    one neighbour search with [`vote_for_every_k`][scribbles.learning.knn.vote_for_every_k].

    Args:
        n_hardest: how many pairs to report one by one: those with the lowest 1-NN
            accuracy (ties in increasing pair order).
        ks: the values of k, increasing, the first being 1.
        seed: seed of the splits.

    Returns:
        result: dict with `ks`, `pairs` (the hardest pairs), `accuracy` (pairs, ks),
            `mean_over_all_pairs` and `worst_over_all_pairs` (per k), `ten_classes`
            (ks,), `n_images`, `pair_train_size` (mean training-set size of a pair) and
            `ten_train_size`.

    Raises:
        ValueError: if `ks` does not start at 1.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if ks[0] != 1:
        raise ValueError(f"ks must start at 1 (the hardest pairs are ranked by 1-NN), got {ks}")
    X, y = load_digits(return_X_y=True)
    ks_array = np.array(ks)

    def accuracy_for_every_k(X_part: np.ndarray, y_part: np.ndarray) -> tuple[np.ndarray, int]:
        X_train, X_test, y_train, y_test = train_test_split(
            X_part, y_part, test_size=0.5, random_state=seed, stratify=y_part
        )
        model = KNNClassifier(n_neighbors=1).fit(X_train, y_train)
        _, indices = model.kneighbors(X_test, n_neighbors=int(ks_array.max()))
        predictions = vote_for_every_k(model.y_encoded_[indices], len(model.classes_))
        correct = model.classes_[predictions[:, ks_array - 1]] == y_test[:, None]
        return correct.mean(axis=0), len(y_train)

    all_pairs = [(a, b) for a in range(10) for b in range(a + 1, 10)]
    results = [accuracy_for_every_k(X[np.isin(y, pair)], y[np.isin(y, pair)]) for pair in all_pairs]
    stacked = np.array([accuracy for accuracy, _ in results])  # (45, ks)
    hardest = np.argsort(stacked[:, 0], kind="stable")[:n_hardest]
    ten_classes, ten_train_size = accuracy_for_every_k(X, y)
    return {
        "ks": ks_array,
        "pairs": [all_pairs[i] for i in hardest],
        "accuracy": stacked[hardest],
        "mean_over_all_pairs": stacked.mean(axis=0),
        "worst_over_all_pairs": stacked.min(axis=0),
        "ten_classes": ten_classes,
        "n_images": len(y),
        "pair_train_size": float(np.mean([size for _, size in results])),
        "ten_train_size": ten_train_size,
    }


@cached
def metric_and_scaling_accuracy(
    datasets: tuple[str, ...] = ("digits", "wine", "breast_cancer"),
    metrics: tuple[str, ...] = METRICS,
    n_neighbors: int = 5,
    n_folds: int = 5,
    seed: int = 0,
) -> list[dict[str, Any]]:
    r"""Cross-validated k-NN accuracy for each distance, on raw and on standardised features.

    Standardising maps each feature to $(x_j - \mu_j) / \sigma_j$ with the mean and
    standard deviation of the training folds only.

    Args:
        datasets: names of scikit-learn's bundled data sets (`load_<name>`).
        metrics: the distances.
        n_neighbors: k.
        n_folds: folds of the stratified cross-validation.
        seed: seed of the folds.

    Returns:
        rows: one dict per (dataset, metric) with `dataset`, `metric`, `raw` and `scaled`
            (mean accuracy over the folds) and `feature_range` (largest over smallest
            feature standard deviation).
    """
    from sklearn import datasets as bundled
    from sklearn.model_selection import StratifiedKFold

    rows = []
    for name in datasets:
        X, y = getattr(bundled, f"load_{name}")(return_X_y=True)
        folds = list(StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(X, y))
        spreads = X.std(axis=0)
        spread_ratio = float(spreads.max() / spreads[spreads > 0].min())
        for metric in metrics:
            scores = {"raw": [], "scaled": []}
            for train, test in folds:
                mean, std = X[train].mean(axis=0), X[train].std(axis=0)
                std[std == 0] = 1.0  # constant pixels stay constant
                versions = {
                    "raw": (X[train], X[test]),
                    "scaled": ((X[train] - mean) / std, (X[test] - mean) / std),
                }
                for kind, (X_fit, X_check) in versions.items():
                    model = KNNClassifier(n_neighbors, metric).fit(X_fit, y[train])
                    scores[kind].append(model.score(X_check, y[test]))
            rows.append(
                {
                    "dataset": name,
                    "metric": metric,
                    "raw": float(np.mean(scores["raw"])),
                    "scaled": float(np.mean(scores["scaled"])),
                    "feature_range": spread_ratio,
                }
            )
    return rows
