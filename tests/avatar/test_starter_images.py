"""The sample catalog's product pictures: shipped, copied by ``livehub init``, and found by the card."""

from __future__ import annotations

import json

from click.testing import CliRunner
from PIL import Image

from hub.catalog import build_catalog
from hub.cli import cli
from hub.media.pictures import FolderPictures


def test_init_copies_the_product_images_the_sample_catalog_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    assert "wrote images/tea.png" in result.output
    data = json.loads((tmp_path / "catalog.json").read_text(encoding="utf-8"))
    catalog = build_catalog(data["shop"], data["products"])
    assert catalog.products and not catalog.problems
    for product in catalog.products:
        picture = FolderPictures(tmp_path).get(product)
        assert picture is not None, product.image
        assert picture.mode == "RGBA" and picture.getchannel("A").getbbox() is not None
        with Image.open(tmp_path / product.image) as img:
            assert img.size == (640, 480)
    (tmp_path / "images" / "tea.png").write_bytes(b"mine")
    again = CliRunner().invoke(cli, ["init"])
    assert again.exit_code == 0 and (tmp_path / "images" / "tea.png").read_bytes() == b"mine"  # kept
