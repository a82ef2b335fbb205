-- wrk's own report has no p95; this prints one line that manage.py bench_load reads:
-- "samrad-load <requests/s> <p50 ms> <p95 ms> <requests> <errors>", errors counting non-2xx/3xx answers too.
done = function(summary, latency, requests)
    local errors = summary.errors
    io.write(string.format(
        "samrad-load %.1f %.2f %.2f %d %d\n",
        summary.requests / (summary.duration / 1e6),
        latency:percentile(50) / 1000,
        latency:percentile(95) / 1000,
        summary.requests,
        errors.connect + errors.read + errors.write + errors.status + errors.timeout
    ))
end
