"""LiveHub core: the plugin contract, events, bus, config, storage, scheduler, web API and CLI.

Public API for plugin authors: :data:`hookimpl`, :class:`Hub`, the event classes in :mod:`hub.events`,
the specs in :mod:`hub.specs`, :class:`hub.connector.Connector` and the errors in :mod:`hub.errors`.
"""

from hub.hookspecs import hookimpl

__version__ = "0.1.0"
__all__ = ["hookimpl", "Hub", "__version__"]


def __getattr__(name: str):
    if name == "Hub":  # lazy: keeps `import hub` light for plugin modules
        from hub.app import Hub

        return Hub
    raise AttributeError(name)
