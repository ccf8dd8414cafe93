"""``livehub standin twitch``: the printed table loads as connector settings, secrets only by reference."""

from __future__ import annotations

import tomllib

from click.testing import CliRunner

from connectors.twitch.connector import TwitchSettings
from connectors.twitch.standin import TwitchStandin
from hub.builtin.standin_cli import standin


def test_the_printed_table_loads_as_connector_settings() -> None:
    platform = TwitchStandin(port=18779, chat_limit="100")
    table = tomllib.loads(platform.connector_table(room="main"))["connectors"]["twitch"]
    assert table["access_token"] == {"env": "TWITCH_ACCESS_TOKEN"}
    assert table["refresh_token"] == {"env": "TWITCH_REFRESH_TOKEN"}
    assert table["client_secret"] == {"env": "TWITCH_CLIENT_SECRET"}
    assert table["ws_url"] == "ws://127.0.0.1:18779/ws" and table["chat_limit_per_30s"] == 100
    settings = platform.connector_config(room="main")
    assert settings.keys() == table.keys()
    TwitchSettings.model_validate({k: v for k, v in settings.items() if k != "type"})
    assert set(platform.env()) == {"TWITCH_ACCESS_TOKEN", "TWITCH_REFRESH_TOKEN", "TWITCH_CLIENT_SECRET"}


def test_an_unknown_option_is_one_clear_line() -> None:
    unknown = CliRunner().invoke(standin, ["twitch", "--set", "colour=red"])
    assert unknown.exit_code == 2 and "colour" in unknown.output
