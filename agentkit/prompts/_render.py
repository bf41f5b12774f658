"""jinja2 prompts with ``StrictUndefined``: a missing variable is an error naming it, never an empty string.

Templates are looked up in the folders you pass first, then in the templates shipped with agentkit
(``agentkit/prompts/templates``), so a user's ``prompts/support_assistant.j2`` overrides ours.

``jinja_environment`` is the one place agentkit makes a jinja2 environment: the prompts here, and the HTML of the
desk, the webchat and the eval and tuning reports (``html=True``: autoescaped) all get the same settings.

A template file edited while the process runs is read again at its next render (jinja2's ``auto_reload``: a ``stat``
of the file per render), until ``fix_templates()``: a server calls it, and from then on each template is read once,
and a render with the same plain variables (strings, numbers, booleans, None) gives back the text it gave before.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
import jinja2.defaults

from ..exceptions import ConfigError

__all__ = ["PACKAGE_TEMPLATES", "environment", "fix_templates", "jinja_environment", "render", "render_string"]

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"
_environments: weakref.WeakSet[jinja2.Environment] = weakref.WeakSet()
_fixed = False  # fix_templates() was called: templates are read once per process
_located: dict[tuple[str, tuple[str, ...]], tuple[str, tuple[str, ...]]] = {}  # render()'s lookups, once fixed
_rendered: dict[tuple[Any, ...], str] = {}  # render()'s texts, once fixed (see _cache_key)
_RENDERED_MAX = 256
_PLAIN = (str, int, float, bool, type(None))


def fix_templates(fixed: bool = True) -> None:
    """Templates no longer change for this process: each is read once, and a render no longer ``stat``s its files
    to see whether they changed. ``agentkit serve`` calls it while it runs (a stat per render was about 5 % of the
    event loop under load); as with Flask and Django outside debug mode, an edited template needs a restart.
    ``fixed=False``: back to reading a template again when its file changes."""
    global _fixed
    _fixed = fixed
    _located.clear()
    _rendered.clear()
    for env in list(_environments):
        env.auto_reload = not fixed


@lru_cache(maxsize=32)
def jinja_environment(*folders: str | Path, html: bool = False) -> jinja2.Environment:
    """A jinja2 environment over ``folders`` (searched in order), cached per arguments. ``StrictUndefined``: a
    missing variable is an error naming it. ``html=True`` escapes every value (pages, reports); prompts are
    plain text for a model and are not escaped. Block tags leave no blank lines behind."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(folder) for folder in folders]),
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=not _fixed,
    )
    _environments.add(env)
    return env


def environment(folders: tuple[str, ...] = ()) -> jinja2.Environment:
    """The prompts' environment: ``folders``, then the package templates."""
    return jinja_environment(*folders, PACKAGE_TEMPLATES)


def render(name: str, /, folders: Sequence[str | Path] = (), **variables: Any) -> str:
    """Render the template ``name`` (``"support_assistant.j2"``, or a path to a .j2 file) with ``variables``."""
    name, searched = _locate(name, tuple(str(f) for f in folders))
    env = environment(searched)
    key = _cache_key(env, name, searched, variables)
    if key is not None and key in _rendered:
        return _rendered[key]
    try:
        text = env.get_template(name).render(**variables).strip()
    except jinja2.TemplateNotFound:
        raise ConfigError(f"no prompt template {name!r} in {[*searched, str(PACKAGE_TEMPLATES)]}") from None
    except jinja2.UndefinedError as error:
        raise ConfigError(f"prompt {name!r}: {error.message}; pass it as a keyword to render()") from None
    if key is not None:
        if len(_rendered) >= _RENDERED_MAX:
            _rendered.clear()  # many different variables: start over rather than grow without bound
        _rendered[key] = text
    return text


def _cache_key(
    env: jinja2.Environment, name: str, folders: tuple[str, ...], variables: dict[str, Any]
) -> tuple[Any, ...] | None:
    """What a render's text depends on, when it can be kept: templates fixed (their source no longer changes),
    plain variables (a list or an object could change after the render), and jinja2's own globals only (a global
    the application added, such as ``now()``, could give another text at each render). A server renders its
    system prompt at every turn: keeping the text saves about 50 us of the event loop per turn."""
    if not _fixed or env.globals != jinja2.defaults.DEFAULT_NAMESPACE:
        return None
    if not all(isinstance(value, _PLAIN) for value in variables.values()):
        return None
    return (name, folders, *((key, type(value), value) for key, value in sorted(variables.items())))  # 1 != True


def _locate(name: str, folders: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """The template's name and the folders to search: a path to an existing .j2 file is searched in its folder
    first. Once templates are fixed, the answer is kept (no ``stat`` per render)."""
    if _fixed and (name, folders) in _located:
        return _located[name, folders]
    path = Path(name)
    located = (path.name, (str(path.parent), *folders)) if path.suffix and path.is_file() else (name, folders)
    if _fixed:
        _located[name, folders] = located
    return located


def render_string(source: str, /, **variables: Any) -> str:
    """Render a template given as text."""
    try:
        return environment().from_string(source).render(**variables).strip()
    except jinja2.UndefinedError as error:
        raise ConfigError(f"prompt template: {error.message}; pass it as a keyword to render_string()") from None
