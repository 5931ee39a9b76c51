"""The typed config schema: every key checked when the file loads, typos refused with the closest key."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sharekit.errors import ConfigError
from sharekit.store.config import load_config
from sharekit.store.config_schema import KEYS, markdown_table, setting_for

BAD_FILES = [
    ('sources = 5\n', 1, "`sources` must be a table"),
    ('[sources]\na = 5\n', 2, "`sources.a` must be a table"),
    ('[images]\nmax_mb = "abc"\n', 2, "`images.max_mb` must be a number > 0"),
    ('[sources.f]\nkind = "feed"\npath = "x.csv"\npage_size = "abc"\n', 4, "`sources.f.page_size` must be an integer"),
    ('server = 5\n', 1, "`server` must be a table"),
    ('brand = "x"\n', 1, "`brand` must be a table"),
    ('currency = "XXXX"\n', 1, "`currency` must be an ISO 4217 currency code"),
    ('currency = "XTS"\n', 1, "`currency` must be an ISO 4217 currency code"),
    ('[server]\nport = 70000\n', 2, "`server.port` must be an integer from 1 to 65535, not 70000"),
    ('[sources.jd]\nkind = "jd"\nretries = -1\n', 3, "`sources.jd.retries` must be an integer from 0 to 100"),
    ('[sources.jd]\nkind = "jd"\nrate_limit = -1\n', 3, "`sources.jd.rate_limit` must be a number ≥ 0"),
    ('[sources.jd]\nkind = "jd"\ntimeout = 0\n', 3, "`sources.jd.timeout` must be a number > 0"),
    ('[brand]\ncolor = "notacolor"\n', 2, "`brand.color` must be a colour name"),
    ('[sources.jd]\nkind = "jd"\napp_kye = "k"\n', 3, "`sources.jd.app_kye` is not a known key for a jd source."
                                                       " Did you mean `sources.jd.app_key`?"),
    ('[brand]\ncolour = "red"\n', 2, "`brand.colour` is not a known key. Did you mean `brand.color`?"),
    ('tiemzone = "Asia/Shanghai"\n', 1, "`tiemzone` is not a known key. Did you mean `timezone`?"),
    ('[channels]\nmax_shares_per_dya = 5\n', 2, "Did you mean `channels.max_shares_per_day`?"),
    ('[poster]\nformat = "gif"\n', 2, "`poster.format` must be one of jpg, png, webp"),
    ('[attribution]\nwindow = "soon"\n', 2, "`attribution.window` must be a duration"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD_FILES)
def test_a_bad_file_is_one_line_naming_file_line_and_key(cli, home, text, line, message):
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    path.write_text(text)
    result = cli(["config", "show"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    error = result.stderr.strip()
    assert "\n" not in error
    assert f"{path}, line {line}: " in error and message in error


def test_good_values_load(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text('currency = "JPY"\n[brand]\ncolor = "teal"\n[server]\nport = 65535\n'
                    '[channels]\nmax_shares_per_day = 0\n[channels.mama_group]\namazon_tag = "g-20"\n'
                    '[today.weights]\ncoupon = 1.5\n[sources.jd]\nkind = "jd"\nrate_limit = 0\napp_key = 123\n'
                    '[sources.custom]\nanything = [1, 2]\n')
    config = load_config(path)
    assert config.currency == "JPY" and config.get("server.port") == 65535
    assert config.get("channels.max_shares_per_day") == 0
    assert config.get("feeds.max_mb") == KEYS["feeds.max_mb"].default  # pre-declared keys have defaults


def test_unset_environment_variable_is_named(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("JD_SECRET_FOR_TEST", raising=False)
    path = tmp_path / "config.toml"
    path.write_text('[sources.jd]\nkind = "jd"\napp_key = "k"\napp_secret = "${JD_SECRET_FOR_TEST}"\n')
    with pytest.raises(ConfigError, match=r"line 4: `sources.jd.app_secret` reads \$\{JD_SECRET_FOR_TEST\}, "
                                          r"which is not set"):
        load_config(path).source("jd")
    monkeypatch.setenv("JD_SECRET_FOR_TEST", "s3")
    assert load_config(path).source("jd")["app_secret"] == "s3"


@pytest.mark.parametrize(("key", "value", "wanted"), [
    ("brand.colour", "red", "Did you mean `brand.color`?"),
    ("brand.color", "notacolor", "must be a colour name"),
    ("server.port", "70000", "must be an integer from 1 to 65535"),
    ("currency", "XXXX", "ISO 4217"),
    ("sources.jd.app_kye", "k", "Did you mean `sources.jd.app_key`?"),
    ("poster.formatt", "png", "Did you mean `poster.format`?"),
    ("brand.color", "redd", "not 'redd'; did you mean red?"),
    ("brand.color", "tael", "did you mean teal?"),
    ("poster.format", "jgp", "did you mean jpg?"),
    ("timezone", "Asia/Shangai", "did you mean Asia/Shanghai?"),
])
def test_config_set_refuses_typos_with_the_closest_key(cli, home, key, value, wanted):
    assert cli(["init"]).exit_code == 0
    assert cli(["config", "set", "sources.jd.kind", "jd"]).exit_code == 0
    before = (home / "config.toml").read_bytes()
    result = cli(["config", "set", key, value])
    assert result.exit_code == 2, result.output
    assert wanted in result.stderr and "\n" not in result.stderr.strip()
    assert (home / "config.toml").read_bytes() == before


def test_colours_by_name_and_hex_are_accepted(cli, home):
    assert cli(["init"]).exit_code == 0
    for value in ("teal", "#0a0", "#12AB34", "#12ab34cc"):
        assert cli(["config", "set", "brand.color", value]).exit_code == 0, value
    assert cli(["config", "get", "brand.color"]).stdout.strip() == "#12ab34cc"


def test_unset_removes_a_key_and_its_empty_table(cli, home):
    assert cli(["init"]).exit_code == 0
    assert cli(["config", "set", "poster.quality", "70"]).exit_code == 0
    result = cli(["config", "unset", "poster.quality"])
    assert result.exit_code == 0 and "default: 88" in result.stdout
    assert "[poster]" not in (home / "config.toml").read_text()
    assert cli(["config", "get", "poster.quality"]).stdout.strip() == "88"
    missing = cli(["config", "unset", "brand.colour"])
    assert missing.exit_code == 2 and "brand.color" in missing.stderr


def test_share_text_escapes_become_new_lines(cli, home):
    assert cli(["init"]).exit_code == 0
    assert cli(["config", "set", "poster.share_text", r"{title}\n{price}\t{link}"]).exit_code == 0
    assert load_config(home / "config.toml").get("poster.share_text") == "{title}\n{price}\t{link}"
    (home / "config.toml").write_text("[poster]\nshare_text = '{title}\\n{link}'\n")  # literal backslash-n
    assert load_config(home / "config.toml").get("poster.share_text") == "{title}\n{link}"


def test_config_set_types_values_by_the_schema(cli, home):
    assert cli(["init"]).exit_code == 0
    assert cli(["config", "set", "brand.name", "2026"]).exit_code == 0
    assert cli(["config", "set", "images.max_mb", "2"]).exit_code == 0
    assert cli(["config", "set", "currency", "usd"]).exit_code == 0
    config = load_config(home / "config.toml")
    assert config.get("brand.name") == "2026" and config.get("images.max_mb") == 2 and config.currency == "USD"


def test_config_show_masks_schema_secrets(cli, home):
    assert cli(["init"]).exit_code == 0
    assert cli(["config", "set", "notify.secret", "hunter2hunter2"]).exit_code == 0
    assert cli(["config", "set", "sources.jd.kind", "jd"]).exit_code == 0
    assert cli(["config", "set", "sources.jd.app_secret", "abcdefsecret"]).exit_code == 0
    shown = cli(["config", "show", "--json"]).stdout
    assert "hunter2hunter2" not in shown and "abcdefsecret" not in shown


def test_every_key_has_help_and_a_sound_default():
    from sharekit.core.settings import check

    for dotted, setting in KEYS.items():
        assert setting.help, dotted
        if setting.default is not None and setting.kind != "table":
            assert check(setting, setting.default) is None, dotted
    assert setting_for("channels.mama_group.amazon_tag").kind == "scalar"
    assert setting_for("channels.min_days_between").kind == "int"


def test_readme_key_table_is_generated_from_the_schema():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- config-keys:start -->\n(.*?)\n<!-- config-keys:end -->", readme, re.S)
    assert m, "README.md lacks the config key table markers"
    assert m.group(1).strip() == markdown_table().strip(), "run: python scripts/readme_config_keys.py"
