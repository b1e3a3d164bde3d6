"""The side-by-side benchmark's report: Markdown tables, the derived ratios, the goals, and its place in
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


def wrk_cpu_text(run: dict) -> str:
    return "—" if run.get("wrk_cpu_ms_per_call") is None else f"{run['wrk_cpu_ms_per_call']:.3f}"


def runs_text(run: dict) -> str:
    return ", ".join("—" if value is None else f"{value:.3f}" for value in run.get("cpu_runs", []))


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
        f"at {c}" for c in concurrencies) + " | the three runs at 16 | wrk's own, at 16 |",
        "|---|" + "---:|" * len(concurrencies) + "---:|---:|"]
    for r in results:
        lines.append(f"| {r['label']} | " + " | ".join(cpu_text(r["load"][c]) for c in concurrencies)
                     + f" | {runs_text(r['load'][16])} | {wrk_cpu_text(r['load'][16])} |")
    return lines


def at_sixteen_table(results: list[dict], extras: list[dict]) -> list[str]:
    """The systems measured at concurrency 16 only, next to the fast backend and the gateway in front of it."""
    if not extras:
        return []
    by_label = {r["label"]: r for r in results}
    rows = [r for r in (results[0], by_label.get("mcp-gateway")) if r is not None] + extras
    lines = ["", "| at concurrency 16 | req/s | p50 ms | p99 ms | CPU per call, ms (median of three runs) | "
             "wrk's own CPU per call, ms | RSS idle → under load | failed |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        run = r["load"][16]
        lines.append(f"| {r['label']} | {run['rps']:.0f} | {latency_text(run)} | {cpu_text(run)} | "
                     f"{wrk_cpu_text(run)} | {r['rss_idle'] / MB:.1f} → {r['rss_load'] / MB:.1f} MB | "
                     f"{run['errors'] + run['wrong']} |")
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


def goals(results: list[dict], extras: list[dict], gateway_only) -> list[str]:
    """Issue 16's figures, each measured in this run against its goal."""
    by_label = {r["label"]: r for r in results + extras}
    direct, gateway = results[0], by_label.get("mcp-gateway")
    if gateway is None:
        return []
    rows = []
    cpu = gateway["load"][16]["cpu_ms_per_call"]
    if cpu is not None:
        rows.append(("CPU per forwarded tools/call, fast HTTP backend, c=16 (median of three)", "≤ 0.10 ms",
                     f"{cpu:.3f} ms", cpu <= 0.10))
    added = gateway["load"][1]["p50_ms"] - direct["load"][1]["p50_ms"]
    rows.append(("added p50 over the backend directly, c=1", "≤ 0.15 ms", f"{added:.2f} ms", added <= 0.15))
    busy = [c for c in (16, 32, 64) if c in gateway["load"]]
    best = max(busy, key=lambda c: gateway["load"][c]["rps"])
    share = gateway["load"][best]["rps"] / max(direct["load"][c]["rps"] for c in busy)
    rows.append(("throughput through the gateway, best of c=16/32/64", "≥ 0.40 × direct",
                 f"{share:.2f} × direct (at {best})", share >= 0.40))
    fastmcp, fronted = by_label.get("FastMCP backend directly"), by_label.get("mcp-gateway (FastMCP backend)")
    if fastmcp and fronted:
        fraction = fronted["load"][16]["rps"] / fastmcp["load"][16]["rps"]
        rows.append(("throughput in front of the FastMCP backend, c=16", "≥ 0.95 × direct",
                     f"{fraction:.2f} × direct", fraction >= 0.95))
    growth = gateway["rss_load"] / gateway["rss_idle"]
    rows.append(("resident memory under load / idle", "≤ 1.3 ×",
                 f"{gateway['rss_load'] / MB:.1f} / {gateway['rss_idle'] / MB:.1f} MB = {growth:.2f} ×", growth <= 1.3))
    if gateway_only is not None and {1, 64} <= set(gateway_only.tools_list):
        p50, p99 = gateway_only.tools_list[1]["p50_ms"], gateway_only.tools_list[64]["p99_ms"]
        rows.append(("tools/list, ten backends one hanging, p50 at c=1 / p99 at c=64", "≤ 0.3 ms / ≤ 20 ms",
                     f"{p50:.2f} ms / {p99:.1f} ms", p50 <= 0.3 and p99 <= 20))
    floor = gateway.get("floor", {}).get("cpu_ms_per_call")
    if floor is not None and cpu is not None:
        rows.append(("of which the HTTP server's own floor: CPU per GET /health, c=16", "(not a goal)",
                     f"{floor:.3f} ms ({floor / cpu:.0%} of a forwarded call)", True))
    peers = [r for r in results if r["label"].startswith(PYTHON_PEERS)]
    if peers:
        best_peer = max(peers, key=best_rps)
        multiple = best_rps(gateway) / best_rps(best_peer)
        rows.append(("throughput against the best Python peer", "≥ 10 ×",
                     f"{multiple:.0f} × ({best_peer['label']})", multiple >= 10))
    lines = ["", "| goal (mcp-gateway) | wanted | measured | met |", "|---|---|---|---|"]
    lines += [f"| {name} | {wanted} | {measured} | {'—' if wanted.startswith('(') else 'yes' if met else 'no'} |"
              for name, wanted, measured, met in rows]
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


def write_report(results: list[dict], extras: list[dict], gateway_only, seconds: float, concurrencies: tuple[int, ...], date: str,
                 machine: str, benchmarks_file: Path | None) -> str:
    lines = [f"### Run of {date}", "", f"Machine: {machine}. wrk, {seconds:g} s per concurrency (three runs at 16), "
             "one run of the whole.", ""]
    lines += systems_tables(results, concurrencies)
    lines += comparisons(results, concurrencies)
    lines += at_sixteen_table(results, extras)
    lines += goals(results, extras, gateway_only)
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
