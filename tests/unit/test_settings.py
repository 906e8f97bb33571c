import pytest

from returndesk.settings import DEFAULT_DATABASE_URL, SettingsError, load_settings


def test_defaults_are_sqlite_and_localhost():
    settings = load_settings({})
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert (settings.http_host, settings.http_port) == ("127.0.0.1", 8080)
    assert settings.staff_chat_id is None


def test_environment_overrides_the_toml_file(tmp_path):
    config = tmp_path / "desk.toml"
    config.write_text('http_port = 9000\ncurrency = "RUB"\n', encoding="utf-8")
    settings = load_settings(
        {
            "RETURNDESK_CONFIG": str(config),
            "RETURNDESK_HTTP_PORT": "9100",
            "RETURNDESK_STAFF_CHAT_ID": "-100200",
        }
    )
    assert (settings.http_port, settings.currency, settings.staff_chat_id) == (9100, "RUB", -100200)


def test_secrets_never_appear_in_the_representation():
    settings = load_settings(
        {"TELEGRAM_BOT_TOKEN": "123:SECRET", "RETURNDESK_SECRET_KEY": "k" * 40}
    )
    assert "SECRET" not in repr(settings)
    assert "kkkk" not in repr(settings)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"RETURNDESK_HTTP_PORT": "eighty"}, "http_port must be an integer"),
        ({"RETURNDESK_CONFIG": "/nonexistent/desk.toml"}, "cannot read configuration file"),
        (
            {"RETURNDESK_STAFF_LANGUAGE": "de"},
            "staff_language must be one of en, zh_Hans, ru, not 'de'",
        ),
    ],
)
def test_bad_settings_say_which_and_why(environ, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(environ)


def test_unknown_keys_in_the_toml_file_are_refused(tmp_path):
    config = tmp_path / "desk.toml"
    config.write_text('databse_url = "typo"\n', encoding="utf-8")
    with pytest.raises(SettingsError, match="databse_url"):
        load_settings({"RETURNDESK_CONFIG": str(config)})


def test_the_staff_chat_is_in_english_unless_a_language_is_set(tmp_path):
    assert load_settings({}).staff_language == "en"
    assert load_settings({"RETURNDESK_STAFF_LANGUAGE": " ru "}).staff_language == "ru"
    config = tmp_path / "desk.toml"
    config.write_text('staff_language = "zh_Hans"\n', encoding="utf-8")
    assert load_settings({"RETURNDESK_CONFIG": str(config)}).staff_language == "zh_Hans"
