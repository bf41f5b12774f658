"""jinja2 prompts with ``StrictUndefined``: a missing variable is an error naming it, never an empty string.

Templates are looked up in the folders you pass first, then in the templates shipped with agentkit
(``agentkit/prompts/templates``), so a user's ``prompts/support_assistant.j2`` overrides ours.

``jinja_environment`` is the one place agentkit makes a jinja2 environment: the prompts here, and the HTML of the
desk, the webchat and the eval and tuning reports (``html=True``: autoescaped) all get the same settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from ..exceptions import ConfigError

__all__ = ["PACKAGE_TEMPLATES", "environment", "jinja_environment", "render", "render_string"]

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=32)
def jinja_environment(*folders: str | Path, html: bool = False) -> jinja2.Environment:
    """A jinja2 environment over ``folders`` (searched in order), cached per arguments. ``StrictUndefined``: a
    missing variable is an error naming it. ``html=True`` escapes every value (pages, reports); prompts are
    plain text for a model and are not escaped. Block tags leave no blank lines behind."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(folder) for folder in folders]),
        undefined=jinja2.StrictUndefined,
        autoescape=html,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def environment(folders: tuple[str, ...] = ()) -> jinja2.Environment:
    """The prompts' environment: ``folders``, then the package templates."""
    return jinja_environment(*folders, PACKAGE_TEMPLATES)


def render(name: str, /, folders: Sequence[str | Path] = (), **variables: Any) -> str:
    """Render the template ``name`` (``"support_assistant.j2"``, or a path to a .j2 file) with ``variables``."""
    path = Path(name)
    if path.suffix and path.is_file():
        folders, name = (str(path.parent), *folders), path.name
    env = environment(tuple(str(f) for f in folders))
    try:
        return env.get_template(name).render(**variables).strip()
    except jinja2.TemplateNotFound:
        raise ConfigError(f"no prompt template {name!r} in {[*map(str, folders), str(PACKAGE_TEMPLATES)]}") from None
    except jinja2.UndefinedError as error:
        raise ConfigError(f"prompt {name!r}: {error.message}; pass it as a keyword to render()") from None


def render_string(source: str, /, **variables: Any) -> str:
    """Render a template given as text."""
    try:
        return environment().from_string(source).render(**variables).strip()
    except jinja2.UndefinedError as error:
        raise ConfigError(f"prompt template: {error.message}; pass it as a keyword to render_string()") from None
