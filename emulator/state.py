"""The runtime's process-wide state: one lock shared with request handling, and the runtime itself."""

from __future__ import annotations

import ipaddress
import threading

# moto's models are not thread-safe: every AWS request and every change the runtime's threads make
# to moto's objects (task status, log events) holds this lock.
LOCK = threading.RLock()

_RUNTIME = None


class Runtime:
    """What the backends share: the config, the Docker engine, addresses, and the running databases."""

    def __init__(self, config, engine) -> None:
        self.config, self.engine = config, engine
        self.databases: dict[tuple[str, str, str], object] = {}  # (account, region, id) -> PostgresInstance
        self._used_ips: set[str] = set()
        self._ip_lock = threading.Lock()
        self.proxies = None  # emulator.proxy.Proxies: the load balancers' listeners on loopback

    def allocate_ip(self) -> str:
        """A free address on the emulator's network (.1 is the host; tasks take .10 and up)."""
        hosts = list(ipaddress.ip_network(self.config.subnet).hosts())
        with self._ip_lock:
            for candidate in hosts[9:]:
                if str(candidate) not in self._used_ips:
                    self._used_ips.add(str(candidate))
                    return str(candidate)
        raise RuntimeError(f"no free address left in {self.config.subnet}")

    def release_ip(self, ip: str) -> None:
        with self._ip_lock:
            self._used_ips.discard(ip)

    def extra_hosts(self) -> dict[str, str]:
        """RDS endpoint names -> the host's address on the network, where each database listens."""
        return {db.address: self.engine.gateway for db in list(self.databases.values())}


def install(runtime_: Runtime) -> None:
    global _RUNTIME
    _RUNTIME = runtime_


def runtime() -> Runtime:
    if _RUNTIME is None:
        raise RuntimeError("the local runtime is not installed (emulator.server installs it)")
    return _RUNTIME
