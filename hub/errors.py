"""The hub's error types. Vendors' errors are mapped onto these, never leaked raw."""

from __future__ import annotations


class LiveHubError(Exception):
    """Base class of every error the hub raises on purpose."""


class ConfigError(LiveHubError):
    """The configuration is invalid. ``problems`` holds one line per problem: file, key path, reason."""

    def __init__(self, problems: list[str] | str, *, file: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.file = file
        where = f"{file}: " if file else ""
        super().__init__("\n".join(f"{where}{p}" for p in self.problems))


class MissingExtraError(LiveHubError, ImportError):
    """An optional vendor package is not installed; the message names the exact install command."""

    def __init__(self, feature: str, extra: str, module: str) -> None:
        self.extra = extra
        super().__init__(
            f"{feature} needs the optional package {module!r}. Install it with: pip install 'livehub[{extra}]'"
        )


def require_extra(module: str, *, extra: str, feature: str):
    """Import ``module`` or raise :class:`MissingExtraError` naming ``pip install 'livehub[extra]'``."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingExtraError(feature, extra, module) from None


class BackendError(LiveHubError):
    """A backend (LLM, voice, avatar, output) failed. ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool = False, backend: str = "") -> None:
        self.retryable = retryable
        self.backend = backend
        super().__init__(message)


class ConnectorError(LiveHubError):
    """A connector could not reach or use its outside system; retried with backoff."""


class NotReady(ConnectorError):
    """The outside system is not reachable yet; the supervisor retries with capped, jittered backoff."""


class AuthFailed(ConnectorError):
    """Credentials were refused; the connector stops in state ``auth_failed`` until reconfigured."""


class PluginError(LiveHubError):
    """A plugin failed to import or to start; it is reported and the hub goes on without it."""

    def __init__(self, plugin: str, stage: str, error: BaseException | str) -> None:
        self.plugin = plugin
        self.stage = stage
        self.error = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        super().__init__(f"plugin {plugin!r} failed to {stage}: {self.error}")
