-- The requests of one bench/serve_load.py cell, for wrk 4 (Debian: apt-get install wrk).
--
-- Environment (set by serve_load.py):
--   BENCH_TARGETS  a file with one request per line: a GET target (path and URL-encoded query string),
--                  or with BENCH_METHOD=POST, "PATH BODY" (the body URL-encoded as a form: no space in it)
--   BENCH_METHOD   GET (default) or POST (a form, application/x-www-form-urlencoded)
--   BENCH_ACCEPT   the Accept header of every request
--   BENCH_UNIQUE   "comment": append a URL-encoded "\n# bench SALT-THREAD-N" to the last parameter
--                  (a SPARQL query, in the target or the body), so every request's text is new to every cache;
--                  "param": append "?bench=SALT-THREAD-N" (or "&…"), for pages, whose cache key is the
--                  full path; anything else: the targets as they are, in rotation
--   BENCH_SALT     a word unique to this wrk run, so a repeated cell never meets its own earlier requests
--
-- Each thread rotates over all the targets, starting at its own place. done() prints one line
-- "BENCH_JSON {…}" that serve_load.py parses: wrk's totals, its latency percentiles (µs) and the
-- answers whose status was not 2xx, in all and per status (wrk itself counts only status >= 400).

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local file = os.getenv("BENCH_TARGETS")
  method = os.getenv("BENCH_METHOD") or "GET"
  targets, bodies = {}, {}
  for line in io.lines(file) do
    if line ~= "" then
      local path, body = line, nil
      if method == "POST" then
        path, body = string.match(line, "^(%S+) (%S*)$")
      end
      targets[#targets + 1] = path
      bodies[#bodies + 1] = body
    end
  end
  count = #targets
  unique = os.getenv("BENCH_UNIQUE") or ""
  salt = (os.getenv("BENCH_SALT") or "0") .. "-" .. id .. "-"
  headers = { Accept = os.getenv("BENCH_ACCEPT") or "*/*" }
  if method == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  -- Threads start apart so that with few targets they do not ask for the same one at once.
  position = ((id - 1) * 7919) % count
  sequence = 0
  non2xx = 0
  statuses = {} -- non-2xx status -> answers with it
  -- Repeated requests are formatted once: the load generator's own cost stays small.
  formatted = {}
  if unique ~= "comment" and unique ~= "param" then
    for i, target in ipairs(targets) do
      formatted[i] = wrk.format(method, target, headers, bodies[i])
    end
  end
end

function request()
  position = position % count + 1
  if unique == "comment" then
    sequence = sequence + 1
    local comment = "%0A%23+bench+" .. salt .. sequence
    if method == "POST" then
      return wrk.format("POST", targets[position], headers, bodies[position] .. comment)
    end
    return wrk.format("GET", targets[position] .. comment, headers)
  elseif unique == "param" then
    sequence = sequence + 1
    local target = targets[position]
    local separator = string.find(target, "?", 1, true) and "&" or "?"
    return wrk.format("GET", target .. separator .. "bench=" .. salt .. sequence, headers)
  end
  return formatted[position]
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local bad, by_status = 0, {}
  for _, thread in ipairs(threads) do
    bad = bad + (thread:get("non2xx") or 0)
    for status, n in pairs(thread:get("statuses") or {}) do
      by_status[status] = (by_status[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(by_status) do
    parts[#parts + 1] = string.format('"%d": %d', status, n)
  end
  local e = summary.errors
  io.write(
    string.format(
      'BENCH_JSON {"duration_us": %d, "requests": %d, "bytes": %d, "non2xx": %d, "statuses": {%s}, '
        .. '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, '
        .. '"latency_us": {"min": %d, "mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p99": %d, "p999": %d}}\n',
      summary.duration,
      summary.requests,
      summary.bytes,
      bad,
      table.concat(parts, ", "),
      e.connect,
      e.read,
      e.write,
      e.status,
      e.timeout,
      latency.min,
      latency.mean,
      latency.max,
      latency:percentile(50),
      latency:percentile(90),
      latency:percentile(99),
      latency:percentile(99.9)
    )
  )
end
