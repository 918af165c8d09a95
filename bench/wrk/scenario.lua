-- One wrk script for every scenario: RXLOOP_BENCH_SCENARIO picks the request,
-- RXLOOP_BENCH_DATA (a Lua file written by bench/run.py) holds ids, tokens and terms.
-- Every response is counted by class (2xx, 409, other) and reported as one JSON line.

local data = dofile(os.getenv("RXLOOP_BENCH_DATA"))
local scenario = os.getenv("RXLOOP_BENCH_SCENARIO")
-- A fresh id for every wrk invocation (warm-up, main run, each server): no Idempotency-Key repeats.
local run = os.getenv("RXLOOP_BENCH_RUN") or error("RXLOOP_BENCH_RUN is required")
local threads = {}
local started = 0

function setup(thread)
  started = started + 1
  thread:set("tid", started)
  table.insert(threads, thread)
end

function init(args)
  sent, ok, created, conflict, other = 0, 0, 0, 0, 0
  math.randomseed(tid * 7919)
end

local function pick(list)
  return list[math.random(#list)]
end

local function bearer(token)
  return { ["Authorization"] = "Bearer " .. token }
end

local requests = {
  healthz = function()
    return wrk.format("GET", "/healthz")
  end,
  search = function()
    return wrk.format("GET", "/api/v1/products?limit=20&q=" .. pick(data.search_terms))
  end,
  product = function()
    return wrk.format("GET", "/api/v1/products/" .. pick(data.product_ids))
  end,
  product_hot = function()
    return wrk.format("GET", "/api/v1/products/" .. data.product_ids[1])
  end,
  reference = function()
    return wrk.format("GET", "/")
  end,
  me = function()
    return wrk.format("GET", "/api/v1/me", bearer(pick(data.patient_tokens)))
  end,
  review_queue = function()
    return wrk.format("GET", "/api/v1/prescriptions?status=pending_review&limit=20", bearer(data.pharmacist_token))
  end,
  checkout = function()
    local headers = bearer(data.patient_tokens[(tid * 1000 + sent) % #data.patient_tokens + 1])
    headers["Content-Type"] = "application/json"
    headers["Idempotency-Key"] = run .. "-" .. tid .. "-" .. sent
    local body = '{"items":[{"product_id":"' .. pick(data.otc_product_ids) .. '","quantity":1}],'
      .. '"shipping_address":' .. data.address .. '}'
    return wrk.format("POST", "/api/v1/orders", headers, body)
  end,
}

local build = requests[scenario] or error("unknown scenario " .. tostring(scenario))

function request()
  sent = sent + 1
  return build()
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  end
  if status >= 200 and status < 300 then
    ok = ok + 1
  elseif status == 409 then
    conflict = conflict + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local ok_, created_, conflict_, other_ = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    ok_ = ok_ + thread:get("ok")
    created_ = created_ + thread:get("created")
    conflict_ = conflict_ + thread:get("conflict")
    other_ = other_ + thread:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    'RXLOOP-RESULT {"requests":%d,"duration_us":%d,"socket_errors":%d,"p50_us":%d,"p90_us":%d,'
      .. '"p99_us":%d,"max_us":%d,"ok":%d,"created":%d,"conflict":%d,"other":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    ok_, created_, conflict_, other_))
end
