"""Run what `livehub plugin new` wrote, as an integrator would: its tests, and the CLI seeing it."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

PYTHON = sys.executable
LIVEHUB = str(Path(sys.executable).with_name("livehub"))


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without LiveHub's own variables (entry-point autoload stays on)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LIVEHUB_", "PYTEST_"))}
    env.update(extra)
    return env


def run_generated_tests(package: Path) -> subprocess.CompletedProcess:
    """``python -m pytest <package>/tests`` in a fresh interpreter, from the package's parent folder."""
    return subprocess.run([PYTHON, "-m", "pytest", str(package.relative_to(package.parent) / "tests"), "-q",
                           "-p", "no:cacheprovider"], cwd=package.parent, env=clean_env(), capture_output=True,
                          text=True, timeout=300)


def register_without_pip(package: Path, site: Path) -> dict[str, str]:
    """Make ``package`` importable and its ``livehub`` entry point visible the way an install does, by
    writing the ``.dist-info`` pip would (from the package's own pyproject); returns the environment
    (PYTHONPATH) that sees it."""
    project = tomllib.loads((package / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dist = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n",
                                   encoding="utf-8")
    points = "".join(f"{name} = {target}\n" for name, target in project["entry-points"]["livehub"].items())
    (dist / "entry_points.txt").write_text(f"[livehub]\n{points}", encoding="utf-8")
    return clean_env(PYTHONPATH=os.pathsep.join([str(site), str(package)]))
