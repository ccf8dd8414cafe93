"""``livehub check``: validate the config, list plugins, try the database and every connector.

Exits non-zero on any problem. Everything printed passes through the config's secret redactor.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click
from rich.console import Console

from hub.cli import build_hub_or_exit, config_option, load_or_exit
from hub.config import safe_database_url

CONNECT_TIMEOUT_S = 10.0
TRIAL_START_TIMEOUT_S = 60.0


@click.command()
@config_option
def check(config_path: Path) -> None:
    """Validate the config, list plugins and what they provide, and try every connector."""
    console = Console(highlight=False, soft_wrap=True)
    config = load_or_exit(config_path)
    say = lambda text, style="": console.print(config.redactor.redact(text), style=style or None,  # noqa: E731
                                               markup=False)
    say(f"config {config_path}: valid", "green")
    hub = build_hub_or_exit(config)
    problems: list[str] = []
    say("plugins:")
    for info in hub.plugins.infos.values():
        provides = hub.registry.provides(info.name)
        summary = "; ".join(f"{k}: {', '.join(v)}" for k, v in provides.items()) or (
            "hooks: " + ", ".join(h.removeprefix("livehub_") for h in info.hooks))
        if info.status == "failed":
            problems.append(f"plugin {info.name} failed to {info.stage}: {info.error}")
            say(f"  ✗ {info.name}: failed to {info.stage}: {info.error}", "red")
        else:
            say(f"  {'✓' if info.status == 'loaded' else '-'} {info.name} ({info.status}): {summary}")
    with console.status("checking the database and connectors ..."):
        results = asyncio.run(_probe(hub))
    for name, ok, detail in results:
        say(f"  {'✓' if ok else '✗'} {name}: {detail}", "" if ok else "red")
        if not ok:
            problems.append(f"{name}: {detail}")
    failed_before = {info.name for info in hub.plugins.failures()}
    with console.status("starting the plugins ..."):
        start_error = asyncio.run(_trial_start(hub))
    say("start-up (plugins, on a scratch in-memory database):")
    new_failures = [info for info in hub.plugins.failures() if info.name not in failed_before]
    for info in new_failures:
        problems.append(f"plugin {info.name} failed to {info.stage}: {info.error}")
        say(f"  ✗ plugin {info.name} failed at {info.stage}: {info.error}", "red")
    if start_error:
        problems.append(f"start-up: {start_error}")
        say(f"  ✗ start-up failed: {start_error}", "red")
    if not new_failures and not start_error:
        say("  ✓ every plugin started and stopped")
    if problems:
        say(f"{len(problems)} problem(s) found", "red")
        sys.exit(1)
    say("all checks passed", "green")


async def _probe(hub) -> list[tuple[str, bool, str]]:
    results = [await _probe_database(hub.config.database_url)]
    for name, (spec, cfg) in hub.settings.connectors.items():
        label = f"connector {name} ({spec.type})"
        try:
            connector = spec.factory(name, cfg, hub)
            async with asyncio.timeout(CONNECT_TIMEOUT_S):
                detail = await connector.check()
            results.append((label, True, detail))
        except TimeoutError:
            results.append((label, False, f"no answer within {CONNECT_TIMEOUT_S:.0f} s"))
        except Exception as exc:
            results.append((label, False, f"{type(exc).__name__}: {exc}"))
    return results


async def _probe_database(url: str) -> tuple[str, bool, str]:
    from sqlalchemy import text

    from hub.storage.db import connect_problem, connect_timeout, create_engine

    label = f"database {safe_database_url(url)}"
    engine = None
    timeout: float | None = None
    try:
        timeout = connect_timeout(url)
        engine = create_engine(url)
        async with asyncio.timeout(timeout + 5.0):  # the driver's timeout, or a server that stalls later
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        return (label, True, "reachable")
    except Exception as exc:
        return (label, False, connect_problem(exc, timeout))
    finally:
        if engine is not None:
            await engine.dispose()


async def _trial_start(hub) -> str:
    """Start the plugins once as ``run`` would and stop them; '' or why the start itself failed.

    A plugin whose ``livehub_startup`` raises is recorded in ``hub.plugins.failures()``. The trial runs
    on a scratch in-memory database (``check`` never migrates or writes the configured one), without
    the web server, the scheduler (no job can fire) or connectors (they were checked above).
    """
    hub.plugins.quiet = True  # failures are printed by `check` itself, once
    hub.web_enabled = False
    hub.settings.connectors = {}
    hub.config.scheduler.enabled = False
    hub.config.hub.database_url = "sqlite+aiosqlite:///:memory:"
    try:
        async with asyncio.timeout(TRIAL_START_TIMEOUT_S):
            await hub.start()
    except TimeoutError:
        return f"the plugins did not start within {TRIAL_START_TIMEOUT_S:.0f} s"
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        await hub.stop()
    return ""
