"""Measurements, the ratios against the issue's targets, and the Markdown tables of a run."""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import subprocess
from dataclasses import asdict, dataclass, replace

# Issue 3: Bastion's page at least 0.6x the bare handler and 2x sandman2 (req/s).
TARGETS = {"bare": 0.6, "sandman2": 2.0}  # issue 3: the admin-session page
KEY_TARGETS = {"page": 0.85, "filter": 0.8, "by_id": 0.8}  # issue 17: the full security path vs bare
# Issue 14: a page with two relationships costs Bastion at most 2.5x its plain page (same run).
RELATED_TARGET = 2.5
MEDIAN_FIELDS = ("p50_ms", "p99_ms", "cpu_ms_per_request", "wrk_cores", "other_cores")


@dataclass(frozen=True)
class Measurement:
    """One wrk run against one server, with the server's CPU time over the run."""

    scenario: str
    server: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    cpu_ms_per_request: float
    errors: int
    bytes_per_request: float
    workers_recycled: int
    wrk_cores: float  # the load generator's CPU over the run, in cores
    other_cores: float  # everything else on the machine (other servers idle, other users' jobs)

    @property
    def rps(self) -> float:
        """Requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        """The measurement with its req/s, for results.json."""
        return asdict(self) | {"rps": round(self.rps, 1)}


@dataclass(frozen=True)
class Usage:
    """CPU seconds over one run: the server's, the load generator's, the whole machine's."""

    server: float
    wrk: float
    machine: float


def measurement(scenario: str, server: str, wrk: dict, usage: Usage, recycled: int) -> Measurement:
    """Build a Measurement from wrk_report.lua's JSON and the CPU used over the run."""
    requests, seconds = wrk["requests"], wrk["duration_us"] / 1e6
    return Measurement(
        scenario=scenario,
        server=server,
        requests=requests,
        seconds=seconds,
        p50_ms=wrk["latency_us"]["p50"] / 1000,
        p99_ms=wrk["latency_us"]["p99"] / 1000,
        cpu_ms_per_request=usage.server * 1000 / requests if requests else float("nan"),
        errors=sum(wrk["errors"].values()),
        bytes_per_request=wrk["bytes"] / requests if requests else 0.0,
        workers_recycled=recycled,
        wrk_cores=usage.wrk / seconds,
        other_cores=max(0.0, usage.machine - usage.server - usage.wrk) / seconds,
    )


def medians(results: list[Measurement]) -> list[Measurement]:
    """Per scenario and server, every figure's median over the rounds (req/s from the median round)."""
    groups: dict[tuple[str, str], list[Measurement]] = {}
    for m in results:
        groups.setdefault((m.scenario, m.server), []).append(m)
    chosen = []
    for group in groups.values():
        middle = sorted(group, key=lambda m: m.rps)[(len(group) - 1) // 2]
        figures = {name: statistics.median(getattr(m, name) for m in group) for name in MEDIAN_FIELDS}
        chosen.append(replace(middle, **figures))
    return chosen


def machine() -> dict:
    """What the numbers were measured on."""
    model = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False).stdout.split("\n")[0]
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": model,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": wrk.split(" [")[0],
        "kernel": platform.release(),
    }


def noise_note(results: list[Measurement], threshold: float = 0.25) -> str:
    """A warning when other processes took a noticeable share of the cores during the runs."""
    busiest = max((m.other_cores for m in results), default=0.0)
    if busiest < threshold:
        return f"Other processes used at most {busiest:.2f} cores during the runs: a quiet machine."
    return (
        f"WARNING: other processes used up to {busiest:.2f} cores during the runs, so req/s are depressed "
        "and noisy; the CPU/req and capacity ratios are the load-independent comparison."
    )


def results_table(results: list[Measurement]) -> str:
    """Markdown: one row per scenario and server."""
    lines = [
        "| request | server | req/s | p50 ms | p99 ms | server CPU ms/req | bytes/resp | errors "
        "| wrk cores | other cores |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in results:
        lines.append(
            f"| {m.scenario} | {m.server} | {m.rps:,.0f} | {m.p50_ms:.2f} | {m.p99_ms:.2f} "
            f"| {m.cpu_ms_per_request:.2f} | {m.bytes_per_request:,.0f} | {m.errors} "
            f"| {m.wrk_cores:.2f} | {m.other_cores:.2f} |"
        )
    return "\n".join(lines)


def ratios(results: list[Measurement]) -> list[dict]:
    """Per scenario, Bastion's req/s and CPU per request over each peer's, with the target verdict."""
    by_key = {(m.scenario, m.server): m for m in results}
    rows = []
    for scenario in dict.fromkeys(m.scenario for m in results):
        for variant in ("bastion", "bastion_key"):
            bastion = by_key.get((scenario, variant))
            for peer, target in TARGETS.items():
                other = by_key.get((scenario, peer))
                if bastion is None or other is None or not other.rps:
                    continue
                if variant == "bastion_key":  # issue 17's targets hold for every request, against bare
                    target = KEY_TARGETS.get(scenario) if peer == "bare" else None
                elif scenario != "page":
                    target = None
                rps = bastion.rps / other.rps
                cpu = bastion.cpu_ms_per_request / other.cpu_ms_per_request
                row = {"scenario": scenario, "variant": variant, "peer": peer, "rps": rps, "cpu": cpu}
                rows.append(row | {"target": target})
    return rows


def ratios_table(rows: list[dict]) -> str:
    """Markdown: Bastion/peer ratios. The issue's targets are on the page's req/s; the capacity ratio
    (peer CPU per request over Bastion's) is what req/s would show with the cores to themselves."""
    lines = [
        "| request | Bastion / peer | req/s ratio | CPU/req ratio | capacity ratio | target (req/s) |",
        "|---|---|---:|---:|---:|---|",
    ]
    for r in rows:
        target = "—"
        if r["target"] is not None:
            measured = "met" if r["rps"] >= r["target"] else "MISSED"
            capacity = "met" if 1 / r["cpu"] >= r["target"] else "MISSED"
            target = f"≥ {r['target']}×: {measured} (by capacity: {capacity})"
        lines.append(
            f"| {r['scenario']} | {r['variant']} / {r['peer']} | {r['rps']:.2f}× | {r['cpu']:.2f}× "
            f"| {1 / r['cpu']:.2f}× | {target} |"
        )
    return "\n".join(lines)


def related_cost(results: list[Measurement]) -> str:
    """Markdown: what the related scenario costs each server over its own plain page, in req/s and CPU."""
    by_key = {(m.scenario, m.server): m for m in results}
    lines = ["| server | page / related req/s | related / page CPU ms/req | target |", "|---|---:|---:|---|"]
    for server in dict.fromkeys(m.server for m in results):
        page, related = by_key.get(("page", server)), by_key.get(("related", server))
        if page is None or related is None or not related.rps:
            continue
        cost, cpu = page.rps / related.rps, related.cpu_ms_per_request / page.cpu_ms_per_request
        verdict = "met" if cost <= RELATED_TARGET else "MISSED"
        target = f"≤ {RELATED_TARGET}×: {verdict}" if server == "bastion" else "—"
        lines.append(f"| {server} | {cost:.2f}× | {cpu:.2f}× | {target} |")
    return "\n".join(lines) if len(lines) > 2 else ""
