"""Fit time of `scribbles.classical.trees.DecisionTreeClassifier` against scikit-learn's tree.

Both grow a full-depth Gini tree on the same 1,000 samples with 20 features (10
informative, from `make_classification`); the best of several runs is kept for each.
Our split search is vectorised per node (sorted cumulative class counts for all
features at once), the tree itself is grown by a Python loop over nodes.
"""

from __future__ import annotations

from benchmarks.timing import best_time, comparison
from sklearn.datasets import make_classification
from sklearn.tree import DecisionTreeClassifier as SklearnTree

from scribbles.classical.trees import DecisionTreeClassifier

GOAL = 20.0
REPEATS = 7
N_SAMPLES = 1_000


def run() -> dict[str, dict[str, float]]:
    """Return `{"tree_fit": {"ours_s", "reference_s", "ratio", "goal"}}`."""
    X, y = make_classification(N_SAMPLES, n_features=20, n_informative=10, random_state=0)
    ours_s = best_time(lambda: DecisionTreeClassifier("gini").fit(X, y), REPEATS)
    reference_s = best_time(
        lambda: SklearnTree(criterion="gini", random_state=0).fit(X, y), REPEATS
    )
    return comparison("tree_fit", ours_s, reference_s, GOAL)


if __name__ == "__main__":
    print(run())
