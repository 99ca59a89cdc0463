"""ECS with a runtime: RunTask starts the task definition's containers on the local Docker engine,
DescribeTasks reports what really happened (lifecycle, exit codes, stop codes, the task's IP), StopTask
stops them, and container output reaches CloudWatch Logs live in the awslogs stream."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from moto.ecs.models import EC2ContainerServiceBackend, Task
from moto.logs.models import logs_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.ssm.models import ssm_backends

from emulator import lifecycle, secrets
from emulator.docker_engine import PullError
from emulator.services import Scheduler
from emulator.state import LOCK, runtime

log = logging.getLogger("emulator.ecs")


def _now() -> datetime:
    return datetime.now(UTC)


class RuntimeContainer:
    """A task's container as DescribeTasks shows it (attribute names are the API's, snake_cased)."""

    def __init__(self, task: Task, container_def: dict) -> None:
        self.container_arn = f"{task.task_arn.replace(':task/', ':container/')}/{container_def['name']}"
        self.task_arn = task.task_arn
        self.name = container_def["name"]
        self.image = container_def.get("image")
        self.last_status = "PENDING"
        self.network_interfaces: list[dict] = []
        self.health_status = "UNKNOWN"
        self.cpu = str(container_def.get("cpu", 0))
        if container_def.get("memory"):
            self.memory = str(container_def["memory"])
        self.essential = container_def.get("essential", True)
        # exit_code, reason, image_digest, runtime_id appear once known, as on AWS.


class TaskRun:
    """Runs one task in a thread: secrets -> image pull -> containers -> wait -> logs -> STOPPED."""

    def __init__(self, backend: RuntimeECSBackend, task: Task, task_definition, ip: str) -> None:
        self.backend, self.task, self.ip = backend, task, ip
        self.definition = task_definition
        self.task_id = task.task_arn.rsplit("/", 1)[-1]
        self.stop_requested = threading.Event()
        self.stop_timeout_override: int | None = None
        self.docker_containers: dict[str, object] = {}
        self.pause = None
        self.log_threads: list[threading.Thread] = []
        self.thread = threading.Thread(target=self._run, name=f"task-{self.task_id[:8]}", daemon=True)

    # --- state (under the request lock) -----------------------------------------------------------------
    def _set(self, **attrs) -> None:
        with LOCK:
            for key, value in attrs.items():
                setattr(self.task, key, value)

    def _stopped(self, stop_code: str, reason: str) -> None:
        self._teardown()  # DEPROVISIONING: the containers are gone before the task shows STOPPED
        now = _now()
        with LOCK:
            if not getattr(self.task, "stop_code", None):
                self.task.stop_code = stop_code
            if not self.task.stopped_reason:
                self.task.stopped_reason = reason
            self.task.desired_status = "STOPPED"
            for status in lifecycle.STOPPING[:-1]:
                self.task.last_status = status
            self.task.stopping_at = getattr(self.task, "stopping_at", None) or now
            self.task.execution_stopped_at = now
            self.task.stopped_at = now
            for container in self.task.containers:
                container.last_status = "STOPPED"
            for attachment in self.task.attachments:
                attachment["status"] = "DELETED"
            self.task.last_status = "STOPPED"

    # --- the run ----------------------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            self._run_inner()
        except Exception as e:  # noqa: BLE001 - a runtime bug must stop the task visibly, not hang it
            log.exception("task %s", self.task_id)
            self._stopped(lifecycle.FAILED_TO_START, f"Runtime error: {e}")
        finally:
            self._teardown()

    def _run_inner(self) -> None:
        definition = self.definition
        container_defs = definition.container_definitions
        region = self.backend.region_name
        account = self.backend.account_id
        self._set(last_status="PENDING")
        # Secrets first (ECS resolves them before pulling): a missing key never starts a container.
        try:
            secret_values = {
                c["name"]: secrets.resolve(c.get("secrets") or [], self._secret_reader(account, region),
                                           self._parameter_reader(account, region))
                for c in container_defs
            }  # fmt: skip
        except secrets.ResourceInitializationError as e:
            self._stopped(lifecycle.FAILED_TO_START, f"ResourceInitializationError: {e}")
            return
        logs_config = {c["name"]: lifecycle.awslogs(c, region) for c in container_defs}
        for name, config in logs_config.items():
            if config and not self._log_group_ready(account, config):
                self._stopped(
                    lifecycle.FAILED_TO_START,
                    "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 "
                    f"times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log "
                    f"group does not exist. (container {name}, log group {config['group']})",
                )
                return
        engine = runtime().engine
        self._set(pull_started_at=_now())
        digests = {}
        for c in container_defs:
            if self.stop_requested.is_set():
                self._stopped(lifecycle.USER_INITIATED, self.task.stopped_reason or "Task stopped by user")
                return
            try:
                digests[c["name"]] = engine.pull(c["image"])
            except PullError as e:
                self._stopped(lifecycle.FAILED_TO_START, str(e))
                return
        self._set(pull_stopped_at=_now())
        self._set(last_status="ACTIVATING")
        hosts = runtime().extra_hosts()
        labels = {"django-ecs.task": self.task.task_arn, "django-ecs.cluster": self.task.cluster_name}
        self.pause = engine.run_pause(container_defs[0]["image"], f"{self._prefix()}-pause", labels, hosts, self.ip)
        platform_env = {
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_EXECUTION_ENV": "AWS_ECS_FARGATE",
            # The emulator stands in for AWS's endpoints and for the task role's credentials.
            "AWS_ENDPOINT_URL": f"http://{engine.gateway}:{runtime().config.port}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
        task_def = {"cpu": definition.cpu, "memory": definition.memory}
        overrides = self.task.overrides or {}
        for c in container_defs:
            override = lifecycle.container_override(overrides, c["name"])
            self.docker_containers[c["name"]] = engine.create(
                image=c["image"],
                name=f"{self._prefix()}-{c['name']}",
                labels={**labels, "django-ecs.container": c["name"]},
                pause=self.pause,
                env=lifecycle.environment(c, secret_values[c["name"]], override, platform_env),
                command=lifecycle.command(c, override),
                entrypoint=c.get("entryPoint"),
                memory_mib=lifecycle.memory_mib(task_def, c, override),
                nano_cpus=lifecycle.nano_cpus(task_def, c, override),
                user=c.get("user"),
                workdir=c.get("workingDirectory"),
                read_only=c.get("readonlyRootFilesystem"),
                init=(c.get("linuxParameters") or {}).get("initProcessEnabled", False),
            )
        for c in container_defs:
            docker_container = self.docker_containers[c["name"]]
            docker_container.start()
            config = logs_config[c["name"]]
            if config:
                thread = threading.Thread(
                    target=self._pump_logs, args=(docker_container, account, config, c["name"]), daemon=True
                )
                thread.start()
                self.log_threads.append(thread)
        now = _now()
        with LOCK:
            attachment_id = self.task.attachments[0]["id"] if self.task.attachments else None
            for container in self.task.containers:
                docker_container = self.docker_containers[container.name]
                container.last_status = "RUNNING"
                container.runtime_id = docker_container.id
                container.image_digest = digests.get(container.name)
                container.network_interfaces = [{"attachment_id": attachment_id, "private_ipv4_address": self.ip}]
            self.task.connectivity = "CONNECTED"
            self.task.connectivity_at = now
            self.task.started_at = now
            self.task.last_status = "RUNNING"
        self._wait(container_defs)

    def _wait(self, container_defs: list[dict]) -> None:
        essential = {c["name"]: c.get("essential", True) for c in container_defs}
        timeouts = {c["name"]: lifecycle.stop_timeout(c) for c in container_defs}
        exited: dict[str, dict] = {}
        stopping_started = False
        while len(exited) < len(container_defs):
            for name, docker_container in self.docker_containers.items():
                if name in exited:
                    continue
                try:
                    docker_container.reload()
                except Exception:  # noqa: BLE001 - removed behind our back: treat as killed
                    exited[name] = {"exit_code": 137, "oom": False}
                    continue
                state = docker_container.attrs["State"]
                if state.get("Status") in ("exited", "dead"):
                    exited[name] = {"exit_code": state.get("ExitCode"), "oom": state.get("OOMKilled", False)}
            reason = lifecycle.essential_stop(
                [
                    {"name": n, "essential": essential[n], "exit_code": exited.get(n, {}).get("exit_code")}
                    for n in essential
                ]
            )
            if not stopping_started and (reason or self.stop_requested.is_set()):
                stopping_started = True
                with LOCK:
                    if not getattr(self.task, "stop_code", None):
                        self.task.stop_code = (
                            lifecycle.USER_INITIATED if self.stop_requested.is_set() else lifecycle.ESSENTIAL_EXITED
                        )
                    if not self.task.stopped_reason:
                        self.task.stopped_reason = reason or "Task stopped by user"
                    self.task.desired_status = "STOPPED"
                    self.task.stopping_at = _now()
                    self.task.last_status = "DEACTIVATING"
                for name, docker_container in self.docker_containers.items():
                    if name not in exited:
                        threading.Thread(
                            target=self._stop_container,
                            args=(docker_container, self.stop_timeout_override or timeouts[name]),
                            daemon=True,
                        ).start()
            time.sleep(0.2)
        # Logs complete before the task shows STOPPED: readers then see the last lines.
        for thread in self.log_threads:
            thread.join(timeout=10)
        with LOCK:
            for container in self.task.containers:
                result = exited.get(container.name, {})
                container.exit_code = result.get("exit_code")
                reason = lifecycle.exit_reason(result.get("exit_code"), result.get("oom"))
                if reason:
                    container.reason = reason
        self._stopped(
            getattr(self.task, "stop_code", None) or lifecycle.ESSENTIAL_EXITED, "Essential container in task exited"
        )

    @staticmethod
    def _stop_container(docker_container, timeout: int) -> None:
        try:
            docker_container.stop(timeout=timeout)  # SIGTERM, then SIGKILL after the timeout
        except Exception as e:  # noqa: BLE001
            log.debug("stop %s: %s", docker_container.name, e)

    def _pump_logs(self, docker_container, account: str, config: dict, container_name: str) -> None:
        backend = logs_backends[account][config["region"]]
        stream = lifecycle.stream_name(config["prefix"], container_name, self.task_id)
        with LOCK:
            try:
                backend.create_log_stream(config["group"], stream)
            except Exception as e:  # noqa: BLE001 - exists already (a second run of the same task id cannot happen)
                log.debug("log stream %s: %s", stream, e)
        batch: list[dict] = []
        last_flush = time.monotonic()

        def flush() -> None:
            nonlocal batch, last_flush
            if batch:
                with LOCK:
                    backend.put_log_events(config["group"], stream, sorted(batch, key=lambda e: e["timestamp"]))
                batch = []
            last_flush = time.monotonic()

        buffer = b""
        for chunk in docker_container.logs(stream=True, follow=True, timestamps=True, stdout=True, stderr=True):
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                timestamp, message = lifecycle.parse_log_line(line)
                batch.append({"timestamp": timestamp, "message": message})
            if len(batch) >= 500 or time.monotonic() - last_flush > 0.5:
                flush()
        if buffer.strip():
            timestamp, message = lifecycle.parse_log_line(buffer)
            batch.append({"timestamp": timestamp, "message": message})
        flush()

    def _teardown(self) -> None:
        engine = runtime().engine
        for docker_container in self.docker_containers.values():
            engine.remove(docker_container)
        if self.pause is not None:
            engine.remove(self.pause)
        self.docker_containers, self.pause = {}, None
        runtime().release_ip(self.ip)

    # --- readers ----------------------------------------------------------------------------------------
    @staticmethod
    def _secret_reader(account: str, default_region: str):
        def read(secret_id: str, version_id: str, version_stage: str) -> str:
            region = secret_id.split(":")[3] if secret_id.startswith("arn:") else default_region
            backend = secretsmanager_backends[account][region]
            with LOCK:
                try:
                    value = backend.get_secret_value(secret_id, version_id or None, version_stage or None)
                except Exception as e:  # noqa: BLE001 - moto's not-found and deleted-secret errors
                    raise KeyError(getattr(e, "message", None) or str(e)) from None
            if "SecretString" not in value:
                raise KeyError("the secret has no SecretString")
            return value["SecretString"]

        return read

    @staticmethod
    def _parameter_reader(account: str, default_region: str):
        def read(name: str) -> str | None:
            region = name.split(":")[3] if name.startswith("arn:") else default_region
            with LOCK:
                try:
                    parameter = ssm_backends[account][region].get_parameter(name)
                except Exception:  # noqa: BLE001
                    return None
            return (
                parameter.decrypt(parameter.value) if parameter is not None else None
            )  # SecureString: as ECS decrypts it

        return read

    @staticmethod
    def _log_group_ready(account: str, config: dict) -> bool:
        backend = logs_backends[account][config["region"]]
        with LOCK:
            if config["group"] in backend.groups:
                return True
            if config["create_group"]:
                backend.create_log_group(config["group"], {})
                return True
        return False

    def _prefix(self) -> str:
        return f"django-ecs-{runtime().config.port}-{self.task_id[:12]}"


class RuntimeECSBackend(EC2ContainerServiceBackend):
    """moto's ECS backend whose Fargate tasks really run."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.runs: dict[str, TaskRun] = {}
        self.scheduler: Scheduler | None = None

    # --- task definitions --------------------------------------------------------------------------------
    def describe_task_definition(self, task_definition_str: str):
        """A bare family names its latest ACTIVE revision, as on AWS (moto returns the highest, even INACTIVE)."""
        name = task_definition_str.split("/")[-1]
        if ":" not in name and name in self.task_definitions:
            active = [r for r, d in self.task_definitions[name].items() if d.status == "ACTIVE"]
            if active:
                return self.task_definitions[name][max(active)]
        return super().describe_task_definition(task_definition_str)

    # --- services ----------------------------------------------------------------------------------------
    def _scheduler(self) -> Scheduler:
        if self.scheduler is None:
            self.scheduler = Scheduler(self)
        return self.scheduler

    def create_service(self, cluster_str, service_name, desired_count, task_definition_str=None, *args, **kwargs):
        service = super().create_service(cluster_str, service_name, desired_count, task_definition_str, *args, **kwargs)
        if service.task_definition:
            service.task_definition = self.describe_task_definition(service.task_definition).arn
        service.running_count = service.pending_count = 0
        self._scheduler().created(service)
        return service

    def update_service(self, service_properties: dict):
        cluster = service_properties.get("cluster", "default")
        name = service_properties.get("service", "").split("/")[-1]
        force = bool(service_properties.get("force_new_deployment"))
        previous = self._get_service(cluster, name).task_definition
        service = super().update_service(service_properties)
        if service.task_definition:
            service.task_definition = self.describe_task_definition(service.task_definition).arn
        self._scheduler().updated(service, previous, force)
        return service

    def delete_service(self, cluster_name: str, service_name: str, force: bool):
        service = super().delete_service(cluster_name, service_name, force)
        service.desired_count = 0
        state = self.scheduler.state_of(service) if self.scheduler else None
        if state is not None and any(d.tasks for d in state.deployments):
            service.status = "DRAINING"  # as on AWS: INACTIVE once the scheduler has stopped every task
        return service

    def list_tasks(self, cluster_str=None, container_instance=None, family=None, started_by=None,
                   service_name=None, desiredStatus=None):  # noqa: N803 - moto's parameter name  # fmt: skip
        tasks = super().list_tasks(cluster_str, container_instance, family, started_by, None, desiredStatus)
        if service_name:
            tasks = [t for t in tasks if t.group == f"service:{service_name.split('/')[-1]}"]
        return tasks

    @property
    def _url_module(self):  # moto derives the URL module from the class's module (see local-runtime.md)
        import moto.ecs.urls

        return moto.ecs.urls

    def run_task(self, cluster_str, task_definition_str, count, overrides, started_by, tags, launch_type,
                 networking_configuration=None, group=None, platform_version=None,
                 capacity_provider_strategy=None):  # fmt: skip
        tasks = super().run_task(
            cluster_str, task_definition_str, count, overrides, started_by, tags, launch_type,
            networking_configuration, group, platform_version, capacity_provider_strategy,
        )  # fmt: skip
        for task in tasks:
            definition = self.describe_task_definition(task.task_definition_arn)
            task._transitions = []  # the runtime, not moto's state manager, moves the status
            task.last_status = "PROVISIONING"
            task.created_at = _now()
            task.containers = [RuntimeContainer(task, c) for c in definition.container_definitions]
            task.cpu, task.memory = definition.cpu, definition.memory
            ip = runtime().allocate_ip()
            for attachment in task.attachments:
                for detail in attachment["details"]:
                    if detail["name"] == "privateIPv4Address":
                        detail["value"] = ip
                attachment["status"] = "PRECREATED"
            run = TaskRun(self, task, definition, ip)
            self.runs[task.task_arn] = run
            run.thread.start()
        return tasks

    def _calculate_task_resource_requirements(self, task_definition):
        # Fargate takes task-level cpu/memory alone; moto adds container memory and fails on None.
        if task_definition.requires_compatibilities and "FARGATE" in task_definition.requires_compatibilities:
            return {
                "CPU": int(task_definition.cpu or 0),
                "MEMORY": int(task_definition.memory or 0),
                "PORTS": [],
                "PORTS_UDP": [],
            }
        return super()._calculate_task_resource_requirements(task_definition)

    def stop_task(self, cluster_str: str, task_str: str, reason: str) -> Task:
        cluster = self._get_cluster(cluster_str)
        task_id = task_str.split("/")[-1]
        for arn, task in self.tasks.get(cluster.name, {}).items():
            if arn.endswith(task_id) and arn in self.runs:
                run = self.runs[arn]
                if task.last_status != "STOPPED":
                    task.desired_status = "STOPPED"
                    if not getattr(task, "stop_code", None):
                        task.stop_code = lifecycle.USER_INITIATED
                    task.stopped_reason = task.stopped_reason or reason or "Task stopped by user"
                    run.stop_requested.set()
                return task
        return super().stop_task(cluster_str, task_str, reason)

    def stop_all(self) -> None:
        """Stop every task now (a reset or the emulator's shutdown): its containers go at once."""
        if self.scheduler is not None:  # first, or it would replace the tasks
            self.scheduler.stop.set()
            self.scheduler = None
        engine = runtime().engine
        for run in self.runs.values():
            run.stop_requested.set()
            run.stop_timeout_override = 0
            for docker_container in list(run.docker_containers.values()) + ([run.pause] if run.pause else []):
                engine.remove(docker_container)

    def reset(self) -> None:
        self.stop_all()
        super().reset()
