"""Remove what the runtime of the emulator on PORT left behind (after a SIGKILL, or from `make down`):
its labelled containers and network, and its databases. Usage: python -m emulator.cleanup PORT"""

from __future__ import annotations

import shutil
import sys

from emulator import config as config_module
from emulator.docker_engine import Engine
from emulator.postgres import PostgresServer


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
        for folder in cfg.state_dir.glob("db-*"):
            server = PostgresServer.left_in(folder)
            if server is not None and (server.data / "postmaster.pid").exists():
                server.stop(mode="immediate")
                databases += 1
        shutil.rmtree(cfg.state_dir, ignore_errors=True)
    if removed or databases:
        print(
            f"cleanup: removed {removed} container(s) and stopped {databases} database(s) of emulator port {port}",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
