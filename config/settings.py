"""Django settings, read from the environment.

``DJANGO_ENV`` is ``development`` (the default: DEBUG on, local secrets in
``var/``) or ``production`` (every secret from the environment). Token and
session settings are gathered in ``JWT`` and read through
``users.conf.jwt_settings``.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_file_or_str,
    env_files_or_strs,
    env_int,
    env_list,
    env_overrides,
    env_str,
    local_secret,
)
from users.conf import DEFAULTS as JWT_DEFAULTS

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("DJANGO_VAR_DIR", str(BASE_DIR / "var")))

DJANGO_ENV = env_str("DJANGO_ENV", "development")
if DJANGO_ENV not in ("development", "production"):
    # A typo must not quietly switch on every development default.
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be 'development' or 'production', not {DJANGO_ENV!r}."
    )
DEVELOPMENT = DJANGO_ENV == "development"
DEBUG = env_bool("DJANGO_DEBUG", DEVELOPMENT)

SECRET_KEY = local_secret("DJANGO_SECRET_KEY", VAR_DIR, allow_create=DEVELOPMENT)
ALLOWED_HOSTS = env_list(
    "DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]", "testserver"]
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "strawberry.django",
    "users",
    "tasks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # The admin's CSS and scripts, collected to STATIC_ROOT by `make run`.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    # After the header middleware, so its refusals carry their headers too.
    "config.middleware.RequireHttps",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    # PostgreSQL (psycopg 3) with a connection pool in each process.
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"].endswith("postgresql"):
        DATABASES["default"]["OPTIONS"] = {
            "pool": {
                "min_size": env_int("DB_POOL_MIN_SIZE", 1),
                "max_size": env_int("DB_POOL_MAX_SIZE", 8),
                "timeout": 10,
            }
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(VAR_DIR / "db.sqlite3")),
            # Keep each thread's connection: opening one and running the
            # PRAGMAs below would otherwise cost every request.
            "CONN_MAX_AGE": None,
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so two refreshes of
                # one token serialise instead of failing with "locked".
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
            # A file, not memory: concurrency tests need real writers. One per
            # run, so two test runs in one checkout never share it.
            "TEST": {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")},
        }
    }

# "default" holds session revocation markers. Files are shared by every
# process on the machine (server workers, manage.py, the admin), so a
# revocation anywhere is seen at once; a miss costs one failed open().
# "ratelimit" holds attempt counters, which need atomic increments: process
# memory here, so several worker processes need a shared cache (Redis).
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # Several app servers share revocations and attempt counters here.
    CACHES = {
        alias: {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": alias,
        }
        for alias in ("default", "ratelimit")
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            # Revocation markers must not be culled before they expire.
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        },
        "ratelimit": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "graphql-auth-ratelimit",
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        },
    }

AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = ["users.backends.UsernameOrEmailBackend"]

# Argon2id first: memory-hard, so stronger against GPU guessing than PBKDF2,
# and about three times quicker to check here (about 0.1 s against 0.35 s).
# Older hashes still verify and are upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 12)
_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {
        "NAME": f"{_VALIDATORS}.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Mail: the console by default; SMTP when EMAIL_HOST is set. Links in mail
# are built from SITE_URL, never from the request's Host header.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
EMAIL_VERIFY_URL = env_str("EMAIL_VERIFY_URL", SITE_URL + "/verify-email?token={token}")
PASSWORD_RESET_URL = env_str(
    "PASSWORD_RESET_URL", SITE_URL + "/reset-password?token={token}"
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "no-reply@localhost")
_EMAIL_HOST = env_str("EMAIL_HOST")
if _EMAIL_HOST:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _EMAIL_HOST,
                "port": env_int("EMAIL_PORT", 587),
                "username": env_str("EMAIL_HOST_USER"),
                "password": env_str("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", True),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "users.mail_console.ReadableConsoleBackend"}}
# SMTP mail leaves on a background thread (see users.emails).
MAIL_IN_BACKGROUND = env_bool("MAIL_IN_BACKGROUND", bool(_EMAIL_HOST))
# Whether an address must be verified before its owner may sign in.
REQUIRE_VERIFIED_EMAIL = env_bool("REQUIRE_VERIFIED_EMAIL", False)
EMAIL_VERIFICATION_MAX_AGE = env_int("EMAIL_VERIFICATION_MAX_AGE", 3 * 24 * 3600)
PASSWORD_RESET_TIMEOUT = env_int("PASSWORD_RESET_TIMEOUT", 3600)
# Two-factor sign-in (django-otp's TOTP devices).
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "graphql-auth")
# The device admin never shows a secret key or its QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
RECOVERY_CODE_COUNT = 10

# Attempt limits on sign-in and other secret checks (users.ratelimit); rates
# are set in RATE_LIMITS as {"name": (attempts, seconds)} over its defaults.
RATE_LIMIT_ENABLED = env_bool("RATE_LIMIT_ENABLED", True)
RATE_LIMITS: dict = {}
# Proxies whose X-Forwarded-For is believed (addresses or networks).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES")

# GraphQL: the explorer, introspection and document limits (schema.limits).
GRAPHIQL_ENABLED = env_bool("GRAPHIQL_ENABLED", DEVELOPMENT)
GRAPHQL_INTROSPECTION = env_bool("GRAPHQL_INTROSPECTION", DEVELOPMENT)
GRAPHQL_MAX_DEPTH = env_int("GRAPHQL_MAX_DEPTH", 10)
GRAPHQL_MAX_ALIASES = env_int("GRAPHQL_MAX_ALIASES", 15)
GRAPHQL_MAX_TOKENS = env_int("GRAPHQL_MAX_TOKENS", 2000)

# Request bodies larger than this are refused with 413 before parsing.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_REQUEST_BYTES", 100_000)

# Token settings: only what the environment sets; every default, with its
# meaning and unit, is in users/conf.py.
JWT = env_overrides(
    "JWT_",
    {
        "ALGORITHM": str,
        "ISSUER": str,
        "AUDIENCE": str,
        "ACCESS_TOKEN_LIFETIME": int,
        "REFRESH_TOKEN_IDLE_LIFETIME": int,
        "SESSION_ABSOLUTE_LIFETIME": int,
        "REFRESH_GRACE_PERIOD": int,
        "LEEWAY": int,
        "REFRESH_TOKEN_COOKIE": bool,
        "REFRESH_COOKIE_NAME": str,
        "REFRESH_COOKIE_SECURE": bool,
        "REFRESH_COOKIE_SAMESITE": str,
    },
)
if JWT.get("ALGORITHM", JWT_DEFAULTS["ALGORITHM"].default).startswith("HS"):
    JWT["SIGNING_KEY"] = local_secret("JWT_SIGNING_KEY", VAR_DIR, DEVELOPMENT)
else:  # a PEM private key, from the variable or a file it names
    JWT["SIGNING_KEY"] = env_file_or_str("JWT_SIGNING_KEY")
JWT["VERIFYING_KEYS"] = env_files_or_strs("JWT_VERIFYING_KEYS")
if DEVELOPMENT:
    # Plain HTTP: a __Host- cookie must be Secure, so development uses a
    # plain name and no Secure flag unless told otherwise.
    JWT.setdefault("REFRESH_COOKIE_NAME", "refresh_token")
    JWT.setdefault("REFRESH_COOKIE_SECURE", False)

# Browsers and transport security. Outside development every request must
# arrive over HTTPS (directly, or through a proxy that says so in
# SECURE_PROXY_SSL_HEADER); plain HTTP is refused, never redirected, so a
# token sent in the clear is not also answered.
REQUIRE_HTTPS = env_bool("REQUIRE_HTTPS", not DEVELOPMENT)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = 0 if DEVELOPMENT else 31_536_000
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEVELOPMENT
SECURE_HSTS_PRELOAD = not DEVELOPMENT
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = not DEVELOPMENT
CSRF_COOKIE_SECURE = not DEVELOPMENT
SESSION_COOKIE_HTTPONLY = True
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The redirect check (W008) is answered by REQUIRE_HTTPS, which refuses.
SILENCED_SYSTEM_CHECKS = ["security.W008"]

SECURE_CSP = {
    "default-src": ["'none'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    # The admin's own pages and assets.
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
}
GRAPHIQL_CDN = "https://unpkg.com"
GRAPHIQL_CSP = {
    **SECURE_CSP,
    "script-src": ["'self'", "'unsafe-inline'", GRAPHIQL_CDN],
    "style-src": ["'self'", "'unsafe-inline'", GRAPHIQL_CDN],
    "font-src": ["'self'", "data:", GRAPHIQL_CDN],
}

# Cross-origin browsers: only listed origins, and credentials (the refresh
# cookie) only for them.
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
CORS_ALLOW_CREDENTIALS = env_bool("CORS_ALLOW_CREDENTIALS", False)
CORS_URLS_REGEX = r"^/(graphql|csrf)/$"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "users.security": {
            "handlers": ["console"],
            "level": env_str("SECURITY_LOG_LEVEL", "INFO"),
        },
        "schema.errors": {"handlers": ["console"], "level": "ERROR"},
    },
}
