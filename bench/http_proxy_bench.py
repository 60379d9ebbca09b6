"""Remote HTTP service overhead: the platform's proxy against calling the upstream directly, one run.

Usage: .venv/bin/python bench/http_proxy_bench.py [--duration 5] [--rounds 2] [--connections 8] [--workers 2]

The upstream (bench/upstream_app.py) and Bastion both run under gunicorn with the repo's config, Bastion
with HTTP_SERVICES_ALLOWED_NETWORKS=127.0.0.0/8 and a `twitter` service (bearer token) in front of it.
wrk calls the upstream directly (with the token), then the platform with an app key whose role allows
`GET statuses/*`; rounds alternate the two to spread drift on a shared machine. The report gives the
median p50 latency and server CPU ms per request of each (the proxy's CPU is the platform's alone; the
upstream's is the same in both), and what the platform adds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # noqa: E402
import platforms  # noqa: E402
import servers  # noqa: E402
from upstream_app import TOKEN  # noqa: E402

PATH = "/1.1/statuses/home_timeline.json"


def start_upstream(work: Path, workers: int) -> servers.Server:
    """The stand-in remote API under gunicorn."""
    port = servers.free_port()
    command = servers.gunicorn_command(
        platforms.BIN / "gunicorn", port, "upstream_app:app", pythonpath=platforms.BENCH
    )
    env = platforms.base_env(workers)
    return servers.start("upstream", command, env, work, work / "upstream.log", PATH)


def app_key(bastion: servers.Server, upstream: servers.Server) -> str:
    """Register the `twitter` service, a role allowing GET statuses/*, and an app: its key."""
    config = {"base_url": f"{upstream.url}/1.1", "auth": {"kind": "bearer", "token": TOKEN}}
    calls = [
        ("service", {"name": "twitter", "type": "http", "config": config}),
        (
            "role",
            {
                "name": "reader",
                "access": [{"service": "twitter", "component": "statuses/*", "verbs": ["GET"]}],
            },
        ),
    ]
    made = {}
    for resource, body in calls:
        status, answer = servers.http_json(
            "POST", f"{bastion.url}/api/v2/system/{resource}", body, bastion.headers
        )
        if status != 201:
            raise RuntimeError(f"creating the {resource} answered {status}: {answer}")
        made[resource] = answer
    body = {"name": "bench", "role_id": made["role"]["id"]}
    status, answer = servers.http_json("POST", f"{bastion.url}/api/v2/system/app", body, bastion.headers)
    if status != 201:
        raise RuntimeError(f"creating the app answered {status}: {answer}")
    return answer["api_key"]


def measure(server: servers.Server, wrk: load.Load, url: str, headers: dict) -> tuple[float, float]:
    """(p50 ms, server CPU ms per request) of one timed wrk run; every answer must be a 200."""
    load.run_wrk(wrk, url, headers, wrk.warmup)
    before = servers.cpu_seconds(server.process.pid)
    report = load.run_wrk(wrk, url, headers, wrk.duration)
    used = servers.cpu_seconds(server.process.pid) - before
    if report["errors"]["status"] or not report["requests"]:
        raise RuntimeError(f"{server.name}: {report['errors']} of {report['requests']} requests failed")
    return report["latency_us"]["p50"] / 1000, used * 1000 / report["requests"]


def main(argv: list[str] | None = None) -> int:
    """Run both measurements in turns and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    wrk = load.Load(load.ensure_wrk(), args.duration, args.warmup, args.connections, 2)
    with tempfile.TemporaryDirectory(prefix="http-proxy-bench-") as tmp:
        work = Path(tmp)
        upstream = start_upstream(work, args.workers)
        try:
            opened = {"HTTP_SERVICES_ALLOWED_NETWORKS": "127.0.0.0/8"}
            bastion = platforms.start_bastion(work, None, args.workers, extra_env=opened)
            try:
                key = app_key(bastion, upstream)
                runs = {
                    "direct": (upstream, upstream.url + PATH, {"Authorization": f"Bearer {TOKEN}"}),
                    "through Bastion": (
                        bastion,
                        bastion.url + "/api/v2/twitter/statuses/home_timeline.json",
                        {"X-Api-Key": key},
                    ),
                }
                results: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
                for _ in range(args.rounds):
                    for name, (server, url, headers) in runs.items():
                        results[name].append(measure(server, wrk, url, headers))
            finally:
                servers.stop(bastion)
        finally:
            servers.stop(upstream)
    return report(results)


def report(results: dict[str, list[tuple[float, float]]]) -> int:
    """Print medians of p50 and CPU per request, and the platform's addition."""
    rows = {
        n: (statistics.median(p for p, _ in r), statistics.median(c for _, c in r))
        for n, r in results.items()
    }
    print("| path | p50 ms (median) | server CPU ms/req (median) |")
    print("|---|---:|---:|")
    for name, (p50, cpu) in rows.items():
        print(f"| {name} | {p50:.2f} | {cpu:.2f} |")
    direct, proxied = rows["direct"], rows["through Bastion"]
    print(
        f"\nThe proxy adds {proxied[0] - direct[0]:.2f} ms at p50; the platform spends "
        f"{proxied[1]:.2f} CPU ms per request"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
