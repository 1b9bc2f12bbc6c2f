r"""Part I, learning from data: induction, statistical learning, k-NN, VC theory, P vs NP.

One module per chapter: [`induction`][scribbles.learning.induction],
[`statistical_learning`][scribbles.learning.statistical_learning],
[`knn`][scribbles.learning.knn], [`vapnik`][scribbles.learning.vapnik],
[`debugging`][scribbles.learning.debugging] and [`p_vs_np`][scribbles.learning.p_vs_np].
"""
