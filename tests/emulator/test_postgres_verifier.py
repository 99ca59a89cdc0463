"""The SCRAM verifier the runtime gives an RDS master user is one PostgreSQL accepts for exactly that
password: checked by a real server's password login over TCP on loopback (the test PostgreSQL)."""

from __future__ import annotations

import psycopg
import pytest

from emulator.postgres import choose_version, scram_verifier

pytestmark = pytest.mark.postgres


@pytest.fixture
def role(postgres):
    admin = psycopg.connect(host=postgres["host"], port=postgres["port"], user="postgres",
                            password=postgres["password"], dbname="postgres", autocommit=True)  # fmt: skip
    admin.execute("DROP ROLE IF EXISTS verifier_test")
    admin.execute(f"CREATE ROLE verifier_test LOGIN PASSWORD '{scram_verifier('right-pass-1')}'")
    yield postgres
    admin.execute("DROP ROLE IF EXISTS verifier_test")
    admin.close()


def test_the_server_accepts_the_password_and_refuses_another(role):
    with psycopg.connect(host=role["host"], port=role["port"], user="verifier_test", password="right-pass-1",
                         dbname="postgres") as conn:  # fmt: skip
        assert conn.execute("SELECT current_user").fetchone()[0] == "verifier_test"
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(host=role["host"], port=role["port"], user="verifier_test", password="wrong", dbname="postgres")


def test_the_verifier_never_contains_the_password():
    verifier = scram_verifier("visible-pass")
    assert verifier.startswith("SCRAM-SHA-256$4096:") and "visible-pass" not in verifier
    assert scram_verifier("visible-pass") != verifier  # a fresh salt each time


@pytest.mark.parametrize(
    ("requested", "available", "major", "noted"),
    [
        ("16", {15: "a", 16: "b"}, 16, False),
        ("16.4", {16: "b"}, 16, False),
        ("16", {15: "a"}, 15, True),
        (None, {14: "x", 15: "a"}, 15, True),
    ],
)
def test_choose_version(requested, available, major, noted):
    chosen, note = choose_version(requested, available)
    assert chosen == major
    assert bool(note) is noted
    if noted:
        assert str(major) in note


def test_choose_version_without_servers_says_what_to_install():
    with pytest.raises(RuntimeError, match="apt-get install postgresql"):
        choose_version("16", {})
