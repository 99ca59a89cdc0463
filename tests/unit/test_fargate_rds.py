"""rds_instance_drift: which RDS settings differ (pure function)."""

from ansible_collections.django_ecs.fargate.plugins.filter.fargate_rds import rds_instance_drift

WANT = {
    "engine_version": "16",
    "db_instance_class": "db.t4g.micro",
    "allocated_storage": 20,
    "max_allocated_storage": 50,
    "storage_type": "gp2",
    "storage_encrypted": True,
    "multi_az": False,
    "publicly_accessible": False,
    "backup_retention_period": 7,
    "deletion_protection": False,
    "db_subnet_group_name": "app-db",
    "vpc_security_group_ids": ["sg-3"],
    "port": 5432,
    "tags": {"fargate:stack": "app"},
}


def instance(**over):
    i = {
        "engine_version": "16.4",
        "db_instance_class": "db.t4g.micro",
        "allocated_storage": 20,
        "max_allocated_storage": 50,
        "storage_type": "gp2",
        "storage_encrypted": True,
        "multi_az": False,
        "publicly_accessible": False,
        "backup_retention_period": 7,
        "deletion_protection": False,
        "db_subnet_group": {"db_subnet_group_name": "app-db"},
        "vpc_security_groups": [{"vpc_security_group_id": "sg-3", "status": "active"}],
        "endpoint": {"address": "h", "port": 5432},
        "tags": {"fargate:stack": "app", "other": "x"},
    }
    i.update(over)
    return i


def test_no_drift():
    assert rds_instance_drift(instance(), WANT) == []


def test_missing_instance_is_all_drift():
    assert rds_instance_drift({}, WANT) == sorted(WANT)


def test_each_setting_is_noticed():
    assert rds_instance_drift(instance(db_instance_class="db.t4g.small"), WANT) == ["db_instance_class"]
    assert rds_instance_drift(instance(publicly_accessible=True), WANT) == ["publicly_accessible"]
    assert rds_instance_drift(instance(backup_retention_period=0), WANT) == ["backup_retention_period"]
    assert rds_instance_drift(instance(engine_version="15.7"), WANT) == ["engine_version"]
    assert rds_instance_drift(instance(engine_version="16"), WANT) == []
    assert rds_instance_drift(instance(max_allocated_storage=None), WANT) == ["max_allocated_storage"]
    assert rds_instance_drift(instance(max_allocated_storage=None), {**WANT, "max_allocated_storage": 0}) == []
    assert rds_instance_drift(instance(vpc_security_groups=[]), WANT) == ["vpc_security_group_ids"]
    assert rds_instance_drift(instance(tags={}), WANT) == ["tags"]
    assert rds_instance_drift(instance(deletion_protection=True), WANT) == ["deletion_protection"]


def test_pending_modifications_count_as_applied():
    i = instance(db_instance_class="db.t4g.micro", pending_modified_values={"db_instance_class": "db.t4g.small"})
    assert rds_instance_drift(i, {**WANT, "db_instance_class": "db.t4g.small"}) == []


def test_port_unknown_while_creating():
    assert rds_instance_drift(instance(endpoint=None), WANT) == []
