"""ELBv2 with a runtime: registered `ip` targets are health-checked for real (path, port, interval,
timeout, thresholds, matcher of the target group), DescribeTargetHealth reports AWS's states and reasons,
deregistered targets drain for the deregistration delay, and every listener answers on loopback at
``http://<lb-name>.localhost:<20000 + (emulator port % 1000) x 10 + listener offset>`` (emulator/proxy.py)."""

from __future__ import annotations

import http.client
import logging
import threading
import time

from moto.elbv2.models import ELBv2Backend, FakeHealthStatus

from emulator import rollout
from emulator.state import LOCK, runtime

log = logging.getLogger("emulator.elbv2")


def listener_offset(port: int) -> int:
    """HTTP :80 -> +0, HTTPS :443 -> +1, any other listener port -> +2 + (port % 8)."""
    return {80: 0, 443: 1}.get(int(port), 2 + int(port) % 8)


def proxy_port(emulator_port: int, listener_port: int) -> int:
    return 20000 + (emulator_port % 1000) * 10 + listener_offset(listener_port)


class Target:
    """A registered target: its health from real checks, then draining until the deregistration delay passes."""

    def __init__(self, group, target_id: str, port: int) -> None:
        self.group_arn, self.id, self.port = group.arn, target_id, int(port)
        self.health = rollout.TargetHealth(int(group.healthy_threshold_count), int(group.unhealthy_threshold_count))
        self.drain_until: float | None = None
        self.stop = threading.Event()

    @property
    def state(self) -> str:
        return self.health.state


class RuntimeELBv2Backend(ELBv2Backend):
    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.runtime_targets: dict[tuple[str, str], Target] = {}
        self._rr: dict[str, int] = {}

    @property
    def _url_module(self):  # see emulator/ecs.py
        import moto.elbv2.urls

        return moto.elbv2.urls

    # --- targets ---------------------------------------------------------------------------------------
    def register_targets(self, target_group_arn: str, instances: list[dict]) -> None:
        super().register_targets(target_group_arn, instances)
        group = self.target_groups[target_group_arn]
        for item in instances:
            key = (target_group_arn, item["Id"])
            old = self.runtime_targets.get(key)
            if old is not None and old.state != rollout.DRAINING:
                continue
            if old is not None:
                old.stop.set()
            target = Target(group, item["Id"], item.get("Port") or group.port)
            self.runtime_targets[key] = target
            threading.Thread(target=self._check_loop, args=(target,), daemon=True, name=f"hc-{item['Id']}").start()

    def deregister_targets(self, target_group_arn: str, instances: list[dict]) -> None:
        super().deregister_targets(target_group_arn, instances)
        group = self.target_groups[target_group_arn]
        delay = int(group.attributes.get("deregistration_delay.timeout_seconds", 300))
        for item in instances:
            target = self.runtime_targets.get((target_group_arn, item["Id"]))
            if target is not None:
                target.health.drain()
                target.stop.set()  # ALB stops health-checking a draining target
                target.drain_until = time.monotonic() + delay

    def drained(self, target_group_arn: str, target_id: str) -> bool:
        """True once a deregistered target's delay has passed (then it is forgotten)."""
        target = self.runtime_targets.get((target_group_arn, target_id))
        if target is None:
            return True
        if target.drain_until is not None and time.monotonic() >= target.drain_until:
            del self.runtime_targets[(target_group_arn, target_id)]
            return True
        return False

    def target_state(self, target_group_arn: str, target_id: str) -> Target | None:
        return self.runtime_targets.get((target_group_arn, target_id))

    def describe_target_health(self, target_group_arn: str, targets: list[dict]) -> list[FakeHealthStatus]:
        result = super().describe_target_health(target_group_arn, targets)
        group = self.target_groups[target_group_arn]
        if not targets:  # draining targets are listed too, as on AWS
            for (arn, target_id), target in self.runtime_targets.items():
                if arn == target_group_arn and target.state == rollout.DRAINING:
                    result.append(FakeHealthStatus(target_id, target.port, group.health_check_port, "draining"))
        out = []
        for status in result:
            target = self.runtime_targets.get((target_group_arn, status.instance_id))
            if target is not None and (target.state != rollout.DRAINING or status.status in ("draining", "healthy")):
                reason = target.health.reason
                status = FakeHealthStatus(
                    target.id, target.port, group.health_check_port, target.state,
                    reason[0] if reason else None, reason[1] if reason else None,
                )  # fmt: skip
            out.append(status)
        return out

    # --- health checks ---------------------------------------------------------------------------------
    def _check_loop(self, target: Target) -> None:
        while not target.stop.is_set():
            with LOCK:
                group = self.target_groups.get(target.group_arn)
                if group is None:
                    return
                path = group.health_check_path or "/"
                port = (
                    target.port if group.health_check_port in (None, "traffic-port") else int(group.health_check_port)
                )
                timeout = float(group.health_check_timeout_seconds)
                interval = float(group.health_check_interval_seconds)
                matcher = (group.matcher or {}).get("HttpCode", "200")
            status, timed_out = _probe(target.id, port, path, timeout)
            passed, reason = rollout.check_outcome(status, timed_out, matcher)
            with LOCK:
                if not target.stop.is_set():
                    target.health.record(passed, reason)
            target.stop.wait(interval)

    # --- the load balancer's data plane ----------------------------------------------------------------
    def route(self, lb_name: str | None, listener_offset_: int):
        """(listener, target group, healthy targets) for a request, or None when no listener matches."""
        lbs = [lb for lb in self.load_balancers.values() if lb_name is None or lb.name == lb_name]
        for lb in lbs:
            for listener in lb.listeners.values():
                if listener_offset(listener.port) != listener_offset_:
                    continue
                return listener
        return None

    def healthy_targets(self, target_group_arn: str) -> list[Target]:
        return [
            t for (arn, _), t in self.runtime_targets.items() if arn == target_group_arn and t.state == rollout.HEALTHY
        ]

    def next_target(self, target_group_arn: str) -> Target | None:
        """Round robin over the healthy targets."""
        healthy = self.healthy_targets(target_group_arn)
        if not healthy:
            return None
        index = self._rr.get(target_group_arn, 0)
        self._rr[target_group_arn] = index + 1
        return healthy[index % len(healthy)]

    def stop_all(self) -> None:
        for target in self.runtime_targets.values():
            target.stop.set()
        self.runtime_targets.clear()

    def create_listener(self, *args, **kwargs):
        listener = super().create_listener(*args, **kwargs)
        runtime().proxies.ensure(proxy_port(runtime().config.port, listener.port))
        return listener

    def reset(self) -> None:
        self.stop_all()
        if runtime().proxies is not None:
            runtime().proxies.stop_all()
        super().reset()


def _probe(ip: str, port: int, path: str, timeout: float) -> tuple[int | None, bool]:
    """GET ``path`` on the target as an ALB health check does (Host: the target's address)."""
    connection = http.client.HTTPConnection(ip, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": f"{ip}:{port}", "User-Agent": "ELB-HealthChecker/2.0"})
        return connection.getresponse().status, False
    except TimeoutError:
        return None, True
    except OSError:
        return None, False
    finally:
        connection.close()
