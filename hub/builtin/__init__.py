"""Built-in plugins of the core, registered from hub.plugins.BUILTIN_PLUGINS like any other."""
