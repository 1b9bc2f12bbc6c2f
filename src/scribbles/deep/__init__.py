r"""Part III, deep learning: from representations and depth to attention, subwords and few-shot.

One module or subpackage per chapter:
[`representation_learning`][scribbles.deep.representation_learning],
[`depth`][scribbles.deep.depth], [`attention`][scribbles.deep.attention],
[`multi_head_attention`][scribbles.deep.multi_head_attention],
[`positional`][scribbles.deep.positional],
[`residuals_normalization`][scribbles.deep.residuals_normalization],
[`subwords`][scribbles.deep.subwords] and [`few_shot`][scribbles.deep.few_shot].
"""
