"""The real thing, once: `pip install -e ./livehub-acme` into a throwaway virtualenv that sees the repo's
packages, then the package's tests and `livehub plugins` from that environment. Nothing is installed
into the repo's own virtualenv."""

from __future__ import annotations

import json
import site
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from hub.scaffold import generate
from tests.scaffold.helpers import clean_env


def throwaway_venv(path: Path) -> Path:
    """A virtualenv whose site-packages also reads this interpreter's (LiveHub, pytest, pip, setuptools);
    returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    python = path / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             check=True, capture_output=True, text=True, timeout=60).stdout.strip()
    ours = [sysconfig.get_path("purelib"), *site.getsitepackages()]
    lines = "".join(f"import site; site.addsitedir({p!r})\n" for p in dict.fromkeys(ours))
    (Path(purelib) / "zz_livehub_repo.pth").write_text(lines, encoding="utf-8")  # after its own packages
    return python


@pytest.mark.slow
def test_pip_install_e_then_its_tests_pass_and_livehub_plugins_lists_it(tmp_path):
    target, _ = generate("connector", "acme", tmp_path)
    python = throwaway_venv(tmp_path / "venv")
    env = clean_env()
    install = subprocess.run([str(python), "-m", "pip", "install", "--no-build-isolation", "--no-index",
                              "-e", "./livehub-acme"], cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=300)
    assert install.returncode == 0, install.stdout + install.stderr
    assert "Successfully installed livehub-acme" in install.stdout
    tests = subprocess.run([str(python), "-m", "pytest", "livehub-acme/tests", "-q", "-p", "no:cacheprovider"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert tests.returncode == 0 and "6 passed" in tests.stdout, tests.stdout[-4000:] + tests.stderr[-2000:]
    plugins = subprocess.run([str(python), "-m", "hub", "plugins", "--json"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=120)
    assert plugins.returncode == 0, plugins.stderr
    row = next(r for r in json.loads(plugins.stdout) if r["name"] == "acme")
    assert row["status"] == "loaded" and row["source"] == "entry point (livehub-acme)"
    assert row["provides"] == {"connectors": ["acme"], "standins": ["acme"]}
    # the repo's own environment did not get it
    mine = subprocess.run([sys.executable, "-c", "import importlib.util as u; print(u.find_spec('livehub_acme'))"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert mine.stdout.strip() == "None"
