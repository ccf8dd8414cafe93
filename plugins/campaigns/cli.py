"""``livehub campaign ...``: campaigns of a running hub, through its API (the address and token come from the
config file, or ``--url`` and ``LIVEHUB_API_TOKEN``)."""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click

from hub.cli import config_option, load_or_exit


def _call(ctx: click.Context, method: str, path: str, body: Any = None) -> Any:
    url, token = ctx.obj
    request = urllib.request.Request(f"{url}/api/v1{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json",
                                              **({"Authorization": f"Bearer {token}"} if token else {})})
    try:
        with urllib.request.urlopen(request, timeout=120) as resp:
            return json.loads(resp.read() or b"{}")
    except urllib.error.HTTPError as exc:
        detail = json.loads(exc.read() or b"{}").get("error", exc.reason)
        click.echo(f"error: {detail}", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"error: the hub at {url} does not answer ({exc})", err=True)
        sys.exit(2)


def _show(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@click.group("campaign")
@config_option
@click.option("--url", default=None, help="The hub's address (default: [web] host and port of the config).")
@click.pass_context
def campaign(ctx: click.Context, config_path: Path, url: str | None) -> None:
    """Outbound content campaigns of a running hub (docs/campaigns.md)."""
    config = load_or_exit(config_path, required=False)
    token = config.web.token.get() if config.web.token is not None else None
    ctx.obj = ((url or f"http://{config.web.host}:{config.web.port}").rstrip("/"), token)


@campaign.command("list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """The campaigns and their definitions."""
    for row in _call(ctx, "GET", "/campaigns")["campaigns"]:
        click.echo(f"{row['name']}: {json.dumps(row['definition'], ensure_ascii=False)}")


@campaign.command("run")
@click.argument("name")
@click.pass_context
def run_command(ctx: click.Context, name: str) -> None:
    """Run a campaign now: generate, review and queue its items."""
    _show(_call(ctx, "POST", f"/campaigns/{name}/run"))


@campaign.command("send")
@click.argument("name")
@click.pass_context
def send_command(ctx: click.Context, name: str) -> None:
    """Send the approved items of the latest run, once per person."""
    _show(_call(ctx, "POST", f"/campaigns/{name}/send"))


@campaign.command("items")
@click.argument("name")
@click.option("--state", default=None, help="awaiting_approval, approved, blocked or rejected")
@click.pass_context
def items_command(ctx: click.Context, name: str, state: str | None) -> None:
    """The items of a campaign: id, state, product, segment, channel, variant and the text."""
    query = f"/campaign-items?campaign={name}" + (f"&state={state}" if state else "")
    for item in _call(ctx, "GET", query)["items"]:
        content = item["content"]
        click.echo(f"#{item['id']} {item['state']} {item['sku']} [{item['segment'] or 'everyone'}] "
                   f"{item['channel']} {item['variant']}: {content.get('subject') or ''} | "
                   f"{content.get('body', '')[:100]}")


@campaign.command("approve")
@click.argument("item", type=int)
@click.pass_context
def approve_command(ctx: click.Context, item: int) -> None:
    """Approve an item (reviewed again against the catalog now)."""
    click.echo(_call(ctx, "POST", f"/campaign-items/{item}/approve")["state"])


@campaign.command("reject")
@click.argument("item", type=int)
@click.pass_context
def reject_command(ctx: click.Context, item: int) -> None:
    """Reject an item."""
    click.echo(_call(ctx, "POST", f"/campaign-items/{item}/reject")["state"])


@campaign.command("report")
@click.argument("name")
@click.pass_context
def report_command(ctx: click.Context, name: str) -> None:
    """Per variant: sent, clicked, orders, GMV; the winner."""
    _show(_call(ctx, "GET", f"/campaigns/{name}/report"))
