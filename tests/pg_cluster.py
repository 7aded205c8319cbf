"""A throw-away PostgreSQL cluster in a temporary folder, on a port of its own (root runs it as postgres)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

PG_BIN = (
    Path(f"/usr/lib/postgresql/{(os.listdir('/etc/postgresql') or ['15'])[0]}/bin")
    if Path("/etc/postgresql").is_dir()
    else Path("/usr/lib/postgresql/15/bin")
)


def as_postgres(*command: str) -> None:
    subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True, capture_output=True)


def spare_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    def __init__(self, folder: Path, port: int) -> None:
        self.folder, self.port = folder, port
        self.data, self.log = folder / "data", folder / "postgres.log"
        folder.mkdir(parents=True, exist_ok=True)
        shutil.chown(folder, "postgres")

    def init(self) -> Cluster:
        as_postgres(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres")
        return self

    def init_as_standby_of(self, primary: Cluster) -> Cluster:
        """A streaming replica: a base backup of the primary with its standby settings (-R)."""
        as_postgres(str(PG_BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
                    "-D", str(self.data), "-R", "-X", "stream", "-c", "fast")  # fmt: skip
        return self

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data}"
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.log), "-w", "start")

    def stop(self) -> None:
        as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"
