"""The hub's status: what ``/api/v1/status`` shows."""

from __future__ import annotations

import logging
import time
from typing import Any

from hub.config import safe_database_url

log = logging.getLogger("livehub")


def hub_status(hub: Any) -> dict[str, Any]:
    """The core's status of ``hub``, then what each hub slot object with a ``hub_status() -> dict`` method adds
    (triage adds its answer chains; keys of the core win). Never contains a secret."""
    out = {
        "name": hub.config.hub.name,
        "ready": hub.ready,
        "started_at": hub.started_at,
        "uptime_s": round(time.time() - hub.started_at, 3) if hub.started_at else 0,
        "database": safe_database_url(hub.config.database_url),
        "plugins": {"loaded": hub.plugins.loaded(),
                    "failed": [{"name": f.name, "stage": f.stage, "error": hub.config.redactor.redact(f.error)}
                               for f in hub.plugins.failures()]},
        "connectors": [c.status() for c in hub.connectors.values()],
        "rooms": [room.status() for room in hub.rooms],
        "bus": {"accepted": hub.bus.accepted, "subscribers": hub.bus.stats()},
        "scheduler": hub.scheduler.status() if hub.scheduler is not None else {"running": False},
        "cluster": hub.cluster.status() if hub.cluster is not None else None,
    }
    for key in hub.slots:
        if callable(contribute := getattr(hub.slots.get(key), "hub_status", None)):
            try:
                for name, value in (contribute() or {}).items():
                    out.setdefault(name, value)
            except Exception as exc:  # one plugin's bad status never hides the hub's
                log.warning("%s.hub_status() failed: %s", key.__name__, exc)
    return out
