"""The scale table of a run: a scenario's cost next to its baseline's, on Bastion, against the target.

Cliffs show as ratios within one server (a deep page against the first page, a list of 1,000 roles
against a list of one), so this table divides Bastion's figures by Bastion's own.
"""

from __future__ import annotations

from report import Measurement


def scale_table(results: list[Measurement], pairs: list[tuple[str, str, float]]) -> str:
    """Markdown: per pair, Bastion's CPU ms/request and p50 ratios to the baseline, and the verdict."""
    by_key = {(m.scenario, m.server): m for m in results}
    lines = [
        "| request | baseline | CPU ms/req | baseline CPU ms/req | CPU ratio | p50 ratio | target |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for scenario, baseline, target in pairs:
        one, base = by_key.get((scenario, "bastion")), by_key.get((baseline, "bastion"))
        if one is None or base is None or not base.cpu_ms_per_request or not base.p50_ms:
            continue
        cpu = one.cpu_ms_per_request / base.cpu_ms_per_request
        verdict = "met" if cpu <= target else "MISSED"
        lines.append(
            f"| {scenario} | {baseline} | {one.cpu_ms_per_request:.2f} | {base.cpu_ms_per_request:.2f} "
            f"| {cpu:.2f}× | {one.p50_ms / base.p50_ms:.2f}× | ≤ {target}×: {verdict} |"
        )
    return "\n".join(lines)
