"""The runtime leans on moto internals (local-runtime.md). These checks fail loudly on a moto upgrade
that moves them, before the runtime silently stops running anything."""

from __future__ import annotations

import inspect
from importlib.metadata import version

from moto.core.base_backend import BackendDict, BaseBackend
from moto.ecs.models import EC2ContainerServiceBackend, Task, ecs_backends
from moto.logs.models import LogsBackend
from moto.rds.models import DBInstance, RDSBackend, rds_backends
from moto.secretsmanager.models import SecretsManagerBackend
from moto.ssm.models import Parameter

from emulator.ecs import RuntimeECSBackend
from emulator.rds import RuntimeRDSBackend

PINNED = "5.2.5"


def test_moto_is_the_version_the_runtime_was_written_against():
    assert version("moto") == PINNED, (
        f"moto {version('moto')} is installed, the runtime was checked against {PINNED}: re-read emulator/ "
        "against moto's ecs/rds/logs models (see emulator/README.md) and update this pin"
    )


def test_backend_classes_are_swappable():
    assert isinstance(ecs_backends, BackendDict) and isinstance(rds_backends, BackendDict)
    assert "backend" in vars(ecs_backends) and issubclass(ecs_backends.backend, EC2ContainerServiceBackend)
    assert "backend" in vars(rds_backends) and issubclass(rds_backends.backend, RDSBackend)
    assert isinstance(inspect.getattr_static(BaseBackend, "_url_module"), property)


def test_the_runtime_backends_still_find_their_url_modules():
    assert RuntimeECSBackend("us-east-1", "123456789012")._url_module.__name__ == "moto.ecs.urls"
    assert RuntimeRDSBackend("us-east-1", "123456789012")._url_module.__name__ == "moto.rds.urls"


def test_the_overridden_methods_keep_their_signatures():
    ours = {
        "run_task": ["cluster_str", "task_definition_str", "count", "overrides", "started_by", "tags", "launch_type",
                     "networking_configuration", "group", "platform_version", "capacity_provider_strategy"],
        "stop_task": ["cluster_str", "task_str", "reason"],
        "_calculate_task_resource_requirements": ["task_definition"],
    }  # fmt: skip
    for name, params in ours.items():
        found = [p for p in inspect.signature(getattr(EC2ContainerServiceBackend, name)).parameters if p != "self"]
        assert found == params, name
    assert list(inspect.signature(RDSBackend.create_db_instance).parameters)[1:] == ["db_kwargs"]
    assert list(inspect.signature(RDSBackend.delete_db_instance).parameters)[1:] == [
        "db_instance_identifier", "final_db_snapshot_identifier", "skip_final_snapshot",
        "delete_automated_backups"]  # fmt: skip
    assert list(inspect.signature(LogsBackend.put_log_events).parameters)[1:] == [
        "log_group_name",
        "log_stream_name",
        "log_events",
    ]
    assert list(inspect.signature(SecretsManagerBackend.get_secret_value).parameters)[1:] == [
        "secret_id",
        "version_id",
        "version_stage",
    ]
    assert hasattr(Parameter, "decrypt")


def test_task_state_is_the_managed_state_the_runtime_overrides():
    source = inspect.getsource(Task.__init__)
    assert "transitions=" in source and "self.containers" in source and "self.attachments" in source
    assert "_transitions" in inspect.getsource(Task.__mro__[1].__init__)
    assert isinstance(inspect.getattr_static(DBInstance, "endpoint"), property)
    assert "task.advance()" in inspect.getsource(EC2ContainerServiceBackend.describe_tasks)


def test_the_service_and_load_balancer_internals_the_runtime_uses():
    from moto.elbv2.models import ELBv2Backend, FakeHealthStatus, FakeTargetGroup, elbv2_backends

    from emulator.elbv2 import RuntimeELBv2Backend

    assert isinstance(elbv2_backends, BackendDict) and "backend" in vars(elbv2_backends)
    assert RuntimeELBv2Backend("us-east-1", "123456789012")._url_module.__name__ == "moto.elbv2.urls"
    ecs = {
        "create_service": ["cluster_str", "service_name", "desired_count", "task_definition_str"],
        "update_service": ["service_properties"],
        "delete_service": ["cluster_name", "service_name", "force"],
        "list_tasks": ["cluster_str", "container_instance", "family", "started_by", "service_name", "desiredStatus"],
        "describe_task_definition": ["task_definition_str"],
    }
    for name, params in ecs.items():
        found = [p for p in inspect.signature(getattr(EC2ContainerServiceBackend, name)).parameters if p != "self"]
        assert found[: len(params)] == params, name
    elb = {
        "register_targets": ["target_group_arn", "instances"],
        "deregister_targets": ["target_group_arn", "instances"],
        "describe_target_health": ["target_group_arn", "targets"],
    }
    for name, params in elb.items():
        assert [p for p in inspect.signature(getattr(ELBv2Backend, name)).parameters if p != "self"] == params, name
    assert list(inspect.signature(FakeHealthStatus.__init__).parameters)[1:] == [
        "instance_id", "port", "health_port", "status", "reason", "description"]  # fmt: skip
    source = inspect.getsource(FakeTargetGroup.__init__)
    used = ("healthy_threshold_count", "unhealthy_threshold_count", "health_check_interval_seconds",
            "health_check_timeout_seconds", "health_check_path", "matcher", "deregistration_delay")  # fmt: skip
    for attribute in used:
        assert attribute in source, attribute
    service = inspect.getsource(EC2ContainerServiceBackend.update_service)
    assert "current_service.__setattr__(prop_name, prop_val)" in service  # deploymentConfiguration, grace period


def test_the_scheduler_internals_the_schedule_firer_reads():
    """emulator/schedules.py walks moto's scheduler backends and reads these attributes of each schedule."""
    from moto.scheduler.models import EventBridgeSchedulerBackend, scheduler_backends

    assert isinstance(scheduler_backends, BackendDict)
    backend = EventBridgeSchedulerBackend("us-east-1", "123456789012")
    backend.create_schedule(
        description=None, end_date=None, flexible_time_window={"Mode": "OFF"}, group_name=None, kms_key_arn=None,
        name="s", schedule_expression="rate(1 minute)", schedule_expression_timezone=None, start_date=None,
        state=None, target={"Arn": "arn", "RoleArn": "role"}, action_after_completion=None,
    )  # fmt: skip
    schedule = backend.schedule_groups["default"].schedules["s"]
    for attribute in ("name", "group_name", "arn", "schedule_expression", "state", "target", "creation_date",
                      "last_modified_date"):  # fmt: skip
        assert hasattr(schedule, attribute), attribute
    assert isinstance(schedule.creation_date, float) and schedule.state == "ENABLED"
    params = [p for p in inspect.signature(EC2ContainerServiceBackend.run_task).parameters if p != "self"]
    assert params[:10] == [
        "cluster_str", "task_definition_str", "count", "overrides", "started_by", "tags", "launch_type",
        "networking_configuration", "group", "platform_version"]  # fmt: skip
