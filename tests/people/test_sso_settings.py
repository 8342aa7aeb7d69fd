"""Single sign-on settings: read from the environment, unsafe combinations refused."""

from __future__ import annotations

import pytest

from app.config import ConfigError, load_settings

SSO = {
    "OIDC_ISSUER": "https://id.example.ch/realms/jura/",
    "OIDC_CLIENT_ID": "counter-ready",
    "OIDC_CLIENT_SECRET": "s3cret",
}


def test_off_by_default_with_local_passwords(tmp_path):
    settings = load_settings(tmp_path, {})
    assert settings.oidc_issuer == "" and settings.local_passwords is True
    assert settings.flask_config()["OIDC_ISSUER"] == ""


def test_discovery_url_follows_the_issuer(tmp_path):
    config = load_settings(tmp_path, dict(SSO)).flask_config()
    assert config["OIDC_ISSUER"] == "https://id.example.ch/realms/jura"
    assert config["OIDC_DISCOVERY_URL"] == (
        "https://id.example.ch/realms/jura/.well-known/openid-configuration"
    )
    assert config["OIDC_SCOPES"] == "openid email profile"
    assert (config["OIDC_MATCH_BY"], config["OIDC_HR_NUMBER_CLAIM"]) == ("email", "hr_number")


def test_every_setting_is_read(tmp_path):
    env = {
        **SSO,
        "OIDC_DISCOVERY_URL": "https://id.example.ch/other/.well-known/openid-configuration",
        "OIDC_SCOPES": "openid  email hr",
        "OIDC_PROVIDER_NAME": "Jura ID",
        "OIDC_MATCH_BY": "HR_NUMBER",
        "OIDC_HR_NUMBER_CLAIM": "employee_number",
        "OIDC_JIT_UNIT": "ju-new",
        "LOCAL_PASSWORDS": "false",
    }
    config = load_settings(tmp_path, env).flask_config()
    assert config["OIDC_DISCOVERY_URL"].startswith("https://id.example.ch/other/")
    assert config["OIDC_SCOPES"] == "openid email hr"
    assert config["OIDC_PROVIDER_NAME"] == "Jura ID"
    assert config["OIDC_MATCH_BY"] == "hr_number"
    assert config["OIDC_HR_NUMBER_CLAIM"] == "employee_number"
    assert config["OIDC_JIT_UNIT"] == "ju-new"
    assert config["LOCAL_PASSWORDS"] is False


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"LOCAL_PASSWORDS": "false"}, "LOCAL_PASSWORDS=false needs single sign-on"),
        ({"OIDC_ISSUER": "https://id.example.ch"}, "OIDC_CLIENT_ID and OIDC_CLIENT_SECRET"),
        ({**SSO, "OIDC_MATCH_BY": "name"}, "OIDC_MATCH_BY must be email or hr_number"),
        ({**SSO, "OIDC_SCOPES": "email profile"}, "OIDC_SCOPES must include openid"),
        ({**SSO, "LOCAL_PASSWORDS": "perhaps"}, "LOCAL_PASSWORDS must be true or false"),
    ],
)
def test_unsafe_combinations_are_refused(tmp_path, env, says):
    with pytest.raises(ConfigError, match=says):
        load_settings(tmp_path, env)


def test_production_needs_an_https_issuer(tmp_path):
    production = {
        "APP_ENV": "production",
        "SECRET_KEY": "k" * 48,
        "PUBLIC_BASE_URL": "https://ready.example.ch",
        "TRUSTED_HOSTS": "ready.example.ch",
    }
    with pytest.raises(ConfigError, match="OIDC_ISSUER must be an https:// address"):
        load_settings(tmp_path, {**production, **SSO, "OIDC_ISSUER": "http://id.example.ch"})
    assert load_settings(tmp_path, {**production, **SSO}).oidc_issuer.startswith("https://")
