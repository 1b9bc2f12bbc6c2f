r"""Scribbles: small, readable, tested implementations behind an executed ML textbook.

Each module is one idea and matches one chapter of the site; chapters import these
modules, never copy them. Build-time plumbing lives in its own modules:
[`scribbles.cache`][scribbles.cache] (disk cache for training and sweeps),
[`scribbles.plotting`][scribbles.plotting] (deterministic, theme-aware SVG figures),
[`scribbles.tables`][scribbles.tables] (escaped Markdown tables) and
[`scribbles.seeding`][scribbles.seeding].
"""

__version__ = "0.1.0"
