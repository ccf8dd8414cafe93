"""Starter files written by `livehub init`."""
