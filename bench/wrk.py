"""Drives one URL with wrk for a fixed time and returns throughput and latency percentiles.

A body may contain `__ID__`, which is replaced by a request id unique across wrk's threads (servers that track
requests by id in flight, as the MCP Python SDK does, would otherwise tangle concurrent answers). With `expect`,
every answer must have status 200, contain that text and not say `"isError":true`; the others are counted as
errors, so a system that answers fast but wrongly cannot look good.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import tempfile

SCRIPT = """
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  counter = 0
  wrong = 0
  template = os.getenv("BENCH_BODY")
  expect = os.getenv("BENCH_EXPECT")
  wrk.method = os.getenv("BENCH_METHOD") or "GET"
  local headers = os.getenv("BENCH_HEADERS")
  if headers then
    for line in string.gmatch(headers, "[^\\n]+") do
      local name, value = line:match("^([^:]+):%s*(.*)$")
      wrk.headers[name] = value
    end
  end
end
function request()
  if not template then return wrk.format() end
  counter = counter + 1
  local body = string.gsub(template, "__ID__", tostring(tid * 1000000000 + counter))
  return wrk.format(nil, nil, nil, body)
end
if os.getenv("BENCH_EXPECT") then
  function response(status, headers, body)
    if status ~= 200 or not string.find(body, expect, 1, true) or string.find(body, '"isError":true', 1, true) then
      wrong = wrong + 1
    end
  end
end
function done(summary, latency, requests)
  local wrongs = 0
  for _, thread in ipairs(threads) do wrongs = wrongs + (thread:get("wrong") or 0) end
  io.write(string.format("RESULT %d %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99),
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status,
    wrongs))
end
"""


def run_wrk(url: str, seconds: float, connections: int, method: str = "GET", body: str | None = None,
            headers: dict[str, str] | None = None, expect: str | None = None, timeout: int = 30) -> dict:
    """req/s, p50/p99 in ms, socket errors, answers with a status other than 2xx/3xx, and (with `expect`) wrong
    answers, bad statuses included, and wrk's own CPU time per call."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(SCRIPT)
    env = {**os.environ, "BENCH_METHOD": method}
    for key, value in (("BENCH_BODY", body), ("BENCH_EXPECT", expect)):
        if value is not None:
            env[key] = value
    if headers:
        env["BENCH_HEADERS"] = "\n".join(f"{k}: {v}" for k, v in headers.items())
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        out = subprocess.run(
            ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds:g}s", "--timeout",
             f"{timeout}s", "-s", script.name, url],
            env=env, capture_output=True, text=True, timeout=seconds + timeout + 60, check=True).stdout
    finally:
        os.unlink(script.name)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    if not match:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    requests, duration_us, p50_us, p99_us, errors, bad_status, wrong = map(int, match.groups())
    return {"requests": requests, "rps": requests / (duration_us / 1e6), "p50_ms": p50_us / 1000,
            "p99_ms": p99_us / 1000, "errors": errors, "bad_status": bad_status, "wrong": wrong,
            # The load generator's own CPU (wrk is this process's child): shows the figures are not wrk's limit.
            "wrk_cpu_ms_per_call": wrk_cpu * 1000 / requests if requests else None}
