"""Remove what the runtime of the emulator on PORT left behind (after a SIGKILL, or from `make down`):
its labelled containers and network, and its databases. Usage: python -m emulator.cleanup PORT"""

from __future__ import annotations

import shutil
import subprocess
import sys

from emulator import config as config_module
from emulator.docker_engine import Engine


def main() -> None:
    port = int(sys.argv[1])
    cfg = config_module.load("127.0.0.1", port)
    removed = 0
    try:
        removed = Engine(cfg).cleanup()
    except Exception as e:  # noqa: BLE001 - no Docker engine: nothing of ours can run there
        print(
            f"cleanup: Docker engine not reachable ({e.__class__.__name__}); no containers to remove", file=sys.stderr
        )
    databases = 0
    if cfg.state_dir.exists():
        for data in cfg.state_dir.glob("db-*/data"):
            if (data / "postmaster.pid").exists():
                pg_ctl = shutil.which("pg_ctl") or next(
                    iter(sorted(__import__("glob").glob("/usr/lib/postgresql/*/bin/pg_ctl"))), None
                )
                if pg_ctl:
                    prefix = ["runuser", "-u", "postgres", "--"] if __import__("os").geteuid() == 0 else []
                    subprocess.run(
                        [*prefix, pg_ctl, "stop", "-D", str(data), "-m", "immediate"], capture_output=True, check=False
                    )
                    databases += 1
        shutil.rmtree(cfg.state_dir, ignore_errors=True)
    if removed or databases:
        print(
            f"cleanup: removed {removed} container(s) and stopped {databases} database(s) of emulator port {port}",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
