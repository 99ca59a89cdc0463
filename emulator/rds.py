"""RDS with a runtime: CreateDBInstance starts a real PostgreSQL with the request's master user,
password and database; the instance shows `available` (and its endpoint) only once it accepts
connections; DeleteDBInstance stops it, keeping the data as the final snapshot when one was asked for."""

from __future__ import annotations

import logging
import shutil
import threading

from moto.rds.models import DBInstance, RDSBackend

from emulator.postgres import PostgresServer, choose_version, scram_verifier, server_versions
from emulator.state import LOCK, runtime

log = logging.getLogger("emulator.rds")


class RuntimeDBInstance(DBInstance):
    """A DB instance whose endpoint appears once the database accepts connections, as on AWS."""

    @property
    def endpoint(self):  # type: ignore[override]
        if self.status in ("creating", "failed"):
            return None
        return super().endpoint


class Database:
    """The runtime's record of one instance (what /_local_runtime/status shows)."""

    def __init__(self, instance: DBInstance, server: PostgresServer, note: str) -> None:
        self.identifier = instance.db_instance_identifier
        self.address = instance.address
        self.port = instance.port
        self.requested_version = instance.engine_version
        self.note = note
        self.server = server
        self.status = "creating"
        self.error = ""

    def as_dict(self) -> dict:
        return {
            "identifier": self.identifier,
            "address": self.address,
            "port": self.port,
            "listen": f"{self.server.listen}:{self.port}",
            "socket_dir": str(self.server.socket_dir),
            "requested_version": self.requested_version,
            "version": self.server.version,
            "note": self.note,
            "status": self.status,
            "error": self.error,
        }


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class RuntimeRDSBackend(RDSBackend):
    @property
    def _url_module(self):
        import moto.rds.urls

        return moto.rds.urls

    def _key(self, identifier: str) -> tuple[str, str, str]:
        return (self.account_id, self.region_name, identifier)

    def create_db_instance(self, db_kwargs):
        password = db_kwargs.get("master_user_password") or ""
        instance = super().create_db_instance(db_kwargs)
        if not str(instance.engine).startswith("postgres"):
            return instance  # only PostgreSQL runs for real; other engines stay moto records
        instance.__class__ = RuntimeDBInstance
        instance.status = "creating"
        rt = runtime()
        versions = server_versions()  # runs each server binary once: not twice per instance
        major, note = choose_version(instance.engine_version, versions)
        folder = rt.config.state_dir / f"db-{instance.db_instance_identifier}"
        rt.engine.network()  # the host's address on the network exists once the network does
        server = PostgresServer(folder, versions[major], rt.engine.gateway, int(instance.port))
        database = Database(instance, server, note)
        rt.databases[self._key(instance.db_instance_identifier)] = database
        threading.Thread(
            target=self._provision, args=(instance, database, password), daemon=True, name=f"rds-{database.identifier}"
        ).start()
        return instance

    @staticmethod
    def _provision(instance: DBInstance, database: Database, password: str) -> None:
        user = instance.master_username or "postgres"
        try:
            database.server.start(user)
            statements = [f"ALTER ROLE {_quote_ident(user)} PASSWORD '{scram_verifier(password)}'"]
            if instance.db_name and instance.db_name != "postgres":
                statements.append(f"CREATE DATABASE {_quote_ident(instance.db_name)} OWNER {_quote_ident(user)}")
            database.server.execute(user, statements)
        except Exception as e:  # noqa: BLE001 - shown as a failed instance, with the reason in the status
            log.exception("database %s", database.identifier)
            database.status, database.error = "failed", str(e)[-500:]
            with LOCK:
                instance.status = "failed"
            return
        database.status = "available"
        with LOCK:
            instance.status = "available"

    def delete_db_instance(self, db_instance_identifier, final_db_snapshot_identifier=None, skip_final_snapshot=False,
                           delete_automated_backups=True):  # fmt: skip
        instance = super().delete_db_instance(
            db_instance_identifier, final_db_snapshot_identifier, skip_final_snapshot, delete_automated_backups
        )
        database = runtime().databases.pop(self._key(db_instance_identifier), None)
        if database is not None:
            database.server.stop()
            if final_db_snapshot_identifier and not skip_final_snapshot:
                target = runtime().config.state_dir / "snapshots" / final_db_snapshot_identifier
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.rmtree(target, ignore_errors=True)
                shutil.move(str(database.server.data), str(target))
            database.server.remove()
        return instance

    def stop_all(self) -> None:
        for key in [k for k in runtime().databases if k[:2] == (self.account_id, self.region_name)]:
            runtime().databases.pop(key).server.remove()

    def reset(self) -> None:
        self.stop_all()
        super().reset()
