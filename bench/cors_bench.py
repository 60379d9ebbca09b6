"""CORS matching cost: a simple cross-origin GET with 1 rule versus 1,000 rules, in one run (issue 5).

Usage: .venv/bin/python bench/cors_bench.py [--duration 8] [--rounds 3] [--connections 16] [--workers 2]

Bastion runs under gunicorn with the repo's config; wrk sends GET /api/v2/<svc>/_table/employees/1 with an
Origin header that the `api/v2/*` rule (made by `bastion init`) allows. Then 999 more rules are added
through the admin API (other services' paths, the same service's other tables, and globs), and the same
request is measured again. Rounds alternate 1 and 1,000 rules to spread drift on a shared machine; the
report gives medians of req/s and server CPU ms per request, and the 1,000/1 ratio (target: within 10%).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "backend"))

import load  # noqa: E402
import platforms  # noqa: E402
import servers  # noqa: E402

from bastion.demo_seed import create_demo_database  # noqa: E402

ORIGIN = "http://127.0.0.1:5173"


def distractor_rules(count: int) -> list[dict]:
    """Rules on other paths, some sharing the measured path's prefix, none matching it more closely."""
    rules = []
    for i in range(count):
        path = (f"api/v2/other{i}/*", f"api/v2/{platforms.SERVICE}/_table/t{i}", f"*/x{i}/*")[i % 3]
        rules.append({"path": path, "origins": [f"https://app{i}.example.com"], "methods": ["GET"]})
    return rules


def measure(server: servers.Server, wrk: load.Load, url: str, headers: dict) -> tuple[float, float]:
    """(req/s, server CPU ms per request) of one timed wrk run."""
    load.run_wrk(wrk, url, headers, wrk.warmup)
    before = servers.cpu_seconds(server.process.pid)
    report = load.run_wrk(wrk, url, headers, wrk.duration)
    used = servers.cpu_seconds(server.process.pid) - before
    requests = max(report["requests"], 1)
    return report["requests"] / wrk.duration, used * 1000 / requests


def add_rules(server: servers.Server, rules: list[dict]) -> None:
    """Add rules in one batch request."""
    status, answer = servers.http_json(
        "POST", server.url + "/api/v2/system/cors", {"resource": rules}, server.headers
    )
    if status != 201:
        raise RuntimeError(f"adding rules answered {status}: {str(answer)[:300]}")


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    wrk = load.Load(load.ensure_wrk(), args.duration, args.warmup, args.connections, 2)
    with tempfile.TemporaryDirectory(prefix="cors-bench-") as tmp:
        work = Path(tmp)
        create_demo_database(str(work / "demo.db"), employees=1000)
        # Two identical platforms, one with 999 extra rules, measured in turns so drift hits both.
        (work / "one").mkdir()
        (work / "many").mkdir()
        one = platforms.start_bastion(work / "one", work / "demo.db", args.workers)
        try:
            many = platforms.start_bastion(work / "many", work / "demo.db", args.workers)
            try:
                add_rules(many, distractor_rules(999))
                return _compare({1: one, 1000: many}, wrk, args.rounds)
            finally:
                servers.stop(many)
        finally:
            servers.stop(one)


def _compare(platforms_by_rules: dict[int, servers.Server], wrk: load.Load, rounds: int) -> int:
    results: dict[int, list[tuple[float, float]]] = {n: [] for n in platforms_by_rules}
    for _ in range(rounds):
        for count, server in platforms_by_rules.items():
            _, rules = servers.http_json("GET", server.url + "/api/v2/system/cors", None, server.headers)
            assert len(rules["resource"]) == count, len(rules["resource"])
            url = f"{server.url}/api/v2/{platforms.SERVICE}/_table/employees/1"
            results[count].append(measure(server, wrk, url, {**server.headers, "Origin": ORIGIN}))
    return _report(results)


def _report(results: dict[int, list[tuple[float, float]]]) -> int:
    rows = {
        n: (statistics.median(r for r, _ in runs), statistics.median(c for _, c in runs))
        for n, runs in results.items()
    }
    print("| enabled rules | req/s (median) | server CPU ms/req (median) |")
    print("|---:|---:|---:|")
    for count, (rate, cpu) in rows.items():
        print(f"| {count} | {rate:.0f} | {cpu:.2f} |")
    ratio_rate = rows[1000][0] / rows[1][0]
    ratio_cpu = rows[1000][1] / rows[1][1]
    print(
        f"\n1,000 rules / 1 rule: req/s {ratio_rate:.2f}x, CPU per request {ratio_cpu:.2f}x "
        f"(target: within 10%: {'MET' if abs(ratio_cpu - 1) <= 0.10 else 'MISSED'} by CPU)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
