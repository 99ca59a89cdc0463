"""The runtime's use of the Docker engine (docker-py): one bridge network per emulator, image pulls
with ECS's error text, task containers, and cleanup by label."""

from __future__ import annotations

import ipaddress
import logging

import docker
from docker.errors import APIError, ImageNotFound, NotFound

from emulator.config import LABEL, Config

log = logging.getLogger("emulator.docker")


class PullError(Exception):
    """The image cannot be pulled: the task stops with CannotPullContainerError."""


class Engine:
    def __init__(self, config: Config) -> None:
        self.config = config
        # The daemon here is Debian's docker 20.10 (API 1.41): pin it, a newer default would be refused.
        self.client = docker.DockerClient(base_url=config.docker_url, version="1.41", timeout=120)
        self.labels = {LABEL: config.label_value}
        self._network = None

    # --- network -------------------------------------------------------------------------------------
    def network(self):
        """The emulator's bridge network (the awsvpc stand-in), created on first use."""
        if self._network is not None:
            return self._network
        name = self.config.network_name
        for existing in self.client.networks.list(names=[name]):
            existing.reload()
            if existing.containers:
                for container in existing.containers:
                    container.remove(force=True)
            existing.remove()
        subnet = ipaddress.ip_network(self.config.subnet)
        hosts = list(subnet.hosts())
        ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=str(subnet), gateway=str(hosts[0]))])
        self._network = self.client.networks.create(name, driver="bridge", ipam=ipam, labels=self.labels)
        return self._network

    @property
    def gateway(self) -> str:
        """The host's address on the network: where tasks reach the emulator and the databases."""
        return str(list(ipaddress.ip_network(self.config.subnet).hosts())[0])

    # --- images --------------------------------------------------------------------------------------
    def pull(self, image: str) -> str:
        """Pull ``image`` (repository[:tag] or @digest) as ECS would; returns the image digest."""
        repository, tag = _split_image(image)
        try:
            pulled = self.client.images.pull(repository, tag=tag)
        except (NotFound, ImageNotFound, APIError) as e:
            explanation = getattr(e, "explanation", None) or str(e)
            raise PullError(
                f"CannotPullContainerError: pull image manifest has been retried 1 time(s): failed to resolve ref "
                f"{image}: {explanation}"
            ) from None
        digests = pulled.attrs.get("RepoDigests") or []
        return digests[0].split("@", 1)[1] if digests else pulled.id

    # --- containers ----------------------------------------------------------------------------------
    def run_pause(self, image: str, name: str, labels: dict, extra_hosts: dict, ip: str):
        """The task's network namespace (Fargate's pause container): the task IP and /etc/hosts live here."""
        network = self.network()
        endpoint = self.client.api.create_endpoint_config(ipv4_address=ip)
        host_config = self.client.api.create_host_config(
            network_mode=network.name, extra_hosts=extra_hosts, init=False, auto_remove=False
        )
        created = self.client.api.create_container(
            image,
            name=name,
            entrypoint=["sleep", "infinity"],
            command=[],
            labels={**self.labels, **labels},
            host_config=host_config,
            networking_config=self.client.api.create_networking_config({network.name: endpoint}),
            user="65534:65534",
        )
        container = self.client.containers.get(created["Id"])
        container.start()
        return container

    def create(self, *, image, name, labels, pause, env, command, entrypoint, memory_mib, nano_cpus, user,
               workdir, read_only, init=False):  # fmt: skip
        kwargs = {
            "name": name,
            "labels": {**self.labels, **labels},
            "environment": env,
            "network_mode": f"container:{pause.id}",
            "detach": True,
            "read_only": bool(read_only),
            "stop_signal": "SIGTERM",
            "init": bool(init),  # linuxParameters.initProcessEnabled
        }
        if command:
            kwargs["command"] = command
        if entrypoint:
            kwargs["entrypoint"] = entrypoint
        if memory_mib:
            kwargs["mem_limit"] = f"{memory_mib}m"
        if nano_cpus:
            kwargs["nano_cpus"] = nano_cpus
        if user:
            kwargs["user"] = user
        if workdir:
            kwargs["working_dir"] = workdir
        return self.client.containers.create(image, **kwargs)

    def remove(self, container) -> None:
        try:
            container.remove(force=True)
        except NotFound:
            pass
        except APIError as e:  # already being removed
            log.debug("remove %s: %s", container.name, e)

    def cleanup(self) -> int:
        """Remove every container and the network this emulator created; returns the container count."""
        containers = self.client.containers.list(all=True, filters={"label": f"{LABEL}={self.config.label_value}"})
        for container in containers:
            self.remove(container)
        for network in self.client.networks.list(filters={"label": f"{LABEL}={self.config.label_value}"}):
            try:
                network.remove()
            except (NotFound, APIError) as e:
                log.debug("network %s: %s", network.name, e)
        self._network = None
        return len(containers)


def _split_image(image: str) -> tuple[str, str | None]:
    if "@" in image:
        repository, digest = image.split("@", 1)
        return repository, digest
    last = image.rsplit("/", 1)[-1]
    if ":" in last:
        repository, tag = image.rsplit(":", 1)
        return repository, tag
    return image, "latest"
