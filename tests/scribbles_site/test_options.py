"""scribbles_site.options: typed options, and the environment variables mapped onto them."""

from __future__ import annotations

import pytest
from mkdocs.config import load_config
from mkdocs.config.base import ValidationError

from scribbles_site.options import Flag, ScribblesConfig
from scribbles_site.plugin import ScribblesPlugin
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        ("yes", True),
        ("off", False),
        ("", False),
    ],
)
def test_flags_read_booleans_and_the_text_of_environment_variables(value, expected):
    assert Flag(default=False).validate(value) is expected


@pytest.mark.parametrize("value", ["maybe", 2, 0.5, [True]])
def test_other_values_are_refused_with_what_was_given(value):
    with pytest.raises(ValidationError, match="expected true/false"):
        Flag(default=False).validate(value)


def test_defaults():
    config = ScribblesConfig()
    config.load_dict({})
    failed, warnings = config.validate()
    assert failed == [] and warnings == []
    assert (config.no_exec, config.no_cache, config.preexecute) == (False, False, True)
    assert (config.notebooks, config.render_math, config.show_tracebacks) == (True, True, False)
    assert config.cache_dir is None and config.page_timings is None


def plugin_options(monkeypatch, **environment: str) -> ScribblesConfig:
    for name in (
        "SCRIBBLES_NO_EXEC",
        "SCRIBBLES_NO_CACHE",
        "SCRIBBLES_CACHE_DIR",
        "SCRIBBLES_PREEXEC",
        "SCRIBBLES_PAGE_TIMINGS",
        "SCRIBBLES_SHOW_TRACEBACKS",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    config = load_config(str(ROOT / "mkdocs.yml"))
    plugin = config.plugins["scribbles"]
    assert isinstance(plugin, ScribblesPlugin)
    return plugin.config


def test_mkdocs_yml_enables_the_plugin_last_with_its_defaults(monkeypatch):
    options = plugin_options(monkeypatch)
    assert (options.no_exec, options.no_cache, options.preexecute) == (False, False, True)
    assert options.cache_dir is None and options.page_timings is None
    assert list(load_config(str(ROOT / "mkdocs.yml")).plugins)[-1] == "scribbles"


def test_the_environment_variables_people_use_still_work(monkeypatch, tmp_path):
    options = plugin_options(
        monkeypatch,
        SCRIBBLES_NO_EXEC="1",
        SCRIBBLES_NO_CACHE="true",
        SCRIBBLES_CACHE_DIR=str(tmp_path),
        SCRIBBLES_PREEXEC="0",
        SCRIBBLES_PAGE_TIMINGS=str(tmp_path / "t.json"),
        SCRIBBLES_SHOW_TRACEBACKS="yes",
    )
    assert (options.no_exec, options.no_cache, options.preexecute) == (True, True, False)
    assert options.cache_dir == str(tmp_path) and options.show_tracebacks is True
    assert options.page_timings == str(tmp_path / "t.json")
