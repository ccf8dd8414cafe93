"""``livehub standin douyin``: both modes from one stand-in, chosen with ``--set``; bad options are named."""

from __future__ import annotations

import tomllib

from click.testing import CliRunner

from connectors.douyin.standin import DouyinStandin
from hub.builtin.standin_cli import standin


def test_the_printed_tables_of_both_modes_load_as_connector_settings() -> None:
    from connectors.douyin.connector import DouyinSettings

    for mode, keys in (("open_platform", {"room_id", "appid", "secret", "api_base", "token_url"}),
                       ("webcast", {"web_rid", "live_url", "signer_url", "ws_url"})):
        platform = DouyinStandin(mode=mode, port=18777)
        table = tomllib.loads(platform.connector_table(room="main"))["connectors"]["douyin"]
        assert keys <= set(table) and table["mode"] == mode
        if "secret" in table:  # secrets only by reference
            assert table["secret"] == {"env": "DOUYIN_APP_SECRET"}
        settings = platform.connector_config(room="main")
        assert settings.keys() == table.keys()
        DouyinSettings.model_validate({k: v for k, v in settings.items() if k != "type"})


def test_a_bad_option_or_mode_is_one_clear_line() -> None:
    bad_mode = CliRunner().invoke(standin, ["douyin", "--set", "mode=bogus"])
    assert bad_mode.exit_code == 2 and "open_platform or webcast, not 'bogus'" in bad_mode.output
    unknown = CliRunner().invoke(standin, ["douyin", "--set", "colour=red"])
    assert unknown.exit_code == 2 and "does not take colour" in unknown.output
    malformed = CliRunner().invoke(standin, ["douyin", "--set", "mode"])
    assert malformed.exit_code == 2 and "KEY=VALUE" in malformed.output
