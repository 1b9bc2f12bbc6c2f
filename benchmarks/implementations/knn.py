"""Predict time of `scribbles.knn.KNNClassifier` against scikit-learn's brute-force k-NN.

Both classifiers use k = 5 and the euclidean distance, are fitted on the even rows of
the 8×8 digits (899 images) and predict all 1,797 images; the best of several runs is
kept for each, the two being run alternately.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sklearn.datasets import load_digits
from sklearn.neighbors import KNeighborsClassifier

from scribbles.knn import KNNClassifier

GOAL = 1.5
REPEATS = 15


def best_times(
    first: Callable[[], object], second: Callable[[], object], repeats: int = REPEATS
) -> tuple[float, float]:
    """Best-of-`repeats` wall times (seconds) of two calls, run alternately after a warm-up.

    Alternating the two keeps them under the same machine load, which matters on a
    shared machine.
    """
    first(), second()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeats):
        for function, record in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            function()
            record.append(time.perf_counter() - start)
    return min(times[0]), min(times[1])


def run() -> dict[str, dict[str, float]]:
    """Return `{"knn_predict": {"ours_s", "reference_s", "ratio", "goal"}}`."""
    X, y = load_digits(return_X_y=True)
    ours = KNNClassifier(n_neighbors=5).fit(X[::2], y[::2])
    reference = KNeighborsClassifier(n_neighbors=5, algorithm="brute").fit(X[::2], y[::2])
    ours_s, reference_s = best_times(lambda: ours.predict(X), lambda: reference.predict(X))
    return {
        "knn_predict": {
            "ours_s": ours_s,
            "reference_s": reference_s,
            "ratio": ours_s / reference_s,
            "goal": GOAL,
        }
    }


if __name__ == "__main__":
    print(run())
