"""Several hub processes on one database, each room run by exactly one of them at a time (docs/scale-out.md).

* :mod:`hub.cluster.leases` — room leases with fencing tokens and the member list, in SQL;
* :mod:`hub.cluster.node` — this process as a member: heartbeat, renewals, taking and draining rooms;
* :mod:`hub.cluster.api` — ``GET /api/v1/cluster`` and ``POST /api/v1/cluster/nodes/{node}/drain``, and the
  ``livehub cluster status`` and ``livehub drain`` commands.

Off by default (``[cluster] enabled = false``): one process runs every room, as it always did.
"""
