"""Who may import whom: the table in docs/architecture.md ("Packages and who may import whom"), enforced.

The rules are read from the doc, so the doc and this test cannot drift apart. Every ``.py`` file under
``hub/``, ``plugins/`` and ``connectors/`` is parsed with :mod:`ast`; every import counts (module level,
inside functions, under ``if TYPE_CHECKING:``, relative ones, and ``importlib.import_module`` with a
literal name) and is checked against the most specific row whose path matches the file. Strings such as
the module paths in ``hub.plugins.BUILTIN_PLUGINS`` are not imports.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "architecture.md"
SECTION = "## Packages and who may import whom"
CHECKED = ("hub", "plugins", "connectors")
LIVEHUB = ("hub", "plugins", "connectors", "prompts", "tests", "bench")  # LiveHub's own top-level packages
_PLACEHOLDER = re.compile(r"<(\w+)>")


@dataclass(frozen=True)
class Rule:
    """One row: files matching ``path`` (``dir/`` for everything below, ``<x>`` for one name) may import
    the LiveHub packages in ``allowed`` (``<x>`` bound to the matched name) and no other."""

    path: str
    allowed: tuple[str, ...]

    @property
    def segments(self) -> list[str]:
        return self.path.rstrip("/").split("/")

    def match(self, relative: str) -> dict[str, str] | None:
        """The placeholder bindings when ``relative`` (a posix path) falls under this rule, else None."""
        parts, own = relative.split("/"), self.segments
        if self.path.endswith("/") and len(parts) <= len(own):
            return None  # a directory row covers files inside the directory only
        if not self.path.endswith("/") and len(parts) != len(own):
            return None
        bound: dict[str, str] = {}
        for part, pattern in zip(parts, own, strict=False):
            if found := _PLACEHOLDER.fullmatch(pattern):
                bound[found.group(1)] = part
            elif part != pattern:
                return None
        return bound

    def specificity(self) -> tuple[int, int]:
        return len(self.segments), sum(not _PLACEHOLDER.fullmatch(s) for s in self.segments)


def read_rules(doc: Path = DOC) -> list[Rule]:
    """The rows of the first table after the section heading: path (column "path"), may import."""
    text = doc.read_text(encoding="utf-8")
    assert SECTION in text, f"{doc}: no {SECTION!r} section"
    lines = [line.strip() for line in text.split(SECTION, 1)[1].splitlines()]
    table = []
    for line in lines:
        if line.startswith("|"):
            table.append([cell.strip() for cell in line.strip("|").split("|")])
        elif table:
            break
    header = [cell.lower() for cell in table[0]]
    path_col, allowed_col = header.index("path"), header.index("may import")
    rules = []
    for row in table[2:]:  # after the header and its --- line
        paths = re.findall(r"`([^`]+)`", row[path_col])
        assert len(paths) == 1, f"{doc}: a row names no single path: {row}"
        allowed = tuple(name for name in re.findall(r"`([^`]+)`", row[allowed_col])
                        if name.split(".")[0] in LIVEHUB)
        rules.append(Rule(paths[0], allowed))
    return rules


def module_name(relative: str) -> str:
    parts = relative.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, relative: str) -> list[tuple[int, str]]:
    """``(line, absolute module)`` for every import in ``source`` (the file at ``relative``)."""
    tree = ast.parse(source, filename=relative)
    module = module_name(relative)
    package = module if relative.endswith("__init__.py") else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[:len(parent) - (node.level - 1)] if node.level > 1 else parent
                base = ".".join([*parent, *([base] if base else [])])
            # "from plugins import triage" imports plugins.triage: name what each alias imports
            found += [(node.lineno, base if alias.name == "*" else f"{base}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__"):
                found.append((node.lineno, node.args[0].value))
    return found


def bind(name: str, bound: dict[str, str]) -> str:
    """``plugins.<p>`` with ``<p>`` bound to the package the file is in."""
    return _PLACEHOLDER.sub(lambda m: bound.get(m.group(1), m.group(0)), name)


def violations(root: Path, rules: list[Rule]) -> list[str]:
    """Every import under ``root``'s checked packages that its rule does not allow, as
    ``path:line: module (rule may import ...)``; a file no rule covers or that does not parse is one too."""
    out: list[str] = []
    for top in CHECKED:
        for path in sorted((root / top).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            matching = [(rule, bound) for rule in rules if (bound := rule.match(relative)) is not None]
            if not matching:
                out.append(f"{relative}: no row of the table covers this file")
                continue
            rule, bound = max(matching, key=lambda pair: pair[0].specificity())
            allowed = [bind(name, bound) for name in rule.allowed]
            try:
                found = imports_of(path.read_text(encoding="utf-8"), relative)
            except SyntaxError as exc:
                out.append(f"{relative}:{exc.lineno}: does not parse ({exc.msg})")
                continue
            for line, name in found:
                if name.split(".")[0] not in LIVEHUB:
                    continue
                if not any(name == a or name.startswith(a + ".") for a in allowed):
                    out.append(f"{relative}:{line}: imports {name} ({rule.path} may import "
                               f"{', '.join(allowed) or 'nothing of LiveHub'})")
    return out


# -- the rules themselves -------------------------------------------------------------------------


def test_the_doc_states_a_rule_for_every_package() -> None:
    rules = {rule.path: rule.allowed for rule in read_rules()}
    assert rules["hub/"] == ("hub", "prompts")
    assert rules["plugins/<p>/"] == ("hub", "plugins.<p>")
    assert rules["connectors/<c>/"] == ("hub", "connectors.<c>")
    # a client may use the wire formats, which themselves import nothing else of LiveHub
    assert rules["connectors/<c>/client.py"] == ("hub.protowire", "hub.protoschema", "hub.pushframe")
    assert rules["hub/protowire.py"] == ()
    assert rules["hub/protoschema.py"] == ("hub.protowire",)
    assert rules["hub/pushframe.py"] == ("hub.protowire", "hub.protoschema")


def test_hub_plugins_and_connectors_import_only_what_the_table_allows() -> None:
    found = violations(REPO, read_rules())
    assert not found, "imports the table in docs/architecture.md does not allow:\n" + "\n".join(found)


# -- the checker catches what it must -------------------------------------------------------------


def write(root: Path, files: dict[str, str]) -> None:
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")


def test_the_checker_reports_a_plugin_importing_another_plugin(tmp_path: Path) -> None:
    write(tmp_path, {
        "hub/__init__.py": "",
        "plugins/__init__.py": "",
        "plugins/a/__init__.py": "from hub.events import Comment\nfrom plugins.a.core import run\nfrom . import core\n",
        "plugins/a/core.py": "def run():\n    from plugins.b.service import Service\n    return Service\n",
        "plugins/b/__init__.py": "import hub\n",
        "plugins/b/service.py": "class Service: ...\n",
    })
    assert violations(tmp_path, read_rules()) == [
        "plugins/a/core.py:2: imports plugins.b.service.Service (plugins/<p>/ may import hub, plugins.a)"]


@pytest.mark.parametrize(("relative", "source", "imported"), [
    ("hub/app.py", "import plugins.b\n", "plugins.b"),
    ("hub/app.py", "def f():\n    from connectors.c import connector\n", "connectors.c.connector"),
    ("hub/app.py", "import importlib\nimportlib.import_module('plugins.b.service')\n", "plugins.b.service"),
    ("plugins/a/mod.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from plugins.b import Service\n",
     "plugins.b.Service"),
    ("plugins/a/mod.py", "from ..b import service\n", "plugins.b.service"),
    ("plugins/a/mod.py", "from plugins import b\n", "plugins.b"),
    ("plugins/a/mod.py", "from connectors.c.client import Client\n", "connectors.c.client.Client"),
    ("plugins/a/mod.py", "from tests.helpers import x\n", "tests.helpers.x"),
    ("connectors/c/connector.py", "from connectors.d.client import Client\n", "connectors.d.client.Client"),
    ("connectors/c/connector.py", "from plugins.a import x\n", "plugins.a.x"),
    ("connectors/c/client.py", "from hub.events import Comment\n", "hub.events.Comment"),
    ("connectors/c/client.py", "from .connector import x\n", "connectors.c.connector.x"),
])
def test_the_checker_reports_each_forbidden_import(tmp_path: Path, relative: str, source: str,
                                                   imported: str) -> None:
    write(tmp_path, {relative: source})
    [found] = violations(tmp_path, read_rules())
    assert found.startswith(f"{relative}:") and f" imports {imported} (" in found


def test_the_checker_lets_allowed_imports_and_strings_pass(tmp_path: Path) -> None:
    write(tmp_path, {
        "hub/plugins.py": "BUILTIN = ('plugins.a', 'connectors.c')\nimport hub.events\nfrom . import events\n",
        "hub/builtin/rooms.py": "from hub.rooms import Room\n",
        "plugins/a/__init__.py": "import json\nimport pydantic\nfrom hub.slots import Slots\nfrom .mod import x\n",
        "plugins/a/deep/mod.py": "from ...a import y\nfrom plugins.a.deep import z\n",
        "connectors/c/__init__.py": "from connectors.c.connector import C\nfrom hub.hookspecs import hookimpl\n",
        "connectors/c/connector.py": "from .client import Client\nfrom hub.connector import Connector\n",
        "connectors/c/client.py": "import json\nimport aiohttp\n",
    })
    assert violations(tmp_path, read_rules()) == []


def test_a_file_no_row_covers_is_reported(tmp_path: Path) -> None:
    rules = [rule for rule in read_rules() if rule.path != "plugins/"]
    write(tmp_path, {"plugins/__init__.py": ""})
    assert violations(tmp_path, rules) == ["plugins/__init__.py: no row of the table covers this file"]
