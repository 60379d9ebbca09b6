"""The soak run's writers: threads that POST ledger records until a deadline and note every answer.

Each record carries a uid generated here, so what the server said about it can be checked against the
table afterwards. A record's outcome is what its client was told:

- acknowledged: a 2xx whose resource entry carries the record's key, or a failed batch (400) whose
  entry for it is a result (committed before the failing record);
- refused: any other 4xx/5xx, or a failed batch's error/null entry for it (not written, says the server);
- unknown: no answer (timeout, connection error): the record may or may not be there.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

import requests

REQUEST_TIMEOUT = 45.0  # longer than the platform's 30 s query_timeout: a slow answer still comes back
MAX_BACKOFF = 1.0  # a refused writer waits min(Retry-After, this) before its next request


@dataclass
class Tally:
    """Everything the writers saw: each record's outcome, each request's status and latency."""

    acknowledged: dict[str, object] = field(default_factory=dict)  # uid -> key the server answered
    refused: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)
    statuses: Counter = field(default_factory=Counter)  # "201", "503", "timeout", ...
    latencies: list[float] = field(default_factory=list)  # seconds, every request that got an answer
    messages: Counter = field(default_factory=Counter)  # "503 <message>" of refusals, for the report
    timeline: Counter = field(default_factory=Counter)  # (second of the run, "2xx" | "4xx" | "5xx" | "none")

    def merge(self, other: Tally) -> None:
        """Add another writer's tally to this one."""
        self.acknowledged.update(other.acknowledged)
        self.refused |= other.refused
        self.unknown |= other.unknown
        self.statuses += other.statuses
        self.latencies += other.latencies
        self.messages += other.messages
        self.timeline += other.timeline

    @property
    def sent(self) -> int:
        """Records sent in all."""
        return len(self.acknowledged) + len(self.refused) + len(self.unknown)


def classify(tally: Tally, uids: list[str], status: int, body) -> None:
    """Note each record's outcome from one answer."""
    entries = _entries(status, body)
    for index, uid in enumerate(uids):
        entry = entries[index] if index < len(entries) else None
        if isinstance(entry, dict) and "error" not in entry and "id" in entry:
            tally.acknowledged[uid] = entry["id"]
        else:
            tally.refused.add(uid)
    if status >= 400 and isinstance(body, dict):
        message = str((body.get("error") or {}).get("message", ""))[:90]
        tally.messages[f"{status} {message}"] += 1


def _entries(status: int, body) -> list:
    if not isinstance(body, dict):
        return []
    if 200 <= status < 300:
        resource = body.get("resource", [])
    elif status == 400:
        resource = ((body.get("error") or {}).get("context") or {}).get("resource", [])
    else:
        return []
    return resource if isinstance(resource, list) else []


def write_until(
    url: str, api_key: str, writer: int, batch: int, window: tuple[float, float], tally: Tally
) -> None:
    """POST batches of fresh records from window's start until its end; note every answer in tally."""
    start, deadline = window
    session = requests.Session()
    session.headers.update({"X-Api-Key": api_key, "Content-Type": "application/json"})
    seq = 0
    try:
        while time.monotonic() < deadline:
            records = []
            for _ in range(batch):
                records.append({"uid": str(uuid.uuid4()), "writer": writer, "seq": seq})
                seq += 1
            uids = [r["uid"] for r in records]
            started = time.monotonic()
            try:
                response = session.post(url, json={"resource": records}, timeout=REQUEST_TIMEOUT)
            except requests.RequestException as error:
                tally.unknown.update(uids)
                tally.statuses[type(error).__name__] += 1
                tally.timeline[(int(time.monotonic() - start), "none")] += 1
                session.close()  # a broken connection is not reused
                session = _fresh(session)
                continue
            tally.latencies.append(time.monotonic() - started)
            tally.statuses[str(response.status_code)] += 1
            tally.timeline[(int(time.monotonic() - start), f"{response.status_code // 100}xx")] += 1
            try:
                body = response.json()
            except ValueError:
                body = None
            classify(tally, uids, response.status_code, body)
            if response.status_code in (429, 503):
                time.sleep(_backoff(response.headers.get("Retry-After")))
    finally:
        session.close()


def _fresh(old: requests.Session) -> requests.Session:
    session = requests.Session()
    session.headers.update(old.headers)
    return session


def _backoff(retry_after: str | None) -> float:
    try:
        wanted = float(retry_after) if retry_after else 0.2
    except ValueError:
        wanted = 0.2
    # Jittered, so refused writers do not all come back in the same instant.
    return min(wanted, MAX_BACKOFF) * random.uniform(0.5, 1.0)  # noqa: S311 (not for security)


def run_writers(url: str, api_key: str, writers: int, batch: int, seconds: float) -> tuple[Tally, float]:
    """Run the writers to the deadline, wait for their last answers; the merged tally and the elapsed time."""
    started = time.monotonic()
    deadline = started + seconds
    window = (started, deadline)
    tallies = [Tally() for _ in range(writers)]
    threads = [
        threading.Thread(target=write_until, args=(url, api_key, n, batch, window, tally), daemon=True)
        for n, tally in enumerate(tallies)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        # A request sent just before the deadline still gets its full timeout.
        thread.join(timeout=max(0.0, deadline - time.monotonic()) + REQUEST_TIMEOUT + 5)
    total = Tally()
    for tally in tallies:
        total.merge(tally)
    stuck = sum(thread.is_alive() for thread in threads)
    if stuck:
        raise RuntimeError(f"{stuck} writers did not finish within their request timeout")
    return total, time.monotonic() - started
