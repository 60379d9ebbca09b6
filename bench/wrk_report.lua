-- wrk calls done() once at the end of a run: print the summary and the latency percentiles
-- (microseconds) as one JSON line, which data_bench.py picks out of wrk's output.
done = function(summary, latency, requests)
  local e = summary.errors
  local json = '{"requests": %d, "duration_us": %d, "bytes": %d, '
    .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
    .. '"latency_us": {"mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p99": %d, "p999": %d}}'
  io.write("BENCH_JSON ", string.format(json,
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency.max, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9)), "\n")
end
