"""ECS services on the local runtime: a scheduler thread keeps each service's desired count with real tasks,
rolls a new task definition out within minimumHealthyPercent/maximumPercent (new tasks register in the
target group and must turn healthy; replaced ones drain for the deregistration delay and stop with
ServiceSchedulerInitiated), marks the rollout COMPLETED, and runs the deployment circuit breaker (failed
task threshold, FAILED, rollback to the last COMPLETED deployment) with AWS's service events. A registered
Application Auto Scaling target moves the desired count into its min/max when registered or changed."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from moto.moto_api._internal import mock_random

from emulator import lifecycle, rollout
from emulator.state import LOCK

log = logging.getLogger("emulator.services")

TICK = 0.5
FAILED_VISIBLE = 10.0  # seconds a rolled-back FAILED deployment without tasks stays in DescribeServices


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ServiceTask:
    arn: str
    deployment_id: str
    ip: str | None = None
    registered: bool = False
    draining: bool = False  # deregistered by the scheduler (a replaced task): not a failure
    health_stopped: bool = False  # stopped for failing the target group's health checks: a failure
    ever_healthy: bool = False
    running_since: float | None = None


@dataclass
class Deployment:
    id: str
    task_definition: str
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)
    status: str = "PRIMARY"
    rollout_state: str = "IN_PROGRESS"
    rollout_reason: str = ""
    failed_tasks: int = 0
    failed_at: float | None = None  # monotonic time the circuit breaker marked it FAILED
    tasks: dict[str, ServiceTask] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rollout_reason = self.rollout_reason or f"ECS deployment {self.id} in progress."


class ServiceState:
    def __init__(self, service) -> None:
        self.service = service
        self.deployments: list[Deployment] = []  # newest (PRIMARY) first
        self.last_completed: str | None = None  # task definition of the last COMPLETED deployment
        self.unhealthy_reported: set[str] = set()
        self.autoscaling: tuple[int | None, int | None] | None = None  # scalable target bounds last applied

    def new_deployment(self, task_definition: str, reason: str = "") -> Deployment:
        for old in self.deployments:
            old.status = "ACTIVE"
            old.updated_at = _now()
        deployment = Deployment(id=f"ecs-svc/{mock_random.randint(0, 10**19)}", task_definition=task_definition)
        if reason:
            deployment.rollout_reason = reason
        self.deployments.insert(0, deployment)
        return deployment

    def event(self, message: str) -> None:
        self.service.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": _now(), "message": message})
        del self.service.events[100:]


class Scheduler:
    """One thread per ECS backend; every step holds the runtime's lock (moto's models are not thread-safe)."""

    def __init__(self, backend) -> None:
        self.backend = backend
        self.states: dict[str, ServiceState] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True, name=f"ecs-scheduler-{backend.region_name}")
        self.thread.start()

    def _loop(self) -> None:
        while not self.stop.wait(TICK):
            with LOCK:
                for key, state in list(self.states.items()):
                    try:
                        self.reconcile(state)
                    except Exception:  # noqa: BLE001 - one service's bug must not stop the others
                        log.exception("service %s", key)

    # --- API hooks (under the lock) ---------------------------------------------------------------------
    def created(self, service) -> None:
        state = ServiceState(service)
        self.states[f"{service.cluster_name}:{service.name}"] = state
        if service.task_definition:
            state.new_deployment(service.task_definition)
        self.publish(state)

    def updated(self, service, previous_td: str | None, force: bool) -> None:
        state = self.states.get(f"{service.cluster_name}:{service.name}")
        if state is None:
            return
        if service.task_definition != previous_td or force or not state.deployments:
            state.new_deployment(service.task_definition)
        self.publish(state)

    def state_of(self, service) -> ServiceState | None:
        return self.states.get(f"{service.cluster_name}:{service.name}")

    # --- one step ---------------------------------------------------------------------------------------
    def _config(self, service) -> tuple[int, int, bool, bool, int]:
        config = getattr(service, "deployment_configuration", None) or {}
        breaker = config.get("deploymentCircuitBreaker") or {}
        grace = int(getattr(service, "health_check_grace_period_seconds", None) or 0)
        return (
            int(config.get("minimumHealthyPercent", 100)),
            int(config.get("maximumPercent", 200)),
            bool(breaker.get("enable", False)),
            bool(breaker.get("rollback", False)),
            grace,
        )

    def _target(self, service):
        """(elbv2 backend, target group ARN, container port) of the service's first load balancer, or None."""
        for lb in service.load_balancers or []:
            arn = lb.get("targetGroupArn")
            if arn:
                from moto.elbv2.models import elbv2_backends

                elbv2 = elbv2_backends[self.backend.account_id][self.backend.region_name]
                if arn in elbv2.target_groups:
                    return elbv2, arn, int(lb.get("containerPort") or 80)
        return None

    def _scalable_target(self, service) -> tuple[int | None, int | None] | None:
        """(MinCapacity, MaxCapacity) of the service's Application Auto Scaling target, None when none is registered."""
        from moto.applicationautoscaling.models import applicationautoscaling_backends

        backend = applicationautoscaling_backends[self.backend.account_id][self.backend.region_name]
        target = backend.targets.get("ecs:service:DesiredCount", {}).get(
            f"service/{service.cluster_name}/{service.name}"
        )
        if target is None:
            return None
        return target.min_capacity, target.max_capacity

    def _autoscale(self, state: ServiceState) -> None:
        """Keep the desired count within the scalable target's bounds when they are registered or change."""
        service = state.service
        target = self._scalable_target(service)
        new = rollout.autoscaled_desired(int(service.desired_count or 0), target, state.autoscaling)
        state.autoscaling = target
        if new is not None and service.status == "ACTIVE":
            low, high = target
            state.event(
                f"(service {service.name}) desired count set to {new} (was {service.desired_count}) by Application "
                f"Auto Scaling: scalable target service/{service.cluster_name}/{service.name} "
                f"(min {low}, max {high})."
            )
            service.desired_count = new

    def reconcile(self, state: ServiceState) -> None:
        service = state.service
        self._autoscale(state)
        min_pct, max_pct, breaker, rollback, grace = self._config(service)
        target = self._target(service)
        desired = int(service.desired_count or 0) if service.status == "ACTIVE" else 0
        now = time.monotonic()
        tasks = self.backend.tasks.get(service.cluster_name, {})
        # 1. Follow every task: running, registered, healthy, failed, drained.
        for deployment in state.deployments:
            for arn, st in list(deployment.tasks.items()):
                task = tasks.get(arn)
                if task is None:
                    del deployment.tasks[arn]
                    continue
                if task.last_status == "RUNNING" and st.running_since is None:
                    st.running_since = now
                    run = self.backend.runs.get(arn)
                    st.ip = run.ip if run else None
                if st.running_since is not None and target and not st.registered and task.last_status == "RUNNING":
                    elbv2, tg, port = target
                    elbv2.register_targets(tg, [{"Id": st.ip, "Port": port}])
                    st.registered = True
                    state.event(f"(service {service.name}) registered 1 targets in (target-group {tg})")
                health = elbv2_state = None
                if st.registered and target:
                    elbv2_state = target[0].target_state(target[1], st.ip)
                    health = elbv2_state.state if elbv2_state else None
                if health == rollout.HEALTHY or (not target and task.last_status == "RUNNING"):
                    st.ever_healthy = True
                if (
                    health == rollout.UNHEALTHY and not st.draining and not st.health_stopped
                    and st.running_since is not None and now - st.running_since >= grace
                ):  # fmt: skip
                    reason = elbv2_state.health.reason[1] if elbv2_state and elbv2_state.health.reason else ""
                    state.event(
                        f"(service {service.name}) (port {target[2]}) is unhealthy in (target-group {target[1]}) "
                        f"due to (reason {reason})."
                    )
                    st.health_stopped = True
                    self._stop(
                        state, arn, st, target,
                        f"Task failed ELB health checks in (target-group {target[1]})", drain=False,
                    )  # fmt: skip
                    continue
                if st.draining and target and st.registered and not target[0].drained(target[1], st.ip):
                    continue
                if st.draining and task.last_status != "STOPPED" and not getattr(task, "_scheduler_stopped", False):
                    task._scheduler_stopped = True
                    task.stop_code = lifecycle.SCHEDULER_INITIATED
                    self.backend.stop_task(
                        service.cluster_name, arn, f"Scaling activity initiated by (deployment {deployment.id})"
                    )
                    state.event(
                        f"(service {service.name}) has stopped 1 running tasks: (task {arn.rsplit('/', 1)[-1]})."
                    )
                if task.last_status == "STOPPED":
                    if st.registered and target and not st.draining:
                        target[0].deregister_targets(target[1], [{"Id": st.ip, "Port": target[2]}])
                        target[0].drained(target[1], st.ip)
                        target[0].runtime_targets.pop((target[1], st.ip), None)
                    if not st.draining and (st.health_stopped or not st.ever_healthy):
                        deployment.failed_tasks += 1
                        deployment.updated_at = _now()
                    if not st.draining and not st.health_stopped:
                        state.event(
                            f"(service {service.name}) has stopped 1 running tasks: (task {arn.rsplit('/', 1)[-1]})."
                        )
                    del deployment.tasks[arn]
        primary = state.deployments[0] if state.deployments else None
        if primary is None:
            self.publish(state)
            return
        # 2. The circuit breaker (only while the PRIMARY deployment rolls out).
        if (
            breaker and primary.rollout_state == "IN_PROGRESS"
            and primary.failed_tasks >= rollout.failure_threshold(desired)
        ):  # fmt: skip
            primary.rollout_state = "FAILED"
            primary.failed_at = now
            primary.rollout_reason = "ECS deployment circuit breaker: tasks failed to start."
            primary.updated_at = _now()
            state.event(f"(service {service.name}) (deployment {primary.id}) deployment failed: tasks failed to start.")
            if rollback and state.last_completed and state.last_completed != primary.task_definition:
                back = state.new_deployment(state.last_completed)
                back.rollout_reason = f"ECS deployment circuit breaker: rolling back to deploymentId {back.id}."
                service.task_definition = state.last_completed
                state.event(f"(service {service.name}) rolling back to deployment {back.id}.")
                primary = back

        # 3. The rolling update's step.
        def healthy(st: ServiceTask) -> bool:
            return (
                st.ever_healthy
                and not st.draining
                and not st.health_stopped
                and (
                    not target
                    or (target[0].target_state(target[1], st.ip) or rollout.TargetHealth(1, 1)).state == rollout.HEALTHY
                )
            )

        live = [(d, st) for d in state.deployments for st in d.tasks.values()]
        active = [(d, st) for d, st in live if not st.draining and not st.health_stopped]
        old = [(d, st) for d, st in active if d is not primary]
        primary_tasks = [st for d, st in active if d is primary]
        launching = not (primary.rollout_state == "FAILED")
        step = rollout.plan(
            desired, min_pct, max_pct,
            primary=len(primary_tasks), total=len(live),
            healthy=sum(1 for _, st in active if healthy(st)),
            old_healthy=sum(1 for _, st in old if healthy(st)),
            old_unhealthy=sum(1 for _, st in old if not healthy(st)),
            primary_healthy=sum(1 for st in primary_tasks if healthy(st)),
        )  # fmt: skip
        if launching and step.start and service.status == "ACTIVE":
            started = []
            for _ in range(step.start):
                task = self._launch(service, primary)
                if task is not None:
                    started.append(task.task_arn.rsplit("/", 1)[-1])
            if started:
                state.event(f"(service {service.name}) has started {len(started)} tasks: "
                            + " ".join(f"(task {t})" for t in started) + ".")  # fmt: skip
        for st in [st for _, st in old if not healthy(st)]:
            self._stop(
                state, st.arn, st, target, f"Scaling activity initiated by (deployment {primary.id})", drain=True
            )
        budget = step.stop_healthy
        candidates = [st for _, st in old if healthy(st)]
        if len(primary_tasks) > desired:
            candidates += primary_tasks[: len(primary_tasks) - desired]
        for st in candidates[:budget]:
            self._stop(
                state, st.arn, st, target, f"Scaling activity initiated by (deployment {primary.id})", drain=True
            )
        # 4. Completion: every desired PRIMARY task healthy and nothing else left.
        for d in list(state.deployments[1:]):
            # A FAILED deployment stays listed a little while (its reason is what a waiting client reports).
            if not d.tasks and (d.failed_at is None or now - d.failed_at >= FAILED_VISIBLE):
                state.deployments.remove(d)
        if service.status == "DRAINING" and not any(d.tasks for d in state.deployments):
            service.status = "INACTIVE"
        if (
            primary.rollout_state == "IN_PROGRESS" and len(state.deployments) == 1
            and sum(1 for st in primary.tasks.values() if healthy(st)) == desired == len(primary.tasks)
        ):  # fmt: skip
            primary.rollout_state = "COMPLETED"
            primary.rollout_reason = f"ECS deployment {primary.id} completed."
            primary.updated_at = _now()
            state.last_completed = primary.task_definition
            state.event(f"(service {service.name}) (deployment {primary.id}) deployment completed.")
            state.event(f"(service {service.name}) has reached a steady state.")
        self.publish(state)

    def _launch(self, service, deployment: Deployment):
        try:
            (task,) = self.backend.run_task(
                service.cluster_name, deployment.task_definition, 1, None, deployment.id, [], "FARGATE",
                networking_configuration=service.network_configuration or None,
                group=f"service:{service.name}", platform_version=service.platform_version,
            )  # fmt: skip
        except Exception as e:  # noqa: BLE001 - shown as a service event, as ECS does
            deployment.failed_tasks += 1
            self.state_of(service).event(f"(service {service.name}) was unable to place a task. Reason: {e}.")
            return None
        deployment.tasks[task.task_arn] = ServiceTask(task.task_arn, deployment.id)
        return task

    def _stop(self, state: ServiceState, arn: str, st: ServiceTask, target, reason: str, drain: bool) -> None:
        service = state.service
        if drain:
            st.draining = True
            if target and st.registered:
                target[0].deregister_targets(target[1], [{"Id": st.ip, "Port": target[2]}])
                state.event(f"(service {service.name}) has begun draining connections on 1 tasks.")
                state.event(f"(service {service.name}) deregistered 1 targets in (target-group {target[1]})")
            return  # reconcile stops it once drained
        task = self.backend.tasks.get(service.cluster_name, {}).get(arn)
        if task is not None and task.last_status != "STOPPED":
            task._scheduler_stopped = True
            task.stop_code = lifecycle.SCHEDULER_INITIATED
            self.backend.stop_task(service.cluster_name, arn, reason)
            state.event(f"(service {service.name}) has stopped 1 running tasks: (task {arn.rsplit('/', 1)[-1]}).")
        if target and st.registered:
            target[0].runtime_targets.pop((target[1], st.ip), None)
            try:
                target[0].deregister_targets(target[1], [{"Id": st.ip, "Port": target[2]}])
            except Exception as e:  # noqa: BLE001 - gone already
                log.debug("deregister %s: %s", st.ip, e)
            target[0].runtime_targets.pop((target[1], st.ip), None)
            st.registered = False

    # --- what DescribeServices shows ----------------------------------------------------------------------
    def publish(self, state: ServiceState) -> None:
        service = state.service
        tasks = self.backend.tasks.get(service.cluster_name, {})
        rows = []
        running_total = pending_total = 0
        for d in state.deployments:
            statuses = [tasks[a].last_status for a in d.tasks if a in tasks]
            running = sum(1 for s in statuses if s == "RUNNING")
            pending = sum(1 for s in statuses if s in ("PROVISIONING", "PENDING", "ACTIVATING"))
            running_total, pending_total = running_total + running, pending_total + pending
            rows.append({
                "id": d.id, "status": d.status, "taskDefinition": d.task_definition,
                "desiredCount": int(service.desired_count or 0) if d is state.deployments[0] else 0,
                "pendingCount": pending, "runningCount": running, "failedTasks": d.failed_tasks,
                "createdAt": d.created_at, "updatedAt": d.updated_at, "launchType": service.launch_type,
                "platformVersion": service.platform_version or "LATEST", "platformFamily": "Linux",
                "networkConfiguration": service.network_configuration or None,
                "rolloutState": d.rollout_state, "rolloutStateReason": d.rollout_reason,
            })  # fmt: skip
        service.deployments = rows
        service.running_count, service.pending_count = running_total, pending_total
