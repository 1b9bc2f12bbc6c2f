r"""The plugin's options, as `mkdocs.yml` sets them under `plugins: - scribbles:`.

Each option can be set in `mkdocs.yml` or, as before the plugin existed, through an
environment variable that `mkdocs.yml` maps onto it with `!ENV`:

- `no_exec` (false; `SCRIBBLES_NO_EXEC`): show executed blocks' source only, run none;
- `no_cache` (false; `SCRIBBLES_NO_CACHE`): bypass the disk cache, for blocks' output
  and for the package's trained models and sweeps alike;
- `cache_dir` (`~/.cache/scribbles`; `SCRIBBLES_CACHE_DIR`): where that cache lives;
- `preexecute` (true; `SCRIBBLES_PREEXEC`): on a cold build, fill the cache from a
  second process;
- `notebooks` (true): write every chapter as a Jupyter notebook;
- `render_math` (true): render math with KaTeX at build time;
- `page_timings` (none; `SCRIBBLES_PAGE_TIMINGS`): write each page's conversion
  seconds to this JSON file (`make bench`);
- `show_tracebacks` (false; `SCRIBBLES_SHOW_TRACEBACKS`): let a page with a failed
  block build, its traceback shown (`make serve`);
- `node_modules` (beside `mkdocs.yml`, else the repository's): where the npm packages
  (KaTeX, the iframe-worker shim) are installed.

Environment variables hold text, so the flags accept what people type: `1`, `true`,
`yes`, `on` and `0`, `false`, `no`, `off`, or empty.
"""

from __future__ import annotations

from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c

__all__ = ["Flag", "ScribblesConfig"]

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Flag(c.BaseConfigOption[bool]):
    """A boolean option that also accepts the text of an environment variable.

    Args:
        default: the value when the option is not set.
    """

    def __init__(self, default: bool) -> None:
        super().__init__()
        self.default = default

    def run_validation(self, value: object) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise base.ValidationError(f"expected true/false (or 1/0, yes/no, on/off), got {value!r}")


class _EnvText(c.Optional[str]):
    """An optional path or name; an empty environment variable counts as unset."""

    def __init__(self) -> None:
        super().__init__(c.Type(str))

    def run_validation(self, value: Any) -> str | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return super().run_validation(value)


class ScribblesConfig(base.Config):
    """The options of the `scribbles` plugin (see the module's table)."""

    no_exec = Flag(False)
    no_cache = Flag(False)
    cache_dir = _EnvText()
    preexecute = Flag(True)
    notebooks = Flag(True)
    render_math = Flag(True)
    page_timings = _EnvText()
    show_tracebacks = Flag(False)
    node_modules = _EnvText()
