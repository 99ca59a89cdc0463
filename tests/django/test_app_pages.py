"""The app against the real PostgreSQL: model, home page, admin, health endpoints, host validation."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from notes.models import Note

pytestmark = pytest.mark.postgres

APP_HOST = "app.example.test"
ALB_HEALTH_HOST = "10.0.3.17:8000"  # the ALB health checker sends the target's private IP


@pytest.mark.django_db
def test_app_reaches_postgresql_through_its_db_environment(postgres):
    """The connection is the one the app's settings build from DB_* (conftest's DB_NAME django_ecs_app)."""
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database(), current_user, inet_server_port()")
        assert cursor.fetchone() == ("test_django_ecs_app", postgres["user"], int(postgres["port"]))


@pytest.mark.django_db
def test_note_model_orders_pinned_first_then_newest():
    old = Note.objects.create(title="old")
    new = Note.objects.create(title="new", body="text")
    pinned = Note.objects.create(title="pinned", pinned=True)
    assert list(Note.objects.all()) == [pinned, new, old]
    assert str(pinned) == "pinned"


@pytest.mark.django_db
def test_home_page_reads_the_database(client):
    response = client.get("/", HTTP_HOST=APP_HOST)
    assert response.status_code == 200
    assert response.context["count"] == 0
    assert b"0 notes in the database" in response.content

    Note.objects.create(title="First note", body="from the test")
    Note.objects.create(title="Second note")
    response = client.get("/", HTTP_HOST=APP_HOST)
    assert response.status_code == 200
    assert response.context["count"] == 2
    assert b"2 notes in the database" in response.content
    assert b"First note" in response.content and b"Second note" in response.content
    assert b"/static/notes/style.css" in response.content


@pytest.mark.django_db
def test_admin_login_page(client):
    response = client.get("/admin/", HTTP_HOST=APP_HOST)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    response = client.get("/admin/login/", HTTP_HOST=APP_HOST)
    assert response.status_code == 200
    assert b'name="username"' in response.content and b"csrfmiddlewaretoken" in response.content


@pytest.mark.django_db
def test_admin_lists_notes_for_a_superuser(client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.test", "a-long-test-password")
    Note.objects.create(title="Visible in admin")
    client.force_login(user)
    response = client.get("/admin/notes/note/", HTTP_HOST=APP_HOST)
    assert response.status_code == 200
    assert b"Visible in admin" in response.content


@pytest.mark.django_db
def test_health_answers_a_private_ip_host_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/health/", HTTP_HOST=ALB_HEALTH_HOST)
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Cache-Control"] == "no-store"
    assert client.head("/health/", HTTP_HOST=ALB_HEALTH_HOST).status_code == 200


def test_health_needs_no_database_access(client):
    # No django_db mark: pytest-django blocks every database access, so this also proves it.
    assert client.get("/health/", HTTP_HOST=ALB_HEALTH_HOST).status_code == 200


@pytest.mark.django_db
def test_database_health_checks_the_database(client):
    response = client.get("/health/db/", HTTP_HOST=ALB_HEALTH_HOST)
    assert response.status_code == 200


@pytest.mark.django_db
def test_database_health_answers_503_when_the_database_is_unreachable(client, settings):
    connection.close()
    real = connection.settings_dict["PORT"]
    connection.settings_dict["PORT"] = 1  # nothing listens there
    try:
        response = client.get("/health/db/", HTTP_HOST=ALB_HEALTH_HOST)
    finally:
        connection.close()
        connection.settings_dict["PORT"] = real
    assert response.status_code == 503


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/admin/login/", "/health/nope/"])
@pytest.mark.parametrize("host", [ALB_HEALTH_HOST, "evil.example.com"])
def test_other_pages_reject_unknown_hosts(client, path, host):
    assert client.get(path, HTTP_HOST=host).status_code == 400


@pytest.mark.django_db
def test_ssl_redirect_spares_health_and_honours_the_alb_header(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/health/", HTTP_HOST=ALB_HEALTH_HOST).status_code == 200
    response = client.get("/", HTTP_HOST=APP_HOST)
    assert response.status_code == 301
    assert response["Location"] == f"https://{APP_HOST}/"
    # TLS ended at the ALB, which says so in X-Forwarded-Proto.
    assert client.get("/", HTTP_HOST=APP_HOST, HTTP_X_FORWARDED_PROTO="https").status_code == 200


def test_settings_behind_the_alb(settings):
    assert settings.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
    assert settings.MIDDLEWARE[0] == "config.health.HealthCheckMiddleware"
    assert "*" not in settings.ALLOWED_HOSTS
    db = settings.DATABASES["default"]
    assert db["CONN_MAX_AGE"] == 60 and db["OPTIONS"]["sslmode"] == "prefer"
