"""Test hosts on this machine: network namespaces on one bridge, each with its own address and
processes, for tests/test_fleet.py. Every name carries the run's tag, so parallel runs cannot
collide, and `Network.teardown` removes the namespaces, the bridge and every process in them
whatever state a run left them in (it is safe to call twice).
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=check, capture_output=True, text=True)


def subnets_in_use() -> set[str]:
    routes = run("ip", "-4", "route", "show").stdout.split()
    return {word.rsplit(".", 1)[0] for word in routes if word.count(".") == 3 and "/" in word}


@dataclass
class Host:
    name: str
    namespace: str
    address: str
    cable: str  # its end of the veth pair, on the bridge
    processes: list[subprocess.Popen] = field(default_factory=list)

    def command(self, args: list[str], *, user: str | None = None) -> list[str]:
        as_user = ["runuser", "-u", user, "--"] if user else []
        return ["ip", "netns", "exec", self.namespace, *as_user, *args]

    def start(self, args: list[str], *, env: dict, log: Path, cwd: Path | None = None) -> subprocess.Popen:
        """A process of this host (its output in `log`), left running."""
        with open(log, "ab") as output:
            process = subprocess.Popen(
                self.command(args), env=env, cwd=cwd, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes.append(process)
        return process

    def run(self, args: list[str], *, user: str | None = None, env: dict | None = None) -> None:
        subprocess.run(self.command(args, user=user), check=True, capture_output=True, env=env)

    def pids(self) -> list[int]:
        listed = run("ip", "netns", "pids", self.namespace, check=False).stdout.split()
        return [int(pid) for pid in listed]

    def crash(self) -> None:
        """Every process of the host killed at once (SIGKILL), as if it lost power."""
        deadline = time.monotonic() + 10
        while (pids := self.pids()) and time.monotonic() < deadline:
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.05)
        for process in self.processes:
            process.wait(timeout=5)
        self.processes.clear()


class Network:
    """A bridge with an address of its own (the test's side) and hosts attached to it."""

    def __init__(self) -> None:
        self.tag = secrets.token_hex(3)  # 6 hex digits: interface names stay under 16 characters
        used = subnets_in_use()
        while True:
            prefix = f"10.{secrets.randbelow(200) + 50}.{secrets.randbelow(250) + 1}"
            if prefix not in used:
                break
        self.prefix, self.bridge = prefix, f"skf{self.tag}"
        self.gateway = f"{prefix}.1"
        self.hosts: dict[str, Host] = {}
        run("ip", "link", "add", self.bridge, "type", "bridge")
        run("ip", "addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        run("ip", "link", "set", self.bridge, "up")

    @property
    def subnet(self) -> str:
        return f"{self.prefix}.0/24"

    def add_host(self, name: str) -> Host:
        number = len(self.hosts) + 10
        host = Host(name, f"skf{self.tag}-{name}", f"{self.prefix}.{number}", f"skf{self.tag}h{number}")
        run("ip", "netns", "add", host.namespace)
        self.hosts[name] = host  # from here on, teardown removes it
        run("ip", "link", "add", host.cable, "type", "veth", "peer", "name", "eth0", "netns", host.namespace)
        run("ip", "link", "set", host.cable, "master", self.bridge, "up")
        for args in (["addr", "add", f"{host.address}/24", "dev", "eth0"], ["link", "set", "eth0", "up"],
                     ["link", "set", "lo", "up"]):  # fmt: skip
            run("ip", "-n", host.namespace, *args)
        return host

    def teardown(self) -> None:
        for host in self.hosts.values():
            try:
                host.crash()
            finally:  # the cable first: a namespace lingers while a dying process still holds it
                run("ip", "link", "del", host.cable, check=False)
                run("ip", "netns", "del", host.namespace, check=False)
        run("ip", "link", "del", self.bridge, check=False)
