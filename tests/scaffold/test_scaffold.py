"""`livehub plugin new`: each kind writes a package whose own tests pass as generated; the CLI sees it."""

from __future__ import annotations

import importlib
import json
import signal
import subprocess
import sys
import tomllib
import urllib.request

import pytest

from hub.scaffold import FILES, KINDS, ScaffoldError, generate, render
from hub.standin_control import create_standin
from hub.testing import CORE_PLUGINS, collect, comment, post_events, running_hub, wait_for
from tests.scaffold.helpers import LIVEHUB, clean_env, register_without_pip, run_generated_tests


@pytest.mark.parametrize("name, reason", [
    ("Acme", "lowercase identifier"), ("1acme", "lowercase identifier"), ("ac-me", "lowercase identifier"),
    ("", "lowercase identifier"), ("a" * 41, "lowercase identifier"), ("class", "Python keyword"),
    ("triage", "built-in plugin"), ("local", "built-in plugin"), ("livehub", "own platform name"),
])
def test_names_are_validated(name, reason):
    with pytest.raises(ScaffoldError, match=reason):
        render("connector", name)


def test_unknown_kind_is_refused():
    with pytest.raises(ScaffoldError, match="unknown kind 'adapter'"):
        render("adapter", "acme")


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_writes_its_files_with_the_entry_point(tmp_path, kind):
    target, written = generate(kind, "acme_shop", tmp_path)
    assert target == tmp_path / "livehub-acme_shop"
    expected = {p.format(package="livehub_acme_shop", name="acme_shop") for p in FILES[kind]}
    assert {str(p.relative_to(target)) for p in written} == expected
    project = tomllib.loads((target / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == "livehub-acme_shop"
    assert project["entry-points"]["livehub"] == {"acme_shop": "livehub_acme_shop"}
    assert any(dep.startswith("livehub>=") for dep in project["dependencies"])
    for path in written:
        if path.suffix == ".py":
            compile(path.read_text(encoding="utf-8"), str(path), "exec")  # valid Python, names filled in
    init = (target / "livehub_acme_shop" / "__init__.py").read_text(encoding="utf-8")
    assert 'PLUGIN_NAME = "acme_shop"' in init and "@hookimpl" in init


def test_the_connector_client_imports_nothing_of_livehub(tmp_path):
    target, _ = generate("connector", "acme", tmp_path)
    client = (target / "livehub_acme" / "client.py").read_text(encoding="utf-8")
    imports = [line for line in client.splitlines() if line.startswith(("import ", "from "))]
    assert imports and not any("hub" in line for line in imports), imports


def test_an_existing_folder_is_never_overwritten(tmp_path):
    (tmp_path / "livehub-acme").mkdir()
    (tmp_path / "livehub-acme" / "mine.txt").write_text("keep")
    with pytest.raises(ScaffoldError, match="exists already"):
        generate("connector", "acme", tmp_path)
    assert [p.name for p in (tmp_path / "livehub-acme").iterdir()] == ["mine.txt"]


def test_the_command_writes_the_package_and_says_what_next(tmp_path):
    result = subprocess.run([LIVEHUB, "plugin", "new", "connector", "acme", "--dir", str(tmp_path / "work")],
                            cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "wrote livehub-acme/livehub_acme/connector.py" in result.stdout
    assert "pip install -e ./work/livehub-acme" in result.stdout and "livehub standin acme" in result.stdout
    again = subprocess.run([LIVEHUB, "plugin", "new", "connector", "acme", "--dir", "work"], cwd=tmp_path,
                           env=clean_env(), capture_output=True, text=True, timeout=120)
    assert again.returncode == 2 and "exists already" in again.stderr
    bad = subprocess.run([LIVEHUB, "plugin", "new", "connector", "Acme"], cwd=tmp_path, env=clean_env(),
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "lowercase identifier" in bad.stderr


@pytest.mark.parametrize("kind", KINDS)
def test_the_generated_tests_pass_as_generated(tmp_path, kind):
    target, _ = generate(kind, "acme", tmp_path)
    result = run_generated_tests(target)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    counts = {"connector": 6, "backend": 3, "plugin": 2}
    assert f"{counts[kind]} passed" in result.stdout


async def test_the_generated_connector_runs_in_process(tmp_path, monkeypatch):
    """What a hub-side test does with a generated connector: import it, register it with a hub, start its
    stand-in through the registry, and see a viewer's comment arrive."""
    target, _ = generate("connector", "acme", tmp_path)
    monkeypatch.syspath_prepend(str(target))
    try:
        plugins = [("acme", importlib.import_module("livehub_acme"))]
        async with create_standin("acme", plugins=plugins) as platform:
            assert type(platform).__module__ == "livehub_acme.standin" and platform.system == "acme"
            config = {"connectors": {"acme": platform.connector_config(room="main")}}
            async with running_hub(plugins=plugins, builtins=CORE_PLUGINS, config=config) as hub:
                with collect(hub, types={"comment"}) as seen:
                    await post_events(platform, comment("多少钱", name="Ann"))
                    await wait_for(lambda: seen)
                assert (seen[0].platform, seen[0].room, seen[0].user.name) == ("acme", "main", "Ann")
    finally:  # later tests generate their own livehub_acme elsewhere
        for name in [m for m in sys.modules if m.split(".")[0] == "livehub_acme"]:
            del sys.modules[name]


def test_the_cli_lists_the_plugin_runs_its_standin_and_checks_the_connector(tmp_path):
    target, _ = generate("connector", "acme", tmp_path / "src")
    env = register_without_pip(target, tmp_path / "site")
    listed = subprocess.run([LIVEHUB, "plugins", "--json"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    row = next(r for r in json.loads(listed.stdout) if r["name"] == "acme")
    assert row["status"] == "loaded" and row["source"] == "entry point (livehub-acme)"
    assert row["provides"]["connectors"] == ["acme"] and row["provides"]["standins"] == ["acme"]
    known = subprocess.run([LIVEHUB, "standin", "--list"], cwd=tmp_path, env=env, capture_output=True, text=True,
                           timeout=120)
    assert known.stdout.startswith("acme\tconnector type acme\tfrom acme")
    unknown = subprocess.run([LIVEHUB, "standin", "acne"], cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=120)
    assert unknown.returncode == 2 and "no stand-in of 'acne'; known stand-ins: acme" in unknown.stderr

    server = subprocess.Popen([LIVEHUB, "standin", "acme", "--room", "shop"], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while not lines or not lines[-1].startswith("token ="):  # the table's last line
            line = server.stdout.readline()
            assert line, server.stderr.read()
            lines.append(line)
        printed = "".join(lines)
        table = tomllib.loads(printed)["connectors"]["acme"]  # the comments are TOML comments
        assert table["type"] == "acme" and table["room"] == "shop" and table["token"] == {"env": "ACME_TOKEN"}
        assert "#   export ACME_TOKEN=acme-standin-token" in printed
        api = table["api_base"]
        comment = json.dumps([{"type": "comment", "text": "多少钱", "user": {"id": "u1", "name": "Ann"}}]).encode()
        with urllib.request.urlopen(urllib.request.Request(f"{api}/_standin/events", data=comment,
                                                           headers={"Content-Type": "application/json"})) as answer:
            assert answer.status == 202
        request = urllib.request.Request(f"{api}/v1/rooms/{table['room_id']}/messages",
                                         headers={"Authorization": "Bearer acme-standin-token"})
        with urllib.request.urlopen(request) as answer:
            page = json.loads(answer.read())
        assert [m["text"] for m in page["messages"]] == ["多少钱"] and page["cursor"] == "1"

        # the printed table, pasted into livehub.toml, passes `livehub check` with the connector reached
        (tmp_path / "livehub.toml").write_text(printed, encoding="utf-8")
        checked = subprocess.run([LIVEHUB, "check"], cwd=tmp_path, env={**env, "ACME_TOKEN": "acme-standin-token"},
                                 capture_output=True, text=True, timeout=120)
        assert "✓ connector acme (acme): Acme room demo: reachable, token accepted" in checked.stdout, (
            checked.stdout + checked.stderr)
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        server.stdout.close()
        server.stderr.close()
