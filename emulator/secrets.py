"""ECS `secrets`: parse a `valueFrom` and resolve it, with the errors ECS reports when it cannot.

Pure functions: the two readers (Secrets Manager's secret string, an SSM parameter's value) are passed
in, so unit tests need no emulator.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass


class ResourceInitializationError(Exception):
    """A secret the task needs cannot be read: the task stops with TaskFailedToStart."""


@dataclass(frozen=True)
class SecretRef:
    service: str  # "secretsmanager" | "ssm"
    secret_id: str  # the secret ARN (or name) / the parameter name or ARN
    json_key: str = ""
    version_stage: str = ""
    version_id: str = ""


def parse_value_from(value_from: str) -> SecretRef:
    """`arn:aws:secretsmanager:r:a:secret:name-AbCdEf[:json-key[:version-stage[:version-id]]]`, an SSM
    parameter ARN `arn:aws:ssm:r:a:parameter/name`, or a bare parameter name (same region)."""
    parts = value_from.split(":")
    if len(parts) >= 7 and parts[0] == "arn" and parts[2] == "secretsmanager":
        secret_arn = ":".join(parts[:7])
        extra = parts[7:] + ["", "", ""]
        return SecretRef("secretsmanager", secret_arn, extra[0], extra[1], extra[2])
    return SecretRef("ssm", value_from)


def resolve(
    secrets: list[dict],
    read_secret: Callable[[str, str, str], str],
    read_parameter: Callable[[str], str | None],
) -> dict[str, str]:
    """Environment values for a container's `secrets` list, in its order.

    ``read_secret(secret_id, version_id, version_stage)`` returns the SecretString or raises KeyError;
    ``read_parameter(name)`` returns the value or None. Messages follow the ECS agent's.
    """
    values: dict[str, str] = {}
    cache: dict[tuple, str] = {}
    for item in secrets or []:
        name, value_from = item["name"], item["valueFrom"]
        ref = parse_value_from(value_from)
        if ref.service == "ssm":
            value = read_parameter(ref.secret_id)
            if value is None:
                raise ResourceInitializationError(
                    "unable to pull secrets or registry auth: execution resource retrieval failed: unable to "
                    "retrieve secrets from ssm: service call has been retried 1 time(s): "
                    f"invalid parameters: {ref.secret_id}"
                )
            values[name] = value
            continue
        key = (ref.secret_id, ref.version_id, ref.version_stage)
        if key not in cache:
            try:
                cache[key] = read_secret(ref.secret_id, ref.version_id, ref.version_stage)
            except KeyError as e:
                raise ResourceInitializationError(
                    "unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve "
                    f"secret from asm: service call has been retried 1 time(s): failed to fetch secret {ref.secret_id} "
                    f"from secrets manager: ResourceNotFoundException: {e.args[0] if e.args else 'not found'}"
                ) from None
        secret_string = cache[key]
        if not ref.json_key:
            values[name] = secret_string
            continue
        try:
            document = json.loads(secret_string)
        except ValueError:
            document = None
        if not isinstance(document, dict) or ref.json_key not in document:
            raise ResourceInitializationError(
                "unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve "
                f"secret from asm: service call has been retried 1 time(s): retrieved secret from Secrets Manager "
                f"did not contain json key {ref.json_key}"
            )
        value = document[ref.json_key]
        values[name] = value if isinstance(value, str) else json.dumps(value)
    return values
