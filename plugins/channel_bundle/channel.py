"""The bundle channel: each approved item (once, not per person) becomes ``<sku>-<segment>-<variant>.txt`` (its
title and caption with the tracked link) in ``<folder>/<campaign>/run-<run>/``, listed in that folder's
``manifest.json`` (file, product, segment, variant, title, link); with ``zip = true`` the folder is zipped
again after each item (``run-<run>.zip``). Files are written to a temporary name and moved into place."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from pathlib import Path
from typing import Any

from pydantic import Field

from hub.outbound_channels import Channel, ChannelSettings, OutboundMessage

SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


class BundleSettings(ChannelSettings):
    folder: str = Field("bundles", description="where bundles go (relative: to the config file's folder)")
    zip: bool = Field(False, description="also keep each run's folder as a zip")
    rate_per_s: float = Field(100.0, gt=0)


class BundleChannel(Channel):
    name = "bundle"
    kind = "bundle"
    address = ""
    per_person = False
    config: BundleSettings

    def root(self) -> Path:
        path = Path(self.config.folder).expanduser()
        if path.is_absolute():
            return path
        base = self.hub.config.path.parent if self.hub is not None and self.hub.config.path else Path.cwd()
        return base / path

    async def deliver(self, message: OutboundMessage) -> dict[str, Any]:
        return await asyncio.to_thread(self._write, message)

    def _write(self, message: OutboundMessage) -> dict[str, Any]:
        data = message.data
        folder = self.root() / SAFE.sub("_", str(data.get("campaign"))) / f"run-{data.get('run', 0)}"
        folder.mkdir(parents=True, exist_ok=True)
        name = SAFE.sub("_", f"{data.get('sku')}-{data.get('segment') or 'everyone'}-{data.get('variant')}") + ".txt"
        text = (f"{message.subject}\n\n" if message.subject else "") + message.text
        _replace(folder / name, text)
        media = []
        for source in data.get("media") or []:  # the item's videos and cover, beside its caption
            path = Path(source)
            if path.is_file():
                shutil.copyfile(path, folder / path.name)
                media.append(path.name)
        manifest_path = folder / "manifest.json"
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {"items": []}
        manifest["items"] = [i for i in manifest["items"] if i["file"] != name] + [{
            "file": name, "sku": data.get("sku"), "segment": data.get("segment"), "variant": data.get("variant"),
            "title": message.subject, "link": message.link, "key": message.key, "media": media}]
        _replace(manifest_path, json.dumps(manifest, ensure_ascii=False, indent=2))
        if self.config.zip:
            shutil.make_archive(str(folder), "zip", folder)
        return {"file": str(folder / name)}


def _replace(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)
