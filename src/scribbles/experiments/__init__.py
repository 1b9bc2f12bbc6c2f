r"""Build-time experiments: the training runs and sweeps behind the chapters' figures.

Each module holds the models, data and `@cached` functions of one chapter's experiments,
kept apart from the idea modules in `scribbles/` so that those stay short. Every cached
function is deterministic given its arguments and returns plain data (numbers, numpy
arrays, lists and dicts), so a warm build trains nothing.
"""
