"""Profile a server under load with py-spy and summarise where its workers spend their CPU.

py-spy (PyPI) is installed into bench/.venv-tools on first use. It samples the gunicorn master and its
workers (``--subprocesses``) while wrk loads one request, and writes collapsed stacks ("raw" format). The
summary ranks, as a share of all samples of request handling:

- Bastion's own lines (``bastion/...:line``) by inclusive time: the call sites to look at first;
- every function by inclusive time (file, function), whatever the package;
- leaf frames by self time: where the interpreter actually was.

Sampling pauses the workers, so profiled runs are never the measured ones.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
TOOLS_VENV = BENCH / ".venv-tools"
PY_SPY_PIN = "py-spy==0.4.3"
RATE = 100
REQUEST_FRAME = "Flask.wsgi_app ("
# Where a request's time goes, by the first marker found in a sampled stack (the order matters).
STAGES = (
    ("caller identity: session token + user rows (auth.identify)", "identify (bastion/auth.py"),
    ("access snapshot version check (access_index.current_index)", "current_index (bastion/access_index"),
    ("service row lookup (registry.find_active_service)", "find_active_service (bastion/registry.py"),
    ("engine and schema lookup (registry.open_service, .table)", "(bastion/registry.py"),
    ("data query: build, execute, fetch, convert (data/records.py)", "(bastion/data/records.py"),
    ("query parameters (data/params.py)", "(bastion/data/params.py"),
    ("response: JSON, headers, log line (Flask.finalize_request)", "Flask.finalize_request ("),
)
FRAME = re.compile(r"^(?P<func>.+) \((?P<file>[^():]+):(?P<line>\d+)\)$")


def ensure_py_spy() -> Path:
    """py-spy in bench/.venv-tools, installed from PyPI when missing."""
    py_spy = TOOLS_VENV / "bin" / "py-spy"
    if not py_spy.exists():
        print(f"Installing {PY_SPY_PIN} into {TOOLS_VENV.relative_to(BENCH.parent)} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS_VENV)], check=True, timeout=120)
        pip = [str(TOOLS_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "--disable-pip-version-check", PY_SPY_PIN], check=True, timeout=300)
    return py_spy


def record(master_pid: int, seconds: float, output: Path) -> subprocess.Popen:
    """Start py-spy on a gunicorn master and its workers; wait on the returned process."""
    command = [str(ensure_py_spy()), "record", "--pid", str(master_pid), "--subprocesses"]
    command += ["--rate", str(RATE), "--duration", str(max(1, round(seconds))), "--format", "raw"]
    command += ["--output", str(output), "--nonblocking"]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def read_stacks(path: Path) -> tuple[list[tuple[list[str], int]], int]:
    """The sampled stacks of request handling (frames outermost first, sample counts) and all samples."""
    stacks, everything = [], 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [f for f in stack.split(";") if not f.startswith("process ")]
        everything += int(count)
        for i, frame in enumerate(frames):
            if frame.startswith(REQUEST_FRAME):
                stacks.append((frames[i:], int(count)))
                break
    return stacks, everything


def _short(frame: str, keep_line: bool) -> str:
    match = FRAME.match(frame)
    if not match:
        return frame
    where = f"{match['file']}:{match['line']}" if keep_line else match["file"]
    return f"{where} {match['func']}"


def rank(stacks: list[tuple[list[str], int]]) -> dict[str, Counter]:
    """Inclusive counts of Bastion lines and of functions, and self counts of leaf frames."""
    own, functions, leaves = Counter(), Counter(), Counter()
    for frames, count in stacks:
        for key in {_short(f, True) for f in frames if "(bastion/" in f}:
            own[key] += count
        for key in {_short(f, False) for f in frames}:
            functions[key] += count
        leaves[_short(frames[-1], True)] += count
    return {"bastion lines (inclusive)": own, "functions (inclusive)": functions, "leaf (self)": leaves}


def stages(stacks: list[tuple[list[str], int]]) -> Counter:
    """Samples per request stage (STAGES), the rest as Flask/werkzeug dispatch."""
    counts = Counter()
    for frames, count in stacks:
        text = ";".join(frames)
        label = next((label for label, marker in STAGES if marker in text), "Flask and werkzeug dispatch")
        counts[label] += count
    return counts


def summary(path: Path, top: int = 25) -> str:
    """A plain-text ranking of one raw profile."""
    stacks, everything = read_stacks(path)
    total = sum(count for _, count in stacks)
    if not total:
        return f"{path.name}: no sample inside a request"
    parts = [
        f"{path.name}: {everything} busy samples, {total} inside Flask.wsgi_app "
        f"({100 * total / everything:.0f}%); percentages below are of the samples inside requests"
    ]
    parts.append("\nrequest stages:")
    parts += [f"  {100 * n / total:5.1f}%  {label}" for label, n in stages(stacks).most_common()]
    for title, counts in rank(stacks).items():
        parts.append(f"\n{title}:")
        parts += [f"  {100 * n / total:5.1f}%  {key}" for key, n in counts.most_common(top)]
    return "\n".join(parts)
