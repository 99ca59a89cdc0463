"""container_logs on a stubbed CloudWatch Logs client: the result for each case, in full."""

import boto3
import botocore.exceptions
import pytest
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from botocore.stub import Stubber

from ansible_collections.django_ecs.fargate.plugins.module_utils import ecs_task_logs as tl
from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_retry import retry_for

TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task/djangoapp/0123456789abcdef"
STREAM = "django-migration/migrate/0123456789abcdef"


def definition(options=None, driver="awslogs"):
    options = (
        {"awslogs-group": "/ecs/djangoapp", "awslogs-stream-prefix": "django-migration"} if options is None else options
    )
    return {
        "containerDefinitions": [{"name": "migrate", "logConfiguration": {"logDriver": driver, "options": options}}]
    }


@pytest.fixture
def logs():
    client = boto3.client("logs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    with stub:
        # as AnsibleAWSModule.client(..., retry_decorator=...) hands it out: the code passes aws_retry=True
        yield RetryingBotoClientWrapper(client, retry_for("logs")), stub
        stub.assert_no_pending_responses()


def read(client, td, lines=50):
    regions = []

    def client_for(region):
        regions.append(region)
        return client

    return tl.container_logs(client_for, td, "migrate", TASK_ARN, lines), regions


def expected(**kw):
    base = {
        "container": "migrate",
        "log_group": "/ecs/djangoapp",
        "log_stream": STREAM,
        "available": False,
        "lines": [],
        "message": None,
    }
    base.update(kw)
    return base


def test_the_last_lines_of_the_stream(logs):
    client, stub = logs
    events = [
        {"timestamp": 1, "message": "Operations to perform:\n"},
        {"timestamp": 2, "message": "  Apply all migrations: app  \n"},
        {"timestamp": 3},
        {"timestamp": 4, "message": "done\n\n"},
    ]
    stub.add_response(
        "get_log_events",
        {"events": events},
        {"logGroupName": "/ecs/djangoapp", "logStreamName": STREAM, "startFromHead": False, "limit": 3},
    )
    result, regions = read(client, definition(), lines=3)
    # GetLogEvents may return more than asked for: only the last 3; only newlines are stripped.
    assert result == expected(available=True, lines=["  Apply all migrations: app  ", "", "done"])
    assert regions == [None]


def test_one_line_is_read(logs):
    client, stub = logs
    stub.add_response(
        "get_log_events", {"events": [{"timestamp": 1, "message": "a"}, {"timestamp": 2, "message": "b"}]}, None
    )
    result, _regions = read(
        client, definition({"awslogs-group": "g", "awslogs-stream-prefix": "p", "awslogs-region": "eu-west-1"}), lines=1
    )
    assert result["lines"] == ["b"] and result["available"] is True and result["message"] is None


def test_the_log_region_picks_the_client(logs):
    client, stub = logs
    stub.add_response("get_log_events", {"events": []}, None)
    _result, regions = read(
        client, definition({"awslogs-group": "g", "awslogs-stream-prefix": "p", "awslogs-region": "eu-west-1"})
    )
    assert regions == ["eu-west-1"]


def test_more_lines_than_one_call_returns_are_capped(logs):
    client, stub = logs
    stub.add_response(
        "get_log_events",
        {"events": []},
        {"logGroupName": "/ecs/djangoapp", "logStreamName": STREAM, "startFromHead": False, "limit": 10000},
    )
    result, _regions = read(client, definition(), lines=20000)
    assert result == expected(available=True, message="log stream is empty")


def test_no_awslogs_configuration(logs):
    client, _stub = logs
    result, regions = read(client, definition(driver="json-file"))
    assert result == expected(
        log_group=None, log_stream=None, message="container 'migrate' has no awslogs log configuration: no logs to show"
    )
    assert regions == []


def test_no_stream_prefix(logs):
    client, _stub = logs
    result, regions = read(client, definition({"awslogs-group": "/ecs/djangoapp"}))
    assert result == expected(
        log_stream=None,
        message="container 'migrate' logs to /ecs/djangoapp without awslogs-stream-prefix: stream name unknown",
    )
    assert regions == []


def test_zero_lines_reads_nothing(logs):
    client, _stub = logs
    result, regions = read(client, definition(), lines=0)
    assert result == expected(message="log_lines is 0: logs not read") and regions == []


def test_missing_stream(logs):
    client, stub = logs
    stub.add_client_error("get_log_events", "ResourceNotFoundException", "The specified log stream does not exist.")
    result, _regions = read(client, definition())
    assert result == expected(
        message=f"log stream /ecs/djangoapp/{STREAM} does not exist (the container never started or wrote nothing)"
    )


def test_other_errors_propagate(logs):
    client, stub = logs
    stub.add_client_error("get_log_events", "AccessDeniedException", "no logs:GetLogEvents")
    with pytest.raises(botocore.exceptions.ClientError):
        read(client, definition())


def test_only_line_ends_are_stripped_not_letters(logs):
    """A line ending in a letter (here X) keeps it: only the newline goes."""
    client, stub = logs
    stub.add_response("get_log_events", {"events": [{"timestamp": 1, "message": "MAX\n"}]}, None)
    result, _regions = read(client, definition())
    assert result["lines"] == ["MAX"]
