"""Predict time of `scribbles.learning.knn.KNNClassifier` against scikit-learn's brute-force k-NN.

Both classifiers use k = 5 and the euclidean distance, are fitted on the even rows of
the 8×8 digits (899 images) and predict all 1,797 images; the best of several runs is
kept for each, the two being run alternately.
"""

from __future__ import annotations

from benchmarks.timing import best_times, comparison
from sklearn.datasets import load_digits
from sklearn.neighbors import KNeighborsClassifier

from scribbles.learning.knn import KNNClassifier

GOAL = 1.5
REPEATS = 15


def run() -> dict[str, dict[str, float]]:
    """Return `{"knn_predict": {"ours_s", "reference_s", "ratio", "goal"}}`."""
    X, y = load_digits(return_X_y=True)
    ours = KNNClassifier(n_neighbors=5).fit(X[::2], y[::2])
    reference = KNeighborsClassifier(n_neighbors=5, algorithm="brute").fit(X[::2], y[::2])
    ours_s, reference_s = best_times(lambda: ours.predict(X), lambda: reference.predict(X), REPEATS)
    return comparison("knn_predict", ours_s, reference_s, GOAL)


if __name__ == "__main__":
    print(run())
