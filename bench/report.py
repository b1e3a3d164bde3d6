"""The side-by-side benchmark's report: Markdown tables, the derived ratios, the targets, and its place in
BENCHMARKS.md (between two marker comments, so the prose around it stays as written)."""

from __future__ import annotations

import re
from pathlib import Path

START, END = "<!-- side-by-side results: start -->", "<!-- side-by-side results: end -->"
PYTHON_PEERS = ("ContextForge", "mcp-proxy")
MB = 1024 * 1024


def best_rps(figures: dict) -> float:
    return max(run["rps"] for run in figures["load"].values())


def failed(figures: dict) -> int:
    return sum(run["errors"] + run["wrong"] for run in figures["load"].values())


def seconds_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def latency_text(run: dict) -> str:
    """p50 and p99 columns; dashes when no call completed within the run."""
    return "— | —" if not run["requests"] else f"{run['p50_ms']:.2f} | {run['p99_ms']:.2f}"


def cpu_text(run: dict) -> str:
    return "—" if run.get("cpu_ms_per_call") is None else f"{run['cpu_ms_per_call']:.3f}"


def systems_tables(results: list[dict], concurrencies: tuple[int, ...]) -> list[str]:
    lines = ["| system | start → first call | RSS idle | RSS under load | "
             + " | ".join(f"req/s at {c}" for c in concurrencies) + " | calls | failed |",
             "|---|---:|---:|---:|" + "---:|" * len(concurrencies) + "---:|---:|"]
    for r in results:
        first = f" (fresh: {seconds_text(r['first_start_s'])})" if r.get("first_start_s") else ""
        lines.append(f"| {r['label']} | {seconds_text(r['ready_s'])}{first} | {r['rss_idle'] / MB:.1f} MB | "
                     f"{r['rss_load'] / MB:.1f} MB | "
                     + " | ".join(f"{r['load'][c]['rps']:.0f}" for c in concurrencies)
                     + f" | {sum(run['requests'] for run in r['load'].values())} | {failed(r)} |")
    lines += ["", "| tools/call latency, ms | " + " | ".join(f"p50 at {c} | p99 at {c}" for c in concurrencies) + " |",
              "|---|" + "---:|---:|" * len(concurrencies)]
    for r in results:
        lines.append(f"| {r['label']} | " + " | ".join(latency_text(r["load"][c]) for c in concurrencies) + " |")
    lines += ["", "| CPU time per call, ms (the system's own processes) | " + " | ".join(
        f"at {c}" for c in concurrencies) + " |", "|---|" + "---:|" * len(concurrencies)]
    for r in results:
        lines.append(f"| {r['label']} | " + " | ".join(cpu_text(r["load"][c]) for c in concurrencies) + " |")
    return lines


def comparisons(results: list[dict], concurrencies: tuple[int, ...]) -> list[str]:
    direct = results[0]
    lines = ["", "| over the backend directly | " + " | ".join(f"added p50 at {c}" for c in concurrencies)
             + " | best throughput, × direct |", "|---|" + "---:|" * (len(concurrencies) + 1)]
    for r in results[1:]:
        lines.append(f"| {r['label']} | " + " | ".join(
            f"{r['load'][c]['p50_ms'] - direct['load'][c]['p50_ms']:+.2f} ms" if r["load"][c]["requests"] else "—"
            for c in concurrencies) + f" | {best_rps(r) / best_rps(direct):.2f} |")
    return lines


def targets(results: list[dict]) -> list[str]:
    by_label = {r["label"]: r for r in results}
    direct, gateway = results[0], by_label.get("mcp-gateway")
    if gateway is None:
        return []
    peers = [r for r in results if r["label"].startswith(PYTHON_PEERS)]
    added = gateway["load"][1]["p50_ms"] - direct["load"][1]["p50_ms"]
    share = best_rps(gateway) / best_rps(direct)
    rows = [("added p50 over direct, concurrency 1", "< 0.5 ms", f"{added:.2f} ms", added < 0.5),
            ("throughput through the gateway", "≥ 0.80 × direct", f"{share:.2f} × direct", share >= 0.8)]
    if peers:
        best_peer = max(peers, key=best_rps)
        multiple = best_rps(gateway) / best_rps(best_peer)
        rows.append(("throughput against the best Python peer", "≥ 10 ×",
                     f"{multiple:.0f} × ({best_peer['label']})", multiple >= 10))
    idle = gateway["rss_idle"] / MB
    rows.append(("resident memory idle", "< 50 MB", f"{idle:.1f} MB", idle < 50))
    lines = ["", "| target (mcp-gateway, HTTP backend) | wanted | measured | met |", "|---|---|---|---|"]
    lines += [f"| {name} | {wanted} | {measured} | {'yes' if met else 'no'} |" for name, wanted, measured, met in rows]
    return lines


def gateway_only_lines(figures) -> list[str]:
    if figures is None:
        return []
    lines = ["", "mcp-gateway alone:", "",
             f"- `tools/list` over ten backends, one of which accepts connections and never answers: complete "
             f"(all nine others' tools) {figures.list_ready_s:.2f} s after spawning the gateway.", "",
             "| tools/list, ten backends, one hanging | req/s | p50 ms | p99 ms | failed |", "|---:|---:|---:|---:|---:|"]
    for c, run in figures.tools_list.items():
        lines.append(f"| concurrency {c} | {run['rps']:.0f} | {run['p50_ms']:.2f} | {run['p99_ms']:.2f} | "
                     f"{run['errors'] + run['wrong']} |")
    per_session = (figures.rss_with_sessions - figures.rss_before_sessions) / 1000 / 1024
    per_stream = (figures.rss_with_streams - figures.rss_with_sessions) / 1000 / 1024
    lines += ["",
              f"- Refresh-token rotations at the token endpoint: {figures.rotations_sequential:.0f}/s by one client in "
              f"sequence, {figures.rotations_concurrent:.0f}/s by {figures.rotation_clients} clients at once "
              "(each rotation is a SQLite write transaction).",
              f"- Resident memory: {figures.rss_before_sessions / MB:.1f} MB idle, "
              f"{figures.rss_with_sessions / MB:.1f} MB with 1,000 open sessions (about {per_session:.1f} KB each), "
              f"{figures.rss_with_streams / MB:.1f} MB with an idle event stream open on each "
              f"(about {per_stream:.1f} KB per stream)."]
    return lines


def write_report(results: list[dict], gateway_only, seconds: float, concurrencies: tuple[int, ...], date: str,
                 machine: str, benchmarks_file: Path | None) -> str:
    lines = [f"### Run of {date}", "", f"Machine: {machine}. wrk, {seconds:g} s per concurrency, one run.", ""]
    lines += systems_tables(results, concurrencies)
    lines += comparisons(results, concurrencies)
    lines += targets(results)
    lines += gateway_only_lines(gateway_only)
    report = "\n".join(lines) + "\n"
    if benchmarks_file is not None:
        text = benchmarks_file.read_text()
        block = f"{START}\n{report}{END}"
        if START in text and END in text:
            text = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
        else:
            text = text.rstrip() + "\n\n" + block + "\n"
        benchmarks_file.write_text(text)
    return report
