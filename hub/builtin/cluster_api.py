"""The cluster for operators: ``GET /api/v1/cluster`` (processes, their rooms, the leases, how late each
process's heartbeat is), ``POST``/``DELETE /api/v1/cluster/nodes/{node}/drain`` (move a process's rooms away
before an upgrade, or take rooms again), and ``livehub cluster status`` and ``livehub drain`` calling them on a
running hub. Any process answers (they read the shared database). See docs/scale-out.md.
"""

from __future__ import annotations

import time
from typing import Any

import click
from aiohttp import web

from hub.hookspecs import hookimpl
from hub.specs import WebRoute
from hub.web.common import HUB_KEY, json_error, json_response

TAGS = ("cluster",)


async def cluster_view(hub: Any) -> dict[str, Any]:
    """Processes (with their rooms and heartbeat lag), leases (owner, token, seconds left) and this process."""
    from hub.cluster.leases import LeaseStore

    if not hub.config.cluster.enabled or hub.storage is None:
        return {"enabled": False, "nodes": [], "leases": [], "this": None}
    store = LeaseStore(hub.storage.engine)
    now = time.time()
    leases = await store.leases()
    nodes = []
    for node in await store.nodes():
        rooms = sorted(lease.room for lease in leases if lease.owner == node["node"] and not lease.free(now))
        nodes.append({**node, "lag_s": round(now - node["heartbeat_ts"], 3), "rooms": rooms,
                      "alive": now - node["heartbeat_ts"] < hub.config.cluster.lease_s})
    return {"enabled": True, "nodes": nodes, "this": hub.cluster.status() if hub.cluster is not None else None,
            "leases": [{"room": lease.room, "owner": None if lease.free(now) else lease.owner, "token": lease.token,
                        "expires_in_s": round(max(0.0, lease.expires_ts - now), 3)} for lease in leases]}


async def get_cluster(request: web.Request) -> web.Response:
    return json_response(await cluster_view(request.app[HUB_KEY]))


async def drain(request: web.Request) -> web.Response:
    from hub.cluster.leases import LeaseStore

    hub = request.app[HUB_KEY]
    if not hub.config.cluster.enabled:
        return json_error(409, "this hub runs no cluster ([cluster] enabled = false)")
    node, draining = request.match_info["node"], request.method == "POST"
    if not await LeaseStore(hub.storage.engine).set_draining(node, draining):
        return json_error(404, f"no process named {node!r} in the cluster")
    if hub.cluster is not None and hub.cluster.name == node:
        hub.cluster.wake()
    await hub.storage.audit(actor="api", action="cluster.drain" if draining else "cluster.undrain", target=node,
                            detail={})
    return json_response({"node": node, "draining": draining})


@hookimpl
def livehub_register_routes() -> list[WebRoute]:
    return [
        WebRoute("GET", "/api/v1/cluster", get_cluster, tags=TAGS,
                 summary="The processes, their rooms and heartbeat lag, and every room's lease"),
        WebRoute("POST", "/api/v1/cluster/nodes/{node}/drain", drain, tags=TAGS,
                 summary="Drain a process: its rooms move to the others, one per heartbeat",
                 responses={"404": "No such process", "409": "No cluster"}),
        WebRoute("DELETE", "/api/v1/cluster/nodes/{node}/drain", drain, tags=TAGS,
                 summary="Stop draining a process: it takes rooms again",
                 responses={"404": "No such process", "409": "No cluster"}),
    ]


# -- the command line --------------------------------------------------------------------------------------


@click.group("cluster")
def cluster() -> None:
    """The processes of a cluster and the rooms they run (through a running hub's API)."""


def _hub_options(func: Any) -> Any:
    from hub.builtin.schedule_api import with_hub_options

    return with_hub_options(func)


@cluster.command("status")
@_hub_options
def status_command(url: str, token: str | None) -> None:
    """List the processes (role, rooms, heartbeat lag, draining) and every room's lease."""
    from hub.builtin.schedule_api import call_hub

    view = call_hub("GET", url, token, "/api/v1/cluster")
    if not view["enabled"]:
        click.echo("no cluster: this hub runs every room itself ([cluster] enabled = false)")
        return
    for node in view["nodes"]:
        flags = ", ".join(f for f in ("draining" if node["draining"] else "", "" if node["alive"] else "silent") if f)
        click.echo(f"{node['node']}  {node['role']}  {len(node['rooms'])}/{node['capacity']} rooms  "
                   f"lag {node['lag_s']:.1f} s  {node['url'] or '-'}{f'  ({flags})' if flags else ''}")
        for room in node["rooms"]:
            click.echo(f"    {room}")
    free = [lease["room"] for lease in view["leases"] if lease["owner"] is None]
    click.echo(f"{len(view['leases']) - len(free)}/{len(view['leases'])} rooms running"
               + (f"; not running: {', '.join(free)}" if free else ""))


@click.command("drain")
@click.argument("node")
@click.option("--undo", is_flag=True, help="Stop draining: the process takes rooms again.")
@_hub_options
def drain_command(node: str, undo: bool, url: str, token: str | None) -> None:
    """Move every room of process NODE to the others (one per heartbeat), e.g. before upgrading it."""
    from hub.builtin.schedule_api import call_hub

    call_hub("DELETE" if undo else "POST", url, token, f"/api/v1/cluster/nodes/{node}/drain")
    click.echo(f"{node}: {'takes rooms again' if undo else 'draining; `livehub cluster status` shows its rooms'}")


@hookimpl
def livehub_register_commands(cli: click.Group) -> None:
    cli.add_command(cluster)
    cli.add_command(drain_command)
