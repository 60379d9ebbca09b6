"""Load benchmark of the data API: Bastion next to a bare Flask handler and sandman2, in one run.

    .venv/bin/python bench/data_bench.py [--suite base|all|million,...] [--duration 10] [--rounds 1]

Builds the demo database with 100,000 employees, starts the three servers on it under gunicorn with
deploy/gunicorn.conf.py (same worker count for all), checks that they answer the same records, then
runs wrk against each for a 25-row page, a filtered page and a by-id read. `--suite all` then runs the
scale suites of bench/suites.py one after the other (1M rows, admin lists, PostgreSQL), each on its own
servers, into the same report. Reports req/s, p50/p99 latency
and the servers' CPU milliseconds per request, with Bastion's ratios to the two peers. With --profile,
Bastion is then sampled with py-spy under the same load and its hot spots are ranked. The servers are
always stopped, on errors and on Ctrl-C too. Outputs go to bench/results/<time>/ (see bench/README.md).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import hotspots
import load
import platforms
import report
import scale_report
import servers
import suites
from load import Load, Scenario
from pg_copy import postgres_copy, service_config
from servers import Server
from suites import Suite

from bastion.demo_seed import create_demo_database

RESULTS = Path(__file__).resolve().parent / "results"
STARTERS: dict[str, Callable[[Path, Path, int], Server]] = {
    "bastion": platforms.start_bastion,
    "bastion_key": platforms.start_bastion_key,
    "bare": platforms.start_bare,
    "sandman2": platforms.start_sandman2,
}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured run (10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up before each run (2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server (2)")
    parser.add_argument("--rounds", type=int, default=1, help="sweeps over all runs; medians reported (1)")
    parser.add_argument("--servers", default="bastion,bare,sandman2", help="comma list; also bastion_key")
    parser.add_argument("--scenarios", default="page,filter,related,by_id", help="comma list (all four)")
    parser.add_argument("--profile", action="store_true", help="then profile Bastion with py-spy")
    parser.add_argument("--suite", default="base", help="base (default), all, or a comma list of suites")
    args = parser.parse_args(argv)
    args.servers = _choices(parser, "servers", args.servers, STARTERS)
    args.scenarios = _choices(parser, "scenarios", args.scenarios, {s.name for s in load.SCENARIOS})
    if args.duration <= 0 or args.warmup < 0 or args.connections < args.threads or args.threads < 1:
        parser.error("need duration > 0, warmup >= 0 and connections >= threads >= 1")
    if args.workers < 1 or args.rounds < 1:
        parser.error("need workers >= 1 and rounds >= 1")
    if args.profile and not any(name.startswith("bastion") for name in args.servers):
        parser.error("--profile profiles Bastion: keep it in --servers")
    try:
        args.suites = suites.chosen(args.suite)
    except ValueError as error:
        parser.error(str(error))
    return args


def _choices(parser: argparse.ArgumentParser, option: str, text: str, known) -> list[str]:
    chosen = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in known]
    if unknown or not chosen:
        parser.error(f"--{option}: unknown {unknown}; choose from {sorted(known)}")
    return chosen


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(load_: Load, scenario: Scenario, server: Server) -> report.Measurement:
    """Warm up, then one timed wrk run with CPU time (server, wrk, machine) read before and after."""
    url = server.url + load.path(scenario, server)
    if load_.warmup:
        load.run_wrk(load_, url, server.headers, load_.warmup)
    boots = server.worker_boots()
    before = (servers.cpu_seconds(server.process.pid), _children_cpu(), servers.machine_busy_seconds())
    result = load.run_wrk(load_, url, server.headers, load_.duration)
    after = (servers.cpu_seconds(server.process.pid), _children_cpu(), servers.machine_busy_seconds())
    usage = report.Usage(*(b - a for a, b in zip(before, after, strict=True)))
    return report.measurement(scenario.name, server.name, result, usage, server.worker_boots() - boots)


def sweep(load_: Load, scenarios: list[Scenario], running: list[Server], rounds: int):
    """Every scenario on every server, rounds times over; yields each measurement as it is taken."""
    for round_ in range(1, rounds + 1):
        if rounds > 1:
            print(f"Round {round_} of {rounds}", flush=True)
        for scenario in scenarios:
            for server in load.serving(scenario, running):
                m = measure(load_, scenario, server)
                print(
                    f"  {scenario.name:<7} {server.name:<9} {m.rps:8,.0f} req/s  p50 {m.p50_ms:6.2f} ms  "
                    f"p99 {m.p99_ms:6.2f} ms  {m.cpu_ms_per_request:5.2f} CPU ms/req",
                    flush=True,
                )
                yield m


def profile(load_: Load, scenarios: list[Scenario], bastion: Server, workdir: Path) -> None:
    """Sample Bastion's workers with py-spy under each scenario's load; write and print the ranking."""
    hotspots.ensure_py_spy()
    for scenario in scenarios:
        raw = workdir / f"profile-{scenario.name}.raw"
        print(f"Profiling {bastion.name} under {scenario.name} ...", flush=True)
        sampler = hotspots.record(bastion.process.pid, load_.duration, raw)
        try:
            time.sleep(0.5)  # let py-spy attach before the load starts
            load.run_wrk(load_, bastion.url + load.path(scenario, bastion), bastion.headers, load_.duration)
            sampler.wait(timeout=30)
        finally:
            if sampler.poll() is None:
                sampler.kill()
        text = hotspots.summary(raw) if raw.exists() else f"py-spy wrote no {raw.name}"
        (workdir / f"profile-{scenario.name}.txt").write_text(text + "\n")
        print("\n".join(text.splitlines()[:16]) + "\n", flush=True)


def run(args: argparse.Namespace, workdir: Path) -> list[report.Measurement]:
    """Every chosen suite in turn, each on its own servers; all measurements in one list."""
    load_ = Load(load.ensure_wrk(), args.duration, args.warmup, args.connections, args.threads)
    results: list[report.Measurement] = []
    for suite in args.suites:
        print(f"Suite {suite.name}", flush=True)
        folder = workdir / suite.name
        folder.mkdir()
        results += run_suite(args, load_, suite, folder)
    return results


def seeded(suite: Suite) -> Path:
    """The suite's SQLite file: rebuilt each run, or for a cached suite built once and kept."""
    db_path = RESULTS / f"employees-{suite.employees}.db"
    if suite.cached and db_path.exists():
        print(f"Reusing {db_path.name}", flush=True)
        return db_path
    print(f"Seeding {db_path.name} with {suite.employees:,} employees ...", flush=True)
    create_demo_database(str(db_path), employees=suite.employees, force=True)
    if suite.analyze:
        suites.analyze(db_path)
    return db_path


def run_suite(args: argparse.Namespace, load_: Load, suite: Suite, workdir: Path) -> list[report.Measurement]:
    """Start the suite's servers, prepare and check its answers, load each scenario; stop them all."""
    db_path = seeded(suite)
    names = [name for name in args.servers if name in suite.servers]
    with contextlib.ExitStack() as stack:
        pg_url = stack.enter_context(postgres_copy(db_path)) if suite.engine == "postgresql" else None
        running: list[Server] = []
        stack.callback(lambda: [servers.stop(server) for server in running])
        for name in names:
            print(f"Starting {name} ...", flush=True)
            running.append(_start(name, workdir, db_path, args.workers, pg_url))
        scenarios = [s for s in suite.scenarios if suite.name != "base" or s.name in args.scenarios]
        bastion = next((s for s in running if s.name == "bastion"), None)
        if suite.prepare is not None and bastion is not None:
            print(f"Preparing {suite.name} ...", flush=True)
            learnt = suite.prepare(bastion)
            scenarios = [_filled(s, learnt) for s in scenarios]
        for scenario in scenarios:
            suites.check_answers(suite, scenario, running)
        results = list(sweep(load_, scenarios, running, args.rounds))
        # The first Bastion variant named (bastion_key alone profiles the full security path).
        profiled = next((s for s in running if s.name.startswith("bastion")), None)
        if args.profile and profiled is not None:
            profile(load_, scenarios, profiled, workdir)
        return results


def _start(name: str, workdir: Path, db_path: Path, workers: int, pg_url: str | None) -> Server:
    if pg_url is None:
        return STARTERS[name](workdir, db_path, workers)
    if name == "bastion":
        return platforms.start_bastion(workdir, db_path, workers, service_config(pg_url))
    return platforms.start_bare(workdir, db_path, workers, pg_url)


def _filled(scenario: Scenario, learnt: dict[str, str]) -> Scenario:
    """The scenario with paths the preparation learnt ("{cursor}") put in."""
    paths = {server: learnt.get(path.strip("{}"), path) for server, path in scenario.paths.items()}
    return Scenario(scenario.name, scenario.label, paths)


def _git_state() -> str:
    root = RESULTS.parent.parent
    command = ["git", "-C", str(root), "describe", "--always", "--dirty"]
    return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip() or "unknown"


def write_report(args: argparse.Namespace, workdir: Path, results: list[report.Measurement]) -> str:
    """results.json (every round) and report.md (medians) in the run's folder; returns the Markdown."""
    info = report.machine() | {"bastion_tree": _git_state()}
    settings = {k: getattr(args, k) for k in ("duration", "warmup", "connections", "threads", "workers")}
    settings["rounds"] = args.rounds
    settings["suite"] = args.suite
    chosen = report.medians(results)
    text = "\n\n".join(
        [
            f"Machine: {info['nproc']} CPUs, {info['cpu']}; Python {info['python']}, "
            f"SQLite {info['sqlite']}, {info['wrk']}; Bastion tree {info['bastion_tree']}; "
            f"settings {settings}",
            report.results_table(chosen),
            report.ratios_table(report.ratios(chosen)),
            report.related_cost(chosen),
            scale_report.scale_table(chosen, [pair for suite in args.suites for pair in suite.pairs]),
            report.noise_note(results),
        ]
    )
    payload = {"machine": info, "settings": settings, "results": [m.as_dict() for m in results]}
    (workdir / "results.json").write_text(json.dumps(payload, indent=2) + "\n")
    (workdir / "report.md").write_text(text + "\n")
    return text


def _terminate(signum, _frame):
    # SIGTERM unwinds like Ctrl-C, so the finally blocks stop the servers.
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    workdir = RESULTS / time.strftime("%Y%m%d-%H%M%S")
    workdir.mkdir(parents=True)
    try:
        results = run(args, workdir)
    except KeyboardInterrupt:
        print("\nInterrupted; servers stopped.", file=sys.stderr)
        return 130
    except (RuntimeError, subprocess.SubprocessError, OSError) as error:
        print(f"data_bench: {error}", file=sys.stderr)
        return 1
    print("\n" + write_report(args, workdir, results))
    print(f"\nLogs and results in {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
