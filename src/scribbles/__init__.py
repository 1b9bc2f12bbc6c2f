r"""Scribbles: small, readable, tested implementations behind an executed ML textbook.

The package mirrors the book: one subpackage per part of the site, and in it one module
per chapter, named after the chapter's page (`docs/deep/attention.md` ↔
`scribbles/deep/attention`). A chapter that needs more than one module is a subpackage
whose `__init__` is the chapter's main module and whose submodules are its supporting
ideas and experiments.

- [`scribbles.learning`][scribbles.learning]: Part I, learning from data;
- [`scribbles.classical`][scribbles.classical]: Part II, classical models;
- [`scribbles.deep`][scribbles.deep]: Part III, deep learning;
- [`scribbles.generative`][scribbles.generative]: Part IV, generative models;
- [`scribbles.systems`][scribbles.systems]: Part V, systems;
- [`scribbles.book`][scribbles.book]: what the chapters use to present their results
  (disk cache, figures, tables, seeding, notebook output).

Chapters import these modules, never copy them. Every public module imports with the
runtime dependencies alone (numpy, torch, matplotlib, scikit-learn, scipy); the site's
build lives in a separate package, `scribbles_site`.
"""

__version__ = "0.1.0"
