"""Prints the address `make run` will serve on, checked before any setup (standard library only).

Usage: free_address.py HOST:PORT [--next N]
With --next, a busy port is replaced by the next free one of the N after it (the default
address); without it, a busy port stops the run at once (an address the user chose).
Exit code 0 and the address on stdout, or 1 and the reason on stderr.
"""

import socket
import sys

HOW_TO_CHOOSE = "Choose another with ADDRESS, e.g. `ADDRESS=127.0.0.1:8080 make run`."


def is_free(host: str, port: int) -> bool:
    """Whether a server could listen on host:port now (the test runserver makes itself)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def main(argv: list[str]) -> int:
    address = argv[1]
    tries = int(argv[3]) if len(argv) > 3 and argv[2] == "--next" else 0
    host, _, port_text = address.rpartition(":")
    if not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        print(f"make run: ADDRESS={address!r} is not HOST:PORT. {HOW_TO_CHOOSE}", file=sys.stderr)
        return 1
    port = int(port_text)
    for candidate in range(port, min(port + tries, 65535) + 1):
        if is_free(host.strip("[]"), candidate):
            if candidate != port:
                print(f"make run: port {port} is busy; using {candidate} instead. {HOW_TO_CHOOSE}", file=sys.stderr)
            print(f"{host}:{candidate}")
            return 0
    busy = f"port {port}" if not tries else f"ports {port}–{port + tries}"
    print(f"make run: {busy} on {host} {'is' if not tries else 'are'} busy, nothing was set up. {HOW_TO_CHOOSE}",
          file=sys.stderr)  # fmt: skip
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
