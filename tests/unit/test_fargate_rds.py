"""rds_instance_drift: which RDS settings differ (pure function)."""

import pytest

from ansible_collections.django_ecs.fargate.plugins.filter.fargate_rds import (
    rds_engine_version_upgrade,
    rds_instance_drift,
    rds_instance_modify_options,
    rds_min_max_allocated_storage,
)

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


# ---- real RDS: minor versions picked and upgraded by RDS, storage grown by autoscaling -------------------------


@pytest.mark.parametrize(
    ("current", "wanted", "sent"),
    [
        ("16.4", "16", None),  # RDS picked the minor for "16": sending "16" again is refused as a downgrade
        ("16.10", "16.1", None),  # a pinned minor that RDS has upgraded since (16.10 > 16.1, not a string compare)
        ("16.4", "16.4", None),
        ("16.4", "16.10", "16.10"),  # a higher pinned minor is a real upgrade
        ("16.4", "17", "17"),  # a higher major
        ("16.4", "17.2", "17.2"),
        ("16.4", "15", None),  # RDS cannot downgrade a major: nothing to send
        ("", "16", "16"),  # no instance yet: CreateDBInstance takes the wanted version
    ],
)
def test_engine_version_sent_only_for_a_real_upgrade(current, wanted, sent):
    assert rds_engine_version_upgrade(current, wanted) == sent


def test_engine_version_drift_only_for_an_upgrade():
    assert rds_instance_drift(instance(engine_version="16.10"), {**WANT, "engine_version": "16.1"}) == []
    assert rds_instance_drift(instance(engine_version="16.4"), {**WANT, "engine_version": "16.10"}) == [
        "engine_version"
    ]
    assert rds_instance_drift(instance(engine_version="16.4"), {**WANT, "engine_version": "17"}) == ["engine_version"]


def test_autoscaled_storage_is_a_floor():
    # Storage autoscaling (max_allocated_storage 50) grew 20 GiB to 25: no drift, asking for 20 would be a shrink.
    assert rds_instance_drift(instance(allocated_storage=25), WANT) == []
    assert rds_instance_drift(instance(allocated_storage=25), {**WANT, "allocated_storage": 30}) == [
        "allocated_storage"
    ]
    # A pending autoscaling modification counts too.
    assert rds_instance_drift(instance(pending_modified_values={"allocated_storage": 22}), WANT) == []
    # Without autoscaling the size is compared exactly (as before).
    off = {**WANT, "max_allocated_storage": 0}
    assert rds_instance_drift(instance(allocated_storage=25, max_allocated_storage=None), off) == ["allocated_storage"]


def test_modify_options_leave_out_what_would_be_refused():
    """Another setting drifts on an instance RDS put on 16.4 whose storage grew to 25 GiB: the instance class is
    sent (by rds_instance) but neither engine_version "16" nor allocated_storage 20."""
    db = instance(engine_version="16.4", allocated_storage=25, db_instance_class="db.t4g.small")
    assert rds_instance_drift(db, WANT) == ["db_instance_class"]
    assert rds_instance_modify_options(db, WANT) == {}


def test_modify_options_for_real_changes():
    assert rds_instance_modify_options({}, WANT) == {"engine_version": "16", "allocated_storage": 20}  # creation
    assert rds_instance_modify_options(instance(), {**WANT, "engine_version": "16.10", "allocated_storage": 30}) == {
        "engine_version": "16.10",
        "allocated_storage": 30,
    }
    # A new major needs AllowMajorVersionUpgrade ("Major version upgrades must be allowed", botocore's model).
    assert rds_instance_modify_options(instance(), {**WANT, "engine_version": "17"}) == {
        "engine_version": "17",
        "allow_major_version_upgrade": True,
    }


@pytest.mark.parametrize(("allocated", "minimum"), [(20, 22), (25, 28), (100, 110), (101, 112), (65000, 71500)])
def test_min_max_allocated_storage_is_ten_percent_above(allocated, minimum):
    assert rds_min_max_allocated_storage(allocated) == minimum
