"""``livehub plugin new``: write a plugin package to start from, which installs and passes its tests.

Three kinds (templates in ``hub/scaffold/templates/<kind>/``, rendered with Jinja2):

* ``connector`` — a live platform connector: ``client.py`` (the wire protocol, no LiveHub import),
  ``connector.py`` (a :class:`hub.platform.PlatformConnector`), ``standin.py`` (a
  :class:`hub.standin.Standin` speaking the same protocol) and tests driving both through a hub;
* ``backend`` — an answer (LLM) backend (:class:`hub.answers.AnswerBackend`) and its tests;
* ``plugin`` — an event-hook plugin with settings, per-hub state in ``hub.slots`` and a route.

Every package has a ``pyproject.toml`` with the ``livehub`` entry point and ``__init__.py`` holding only
hook implementations, each importing its module lazily. See docs/connectors.md.
"""

from __future__ import annotations

import keyword
import re
from importlib.resources import files
from pathlib import Path

import jinja2

from hub import __version__
from hub.events import HUB_PLATFORM
from hub.plugins import BUILTIN_PLUGINS

KINDS = ("connector", "backend", "plugin")
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")

# For each kind: the file written -> its template ("{package}" and "{name}" are filled in).
FILES: dict[str, dict[str, str]] = {
    "connector": {
        "pyproject.toml": "common/pyproject.toml.j2",
        "README.md": "connector/README.md.j2",
        "{package}/__init__.py": "connector/package_init.py.j2",
        "{package}/client.py": "connector/client.py.j2",
        "{package}/connector.py": "connector/connector.py.j2",
        "{package}/standin.py": "connector/standin.py.j2",
        "tests/test_{name}.py": "connector/test.py.j2",
    },
    "backend": {
        "pyproject.toml": "common/pyproject.toml.j2",
        "README.md": "backend/README.md.j2",
        "{package}/__init__.py": "backend/package_init.py.j2",
        "{package}/backend.py": "backend/backend.py.j2",
        "tests/test_{name}.py": "backend/test.py.j2",
    },
    "plugin": {
        "pyproject.toml": "common/pyproject.toml.j2",
        "README.md": "plugin/README.md.j2",
        "{package}/__init__.py": "plugin/package_init.py.j2",
        "{package}/counts.py": "plugin/counts.py.j2",
        "tests/test_{name}.py": "plugin/test.py.j2",
    },
}
DESCRIPTIONS = {"connector": "{title} live platform connector for LiveHub",
                "backend": "{title} answer backend for LiveHub",
                "plugin": "{title} plugin for LiveHub"}


class ScaffoldError(ValueError):
    """The package cannot be written (bad kind or name, folder exists); the message says why."""


def check_name(name: str) -> None:
    """Refuse a NAME that is not a lowercase identifier, is a Python keyword or a built-in plugin's name."""
    if not NAME_PATTERN.match(name):
        raise ScaffoldError(f"invalid name {name!r}: use a lowercase identifier (a-z, 0-9, _; starting "
                            "with a letter; at most 40 characters), e.g. 'acme'")
    if keyword.iskeyword(name):
        raise ScaffoldError(f"invalid name {name!r}: a Python keyword")
    if name == HUB_PLATFORM:
        raise ScaffoldError(f"invalid name {name!r}: the hub's own platform name")
    builtin = {path.rsplit(".", 1)[-1] for path in BUILTIN_PLUGINS}
    if name in builtin:
        raise ScaffoldError(f"invalid name {name!r}: a built-in plugin has that name")


def variables(kind: str, name: str) -> dict[str, str]:
    title = "".join(part.capitalize() for part in name.split("_") if part) or name
    return {"kind": kind, "name": name, "package": f"livehub_{name}", "dist": f"livehub-{name}",
            "cls": title, "title": title, "env_prefix": name.upper(), "livehub_version": __version__,
            "description": DESCRIPTIONS[kind].format(title=title)}


def render(kind: str, name: str) -> dict[str, str]:
    """The package's files, ``{relative path: text}``, without writing anything."""
    if kind not in KINDS:
        raise ScaffoldError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
    check_name(name)
    values = variables(kind, name)
    root = files("hub.scaffold").joinpath("templates")
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)
    out = {}
    for target, template in FILES[kind].items():
        source = root.joinpath(template).read_text(encoding="utf-8")
        out[target.format(**values)] = env.from_string(source).render(**values)
    return out


def generate(kind: str, name: str, directory: str | Path = ".") -> tuple[Path, list[Path]]:
    """Write ``livehub-NAME/`` into ``directory``; return it and the files written. Never overwrites."""
    contents = render(kind, name)
    target = Path(directory) / f"livehub-{name}"
    if target.exists():
        raise ScaffoldError(f"{target} exists already; choose another name or folder (nothing was written)")
    written = []
    for relative, text in contents.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return target, written
