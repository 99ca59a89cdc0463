"""Django settings, read from the environment only (see config/env.py).

Required: DJANGO_SECRET_KEY (unless DJANGO_DEBUG is on), DB_HOST, DB_NAME, DB_USER.
Optional: DB_PORT (5432), DB_PASSWORD, DB_SSLMODE (prefer), DB_CONN_MAX_AGE (60),
DJANGO_DEBUG (false), DJANGO_ALLOWED_HOSTS, DJANGO_CSRF_TRUSTED_ORIGINS (comma-separated),
DJANGO_SECURE_SSL_REDIRECT (true), DJANGO_SECURE_COOKIES (= SSL redirect),
DJANGO_SECURE_HSTS_SECONDS (3600 with SSL redirect, else 0), DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS (true),
DJANGO_SECURE_HSTS_PRELOAD (false), DJANGO_LOG_LEVEL (INFO), DJANGO_STATIC_URL (/static/).
"""

from pathlib import Path

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)

if DEBUG:
    SECRET_KEY = env_str("DJANGO_SECRET_KEY", "django-insecure-local-development-only")
    _default_hosts = ["localhost", "127.0.0.1", "[::1]"]
else:
    SECRET_KEY = env_str("DJANGO_SECRET_KEY", why="required when DJANGO_DEBUG is off")
    _default_hosts = []

# Never "*": the ALB health check (private-IP Host) is answered by config.health before validation.
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", _default_hosts)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "notes",
]

MIDDLEWARE = [
    "config.health.HealthCheckMiddleware",  # first: before host validation and SSL redirect
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
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

# The names the ECS task definitions pass (from the <stack>/app secret and the RDS endpoint).
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "HOST": env_str("DB_HOST"),
        "PORT": env_int("DB_PORT", 5432),
        "NAME": env_str("DB_NAME"),
        "USER": env_str("DB_USER"),
        "PASSWORD": env_str("DB_PASSWORD", ""),
        # Persistent connections per worker thread; health checks drop dead ones after an RDS failover.
        "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            "sslmode": env_str("DB_SSLMODE", "prefer"),  # RDS supports TLS; "require"/"verify-full" to enforce
            "connect_timeout": env_int("DB_CONNECT_TIMEOUT", 10),
        },
    }
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# Static files: collected at image build time, served by whitenoise with hashed, compressed names.
STATIC_URL = env_str("DJANGO_STATIC_URL", "/static/")
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Behind the ALB: TLS ends at the load balancer, which sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Off only when the ALB has no certificate (plain HTTP listener).
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^health/"]
# Secure cookies follow the SSL redirect: over plain HTTP a browser drops them and admin login breaks.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", SECURE_SSL_REDIRECT)
# HSTS: a short default (Django's advice is to start small and raise it once HTTPS is known good).
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 3600 if SECURE_SSL_REDIRECT else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# security.W021 (HSTS preload not set): preloading is a hard-to-undo opt-in of the domain owner,
# not something an app template should switch on; DJANGO_SECURE_HSTS_PRELOAD=true enables it.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# Logs to stdout/stderr only: the awslogs driver ships them to CloudWatch.
LOG_LEVEL = env_str("DJANGO_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "stream": "ext://sys.stdout"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
    },
}
