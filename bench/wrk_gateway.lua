-- wrk script for bench/bench_gateway.py.  One script, the scenario chosen by env:
--   BENCH_SCENARIO  get | clean | dirty | mix | upload
--   BENCH_TOKEN     a simulator session token (alice-token)
--   BENCH_CHANNEL   the channel id posts go to (town square: identifiers are blocked there)
--   BENCH_UPLOAD_KB size of the uploaded text file (upload scenario), default 20
-- done() prints one JSON line the Python driver parses.
-- The identifiers below are synthetic (made-up values with valid checksums).

local scenario = os.getenv("BENCH_SCENARIO") or "get"
local token = os.getenv("BENCH_TOKEN") or "alice-token"
local channel = os.getenv("BENCH_CHANNEL") or ""
local upload_kb = tonumber(os.getenv("BENCH_UPLOAD_KB") or "20")
local counter = 0

local clean_words = {
  "Lunch at noon?", "The Q3 deck is in the shared drive.", "Order #4471 ships Friday, ticket 20931.",
  "Can you review the model portfolio before the 2pm call?", "Market opens in 10 minutes.",
  "Thanks, looks good to me.", "Rebalancing request for the growth sleeve is approved.",
}
local dirty_words = {
  "Client SSN is 536-22-1234, please update the account",
  "New client: SSN 536 22 4567, open the IRA today",
  "Card 4111 1111 1111 1111 exp 09/27 for the wire fee",
}

local auth = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }

local function post(message)
  local body = '{"channel_id":"' .. channel .. '","message":"' .. message .. '"}'
  return wrk.format("POST", "/api/v4/posts", auth, body)
end

local upload_request
local function build_upload()
  local boundary = "----dlpbench7d2f9c"
  local line = "Quarterly review of holdings and suitability notes, nothing sensitive here. 0123456789\n"
  local parts = {}
  local size = 0
  while size < upload_kb * 1024 do
    parts[#parts + 1] = line
    size = size + #line
  end
  local body = "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"channel_id\"\r\n\r\n" .. channel .. "\r\n"
    .. "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"files\"; filename=\"notes.txt\"\r\n"
    .. "Content-Type: text/plain\r\n\r\n" .. table.concat(parts) .. "\r\n--" .. boundary .. "--\r\n"
  local h = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "multipart/form-data; boundary=" .. boundary }
  return wrk.format("POST", "/api/v4/files", h, body)
end

local get_request  -- formatted in init(): wrk.headers["Host"] is only set by then

function init(args)
  get_request = wrk.format("GET", "/api/v4/users/me", { ["Authorization"] = "Bearer " .. token })
  if scenario == "upload" then upload_request = build_upload() end
end

request = function()
  counter = counter + 1
  if scenario == "get" then
    return get_request
  elseif scenario == "clean" then
    return post(clean_words[counter % #clean_words + 1] .. " " .. counter)
  elseif scenario == "dirty" then
    return post(dirty_words[counter % #dirty_words + 1])
  elseif scenario == "mix" then
    -- 1 in 33 (3%) carries an identifier
    if counter % 33 == 0 then return post(dirty_words[counter % #dirty_words + 1]) end
    return post(clean_words[counter % #clean_words + 1] .. " " .. counter)
  elseif scenario == "upload" then
    return upload_request
  end
  return get_request
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,'
      .. '"max_us":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"non_2xx":%d}\n',
    summary.requests, summary.duration, summary.bytes, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, latency.max, e.connect, e.read, e.write, e.timeout, e.status))
end
