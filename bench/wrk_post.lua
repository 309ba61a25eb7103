-- wrk script for bench/http_bench.py.
-- env: WRK_METHOD (GET|POST), WRK_BODY_FILE (JSON template; every "PASSPORT_SERIES PASSPORT_NUMBER"
-- occurrence becomes a passport number unique per request), WRK_TOKEN (bearer key).
-- wrk args (after --): run offset 0..99, so warm-up and measured runs never reuse a passport.
local method = os.getenv("WRK_METHOD") or "GET"
local token = os.getenv("WRK_TOKEN")
local template = nil
local body_file = os.getenv("WRK_BODY_FILE")
if body_file and body_file ~= "" then
  local f = assert(io.open(body_file, "r"))
  template = f:read("*a")
  f:close()
end

local threads = {}
-- globals (not locals): done() reads them from each thread with thread:get()
counter = 1
offset = 0
tid = tid or 0
statuses = {}
non2xx = 0

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  offset = tonumber(args[1] or "0") or 0
  wrk.method = method
  wrk.headers["Content-Type"] = "application/json"
  if token then wrk.headers["Authorization"] = "Bearer " .. token end
  if template and not template:find("PASSPORT_SERIES") then
    wrk.body = template
    template = nil
  end
end

function request()
  if template then
    local id = offset * 10000000 + tid * 1000000 + counter
    counter = counter + 1
    local digits = string.format("%010d", id)
    local body = template:gsub("PASSPORT_SERIES", digits:sub(1, 4)):gsub("PASSPORT_NUMBER", digits:sub(5, 10))
    return wrk.format(nil, nil, nil, body)
  end
  return wrk.format()
end

function response(status, headers, body)
  local s = tostring(status)
  statuses[s] = (statuses[s] or 0) + 1
  if status < 200 or status >= 300 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local total_non2xx = 0
  local merged = {}
  for _, t in ipairs(threads) do
    total_non2xx = total_non2xx + (t:get("non2xx") or 0)
    local st = t:get("statuses") or {}
    for k, v in pairs(st) do merged[k] = (merged[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(merged) do table.insert(parts, string.format('"%s": %d', k, v)) end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"mean_us": %.1f, "non2xx": %d, "socket_errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, total_non2xx,
    e.connect + e.read + e.write + e.timeout, table.concat(parts, ", ")))
end
