"""``livehub standin youtube``: the printed tables load as connector settings; bad options are one line;
the docs' settings table names exactly the settings."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from click.testing import CliRunner

from connectors.youtube.settings import YoutubeSettings
from connectors.youtube.standin import YoutubeStandin
from hub.builtin.standin_cli import standin

DOC = Path(__file__).resolve().parents[2] / "docs" / "platforms" / "youtube.md"


def test_the_printed_tables_load_as_connector_settings() -> None:
    for credentials, secrets in (("oauth", {"client_secret", "refresh_token"}), ("api_key", {"api_key"})):
        platform = YoutubeStandin(port=18779, credentials=credentials)
        table = tomllib.loads(platform.connector_table(room="main"))["connectors"]["youtube"]
        assert table["grpc_target"] == "127.0.0.1:18780" and table["grpc_tls"] is False
        assert {key for key, value in table.items() if isinstance(value, dict)} == secrets  # by reference only
        settings = platform.connector_config(room="main")
        assert settings.keys() == table.keys()
        YoutubeSettings.model_validate({k: v for k, v in settings.items() if k != "type"})


def test_a_bad_option_is_one_clear_line() -> None:
    bad = CliRunner().invoke(standin, ["youtube", "--set", "stream=maybe"])
    assert bad.exit_code == 2 and "stream: on or off, not 'maybe'" in bad.output
    unknown = CliRunner().invoke(standin, ["youtube", "--set", "colour=red"])
    assert unknown.exit_code == 2 and "does not take colour" in unknown.output


def test_the_docs_settings_table_names_every_setting() -> None:
    section = DOC.read_text(encoding="utf-8").split("\n## Settings", 1)[1].split("\n## ", 1)[0]
    keys = {key for line in section.splitlines() if line.startswith("| `")
            for key in re.findall(r"`([a-z_0-9]+)`", line.split("|")[1])}
    assert keys == set(YoutubeSettings.model_fields)
