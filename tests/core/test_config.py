"""Config: typed sections, file + key path + reason on errors, secrets only by reference."""

import logging

import pytest

from hub.app import Hub
from hub.config import load_config
from hub.errors import ConfigError
from hub.secrets import MASK, SecretValue
from hub.testing import config_for_tests


def write(tmp_path, text):
    path = tmp_path / "livehub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_and_env_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("LIVEHUB_DATABASE_URL", "sqlite+aiosqlite:///elsewhere.db")
    monkeypatch.setenv("LIVEHUB_API_TOKEN", "tok-from-env-123")
    cfg = load_config(write(tmp_path, "[hub]\nname = 'x'\n"))
    assert cfg.database_url == "sqlite+aiosqlite:///elsewhere.db"
    assert isinstance(cfg.web.token, SecretValue) and cfg.web.token.get() == "tok-from-env-123"
    assert cfg.web.host == "127.0.0.1"


def test_unknown_section_key_and_wrong_type_name_file_key_and_reason(tmp_path):
    path = write(tmp_path, "[hub]\nnmae = 'typo'\n[web]\nport = 'eighty'\n[bogus]\nx = 1\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, env=False)
    text = str(info.value)
    assert str(path) in text
    assert "bogus: unknown section" in text
    assert "hub.nmae: unknown key" in text
    assert "web.port:" in text and "integer" in text


def test_a_config_file_that_is_not_utf8_gets_one_clear_error(tmp_path):
    path = tmp_path / "livehub.toml"
    path.write_bytes("[hub]\nname = '晨光'\n".encode("gb18030"))
    with pytest.raises(ConfigError, match=r"not UTF-8 text: byte 0xb3 at offset 14") as info:
        load_config(path, env=False)
    assert str(path) in str(info.value)


def test_invalid_toml_reports_the_file(tmp_path):
    path = write(tmp_path, "[hub\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_secrets_must_be_references(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match=r"web.token: secrets must be a reference"):
        load_config(write(tmp_path, "[web]\ntoken = 'plain-text-token'\n"), env=False)
    with pytest.raises(ConfigError, match="web.token: environment variable NOPE_UNSET is not set"):
        load_config(write(tmp_path, "[web]\ntoken = {env = 'NOPE_UNSET'}\n"), env=False)
    (tmp_path / "token.txt").write_text("file-secret-456\n")
    cfg = load_config(write(tmp_path, "[web]\ntoken = {file = 'token.txt'}\n"), env=False)
    assert cfg.web.token.get() == "file-secret-456"
    assert "file-secret-456" not in repr(cfg.web) and MASK in repr(cfg.web.token)
    assert "file-secret-456" not in cfg.web.model_dump_json()


def test_redactor_masks_secrets_in_logs_and_tracebacks(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("MY_TOKEN", "s3cr3t-value-789")
    cfg = load_config(write(tmp_path, "[web]\ntoken = {env = 'MY_TOKEN'}\n"), env=False)
    logger = logging.getLogger("test.redact")
    caplog.handler.addFilter(cfg.redactor)
    try:
        raise RuntimeError("failed with s3cr3t-value-789 inside")
    except RuntimeError:
        logger.exception("token was %s", cfg.web.token.get())
    assert "s3cr3t-value-789" not in caplog.text
    assert MASK in caplog.text


def test_plugin_sections_are_validated_with_key_paths():
    data = config_for_tests({"plugins": {"event_hooks": {"queue_size": "many"}, "nosuch": {}},
                             "connectors": {"shop": {"type": "nope"}, "cat": {"type": "catalog_file"}}})
    hub = Hub(load_config(data=data, env=False), autoload=False)
    with pytest.raises(ConfigError) as info:
        hub.build()
    text = str(info.value)
    assert "plugins.event_hooks.queue_size:" in text
    assert "plugins.nosuch: no plugin named 'nosuch'" in text
    assert "connectors.shop.type: unknown connector type 'nope'" in text
    assert "connectors.cat.path: Field required" in text


def test_disable_a_plugin_by_name():
    data = config_for_tests({"plugins": {"event_hooks": {"enabled": False}}})
    hub = Hub(load_config(data=data, env=False), autoload=False).build()
    assert hub.plugins.infos["event_hooks"].status == "disabled"
    assert "event_hooks" not in hub.plugins.loaded()
