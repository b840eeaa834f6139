"""A local Ray cluster for tests and benchmarks, on 127.0.0.1, ended by the process ids it started.

``ray start --block`` leaves ``gcs_server`` behind on SIGTERM and Ray's workers sit in
process groups of their own, so the whole tree is recorded before the SIGTERM and every
process of it still alive afterwards gets a SIGKILL. Never ``ray stop``: another Ray on
this machine is not ours to end.

The head is a single node on loopback (Ray's single-node mode, ``SINGLE_NODE_ENV``): its
servers bind 127.0.0.1. A driver must be in that mode too, and Ray reads it when ray is
first imported, so importing this module sets it for the process (import it before ray).
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from app.jobs.ray_executor import SINGLE_NODE_ENV

START_TIMEOUT = 60.0
os.environ.setdefault(SINGLE_NODE_ENV, "0")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def descendants(root: int) -> set[int]:
    """Every process below ``root`` now, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def listening(root: int) -> set[tuple[str, int]]:
    """The (address, port) of every TCP socket in LISTEN state held by ``root`` or a
    process below it, read from /proc; an IPv4-mapped IPv6 address is given as its IPv4 one."""
    inodes: set[str] = set()
    for pid in descendants(root) | {root}:
        with contextlib.suppress(OSError):
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:["):
                        inodes.add(target[8:-1])
    found: set[tuple[str, int]] = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] != "0A" or fields[9] not in inodes:  # 0A: LISTEN
                    continue
                hexed, port = fields[1].split(":")
                raw = bytes.fromhex(hexed)  # 32-bit words, each in the host's (little) order
                ip = ipaddress.ip_address(
                    b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
                )
                if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
                    ip = ip.ipv4_mapped
                found.add((str(ip), int(port, 16)))
    return found


def end_tree(root: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM ``root``, then SIGKILL whatever is left of its tree (recorded first) and,
    when ``root`` leads its own process group (``start_new_session``), of that group:
    Ray's daemons stay in it, even those spawned after the tree was recorded."""
    tree = descendants(root.pid)
    group = root.pid if root.poll() is None and os.getpgid(root.pid) == root.pid else None
    with contextlib.suppress(ProcessLookupError):
        root.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        root.wait(timeout)
    for pid in [root.pid, *tree]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    if group is not None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
    root.wait(timeout)


@dataclass(frozen=True)
class Cluster:
    """A started head: ``address`` for ``ray.init``, ``client`` (``ray://...``) when it
    serves Ray Client, and the process id of its ``ray start``."""

    address: str
    client: str | None
    pid: int


@contextlib.contextmanager
def local_cluster(num_cpus: int = 2, *, client: bool = False) -> Iterator[Cluster]:
    """A head node on 127.0.0.1 with token authentication, serving Ray Client too when
    ``client`` (``ray[client]``).

    The token is Ray's default one (``~/.ray/auth_token``, made here when missing, as a
    local ``ray.init()`` makes it), so that every driver of this process finds it: a cluster
    started without one would run unauthenticated, and drivers told to use tokens fail.
    """
    port = free_port()
    client_port = free_port() if client else None
    ray = str(Path(sys.executable).with_name("ray"))
    subprocess.run([ray, "get-auth-token", "--generate"], check=True, capture_output=True)
    command = [
        ray, "start", "--head", "--block", "--node-ip-address", "127.0.0.1",
        "--port", str(port), "--num-cpus", str(num_cpus), "--include-dashboard", "false",
        "--disable-usage-stats", "--object-store-memory", str(200 * 2**20),
    ]  # fmt: skip
    if client_port is not None:
        command += ["--ray-client-server-port", str(client_port)]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "RAY_AUTH_MODE": "token"},  # with SINGLE_NODE_ENV, set above
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        for waited in [p for p in (port, client_port) if p is not None]:
            while True:
                with contextlib.suppress(OSError):
                    socket.create_connection(("127.0.0.1", waited), 1).close()
                    break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"ray start did not come up (exit code {proc.poll()})")
                time.sleep(0.2)
        # A driver given an address uses the cluster's token only when told to (Ray's rule).
        previous = os.environ.get("RAY_AUTH_MODE")
        os.environ["RAY_AUTH_MODE"] = "token"
        try:
            yield Cluster(
                f"127.0.0.1:{port}",
                None if client_port is None else f"ray://127.0.0.1:{client_port}",
                proc.pid,
            )
        finally:
            if previous is None:
                os.environ.pop("RAY_AUTH_MODE", None)
            else:
                os.environ["RAY_AUTH_MODE"] = previous
    finally:
        end_tree(proc)
