"""config.toml: dotted keys, masking, ${ENV} references, env overrides, one-line errors."""

from __future__ import annotations

import stat

import pytest

from sharekit.errors import ConfigError, NotFoundError
from sharekit.store.config import MASK, Config, load_config, parse_cli_value, set_value


@pytest.fixture
def inited(cli, home):
    result = cli(["init"])
    assert result.exit_code == 0, result.output
    return home


def test_set_then_get_with_dotted_keys(cli, inited):
    assert cli(["config", "set", "brand.name", "小王好物"]).exit_code == 0
    assert cli(["config", "set", "server.port", "9090"]).exit_code == 0
    assert cli(["config", "set", "sources.jd.kind", "jd"]).exit_code == 0
    assert cli(["config", "get", "brand.name"]).stdout == "小王好物\n"
    assert cli(["config", "get", "server.port"]).stdout == "9090\n"
    assert cli(["config", "get", "sources.jd.kind"]).stdout == "jd\n"
    config = load_config(inited / "config.toml")
    assert config.get("server.port") == 9090  # typed, not the string "9090"
    assert config.get("brand.name") == "小王好物"


def test_get_of_a_default_and_of_a_missing_key(cli, inited):
    assert cli(["config", "get", "timezone"]).stdout.strip() == "Asia/Shanghai"
    missing = cli(["config", "get", "brand.nope"])
    assert missing.exit_code == 2  # not a key at all: a usage error
    assert "brand.nope" in missing.stderr
    missing = cli(["config", "get", "server.bot_patterns"])  # a key, but not set and without a default
    assert missing.exit_code == 1
    assert "server.bot_patterns" in missing.stderr and "Traceback" not in missing.output


def test_set_writes_the_file_with_mode_0600(cli, inited):
    path = inited / "config.toml"
    path.chmod(0o644)
    assert cli(["config", "set", "brand.slogan", "好物"]).exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not (inited / "config.toml.tmp").exists()


@pytest.mark.parametrize("key", ["sources.jd.app_secret", "sources.tb.access_token", "notify.secret",
                                 "sources.x.SECRET_KEY"])
def test_secrets_are_masked_in_show_and_get_unless_revealed(cli, inited, key):
    value = "v3ry-s3cret-Value"
    assert cli(["config", "set", key, value]).exit_code == 0
    shown = cli(["config", "show"])
    assert shown.exit_code == 0, shown.output
    assert value not in shown.output and MASK in shown.stdout
    assert value not in cli(["config", "show", "--json"]).output
    got = cli(["config", "get", key])
    assert got.stdout.strip() == MASK
    table = key.rsplit(".", 1)[0]
    assert value not in cli(["config", "get", table]).output  # a whole table masks what is inside
    assert cli(["config", "get", key, "--reveal"]).stdout.strip() == value
    assert value not in cli(["config", "set", key, value]).output


def test_env_reference_is_resolved_at_read_time_and_never_written_back(cli, inited, monkeypatch):
    monkeypatch.setenv("SHOP_BASE", "https://s.example")
    monkeypatch.setenv("JD_SECRET", "from-the-env")
    assert cli(["config", "set", "server.base_url", "${SHOP_BASE}/go"]).exit_code == 0
    assert cli(["config", "set", "sources.jd.app_secret", "${JD_SECRET}"]).exit_code == 0
    assert cli(["config", "get", "server.base_url"]).stdout.strip() == "https://s.example/go"
    assert "https://s.example/go" in cli(["config", "show"]).stdout
    assert cli(["config", "get", "sources.jd.app_secret", "--reveal"]).stdout.strip() == "from-the-env"
    monkeypatch.setenv("SHOP_BASE", "https://other.example")
    assert cli(["config", "get", "server.base_url"]).stdout.strip() == "https://other.example/go"
    text = (inited / "config.toml").read_text()
    assert "${SHOP_BASE}/go" in text and "${JD_SECRET}" in text
    assert "from-the-env" not in text and "example" not in text.replace("${SHOP_BASE}", "")
    assert cli(["config", "set", "brand.name", "again"]).exit_code == 0  # a rewrite keeps references
    assert "${JD_SECRET}" in (inited / "config.toml").read_text()


def test_source_settings_take_env_overrides(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text('[sources.jd]\nkind = "jd"\napp_key = "file-key"\napp_secret = "${JD_SECRET}"\n'
                    '[sources.jd-east]\nkind = "jd"\n')
    monkeypatch.setenv("JD_SECRET", "from-reference")
    config = load_config(path)
    assert config.source("jd") == {"kind": "jd", "app_key": "file-key", "app_secret": "from-reference",
                                   "channels": {}}
    monkeypatch.setenv("SHAREKIT_JD_APP_KEY", "env-key")
    monkeypatch.setenv("SHAREKIT_JD_APP_SECRET", "env-secret")
    monkeypatch.setenv("SHAREKIT_JD_EAST_APP_KEY", "east-key")  # a name with a dash maps to _
    settings = config.source("jd")
    assert settings["app_key"] == "env-key" and settings["app_secret"] == "env-secret"
    assert config.source("jd-east")["app_key"] == "east-key"
    assert config.get("sources.jd.app_key") == "file-key"  # the override is for the source, not the file
    assert "env-key" not in path.read_text()
    with pytest.raises(NotFoundError, match="No source named `amazon`.*jd, jd-east"):
        config.source("amazon")


def test_source_settings_carry_the_channel_tables_for_per_channel_supplier_tags(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[sources.amz]\nkind = "amazon"\n[channels]\nmin_days_between = 2\n'
                    '[channels.moments]\namazon_tag = "shop-moments-20"\n')
    assert load_config(path).source("amz")["channels"] == {"moments": {"amazon_tag": "shop-moments-20"}}


def test_invalid_toml_is_one_line_naming_file_and_line(cli, inited):
    path = inited / "config.toml"
    path.write_text('timezone = "Asia/Shanghai"\n[brand]\nname = "ok"\ncolor = #E4393C\n')
    before = path.read_bytes()
    for argv in (["config", "show"], ["config", "get", "brand.name"], ["config", "set", "brand.name", "x"],
                 ["init"]):
        result = cli(argv)
        assert result.exit_code == 1, (argv, result.output)
        assert result.stdout == ""
        message = result.stderr.strip()
        assert "\n" not in message and "Traceback" not in message
        assert f"{path}, line 4" in message and "invalid TOML" in message
    assert path.read_bytes() == before


def test_invalid_toml_at_end_of_document_names_a_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[brand]\nname = "unterminated\n')
    with pytest.raises(ConfigError, match=r"config.toml, line \d+: invalid TOML"):
        load_config(path)


def test_wrong_type_in_the_file_names_file_and_line(cli, inited):
    path = inited / "config.toml"
    path.write_text('currency = "CNY"\n\n[server]\nhost = "0.0.0.0"\nport = "eighty"\n')
    result = cli(["config", "show"])
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in result.output
    assert f"{path}, line 5" in message and "`server.port` must be an integer" in message


def test_unknown_timezone_is_refused_with_its_line(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('currency = "CNY"\ntimezone = "Mars/Olympus"\n')
    with pytest.raises(ConfigError, match=r"line 2: `timezone` must be a known time zone .*'Mars/Olympus'"):
        load_config(path)


def test_set_refuses_a_wrong_type_and_leaves_the_file_alone(cli, inited):
    path = inited / "config.toml"
    before = path.read_bytes()
    result = cli(["config", "set", "server.port", "eighty"])
    assert result.exit_code == 2  # a usage error: the value typed is not the key's type
    assert str(path) in result.stderr and "`server.port` must be an integer" in result.stderr
    assert cli(["config", "set", "brand", "flat"]).exit_code == 2  # a table is not replaced by a value
    assert cli(["config", "set", "brand..name", "x"]).exit_code == 2
    assert path.read_bytes() == before


def test_cli_values_keep_ids_and_secrets_as_typed_strings():
    assert parse_cli_value("9090", "server.port") == 9090
    assert parse_cli_value("true", "sources.jd.enabled") is True
    assert parse_cli_value("0.5", "sources.jd.rate_limit") == 0.5
    assert parse_cli_value("123456", "sources.jd.app_key") == "123456"
    assert parse_cli_value("007", "sources.jd.site_id") == "007"
    assert parse_cli_value("12345", "sources.jd.app_secret") == "12345"
    assert parse_cli_value("2026", "brand.name") == "2026"
    assert parse_cli_value("[1, 2]") == [1, 2]
    assert parse_cli_value("${X}") == "${X}"


def test_library_set_value_round_trips(tmp_path):
    config = Config(path=tmp_path / "config.toml")
    config = set_value(config, "sources.shop.endpoint", "http://127.0.0.1:9/")
    assert config.get("sources.shop.endpoint") == "http://127.0.0.1:9/"
    assert stat.S_IMODE(config.path.stat().st_mode) == 0o600


def test_numeric_source_settings_from_the_environment_are_numbers(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text('[sources.jd]\nkind = "jd"\n')
    monkeypatch.setenv("SHAREKIT_JD_RATE_LIMIT", "2.5")
    monkeypatch.setenv("SHAREKIT_JD_RETRIES", "3")
    monkeypatch.setenv("SHAREKIT_JD_APP_KEY", "000123")
    settings = load_config(path).source("jd")
    assert settings["rate_limit"] == 2.5 and settings["retries"] == 3 and settings["app_key"] == "000123"
    monkeypatch.setenv("SHAREKIT_JD_TIMEOUT", "soon")
    wanted = r"\$SHAREKIT_JD_TIMEOUT: `sources.jd.timeout` must be a number > 0 and ≤ 3600, not the text 'soon'"
    with pytest.raises(ConfigError, match=wanted):
        load_config(path).source("jd")


def test_set_in_a_new_home_creates_it_with_a_private_config(cli, home):
    result = cli(["config", "set", "sources.shop.kind", "feed"])
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE((home / "config.toml").stat().st_mode) == 0o600
    assert load_config(home / "config.toml").data == {"sources": {"shop": {"kind": "feed"}}}
