"""Typed settings read from environment variables; defaults suit a local SQLite install."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from werkzeug.sansio.utils import host_is_trusted

from app.i18n.languages import LANGUAGES


class ConfigError(RuntimeError):
    """Raised when the environment does not describe a safe configuration."""


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, not {raw!r}") from exc


def _instance_secret_key(instance_path: Path) -> str:
    """Return a secret key kept in the instance folder, creating it on first use (local only)."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def _public_base_url(env: Mapping[str, str], app_env: str) -> str | None:
    """Read PUBLIC_BASE_URL: the address people use, the base of every link in an e-mail."""
    raw = env.get("PUBLIC_BASE_URL", "").strip().rstrip("/")
    if not raw:
        if app_env == "production":
            raise ConfigError(
                "PUBLIC_BASE_URL must be set in production, e.g. https://ready.example.ch "
                "(links in e-mails are built from it, never from a request's Host header)"
            )
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            f"PUBLIC_BASE_URL must be an http(s) address like https://host/path, not {raw!r}"
        )
    if app_env == "production" and parts.scheme != "https":
        raise ConfigError("PUBLIC_BASE_URL must start with https:// in production")
    return raw


def _trusted_hosts(
    env: Mapping[str, str], app_env: str, public_base_url: str | None
) -> tuple[str, ...]:
    """Read TRUSTED_HOSTS (comma-separated; ".example.ch" also allows its subdomains)."""
    hosts = tuple(h.strip().lower() for h in env.get("TRUSTED_HOSTS", "").split(",") if h.strip())
    if not hosts:
        if app_env == "production":
            raise ConfigError(
                "TRUSTED_HOSTS must be set in production: the host names the platform answers to, "
                "comma-separated (e.g. ready.example.ch)"
            )
        return ()
    if public_base_url is not None:
        public_host = urlsplit(public_base_url).hostname or ""
        if not host_is_trusted(public_host, list(hosts)):
            raise ConfigError(
                f"TRUSTED_HOSTS must include the host of PUBLIC_BASE_URL ({public_host})"
            )
    return hosts


@dataclass(frozen=True)
class Settings:
    """Everything the application reads from its environment."""

    env: str
    database_url: str
    secret_key: str
    preferred_url_scheme: str
    server_name: str | None
    mail_server: str
    mail_port: int
    mail_use_tls: bool
    mail_use_ssl: bool
    mail_username: str | None
    mail_password: str | None
    mail_from: str
    mail_timeout: int
    idle_timeout_minutes: int
    absolute_timeout_hours: int
    default_locale: str
    timezone: str
    max_upload_mb: int
    login_limit_per_pair: int
    login_limit_per_address: int
    login_delay_after_failures: int
    login_delay_base_seconds: int
    login_delay_max_minutes: int
    login_account_window_hours: int
    login_known_address_days: int
    reset_limit_per_account: int
    reset_limit_per_address: int
    rate_limit_window_minutes: int
    log_level: str
    api_token_days: int = 90
    public_base_url: str | None = None
    trusted_hosts: tuple[str, ...] = ()
    proxy_fix_hops: int = 0
    # Single sign-on (OpenID Connect); off while oidc_issuer is empty.
    oidc_issuer: str = ""
    oidc_discovery_url: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_scopes: str = "openid email profile"
    oidc_provider_name: str = ""
    oidc_match_by: str = "email"
    oidc_hr_number_claim: str = "hr_number"
    oidc_jit_unit: str = ""
    local_passwords: bool = True

    @property
    def is_production(self) -> bool:
        """Tell whether the app runs with production safety rules."""
        return self.env == "production"

    def flask_config(self) -> dict[str, Any]:
        """Translate the settings into Flask and extension configuration keys."""
        engine_options: dict[str, Any] = {"pool_pre_ping": True}
        if not self.database_url.startswith("sqlite"):
            engine_options["pool_recycle"] = 1800
        return {
            "ENV_NAME": self.env,
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
            "PREFERRED_URL_SCHEME": self.preferred_url_scheme,
            "SERVER_NAME": self.server_name,
            **self._cookie_config(),
            "MAX_CONTENT_LENGTH": self.max_upload_mb * 1024 * 1024,
            "MAX_FORM_MEMORY_SIZE": 2 * 1024 * 1024,
            "BABEL_DEFAULT_LOCALE": self.default_locale,
            "BABEL_DEFAULT_TIMEZONE": self.timezone,
            **self._mail_config(),
            **self._sign_in_limits_config(),
            "LOG_LEVEL": self.log_level,
            "API_TOKEN_DAYS": self.api_token_days,
            "PUBLIC_BASE_URL": self.public_base_url,
            # Flask answers 400 to a request whose Host is not listed (None: any host).
            "TRUSTED_HOSTS": list(self.trusted_hosts) or None,
            "PROXY_FIX_HOPS": self.proxy_fix_hops,
            **self._oidc_config(),
            "LOCAL_PASSWORDS": self.local_passwords,
            # argon2id at RFC 9106's second recommended profile (64 MiB, t=3, p=4).
            "PASSWORD_HASH": {"time_cost": 3, "memory_cost": 65536, "parallelism": 4},
        }

    def _cookie_config(self) -> dict[str, Any]:
        """Session, remember-me and CSRF settings: secure cookies whenever served over https."""
        secure = self.is_production or self.preferred_url_scheme == "https"
        return {
            "SESSION_COOKIE_NAME": "__Host-session" if secure else "session",
            "SESSION_COOKIE_SECURE": secure,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "PERMANENT_SESSION_LIFETIME": self.absolute_timeout_hours * 3600,
            # The cookie is written when the session changes (sign-in, language, CSRF secret,
            # and the once-a-minute "seen" stamp of app.people.sessions), not re-signed and
            # sent again on every page; the time-outs are enforced on the server.
            "SESSION_REFRESH_EACH_REQUEST": False,
            "REMEMBER_COOKIE_SECURE": secure,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "WTF_CSRF_TIME_LIMIT": 3600 * 8,
            "WTF_CSRF_SSL_STRICT": secure,
        }

    def _mail_config(self) -> dict[str, Any]:
        """The SMTP relay the outbox delivers through."""
        return {
            "MAIL_SERVER": self.mail_server,
            "MAIL_PORT": self.mail_port,
            "MAIL_USE_TLS": self.mail_use_tls,
            "MAIL_USE_SSL": self.mail_use_ssl,
            "MAIL_USERNAME": self.mail_username,
            "MAIL_PASSWORD": self.mail_password,
            "MAIL_FROM": self.mail_from,
            "MAIL_TIMEOUT": self.mail_timeout,
        }

    def _sign_in_limits_config(self) -> dict[str, Any]:
        """Session time-outs and the limits on sign-in and password-reset attempts."""
        return {
            "IDLE_TIMEOUT_MINUTES": self.idle_timeout_minutes,
            "ABSOLUTE_TIMEOUT_HOURS": self.absolute_timeout_hours,
            "LOGIN_LIMIT_PER_PAIR": self.login_limit_per_pair,
            "LOGIN_LIMIT_PER_ADDRESS": self.login_limit_per_address,
            "LOGIN_DELAY_AFTER_FAILURES": self.login_delay_after_failures,
            "LOGIN_DELAY_BASE_SECONDS": self.login_delay_base_seconds,
            "LOGIN_DELAY_MAX_MINUTES": self.login_delay_max_minutes,
            "LOGIN_ACCOUNT_WINDOW_HOURS": self.login_account_window_hours,
            "LOGIN_KNOWN_ADDRESS_DAYS": self.login_known_address_days,
            "RESET_LIMIT_PER_ACCOUNT": self.reset_limit_per_account,
            "RESET_LIMIT_PER_ADDRESS": self.reset_limit_per_address,
            "RATE_LIMIT_WINDOW_MINUTES": self.rate_limit_window_minutes,
        }

    def _oidc_config(self) -> dict[str, Any]:
        """Single sign-on (OpenID Connect); off while OIDC_ISSUER is empty."""
        return {
            "OIDC_ISSUER": self.oidc_issuer,
            "OIDC_DISCOVERY_URL": self.oidc_discovery_url,
            "OIDC_CLIENT_ID": self.oidc_client_id,
            "OIDC_CLIENT_SECRET": self.oidc_client_secret,
            "OIDC_SCOPES": self.oidc_scopes,
            "OIDC_PROVIDER_NAME": self.oidc_provider_name,
            "OIDC_MATCH_BY": self.oidc_match_by,
            "OIDC_HR_NUMBER_CLAIM": self.oidc_hr_number_claim,
            "OIDC_JIT_UNIT": self.oidc_jit_unit,
        }


def load_settings(instance_path: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings from the environment, refusing unsafe production setups."""
    env = os.environ if environ is None else environ
    app_env = env.get("APP_ENV", "development").strip().lower()
    if app_env not in ("development", "production", "testing"):
        raise ConfigError(f"APP_ENV must be development, production or testing, not {app_env!r}")
    secret_key = _secret_key(env, app_env, instance_path)
    database_url = _database_url(env, instance_path)
    default_locale = env.get("DEFAULT_LOCALE", "fr")
    if default_locale not in LANGUAGES:
        raise ConfigError(f"DEFAULT_LOCALE must be one of {', '.join(LANGUAGES)}")
    scheme = env.get("PREFERRED_URL_SCHEME", "https" if app_env == "production" else "http")
    public_base_url = _public_base_url(env, app_env)
    trusted_hosts = _trusted_hosts(env, app_env, public_base_url)
    api_token_days = _int(env, "API_TOKEN_DAYS", 90)
    account_window_hours = _account_window_hours(env)
    if not 1 <= api_token_days <= 3650:
        raise ConfigError(f"API_TOKEN_DAYS must be between 1 and 3650, not {api_token_days}")
    return Settings(
        env=app_env,
        database_url=database_url,
        secret_key=secret_key,
        preferred_url_scheme=scheme,
        server_name=env.get("SERVER_NAME") or None,
        mail_server=env.get("MAIL_SERVER", "localhost"),
        mail_port=_int(env, "MAIL_PORT", 25),
        mail_use_tls=_bool(env, "MAIL_USE_TLS", False),
        mail_use_ssl=_bool(env, "MAIL_USE_SSL", False),
        mail_username=env.get("MAIL_USERNAME") or None,
        mail_password=env.get("MAIL_PASSWORD") or None,
        mail_from=env.get("MAIL_FROM", "Readiness <no-reply@readiness.local>"),
        mail_timeout=_int(env, "MAIL_TIMEOUT", 10),
        idle_timeout_minutes=_int(env, "IDLE_TIMEOUT_MINUTES", 30),
        absolute_timeout_hours=_int(env, "ABSOLUTE_TIMEOUT_HOURS", 12),
        default_locale=default_locale,
        timezone=env.get("TIMEZONE", "Europe/Zurich"),
        max_upload_mb=_int(env, "MAX_UPLOAD_MB", 20),
        login_limit_per_pair=_int(env, "LOGIN_LIMIT_PER_PAIR", 5),
        login_limit_per_address=_int(env, "LOGIN_LIMIT_PER_ADDRESS", 200),
        login_delay_after_failures=_int(env, "LOGIN_DELAY_AFTER_FAILURES", 5),
        login_delay_base_seconds=_int(env, "LOGIN_DELAY_BASE_SECONDS", 30),
        login_delay_max_minutes=_int(env, "LOGIN_DELAY_MAX_MINUTES", 15),
        login_account_window_hours=account_window_hours,
        login_known_address_days=_int(env, "LOGIN_KNOWN_ADDRESS_DAYS", 30),
        reset_limit_per_account=_int(env, "RESET_LIMIT_PER_ACCOUNT", 5),
        reset_limit_per_address=_int(env, "RESET_LIMIT_PER_ADDRESS", 30),
        rate_limit_window_minutes=_int(env, "RATE_LIMIT_WINDOW_MINUTES", 15),
        log_level=env.get("LOG_LEVEL", "INFO"),
        api_token_days=api_token_days,
        public_base_url=public_base_url,
        trusted_hosts=trusted_hosts,
        proxy_fix_hops=_int(env, "PROXY_FIX_HOPS", 0),
        **_oidc_settings(env, production=app_env == "production"),
    )


def _secret_key(env: Mapping[str, str], app_env: str, instance_path: Path) -> str:
    """Read SECRET_KEY: required (and long) in production, kept in the instance folder locally."""
    secret_key = env.get("SECRET_KEY", "").strip()
    if not secret_key:
        if app_env == "production":
            raise ConfigError("SECRET_KEY must be set in production (see .env.example)")
        return _instance_secret_key(instance_path)
    if app_env == "production" and len(secret_key) < 32:
        raise ConfigError("SECRET_KEY must be at least 32 characters long in production")
    return secret_key


def _database_url(env: Mapping[str, str], instance_path: Path) -> str:
    """Read DATABASE_URL (default: SQLite in the instance folder), naming the psycopg driver."""
    database_url = env.get("DATABASE_URL", "").strip() or (
        f"sqlite:///{instance_path / 'readiness.sqlite3'}"
    )
    if database_url.startswith("postgres://"):
        return "postgresql+psycopg://" + database_url.removeprefix("postgres://")
    if database_url.startswith("postgresql://"):
        return "postgresql+psycopg://" + database_url.removeprefix("postgresql://")
    return database_url


def _account_window_hours(env: Mapping[str, str]) -> int:
    """Read LOGIN_ACCOUNT_WINDOW_HOURS, at most the one day of throttle events kept."""
    hours = _int(env, "LOGIN_ACCOUNT_WINDOW_HOURS", 24)
    if not 1 <= hours <= 24:
        # The scheduler's tick keeps one day of throttle events (app.web.ratelimit).
        raise ConfigError(f"LOGIN_ACCOUNT_WINDOW_HOURS must be between 1 and 24, not {hours}")
    return hours


def _oidc_settings(env: Mapping[str, str], *, production: bool) -> dict[str, Any]:
    """Read the single sign-on settings, refusing combinations that lock everyone out."""
    issuer = env.get("OIDC_ISSUER", "").strip().rstrip("/")
    match_by = env.get("OIDC_MATCH_BY", "email").strip().lower()
    if match_by not in ("email", "hr_number"):
        raise ConfigError(f"OIDC_MATCH_BY must be email or hr_number, not {match_by!r}")
    local_passwords = _bool(env, "LOCAL_PASSWORDS", True)
    client_id = env.get("OIDC_CLIENT_ID", "").strip()
    client_secret = env.get("OIDC_CLIENT_SECRET", "").strip()
    if issuer and not (client_id and client_secret):
        raise ConfigError("OIDC_ISSUER is set: OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are needed")
    if issuer and production and not issuer.startswith("https://"):
        raise ConfigError("OIDC_ISSUER must be an https:// address in production")
    if not issuer and not local_passwords:
        raise ConfigError("LOCAL_PASSWORDS=false needs single sign-on (OIDC_ISSUER)")
    scopes = env.get("OIDC_SCOPES", "").split() or ["openid", "email", "profile"]
    if "openid" not in scopes:
        raise ConfigError("OIDC_SCOPES must include openid")
    return {
        "oidc_issuer": issuer,
        "oidc_discovery_url": env.get("OIDC_DISCOVERY_URL", "").strip()
        or (f"{issuer}/.well-known/openid-configuration" if issuer else ""),
        "oidc_client_id": client_id,
        "oidc_client_secret": client_secret,
        "oidc_scopes": " ".join(scopes),
        "oidc_provider_name": env.get("OIDC_PROVIDER_NAME", "").strip(),
        "oidc_match_by": match_by,
        "oidc_hr_number_claim": env.get("OIDC_HR_NUMBER_CLAIM", "").strip() or "hr_number",
        "oidc_jit_unit": env.get("OIDC_JIT_UNIT", "").strip(),
        "local_passwords": local_passwords,
    }
