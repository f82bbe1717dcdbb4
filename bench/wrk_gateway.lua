-- wrk script for bench/bench_gateway.py.  One script, the scenario chosen by env:
--   BENCH_SCENARIO  get | clean | numbered | dirty | mix | upload
--   BENCH_TOKEN     a simulator session token (alice-token)
--   BENCH_USER_ID   that user's id (the web app puts it in user_id and pending_post_id)
--   BENCH_CHANNEL   the channel id posts go to (town square: identifiers are blocked there)
--   BENCH_UPLOAD_KB size of the uploaded text file (upload scenario), default 20
--   BENCH_SSN, BENCH_CARD  the identifiers the dirty and mix scenarios post
-- done() prints one JSON line the Python driver parses.
-- The identifiers below are synthetic (made-up values with valid checksums).
--
-- Posts carry the body the Mattermost web app sends for a new post (createPost in
-- mattermost-redux: file_ids, message, channel_id, root_id, pending_post_id
-- "<user id>:<ms>", user_id, create_at 0, metadata, props, update_at), so every
-- post is unique through pending_post_id/update_at, as in real traffic.
--   clean     ordinary chat: of 21 messages, 7 carry harmless numbers (times,
--             prices, tickets; 4 of them end with one)
--   numbered  the same messages with a counter appended: every message ends with
--             a number (the first versions of this benchmark sent only these; a
--             trailing number sends every post through the split-message window)

local scenario = os.getenv("BENCH_SCENARIO") or "get"
local token = os.getenv("BENCH_TOKEN") or "alice-token"
local user_id = os.getenv("BENCH_USER_ID") or "benchuser000000000000000000"
local channel = os.getenv("BENCH_CHANNEL") or ""
local upload_kb = tonumber(os.getenv("BENCH_UPLOAD_KB") or "20")
local counter = 0

local clean_words = {
  "Lunch at noon?", "The Q3 deck is in the shared drive.", "Order #4471 ships Friday, ticket 20931.",
  "Can you review the model portfolio before the 2pm call?", "Market opens in 10 minutes.",
  "Thanks, looks good to me.", "Rebalancing request for the growth sleeve is approved.",
  "Hey team, quick reminder that the quarterly review moved to Thursday afternoon.",
  "Please bring the updated onboarding checklist and the compliance training notes.",
  "Markets were choppy this morning but the desk handled the flow well.",
  "Can someone take a look at the draft client letter before it goes out?",
  "I'll be out of office on Friday, Sam is covering my book.",
  "Call moved to 3:30pm ET, dial-in is the usual bridge.",
  "Thanks all for the great work on the migration, it went smoothly.",
  "SPX closed at 5,948.71, up 0.4% on the day.",
  "Let's sync after lunch about the new account opening workflow.",
  "Who has the latest version of the best-execution deck?",
  "Room 1204 is booked from 10 to 11:30",
  "Client asked about rebalancing into more fixed income, I'll follow up.",
  "Heads up, the VPN will be down for maintenance tonight.",
  "Reminder: annual attestation is due by the end of the month.",
}
-- The identifiers of the dirty posts come from the environment (bench_gateway.py
-- passes the project's synthetic values, dlp_proxy/policy/testing.py), so no
-- identifier is written into this file.
local ssn = os.getenv("BENCH_SSN") or ""
local card = os.getenv("BENCH_CARD") or ""
if (scenario == "dirty" or scenario == "mix") and (ssn == "" or card == "") then
  error("the dirty and mix scenarios need BENCH_SSN and BENCH_CARD")
end
local dirty_words = {
  "Client SSN is " .. ssn .. ", please update the account",
  "New client: SSN " .. (ssn:gsub("-", " ")) .. ", open the IRA today",
  "Card " .. card .. " exp 09/27 for the wire fee",
}

local auth = { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }
local base_ms = os.time() * 1000

local function post(message)
  local ms = base_ms + counter
  local body = '{"file_ids":[],"message":"' .. message .. '","channel_id":"' .. channel
    .. '","root_id":"","pending_post_id":"' .. user_id .. ':' .. ms .. '","user_id":"' .. user_id
    .. '","create_at":0,"metadata":{},"props":{},"update_at":' .. ms .. ',"reply_count":0}'
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
    return post(clean_words[counter % #clean_words + 1])
  elseif scenario == "numbered" then
    return post(clean_words[counter % #clean_words + 1] .. " " .. counter)
  elseif scenario == "dirty" then
    return post(dirty_words[counter % #dirty_words + 1])
  elseif scenario == "mix" then
    -- 1 in 33 (3%) carries an identifier
    if counter % 33 == 0 then return post(dirty_words[counter % #dirty_words + 1]) end
    return post(clean_words[counter % #clean_words + 1])
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
