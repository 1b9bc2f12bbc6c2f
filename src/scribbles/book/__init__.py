r"""What the chapters use to present their results: cache, figures, tables, seeds, notebook output.

- [`cache`][scribbles.book.cache]: the disk cache for training runs and sweeps;
- [`plotting`][scribbles.book.plotting]: deterministic, theme-aware SVG figures;
- [`tables`][scribbles.book.tables]: escaped Markdown and HTML tables;
- [`seeding`][scribbles.book.seeding]: seeds and single-threaded, reproducible runs;
- [`notebook`][scribbles.book.notebook]: rich output when a chapter runs as a notebook.

It depends only on the package's runtime dependencies: a reader who installed
`scribbles` without the docs extra can import all of it.
"""
