"""Ports for `make run` and `make demo`: `ports.py free NAME PORT` fails with one line if PORT is taken on
127.0.0.1; `ports.py pick` prints a port nothing listens on."""

import socket
import sys


def is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def main(argv: list[str]) -> int:
    if argv[:1] == ["pick"]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            print(probe.getsockname()[1])
        return 0
    if len(argv) == 3 and argv[0] == "free":
        name, raw = argv[1], argv[2]
        if not raw.isdigit() or not 0 < int(raw) < 65536:
            print(f"rxloop: {name}={raw!r} is not a port number (1-65535)", file=sys.stderr)
            return 2
        if not is_free(int(raw)):
            print(f"rxloop: port {raw} ({name}) is already in use on 127.0.0.1: stop what uses it, "
                  f"or choose another, e.g. {name}={int(raw) + 1}", file=sys.stderr)
            return 1
        return 0
    print("usage: ports.py free NAME PORT | ports.py pick", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
