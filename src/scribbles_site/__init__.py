r"""The build of the Scribbles site beyond MkDocs: execution, caching, math, pages, HTML.

Not part of the reader's package: it depends on MkDocs, Markdown and the other
documentation tools (the `docs` extra).
"""
