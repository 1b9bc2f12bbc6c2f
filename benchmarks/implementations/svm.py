"""Fit time of `scribbles.classical.svm.SVC` (numpy SMO) against scikit-learn's `SVC` (LIBSVM).

Both fit the same 1,000 two-moons samples (noise 0.2) with the default hyperparameters
(RBF kernel, C = 1, gamma = "scale", tol = 1e-3); the best of several runs is kept for
each. LIBSVM is compiled C++ with shrinking; ours is a numpy loop with one Python-level
step per SMO iteration, so the goal is a ratio of at most 10.
"""

from __future__ import annotations

from benchmarks.timing import best_time, comparison
from sklearn.datasets import make_moons
from sklearn.svm import SVC as SklearnSVC

from scribbles.classical.svm import SVC

GOAL = 10.0
REPEATS = 7
N_SAMPLES = 1_000


def run() -> dict[str, dict[str, float]]:
    """Return `{"svm_fit": {"ours_s", "reference_s", "ratio", "goal"}}`."""
    X, y = make_moons(N_SAMPLES, noise=0.2, random_state=0)
    ours_s = best_time(lambda: SVC().fit(X, y), REPEATS)
    reference_s = best_time(lambda: SklearnSVC().fit(X, y), REPEATS)
    return comparison("svm_fit", ours_s, reference_s, GOAL)


if __name__ == "__main__":
    print(run())
