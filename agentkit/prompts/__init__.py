"""Prompts: jinja2 templates rendered with StrictUndefined; the default support-assistant instructions."""

from ._render import PACKAGE_TEMPLATES, environment, fix_templates, jinja_environment, render, render_string

__all__ = ["PACKAGE_TEMPLATES", "environment", "fix_templates", "jinja_environment", "render", "render_string"]
