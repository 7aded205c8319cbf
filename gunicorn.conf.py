"""gunicorn's settings for skillsite, read from the working directory (`gunicorn skillsite.wsgi`).

With PROMETHEUS_MULTIPROC_DIR set, each worker writes its metrics to files in that folder and
/metrics adds them up (skillsite/metrics.py): the folder is emptied when gunicorn starts (values
of an earlier run would be counted again) and a worker's live gauges are dropped when it exits.
SIGTERM is a graceful stop: workers finish the requests they hold, for up to graceful_timeout.
"""

import os
from pathlib import Path

from prometheus_client import multiprocess

graceful_timeout = 30
# gunicorn's control socket defaults to one path a machine, which every gunicorn there would share
# (several sites, the tests' servers); skillsite does not use it.
control_socket_disable = True


def on_starting(server) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
