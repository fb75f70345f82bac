"""A real Ray cluster on 127.0.0.1 for the executor tests and benchmarks: a head node and
more node processes, each `ray start --block` (so stopping its process stops its raylet and
workers, and two clusters on one machine never stop each other, as `ray stop` would).

    python scripts/local_ray_cluster.py [--nodes 2] [--cpus 1]   (Ctrl-C stops it)

`start_cluster` is what tests/executors and perf/ray_scaling.py use.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    address: str
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: Path = Path(".")

    def stop(self) -> None:
        """Stop every node; forget this cluster's address where Ray keeps the current one
        (else a later ``ray.init()`` would try to join the dead cluster)."""
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        current = Path(tempfile.gettempdir()) / "ray" / "ray_current_cluster"
        try:
            if current.read_text().strip() == self.address:
                current.unlink()
        except OSError:
            pass


def _ray() -> str:
    return str(Path(sys.executable).with_name("ray"))


def _env() -> dict[str, str]:
    return {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", "RAY_DISABLE_DOCKER_CPU_WARNING": "1"}


def _wait_nodes(address: str, count: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        status = subprocess.run([_ray(), "status", "--address", address], capture_output=True,
                                text=True, env=_env())
        if status.returncode == 0 and status.stdout.count(" node_") >= count:
            return
        time.sleep(0.5)
    raise RuntimeError(f"the Ray cluster at {address} did not reach {count} nodes in "
                       f"{timeout_s} s")


def start_cluster(nodes: int = 2, cpus: int = 1, timeout_s: float = 120.0) -> Cluster:
    """``nodes`` node processes of ``cpus`` CPUs each (the first is the head)."""
    port = _free_port()
    address = f"127.0.0.1:{port}"
    logs = Path(tempfile.mkdtemp(prefix="perfjudge-ray-"))
    common = ["--num-cpus", str(cpus), "--node-ip-address", "127.0.0.1",
              "--disable-usage-stats", "--block"]
    cluster = Cluster(address, logs=logs)
    try:
        cluster.processes.append(subprocess.Popen(
            [_ray(), "start", "--head", "--port", str(port), "--include-dashboard=false",
             *common], stdout=open(logs / "head.log", "wb"), stderr=subprocess.STDOUT,
            env=_env()))
        _wait_nodes(address, 1, timeout_s)
        for k in range(1, nodes):
            cluster.processes.append(subprocess.Popen(
                [_ray(), "start", "--address", address, *common],
                stdout=open(logs / f"node{k}.log", "wb"), stderr=subprocess.STDOUT,
                env=_env()))
        _wait_nodes(address, nodes, timeout_s)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--cpus", type=int, default=1)
    args = parser.parse_args()
    cluster = start_cluster(args.nodes, args.cpus)
    print(f"Ray cluster at {cluster.address} ({args.nodes} nodes x {args.cpus} CPU); "
          f"perfjudge evaluate --executor ray --address {cluster.address}", flush=True)
    try:
        while all(p.poll() is None for p in cluster.processes):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
