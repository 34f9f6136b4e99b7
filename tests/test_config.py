"""Configuration: defaults, TOML file, environment overrides, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from diia_inbox.config import ConfigError, load_config


def test_defaults_put_everything_in_the_data_folder(tmp_path: Path) -> None:
    cfg = load_config(data_dir=tmp_path / "inst", env={})
    assert cfg.data_dir == (tmp_path / "inst").resolve()
    assert cfg.database_url == f"sqlite:///{cfg.data_dir / 'diia-inbox.db'}"
    for p in (cfg.blob_dir, cfg.spool_dir, cfg.index_dir, cfg.keys_dir):
        assert p.parent == cfg.data_dir
    assert (cfg.web.host, cfg.web.port) == ("127.0.0.1", 8080)
    assert (cfg.ingest.smtp_host, cfg.ingest.smtp_port) == ("127.0.0.1", 2525)


def test_toml_then_environment_override(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text(
        "[web]\nport = 9090\nsecure_cookies = true\n"
        '[verify]\ntrust = ["a.cer", "b.p7b"]\nrevocation = "hard"\n'
        '[database]\nurl = "postgresql+psycopg://u@h/db"\n',
        encoding="utf-8",
    )
    env = {"DIIA_INBOX_WEB_PORT": "9191", "DIIA_INBOX_DATA": str(tmp_path / "d")}
    cfg = load_config(config_file=f, env=env)
    assert cfg.web.port == 9191 and cfg.web.secure_cookies is True
    assert cfg.verify.trust == ("a.cer", "b.p7b") and cfg.verify.revocation == "hard"
    assert cfg.database_url == "postgresql+psycopg://u@h/db"
    assert cfg.data_dir == (tmp_path / "d").resolve()


@pytest.mark.parametrize(
    ("content", "env", "needle"),
    [
        ("[web]\nport = 'x'\n", {}, "web.port"),
        ("[nope]\na = 1\n", {}, "unknown section"),
        ("[web]\nportt = 1\n", {}, "unknown key"),
        ("[web\n", {}, "c.toml"),
        ("", {"DIIA_INBOX_WEB_SECURE_COOKIES": "maybe"}, "DIIA_INBOX_WEB_SECURE_COOKIES"),
        ("[web]\ntimezone = 'Europe/Kiyv'\n", {}, "web.timezone: unknown time zone 'Europe/Kiyv'"),
        ("", {"DIIA_INBOX_WEB_TIMEZONE": "EET+2"}, "web.timezone: unknown time zone 'EET+2'"),
        # A misspelt policy would otherwise verify as "soft" without a word.
        ("[verify]\nrevocation = 'hardd'\n", {}, "verify.revocation: expected 'soft', 'hard'"),
    ],
)
def test_bad_configuration_is_one_line_reason(
    tmp_path: Path, content: str, env: dict[str, str], needle: str
) -> None:
    f = tmp_path / "c.toml"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(data_dir=tmp_path, config_file=f, env=env)
    assert needle in str(err.value)
    assert "\n" not in str(err.value)


def test_blob_and_log_settings(tmp_path: Path) -> None:
    cfg = load_config(data_dir=tmp_path, env={})
    assert cfg.blobs.backend == "filesystem" and cfg.blob_dir == tmp_path.resolve() / "blobs"
    assert cfg.log.format == "text"
    env = {
        "DIIA_INBOX_BLOBS_BACKEND": "s3",
        "DIIA_INBOX_BLOBS_BUCKET": "archive",
        "DIIA_INBOX_BLOBS_ENDPOINT": "http://127.0.0.1:9000",
        "DIIA_INBOX_LOG_FORMAT": "json",
    }
    cfg = load_config(data_dir=tmp_path, env=env)
    assert (cfg.blobs.backend, cfg.blobs.bucket, cfg.log.format) == ("s3", "archive", "json")
    assert load_config(tmp_path, env={"DIIA_INBOX_BLOBS_PATH": "/srv/b"}).blob_dir == Path("/srv/b")
    for bad, reason in (
        ({"DIIA_INBOX_BLOBS_BACKEND": "ftp"}, "blobs.backend"),
        ({"DIIA_INBOX_BLOBS_BACKEND": "s3"}, "blobs.bucket"),
        ({"DIIA_INBOX_BLOBS_MULTIPART_MB": "1"}, "blobs.multipart_mb"),
        ({"DIIA_INBOX_LOG_FORMAT": "xml"}, "log.format"),
    ):
        with pytest.raises(ConfigError, match=reason):
            load_config(data_dir=tmp_path, env=bad)


def test_display_time_zone_defaults_to_kyiv_and_is_configurable(tmp_path: Path) -> None:
    assert load_config(data_dir=tmp_path, env={}).web.timezone == "Europe/Kyiv"
    f = tmp_path / "c.toml"
    f.write_text('[web]\ntimezone = "Europe/Warsaw"\n', encoding="utf-8")
    assert load_config(data_dir=tmp_path, config_file=f, env={}).web.timezone == "Europe/Warsaw"
    env = {"DIIA_INBOX_WEB_TIMEZONE": "Asia/Tokyo"}
    assert load_config(data_dir=tmp_path, config_file=f, env=env).web.timezone == "Asia/Tokyo"


def test_search_and_qr_days_follow_the_web_clock_unless_set(tmp_path: Path) -> None:
    """One clock per installation: a desk in Warsaw filters `received:` by Warsaw days and sees
    QR last valid days in Warsaw, unless a section names its own zone."""
    default = load_config(data_dir=tmp_path, env={})
    assert default.search.timezone == default.qr.timezone == "Europe/Kyiv"
    f = tmp_path / "c.toml"
    f.write_text('[web]\ntimezone = "Europe/Warsaw"\n', encoding="utf-8")
    warsaw = load_config(data_dir=tmp_path, config_file=f, env={})
    assert warsaw.search.timezone == warsaw.qr.timezone == "Europe/Warsaw"
    f.write_text('[web]\ntimezone = "Europe/Warsaw"\n[qr]\ntimezone = "UTC"\n', encoding="utf-8")
    own = load_config(data_dir=tmp_path, config_file=f, env={"DIIA_INBOX_SEARCH_TIMEZONE": "UTC"})
    assert (own.web.timezone, own.search.timezone, own.qr.timezone) == (
        "Europe/Warsaw",
        "UTC",
        "UTC",
    )
