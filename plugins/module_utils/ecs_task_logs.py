# Copyright: django_ecs.fargate contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read the last lines of an ECS container's awslogs stream."""

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible_collections.django_ecs.fargate.plugins.module_utils.ecs_task_wait import log_configuration, log_stream_name

# GetLogEvents returns at most 10,000 events per call.
MAX_LOG_LINES = 10000


def _error_code(error):
    return error.response.get("Error", {}).get("Code", "")


def container_logs(logs_client_for, task_definition, container_name, task_arn, lines):
    """The last ``lines`` lines of a container's CloudWatch log, as a dict for the module's result.

    ``logs_client_for(region)`` returns a CloudWatch Logs client (region None: the module's).
    No log configuration and a missing stream are not errors: ``available`` is false and
    ``message`` says why. Other AWS errors propagate.
    """
    result = {
        "container": container_name,
        "log_group": None,
        "log_stream": None,
        "available": False,
        "lines": [],
        "message": None,
    }
    config = log_configuration(task_definition, container_name)
    if config is None:
        result["message"] = f"container '{container_name}' has no awslogs log configuration: no logs to show"
        return result
    result["log_group"] = config["group"]
    stream = log_stream_name(config["prefix"], container_name, task_arn)
    if stream is None:
        result["message"] = "container '{}' logs to {} without awslogs-stream-prefix: stream name unknown".format(
            container_name, config["group"]
        )
        return result
    result["log_stream"] = stream
    if lines <= 0:
        result["message"] = "log_lines is 0: logs not read"
        return result
    client = logs_client_for(config["region"])
    try:
        response = client.get_log_events(
            aws_retry=True,
            logGroupName=config["group"],
            logStreamName=stream,
            startFromHead=False,
            limit=min(lines, MAX_LOG_LINES),
        )
    except botocore.exceptions.ClientError as e:
        if _error_code(e) == "ResourceNotFoundException":
            result["message"] = "log stream {}/{} does not exist (the container never started or wrote nothing)".format(
                config["group"], stream
            )
            return result
        raise
    events = response.get("events", [])
    result["lines"] = [event.get("message", "").rstrip("\n") for event in events][-lines:]
    result["available"] = True
    if not events:
        result["message"] = "log stream is empty"
    return result
