r"""Part II, classical models: support vector machines with kernels, and decision trees.

[`svm`][scribbles.classical.svm] (with its [`kernels`][scribbles.classical.svm.kernels])
and [`trees`][scribbles.classical.trees] follow scikit-learn's estimator conventions, so
that a reader can swap ours for theirs.
"""
