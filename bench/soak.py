"""Soak run of the data API under database faults, ending with a ledger audit (issue 13).

    .venv/bin/python bench/soak.py [--engines sqlite,postgresql,mysql] [--writers 50] [--seconds 60]
                                   [--batch 5] [--mode stop] [--workers 2]
                                   [--fault | --no-fault]

Starts the platform under gunicorn with deploy/gunicorn.conf.py, and for each engine in turn creates a
ledger database (bench/soak_engines.py), registers it as a data service, and lets --writers threads POST
records with client-generated uids for --seconds (bench/soak_writers.py). Halfway through, the engine's
fault is injected: an outside lock (SQLite, MariaDB) or a restart (PostgreSQL). Then the ledger is read
straight from the database and audited against what the clients were told:

- lost: acknowledged but not in the table;
- duplicated: a uid present more than once, or an acknowledged key that is not that record's row;
- phantom: in the table although its client was refused (or it was never sent).

Exits 1 when any of the three is above 0. Traffic goes to 127.0.0.1 only; the servers, the PostgreSQL
cluster and the scratch databases are always removed. Outputs go to bench/results/soak-<time>/.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(1, str(ROOT))  # tests/ holds the PostgreSQL cluster and scratch databases this reuses

import servers  # noqa: E402
import soak_platform  # noqa: E402
from soak_engines import LEDGERS, TABLE, Ledger  # noqa: E402
from soak_platform import Platform  # noqa: E402
from soak_writers import Tally, run_writers  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
MODES = {"stop": "", "rollback": "?rollback=true", "continue": "?continue=true"}  # DESIGN §5 batches


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engines", default="sqlite,postgresql,mysql", help="comma list (all three)")
    parser.add_argument("--writers", type=int, default=50, help="concurrent writers (50)")
    parser.add_argument("--seconds", type=float, default=60, help="seconds of writing per engine (60)")
    parser.add_argument("--batch", type=int, default=5, help="records per POST (5)")
    parser.add_argument("--mode", choices=sorted(MODES), default="stop", help="batch mode (stop)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2, of 8 threads)")
    parser.add_argument("--fault", action=argparse.BooleanOptionalAction, default=True, help="inject (yes)")
    args = parser.parse_args(argv)
    args.engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = [e for e in args.engines if e not in LEDGERS]
    if unknown or not args.engines:
        parser.error(f"--engines: unknown {unknown}; choose from {sorted(LEDGERS)}")
    if not (1 <= args.writers <= 500 and 1 <= args.seconds <= 3600 and 1 <= args.batch <= 100):
        parser.error("need 1 <= writers <= 500, 1 <= seconds <= 3600, 1 <= batch <= 100")
    if args.workers < 1:
        parser.error("need workers >= 1")
    return args


def audit(tally: Tally, rows: list[tuple[int, str]]) -> dict:
    """Compare the table with what the clients were told."""
    present = Counter(uid for _, uid in rows)
    key_of = {uid: key for key, uid in rows}
    lost = [uid for uid in tally.acknowledged if uid not in present]
    duplicated = [uid for uid, count in present.items() if count > 1]
    # An acknowledged key that is not the row holding that uid would be a duplicate in disguise (a uid
    # present twice is counted once, above).
    wrong_key = [
        uid for uid, key in tally.acknowledged.items() if present[uid] == 1 and str(key_of[uid]) != str(key)
    ]
    phantom = [uid for uid in present if uid not in tally.acknowledged and uid not in tally.unknown]
    refused_present = [uid for uid in phantom if uid in tally.refused]
    return {
        "rows": len(rows),
        "lost": len(lost),
        "duplicated": len(duplicated) + len(wrong_key),
        "phantom": len(phantom),
        "phantom_refused": len(refused_present),
        "phantom_never_sent": len(phantom) - len(refused_present),
        "unknown_present": sum(1 for uid in tally.unknown if uid in present),
        "unknown_absent": sum(1 for uid in tally.unknown if uid not in present),
        "examples": {"lost": lost[:5], "duplicated": (duplicated + wrong_key)[:5], "phantom": phantom[:5]},
    }


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _timeline(tally: Tally) -> list[str]:
    # One line per second of the run: answers by class, so the fault and the recovery can be read off.
    seconds = sorted({second for second, _ in tally.timeline})
    lines = []
    for second in seconds:
        counts = {kind: tally.timeline[(second, kind)] for kind in ("2xx", "4xx", "5xx", "none")}
        lines.append(f"{second:4d} s  " + "  ".join(f"{k} {v:4d}" for k, v in counts.items()))
    return lines


def summary(engine: str, ledger: Ledger, tally: Tally, elapsed: float, result: dict, events: list) -> dict:
    """One engine's figures for the report."""
    return {
        "engine": engine,
        "fault": ledger.fault_name if events else "none",
        "fault_events": events,
        "seconds": round(elapsed, 1),
        "requests": sum(tally.statuses.values()),
        "statuses": dict(sorted(tally.statuses.items())),
        "records_sent": tally.sent,
        "acknowledged": len(tally.acknowledged),
        "refused": len(tally.refused),
        "unknown": len(tally.unknown),
        "p50_ms": round(_percentile(tally.latencies, 0.50) * 1000, 1),
        "p99_ms": round(_percentile(tally.latencies, 0.99) * 1000, 1),
        "max_ms": round(max(tally.latencies, default=0) * 1000, 1),
        "acknowledged_per_s": round(len(tally.acknowledged) / elapsed, 1),
        "requests_per_s": round(sum(tally.statuses.values()) / elapsed, 1),
        "refusals": dict(tally.messages.most_common(6)),
        "timeline": _timeline(tally),
        "audit": result,
    }


def soak_engine(args: argparse.Namespace, platform: Platform, engine: str, workdir: Path) -> dict:
    """One engine: ledger, service, writers with the fault halfway, audit; always cleaned up."""
    ledger = LEDGERS[engine]()
    try:
        config = ledger.open(workdir)
        service = f"soak_{engine}"
        platform.add_service(service, config, TABLE)
        url = f"{platform.url}/api/v2/{service}/_table/{TABLE}{MODES[args.mode]}"
        stop, events = threading.Event(), []
        injector = threading.Thread(target=_inject, args=(ledger, args, stop, events), daemon=True)
        if args.fault:
            injector.start()
        print(f"  {args.writers} writers for {args.seconds:g} s ...", flush=True)
        try:
            tally, elapsed = run_writers(url, platform.api_key, args.writers, args.batch, args.seconds)
        finally:
            stop.set()
            if injector.is_alive():
                injector.join(timeout=60)
        return summary(engine, ledger, tally, elapsed, audit(tally, ledger.rows()), events)
    finally:
        ledger.close()


def _inject(ledger: Ledger, args: argparse.Namespace, stop: threading.Event, events: list) -> None:
    if stop.wait(args.seconds / 2):
        return
    try:
        events.extend(f"{args.seconds / 2:g} s + {e.strip()}" for e in ledger.fault(stop))
    except Exception as error:  # noqa: BLE001 (reported, the run goes on)
        events.append(f"fault failed: {error!r}")


def render(results: list[dict], args: argparse.Namespace) -> str:
    """The Markdown table of the run."""
    lines = [
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {args.writers} writers x {args.seconds:g} s, "
        f"batches of {args.batch} ({args.mode} mode), {args.workers} gunicorn workers",
        "",
        "| engine | fault | requests | statuses | records ack / refused / unknown | p50 / p99 ms | ack/s "
        "| lost | dup | phantom |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        a = r["audit"]
        statuses = ", ".join(f"{k}: {v}" for k, v in r["statuses"].items())
        lines.append(
            f"| {r['engine']} | {r['fault']} | {r['requests']:,} | {statuses} | {r['acknowledged']:,} / "
            f"{r['refused']:,} / {r['unknown']:,} | {r['p50_ms']} / {r['p99_ms']} "
            f"| {r['acknowledged_per_s']} | {a['lost']} | {a['duplicated']} | {a['phantom']} |"
        )
    return "\n".join(lines)


def _terminate(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")  # unwinds like Ctrl-C: everything is cleaned up


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (1 when the audit finds anything)."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    workdir = RESULTS / time.strftime("soak-%Y%m%d-%H%M%S")
    workdir.mkdir(parents=True)
    results = []
    try:
        platform = soak_platform.start(workdir, args.workers)
        try:
            for engine in args.engines:
                print(f"{engine}:", flush=True)
                results.append(soak_engine(args, platform, engine, workdir))
                print(json.dumps(results[-1], indent=1), flush=True)
        finally:
            servers.stop(platform.server)
    except KeyboardInterrupt:
        print("\nInterrupted; servers and databases removed.", file=sys.stderr)
        return 130
    text = render(results, args)
    (workdir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (workdir / "report.md").write_text(text + "\n")
    print("\n" + text + f"\n\nLogs and results in {workdir}")
    bad = sum(r["audit"][k] for r in results for k in ("lost", "duplicated", "phantom"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
