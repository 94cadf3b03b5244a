-- wrk script for a fixed request: prints the figures of the run as one JSON line.
-- Usage: wrk -t2 -c64 -d10s -s bench/report.lua URL

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format(
      'WRK_JSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, ' ..
      '"read": %d, "write": %d, "status": %d, "timeout": %d, "non2xx": %d, ' ..
      '"p50_us": %d, "p90_us": %d, "p99_us": %d, "mean_us": %.1f, "max_us": %d}\n',
      summary.requests, summary.duration, summary.bytes, errors.connect,
      errors.read, errors.write, errors.status, errors.timeout, errors.status,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.mean, latency.max))
end
