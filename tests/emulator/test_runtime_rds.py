"""CreateDBInstance on the local runtime starts a real PostgreSQL: available (with an endpoint) only
once it accepts connections, reachable from tasks at the endpoint's name and port with the master
password; DeleteDBInstance stops it and keeps the data only as a final snapshot."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.docker, pytest.mark.moto, pytest.mark.postgres]

PASSWORD = "Runtime-db-pass-1"


def _status(moto) -> dict:
    with urllib.request.urlopen(f"{moto.url}/_local_runtime/status", timeout=5) as response:  # noqa: S310 (loopback)
        return json.load(response)


def _instance(rds, identifier: str) -> dict:
    return rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]


@pytest.fixture(scope="module")
def database(rt):
    rds = rt.client("rds")
    created = rds.create_db_instance(
        DBInstanceIdentifier="rt-db", Engine="postgres", EngineVersion="16", DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20, MasterUsername="appuser", MasterUserPassword=PASSWORD, DBName="appdb", Port=5432,
    )["DBInstance"]  # fmt: skip
    statuses = [created["DBInstanceStatus"]]
    endpoint_while_creating = "Endpoint" in created
    deadline = time.monotonic() + 60
    while statuses[-1] != "available" and time.monotonic() < deadline:
        time.sleep(0.3)
        statuses.append(_instance(rds, "rt-db")["DBInstanceStatus"])
    return {"rds": rds, "statuses": statuses, "endpoint_while_creating": endpoint_while_creating}


def test_the_instance_is_creating_until_postgres_accepts_connections(database, rt):
    assert database["statuses"][0] == "creating" and database["statuses"][-1] == "available", database["statuses"]
    assert not database["endpoint_while_creating"]  # AWS shows no endpoint before the instance is up
    instance = _instance(database["rds"], "rt-db")
    assert instance["Endpoint"]["Port"] == 5432
    (db,) = [d for d in _status(rt.moto)["databases"] if d["identifier"] == "rt-db"]
    assert db["status"] == "available" and db["address"] == instance["Endpoint"]["Address"]
    assert db["version"].split(".")[0] in ("15", "16")
    if not db["version"].startswith("16"):
        assert "16" in db["note"]  # says which version runs instead of the requested one


def test_a_task_reaches_the_database_at_the_endpoint_name_with_the_master_password(database, rt):
    instance = _instance(database["rds"], "rt-db")
    host, port = instance["Endpoint"]["Address"], instance["Endpoint"]["Port"]
    # The base image has no PostgreSQL client: speak the protocol's first message and read the answer.
    # A SCRAM request (AuthenticationSASL, 'R' with code 10) proves a password-protected server answers.
    probe = (
        "import socket, struct, sys\n"
        f"s = socket.create_connection(('{host}', {port}), timeout=5)\n"
        "params = b'user\\x00appuser\\x00database\\x00appdb\\x00\\x00'\n"
        "s.sendall(struct.pack('!ii', 8 + len(params), 196608) + params)\n"
        "kind = s.recv(1); length, code = struct.unpack('!ii', s.recv(8))\n"
        "print(kind.decode(), code)\n"
    )
    arn = rt.register("dbprobe", [{"name": "main", "command": ["python3", "-c", probe]}])
    started = rt.run(arn)
    task, _ = rt.wait(started["taskArn"])
    assert task["containers"][0]["exitCode"] == 0, rt.log_lines("dbprobe", "main", started["taskArn"])
    assert rt.log_lines("dbprobe", "main", started["taskArn"]) == ["R 10"]


def test_the_master_password_and_database_work(database, rt):
    import psycopg

    (db,) = [d for d in _status(rt.moto)["databases"] if d["identifier"] == "rt-db"]
    # Over the runtime's private socket the server trusts local users: read what the role was given.
    with psycopg.connect(host=db["socket_dir"], port=5432, user="appuser", dbname="appdb") as conn:
        verifier = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'appuser'").fetchone()[0]
        owner = conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'appdb'").fetchone()[0]
    assert verifier.startswith("SCRAM-SHA-256$") and PASSWORD not in verifier
    assert owner == "appuser"
    # That the verifier accepts exactly this password is proven against a real server's SCRAM login in
    # test_postgres_verifier.py; the whole stack's migration logs in with it over TCP (tests/integration).


def test_no_file_of_the_runtime_holds_the_password(database, rt):
    (db,) = [d for d in _status(rt.moto)["databases"] if d["identifier"] == "rt-db"]
    folder = Path(db["socket_dir"]).parent
    logs = list(folder.rglob("*.log")) + list(Path(rt.moto.request_log.parent).glob(f"moto-{rt.moto.port}*"))
    for path in logs:
        assert PASSWORD not in path.read_text(errors="replace"), path


def test_delete_with_a_final_snapshot_keeps_the_data_and_stops_the_server(database, rt):
    (db,) = [d for d in _status(rt.moto)["databases"] if d["identifier"] == "rt-db"]
    folder = Path(db["socket_dir"]).parent
    database["rds"].delete_db_instance(DBInstanceIdentifier="rt-db", FinalDBSnapshotIdentifier="rt-db-final")
    assert not folder.exists()
    assert [d for d in _status(rt.moto)["databases"] if d["identifier"] == "rt-db"] == []
    snapshot = folder.parent / "snapshots" / "rt-db-final"
    assert (snapshot / "PG_VERSION").exists()
    assert not (snapshot / "postmaster.pid").exists()  # stopped cleanly
