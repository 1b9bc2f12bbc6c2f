r"""No free lunch, checked exhaustively on every Boolean function of a few inputs.

On the input space $\mathcal{X} = \{0, 1\}^n$ there are $2^{2^n}$ Boolean functions
(256 for $n = 3$). Fix a training set $S \subset \mathcal{X}$ of inputs. A learner sees the
labels $f|_S$ of a target $f$ and predicts the *off-training-set* inputs
$\mathcal{X} \setminus S$. Its off-training-set (OTS) accuracy is

$$
\operatorname{acc}(A, f, S) = \frac{1}{|\mathcal{X} \setminus S|}
\sum_{x \notin S} \mathbb{1}\big[A(S, f|_S)(x) = f(x)\big].
$$

The **no-free-lunch theorem** (Wolpert, 1996) says that, averaged uniformly over all
targets, every learner has OTS accuracy exactly $1/2$: for each labelling of $S$ the
unseen labels run through all $2^{|\mathcal{X} \setminus S|}$ patterns, whatever the
learner predicts. This module enumerates all targets and checks it.

A learner here is a function `learner(train_inputs, train_labels, test_inputs)` that
is vectorised over targets: `train_labels` has shape (F, m), one row per target, and it
returns predictions of shape (F, t).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from scribbles.book.cache import cached

__all__ = [
    "FAMILIES",
    "LEARNERS",
    "all_boolean_functions",
    "all_inputs",
    "consistent_functions",
    "function_family",
    "no_free_lunch_sweep",
    "off_training_set_accuracy",
    "predict_best_single_input",
    "predict_constant_zero",
    "predict_majority",
    "predict_minority",
    "predict_nearest_neighbor",
    "predict_pseudo_random",
    "single_input_hypotheses",
]

Learner = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]

MAX_INPUTS = 4
"""Largest n handled: $2^{2^4} = 65{,}536$ functions; $n = 5$ would have 4 billion."""


def _check_n_inputs(n_inputs: Any) -> int:
    if isinstance(n_inputs, bool) or not isinstance(n_inputs, int | np.integer):
        raise TypeError(f"n_inputs must be an int, got {type(n_inputs).__name__}")
    if not 1 <= n_inputs <= MAX_INPUTS:
        raise ValueError(f"n_inputs must be between 1 and {MAX_INPUTS}, got {n_inputs}")
    return int(n_inputs)


def all_inputs(n_inputs: int) -> np.ndarray:
    r"""Every point of $\{0, 1\}^n$, row $i$ being the binary digits of $i$.

    Args:
        n_inputs: n, between 1 and 4.

    Returns:
        inputs: shape (2^n, n), dtype uint8.

    Raises:
        ValueError: if n is out of range.
        TypeError: if n is not an int.

    Examples:
        >>> all_inputs(2).tolist()
        [[0, 0], [0, 1], [1, 0], [1, 1]]
    """
    n = _check_n_inputs(n_inputs)
    codes = np.arange(2**n)[:, None]  # (2^n, 1)
    return ((codes >> np.arange(n - 1, -1, -1)) & 1).astype(np.uint8)  # (2^n, n)


def all_boolean_functions(n_inputs: int) -> np.ndarray:
    r"""The truth table of every Boolean function on $\{0, 1\}^n$.

    Row $f$ is the function whose value at input $i$ is bit $i$ of the integer $f$.

    Args:
        n_inputs: n, between 1 and 4.

    Returns:
        tables: shape (2^(2^n), 2^n), dtype uint8; entry (f, i) is f(input i).

    Raises:
        ValueError: if n is out of range.

    Examples:
        >>> all_boolean_functions(1).tolist()
        [[0, 0], [1, 0], [0, 1], [1, 1]]
    """
    size = 2 ** _check_n_inputs(n_inputs)
    codes = np.arange(2**size, dtype=np.int64)[:, None]  # (F, 1)
    return ((codes >> np.arange(size)) & 1).astype(np.uint8)  # (F, 2^n)


# ---- learners ----------------------------------------------------------------------------


def predict_constant_zero(
    train_inputs: np.ndarray, train_labels: np.ndarray, test_inputs: np.ndarray
) -> np.ndarray:
    """Ignore the data and predict 0 everywhere.

    Args:
        train_inputs: the training inputs, shape (m, n).
        train_labels: their labels under each of F targets, shape (F, m).
        test_inputs: the inputs to predict, shape (t, n).

    Returns:
        predictions: shape (F, t), in {0, 1}.

    Examples:
        >>> predict_constant_zero(np.zeros((1, 2)), np.ones((3, 1)), np.zeros((2, 2))).shape
        (3, 2)
    """
    return np.zeros((train_labels.shape[0], test_inputs.shape[0]), dtype=np.uint8)


def predict_majority(
    train_inputs: np.ndarray, train_labels: np.ndarray, test_inputs: np.ndarray
) -> np.ndarray:
    r"""Predict the most frequent training label everywhere (0 on a tie or no data).

    $$
    \hat y = \mathbb{1}\Big[2\sum_{i=1}^m y_i > m\Big].
    $$

    Args:
        train_inputs: the training inputs, shape (m, n).
        train_labels: their labels under each of F targets, shape (F, m).
        test_inputs: the inputs to predict, shape (t, n).

    Returns:
        predictions: shape (F, t), in {0, 1}.

    Examples:
        >>> predict_majority(None, np.array([[1, 1, 0], [0, 0, 1]]), np.zeros((2, 3))).tolist()
        [[1, 1], [0, 0]]
    """
    ones = train_labels.sum(axis=1, dtype=np.int64)  # (F,)
    majority = (2 * ones > train_labels.shape[1]).astype(np.uint8)
    return np.repeat(majority[:, None], test_inputs.shape[0], axis=1)  # (F, t)


def predict_minority(
    train_inputs: np.ndarray, train_labels: np.ndarray, test_inputs: np.ndarray
) -> np.ndarray:
    """The anti-learner: predict the least frequent training label (1 on a tie or no data).

    Args:
        train_inputs: the training inputs, shape (m, n).
        train_labels: their labels under each of F targets, shape (F, m).
        test_inputs: the inputs to predict, shape (t, n).

    Returns:
        predictions: shape (F, t), in {0, 1}.

    Examples:
        >>> predict_minority(None, np.array([[1, 1, 0]]), np.zeros((2, 3))).tolist()
        [[0, 0]]
    """
    return 1 - predict_majority(train_inputs, train_labels, test_inputs)


def predict_nearest_neighbor(
    train_inputs: np.ndarray, train_labels: np.ndarray, test_inputs: np.ndarray
) -> np.ndarray:
    r"""1-NN in Hamming distance: the label of the closest training input.

    $$
    \hat y(x) = y_{i^*},\qquad i^* = \arg\min_i \sum_j |x_j - x_{i,j}|.
    $$

    Ties go to the training input listed first; with no training data, predict 0.

    Args:
        train_inputs: the training inputs, shape (m, n).
        train_labels: their labels under each of F targets, shape (F, m).
        test_inputs: the inputs to predict, shape (t, n).

    Returns:
        predictions: shape (F, t), in {0, 1}.

    Examples:
        >>> train, test = np.array([[0, 0, 0], [1, 1, 1]]), np.array([[0, 0, 1], [1, 1, 0]])
        >>> predict_nearest_neighbor(train, np.array([[0, 1]]), test).tolist()
        [[0, 1]]
    """
    if train_labels.shape[1] == 0:
        return predict_constant_zero(train_inputs, train_labels, test_inputs)
    # Hamming distance d(x, z) = sum_j |x_j - z_j|, shape (t, m)
    distances = np.abs(test_inputs[:, None, :].astype(int) - train_inputs[None, :, :]).sum(axis=2)
    nearest = distances.argmin(axis=1)  # (t,), first minimum on ties
    return train_labels[:, nearest]  # (F, t)


def single_input_hypotheses(n_inputs: int) -> np.ndarray:
    r"""The small hypothesis class $\{0,\ 1,\ x_1,\ \neg x_1, \dots, x_n,\ \neg x_n\}$.

    Args:
        n_inputs: n, between 1 and 4.

    Returns:
        tables: truth tables, shape (2n + 2, 2^n), in the order listed above.

    Raises:
        ValueError: if n is out of range.

    Examples:
        >>> single_input_hypotheses(1).tolist()
        [[0, 0], [1, 1], [0, 1], [1, 0]]
    """
    inputs = all_inputs(n_inputs)  # (2^n, n)
    rows = [np.zeros(2**n_inputs, dtype=np.uint8), np.ones(2**n_inputs, dtype=np.uint8)]
    for j in range(n_inputs):
        rows += [inputs[:, j], 1 - inputs[:, j]]
    return np.stack(rows)


def predict_best_single_input(
    train_inputs: np.ndarray, train_labels: np.ndarray, test_inputs: np.ndarray
) -> np.ndarray:
    r"""A learner with a strong bias: the best of $\{0,\ 1,\ x_j,\ \neg x_j\}$ on the training set.

    Among the $2n + 2$ hypotheses "constant", "copy input $j$" and "negate input $j$", pick
    the one with the fewest training mistakes (the first listed on a tie) and predict
    with it.

    Args:
        train_inputs: the training inputs, shape (m, n).
        train_labels: their labels under each of F targets, shape (F, m).
        test_inputs: the inputs to predict, shape (t, n).

    Returns:
        predictions: shape (F, t), in {0, 1}.

    Examples:
        >>> train, test = np.array([[0, 0], [1, 0], [0, 1]]), np.array([[1, 1]])
        >>> predict_best_single_input(train, np.array([[0, 1, 0], [1, 1, 0]]), test).tolist()
        [[1], [0]]
    """
    n = train_inputs.shape[1] if train_inputs.ndim == 2 else test_inputs.shape[1]
    codes = 2 ** np.arange(n - 1, -1, -1)
    hypotheses = single_input_hypotheses(n)  # (H, 2^n)
    on_train = hypotheses[:, (train_inputs.astype(int) @ codes)]  # (H, m)
    on_test = hypotheses[:, (test_inputs.astype(int) @ codes)]  # (H, t)
    # mistakes[f, h] = sum_i |labels[f, i] - h(x_i)|
    mistakes = np.abs(train_labels[:, None, :].astype(int) - on_train[None, :, :]).sum(axis=2)
    return on_test[mistakes.argmin(axis=1)]  # (F, t)


def predict_pseudo_random(
    train_inputs: np.ndarray, train_labels: np.ndarray, test_inputs: np.ndarray
) -> np.ndarray:
    r"""Coin flips, but the same ones for the same training labels (a function of the data).

    The bits come from a fixed table indexed by the training labels read as a binary
    number, so that the prediction depends on the data only, as a learner's must.

    Args:
        train_inputs: the training inputs, shape (m, n).
        train_labels: their labels under each of F targets, shape (F, m).
        test_inputs: the inputs to predict, shape (t, n).

    Returns:
        predictions: shape (F, t), in {0, 1}.

    Examples:
        >>> labels = np.array([[0, 1], [0, 1], [1, 1]])
        >>> out = predict_pseudo_random(None, labels, np.zeros((4, 3)))
        >>> bool((out[0] == out[1]).all()), out.shape
        (True, (3, 4))
    """
    m, t = train_labels.shape[1], test_inputs.shape[0]
    table = np.random.default_rng(12345).integers(0, 2, size=(2**m, t), dtype=np.uint8)
    return table[train_labels.astype(np.int64) @ (2 ** np.arange(m, dtype=np.int64))]


LEARNERS: dict[str, Learner] = {
    "always 0": predict_constant_zero,
    "majority label": predict_majority,
    "minority label": predict_minority,
    "1-NN (Hamming)": predict_nearest_neighbor,
    "best single input": predict_best_single_input,
    "pseudo-random": predict_pseudo_random,
}
"""The learners compared on the page, by display name."""


# ---- the experiment ------------------------------------------------------------------------


def _check_training_indices(
    training_indices: Any, n_points: int, allow_all: bool = False
) -> np.ndarray:
    indices = np.asarray(training_indices, dtype=np.int64).reshape(-1)
    if indices.size and (indices.min() < 0 or indices.max() >= n_points):
        raise ValueError(
            f"training_indices must lie in 0..{n_points - 1}, got values in "
            f"[{indices.min()}, {indices.max()}]"
        )
    if len(set(indices.tolist())) != indices.size:
        raise ValueError(f"training_indices must not repeat, got {indices.tolist()}")
    if indices.size == n_points and not allow_all:
        raise ValueError("training_indices cover every input; no off-training-set point is left")
    return indices


def off_training_set_accuracy(
    learner: Learner,
    n_inputs: int,
    training_indices: Any,
    targets: np.ndarray | None = None,
) -> np.ndarray:
    r"""OTS accuracy of a learner for every target function (or the given ones).

    Args:
        learner: a vectorised learner (see the module docstring), e.g. from
            [`LEARNERS`][scribbles.learning.induction.LEARNERS].
        n_inputs: n, between 1 and 4.
        training_indices: indices (m,) of the training inputs in
            [`all_inputs(n)`][scribbles.learning.induction.all_inputs], distinct, m < 2^n.
        targets: truth tables (F, 2^n); default: all $2^{2^n}$ functions.

    Returns:
        accuracy: shape (F,), the fraction of off-training-set inputs predicted right.

    Raises:
        ValueError: for bad indices, or targets of the wrong width.

    Examples:
        >>> accuracy = off_training_set_accuracy(predict_majority, 3, [0, 1, 2])
        >>> accuracy.shape, float(accuracy.mean())
        ((256,), 0.5)
    """
    inputs = all_inputs(n_inputs)
    indices = _check_training_indices(training_indices, len(inputs))
    tables = all_boolean_functions(n_inputs) if targets is None else np.asarray(targets)
    if tables.ndim != 2 or tables.shape[1] != len(inputs):
        raise ValueError(f"targets must have shape (F, {len(inputs)}), got {tables.shape}")
    return _correct_off_training_set(learner, inputs, indices, tables) / (
        len(inputs) - indices.size
    )


def _correct_off_training_set(
    learner: Learner, inputs: np.ndarray, indices: np.ndarray, tables: np.ndarray
) -> np.ndarray:
    """Number of correct OTS predictions for every target, shape (F,), integers."""
    unseen = np.setdiff1d(np.arange(len(inputs)), indices)  # (t,)
    predictions = learner(inputs[indices], tables[:, indices], inputs[unseen])  # (F, t)
    return (predictions == tables[:, unseen]).sum(axis=1, dtype=np.int64)


def function_family(name: str, n_inputs: int) -> np.ndarray:
    r"""The row indices of a family of target functions.

    Rows refer to [`all_boolean_functions`][scribbles.learning.induction.all_boolean_functions].

    - `"all"`: every function;
    - `"single input"`: $x_j$ and $\neg x_j$ (the "dictators"), $2n$ functions;
    - `"parities"`: $\bigoplus_{j \in J} x_j$ and its negation, for every
      $J \subseteq \{1..n\}$ of at least two inputs, $2(2^n - n - 1)$ functions; under
      the full parity, inputs one bit apart always disagree.

    Args:
        name: one of [`FAMILIES`][scribbles.learning.induction.FAMILIES].
        n_inputs: n, between 1 and 4.

    Returns:
        rows: sorted indices, shape (size of the family,).

    Raises:
        ValueError: for an unknown family.

    Examples:
        >>> function_family("single input", 2).tolist()
        [3, 5, 10, 12]
    """
    inputs = all_inputs(n_inputs).astype(np.int64)  # (2^n, n)
    weights = 2 ** np.arange(len(inputs), dtype=np.int64)  # truth table -> row index
    if name == "all":
        return np.arange(2 ** len(inputs))
    if name == "single input":
        tables = [inputs[:, j] for j in range(n_inputs)]
    elif name == "parities":
        tables = [
            inputs[:, list(subset)].sum(axis=1) % 2
            for size in range(2, n_inputs + 1)
            for subset in itertools.combinations(range(n_inputs), size)
        ]
    else:
        raise ValueError(f"name must be one of {FAMILIES}, got {name!r}")
    rows = [int(t @ weights) for t in tables] + [int((1 - t) @ weights) for t in tables]
    return np.array(sorted(rows))


FAMILIES: tuple[str, ...] = ("all", "single input", "parities")
"""Target families of [`function_family`][scribbles.learning.induction.function_family]."""


def consistent_functions(
    n_inputs: int,
    training_indices: Any,
    training_labels: Any,
    hypotheses: np.ndarray | None = None,
) -> tuple[int, np.ndarray]:
    r"""How many hypotheses fit the training data, and what they say off it.

    With m distinct training inputs, $2^{2^n - m}$ of *all* Boolean functions agree with
    the labels, and on every unseen input exactly half of them say 1: the data alone
    favour nothing. A smaller hypothesis class (an inductive bias) can leave a single
    survivor after a few examples.

    Args:
        n_inputs: n, between 1 and 4.
        training_indices: distinct indices (m,) of the training inputs; all $2^n$ of them
            is allowed (then the answer is deduced, not induced).
        training_labels: their labels (m,), in {0, 1}.
        hypotheses: truth tables (H, 2^n) of the hypothesis class; default: all
            $2^{2^n}$ functions.

    Returns:
        count: the number of consistent hypotheses (the *version space*).
        fraction_one: shape (2^n - m,), for each unseen input (in increasing order) the
            fraction of consistent hypotheses that output 1 there (NaN if none is left).

    Raises:
        ValueError: for bad indices, labels of the wrong length or hypotheses of the
            wrong width.

    Examples:
        >>> count, fraction = consistent_functions(2, [0, 3], [0, 1])
        >>> count, fraction.tolist()
        (4, [0.5, 0.5])
        >>> consistent_functions(2, [0, 3], [0, 1], single_input_hypotheses(2))[0]
        2
    """
    tables = all_boolean_functions(n_inputs) if hypotheses is None else np.asarray(hypotheses)
    if tables.ndim != 2 or tables.shape[1] != 2**n_inputs:
        raise ValueError(f"hypotheses must have shape (H, {2**n_inputs}), got {tables.shape}")
    indices = _check_training_indices(training_indices, tables.shape[1], allow_all=True)
    labels = np.asarray(training_labels).reshape(-1)
    if labels.shape != indices.shape:
        raise ValueError(
            f"training_labels must have one label per training index ({indices.size}), got "
            f"{labels.size}"
        )
    consistent = tables[(tables[:, indices] == labels).all(axis=1)]  # (count, 2^n)
    unseen = np.setdiff1d(np.arange(tables.shape[1]), indices)
    if len(consistent) == 0:
        return 0, np.full(unseen.size, np.nan)
    return len(consistent), consistent[:, unseen].mean(axis=0)


@cached
def no_free_lunch_sweep(n_inputs: int = 3) -> dict[str, Any]:
    r"""Average OTS accuracy of every learner, for every training-set size and family.

    For each m = 0 .. 2^n - 1, the accuracy is averaged over *all* $\binom{2^n}{m}$
    training sets of size m and over all targets of the family. For the family `"all"`
    the exact number of correct OTS predictions and the number of predictions are also
    returned, so that "exactly one half" is an identity between integers.

    A family can be empty: with n = 1 there is no parity of two inputs or more, and its
    accuracies are NaN (there is nothing to average).

    Args:
        n_inputs: n, between 1 and 3 (n = 4 would mean 65,535 training sets).

    Returns:
        result: dict with `sizes` (m values), `learners` (names), `families` (names),
            `accuracy` of shape (learners, families, sizes), NaN for an empty family,
            `correct` and `total` (learners, sizes) integer counts for the family "all".

    Raises:
        ValueError: if n_inputs > 3 or n_inputs < 1.
        TypeError: if n_inputs is not an int.

    Examples:
        >>> sweep = no_free_lunch_sweep(1)
        >>> sweep["families"], sweep["accuracy"].shape
        (['all', 'single input', 'parities'], (6, 3, 2))
        >>> sweep["accuracy"][:, 0].tolist() == [[0.5, 0.5]] * 6  # no free lunch
        True
        >>> bool(np.isnan(sweep["accuracy"][:, 2]).all())  # no parity of one input
        True
    """
    if _check_n_inputs(n_inputs) > 3:
        raise ValueError(f"n_inputs must be <= 3 for the full sweep, got {n_inputs}")
    n_points = 2**n_inputs
    sizes = np.arange(n_points)
    inputs, tables = all_inputs(n_inputs), all_boolean_functions(n_inputs)
    # int64 also when a family is empty (no parities for n = 1): the rows index arrays
    family_rows = {
        name: np.asarray(function_family(name, n_inputs), dtype=np.int64) for name in FAMILIES
    }
    accuracy = np.zeros((len(LEARNERS), len(FAMILIES), len(sizes)))
    correct = np.zeros((len(LEARNERS), len(sizes)), dtype=np.int64)
    total = np.zeros((len(LEARNERS), len(sizes)), dtype=np.int64)
    for column, m in enumerate(sizes.tolist()):
        subsets = [np.array(s, dtype=np.int64) for s in itertools.combinations(range(n_points), m)]
        for row, learner in enumerate(LEARNERS.values()):
            per_target = sum(_correct_off_training_set(learner, inputs, s, tables) for s in subsets)
            predictions_per_target = len(subsets) * (n_points - m)  # over all training sets
            for f, name in enumerate(FAMILIES):
                rows = family_rows[name]
                accuracy[row, f, column] = (
                    per_target[rows].sum() / (len(rows) * predictions_per_target)
                    if len(rows)
                    else np.nan
                )
            correct[row, column] = per_target.sum()
            total[row, column] = len(tables) * predictions_per_target
    return {
        "sizes": sizes,
        "learners": list(LEARNERS),
        "families": list(FAMILIES),
        "accuracy": accuracy,
        "correct": correct,
        "total": total,
    }
