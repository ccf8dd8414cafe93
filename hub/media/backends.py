"""Which media backend to use when the configuration names none.

The core names no backend: a plugin flags the one to use by default with ``BackendSpec(default=True)``
(the offline voice, the built-in avatar, the landscape scene), and ``[backends.<kind>] default`` overrides it.
"""

from __future__ import annotations

from typing import Any

from hub.errors import BackendError


def flagged_default(hub: Any, kind: str) -> str | None:
    """The first registered backend of ``kind`` whose spec says ``default=True``, or None."""
    for (spec_kind, name), (_plugin, spec) in hub.registry.backends.items():
        if spec_kind == kind and spec.default:
            return name
    return None


def default_backend(hub: Any, kind: str) -> str:
    """``[backends.<kind>] default``, else :func:`flagged_default`; BackendError when there is neither."""
    choice = hub.settings.backend_choice.get(kind)
    name = (choice.default if choice is not None else None) or flagged_default(hub, kind)
    if name is None:
        known = ", ".join(n for k, n in hub.registry.backends if k == kind) or "none"
        raise BackendError(f"no {kind} backend chosen: [backends.{kind}] default names none and no plugin "
                           f"registers a default {kind} backend (BackendSpec(default=True); known: {known})",
                           backend=kind)
    return name


def build_backend(hub: Any, kind: str, name: str, **kwargs: Any) -> Any:
    """Backend ``name`` of ``kind`` built by its factory with ``[backends.<kind>.<name>]`` (or its model's
    defaults) and ``kwargs`` (a scene's ``size`` and ``fps``). BackendError naming the known ones when there
    is no such backend."""
    entry = hub.registry.backends.get((kind, name))
    if entry is None:
        known = ", ".join(n for k, n in hub.registry.backends if k == kind) or "none"
        raise BackendError(f"no {kind} backend named {name!r} (known: {known})", backend=kind)
    spec = entry[1]
    settings = hub.settings.backends.get((kind, name))
    if settings is None and spec.config_model is not None:
        settings = spec.config_model()
    return spec.factory(settings, hub, **kwargs)
