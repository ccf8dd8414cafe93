"""``livehub standin kuaishou``: the printed table loads as the connector's settings; bad options are named."""

from __future__ import annotations

import tomllib

from click.testing import CliRunner

from connectors.kuaishou.connector import KuaishouSettings
from connectors.kuaishou.standin import KuaishouStandin
from hub.builtin.standin_cli import standin


def test_the_printed_table_loads_as_connector_settings() -> None:
    platform = KuaishouStandin(port=18779, sleep_ms="500", reconnect_every="10")
    table = tomllib.loads(platform.connector_table(room="main"))["connectors"]["kuaishou"]
    assert table["type"] == "kuaishou" and table["mode"] == "interactive"
    assert table["api_base"] == "http://127.0.0.1:18779" and table["code"] == {"env": "KUAISHOU_CODE"}
    assert platform.env() == {"KUAISHOU_CODE": "standin-code"}
    settings = platform.connector_config(room="main")
    assert settings.keys() == table.keys()
    KuaishouSettings.model_validate({k: v for k, v in settings.items() if k != "type"})
    assert (platform.sleep_ms, platform.reconnect_every) == (500, 10)  # --set passes strings


def test_a_bad_option_is_one_clear_line() -> None:
    unknown = CliRunner().invoke(standin, ["kuaishou", "--set", "colour=red"])
    assert unknown.exit_code == 2 and "does not take colour" in unknown.output
    negative = CliRunner().invoke(standin, ["kuaishou", "--set", "sleep_ms=-1"])
    assert negative.exit_code == 2 and "must not be negative" in negative.output
    listed = CliRunner().invoke(standin, ["--list"])
    assert "kuaishou\tconnector type kuaishou" in listed.output
