"""A real PostgreSQL server standing in for one RDS instance: the host's server binaries, its own data
folder, listening on the host's address on the emulator's network (where tasks reach it) and on a
socket in the state folder (where the runtime and tests reach it). No password is ever written to a
file or sent in plain text: the role gets a SCRAM verifier computed here."""

from __future__ import annotations

import base64
import glob
import hashlib
import hmac
import logging
import os
import re
import shutil
import subprocess
from pathlib import Path

log = logging.getLogger("emulator.postgres")


def server_versions() -> dict[int, Path]:
    """Major version -> bin folder of the PostgreSQL servers on this machine."""
    found: dict[int, Path] = {}
    candidates = glob.glob("/usr/lib/postgresql/*/bin/postgres") + glob.glob("/usr/local/pgsql/bin/postgres")
    on_path = shutil.which("postgres")
    if on_path:
        candidates.append(os.path.realpath(on_path))
    for binary in candidates:
        try:
            out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
        except (OSError, subprocess.CalledProcessError):
            continue
        match = re.search(r"(\d+)\.(\d+)", out)
        if match:
            found.setdefault(int(match.group(1)), Path(binary).parent)
    return found


def choose_version(requested: str | None, available: dict[int, Path]) -> tuple[int, str]:
    """The major to run for an RDS EngineVersion ("16", "16.4"), and a note when it differs."""
    if not available:
        raise RuntimeError("no PostgreSQL server binaries on this machine (Debian: apt-get install postgresql)")
    try:
        major = int(str(requested or "").split(".")[0])
    except ValueError:
        major = None
    if major in available:
        return major, ""
    chosen = max(available)
    return chosen, f"requested {requested or 'default'}; PostgreSQL {major} is not on this machine, running {chosen}"


def scram_verifier(password: str, salt: bytes | None = None, iterations: int = 4096) -> str:
    """PostgreSQL's SCRAM-SHA-256 password verifier (RFC 5802/7677), as `ALTER ROLE ... PASSWORD` takes it."""
    salt = salt if salt is not None else os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


class PostgresServer:
    def __init__(self, folder: Path, bin_dir: Path, listen: str, port: int) -> None:
        self.folder, self.bin_dir, self.listen, self.port = folder, bin_dir, listen, port
        self.data = folder / "data"
        self.socket_dir = folder / "socket"
        self.logfile = folder / "postgres.log"
        self.version = ""

    def _as_owner(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self._as_owner(), *args], capture_output=True, text=True, timeout=120)

    def start(self, superuser: str) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            subprocess.run(["id", "postgres"], capture_output=True, check=False).returncode == 0 or subprocess.run(
                ["useradd", "--system", "--home-dir", "/var/lib/postgresql", "--shell", "/bin/false", "postgres"],
                check=True,
            )
            shutil.chown(self.folder, "postgres")
            shutil.chown(self.socket_dir, "postgres")
        os.chmod(self.folder, 0o700)
        if not (self.data / "PG_VERSION").exists():
            # Local connections (the runtime, on its private socket) trust; network ones need the password.
            done = self._run(
                str(self.bin_dir / "initdb"), "-D", str(self.data), "-U", superuser, "-E", "UTF8",
                "--auth-local=trust", "--auth-host=scram-sha-256", "--no-instructions",
            )  # fmt: skip
            if done.returncode:
                raise RuntimeError(f"initdb failed: {done.stderr.strip()[-500:]}")
            with open(self.data / "pg_hba.conf", "a") as hba:  # the emulator's network, password required
                hba.write("host all all 0.0.0.0/0 scram-sha-256\n")
        options = (
            f"-c listen_addresses={self.listen} -p {self.port} -k {self.socket_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        done = self._run(
            str(self.bin_dir / "pg_ctl"), "start", "-D", str(self.data), "-l", str(self.logfile), "-o", options,
            "-w", "-t", "60",
        )  # fmt: skip
        if done.returncode:
            tail = self.logfile.read_text(errors="replace")[-800:] if self.logfile.exists() else done.stderr
            raise RuntimeError(f"PostgreSQL did not start: {tail.strip()}")
        self.version = (self.data / "PG_VERSION").read_text().strip()

    def execute(self, user: str, statements: list[str], dbname: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(
            host=str(self.socket_dir), port=self.port, user=user, dbname=dbname, autocommit=True
        ) as conn:
            for statement in statements:
                conn.execute(statement)
            row = conn.execute("SHOW server_version").fetchone()
            self.version = row[0].split(" ")[0]

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "30")

    @classmethod
    def left_in(cls, folder: Path) -> PostgresServer | None:
        """The server whose data folder is ``folder``/data, to stop it after its emulator died; None if none."""
        version = folder / "data" / "PG_VERSION"
        if not version.exists():
            return None
        bin_dir = server_versions().get(int(version.read_text().strip().split(".")[0]))
        return cls(folder, bin_dir, "", 0) if bin_dir else None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
