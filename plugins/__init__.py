"""Plugins: backends and policies with no connection of their own."""
