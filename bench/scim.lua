-- wrk script for "make bench": one scenario per wrk run.
--
--   wrk ... -s bench/scim.lua http://127.0.0.1:PORT -- \
--       SCENARIO USERS SPARES GROUP TOKEN THREADS SEED BYTES
--
-- SCENARIO: null | null_pick | null_sized | get_id | filter | page | cursor | group_get |
--           post | patch_user | patch_group | gate_basic | gate_null | gate_authz
-- cursor walks the users with RFC 9865 cursors: each thread follows the
--   nextCursor of the last page it was answered (its connections share it),
--   and starts again from an empty cursor after the last page.
-- USERS, SPARES: files of fixed-width lines "id name" (RECLEN bytes each,
--   written by run-bench.py): the users requests pick from at random, and
--   the spare users (not in the group) that PATCH /Groups adds, each once,
--   the threads taking interleaved slices.  Lines are read where they are
--   (seek + read), so a million users cost no memory and no start-up time.
-- GROUP: the id of the big group.  BYTES: the body size null_sized asks for.
-- TOKEN: the bearer token; for gate_* the basic credential (base64).
-- POST makes a unique userName from SEED, the thread and a counter.
-- done() prints one line "BENCH-JSON {...}" for run-bench.py.

local base = "/scim/v2"
local RECLEN = 96
local threads = {}
local counter = 1

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

local function open_records(path)
  if path == nil or path == "-" then
    return nil, 0
  end
  local f = assert(io.open(path, "rb"))
  local n = math.floor(f:seek("end") / RECLEN)
  return f, n
end

-- Record k (1-based) of a records file: its id and name.
local function record(f, k)
  f:seek("set", (k - 1) * RECLEN)
  return f:read(RECLEN):match("^(%S+) (%S+)")
end

function init(args)
  scenario = args[1]
  users_f, nusers = open_records(args[2])
  spares_f, nspares = open_records(args[3])
  group = args[4]
  local token = args[5]
  nthreads = tonumber(args[6]) or 1
  local seed = tonumber(args[7]) or 1
  runid = args[7] or "0"
  null_bytes = tonumber(args[8]) or 0
  math.randomseed(seed * 1000 + tid)
  wrk.headers["Authorization"] = "Bearer " .. (token or "")
  if scenario:sub(1, 5) == "gate_" then
    -- TOKEN is a basic credential (base64 of name:password) here.
    wrk.headers["Authorization"] = "Basic " .. (token or "")
  end
  wrk.headers["Accept"] = "application/scim+json"
  -- wrk.format() uses the headers it is given instead of wrk.headers.
  json_headers = {
    ["Authorization"] = wrk.headers["Authorization"],
    ["Accept"] = "application/scim+json",
    ["Content-Type"] = "application/scim+json",
  }
  exhausted = 0
  counter = 1
  cursor = ""
  if scenario == "cursor" then
    -- Only this scenario reads the answers: wrk parses bodies for a
    -- script that has response().
    response = cursor_response
  end
end

function cursor_response(status, headers, body)
  if status == 200 then
    cursor = body:match('"nextCursor":"([%w_-]+)"') or ""
  end
end

local function pick()
  return record(users_f, math.random(nusers))
end

local user_fmt = [[{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",]] ..
  [["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],]] ..
  [["userName":"%s","externalId":"%s","name":{"givenName":"Given%d",]] ..
  [["familyName":"Family%d","formatted":"Given%d Family%d"},]] ..
  [["displayName":"Given%d Family%d","emails":[{"value":"%s",]] ..
  [["type":"work","primary":true}],"title":"Engineer",]] ..
  [["preferredLanguage":"en-US","active":true,]] ..
  [["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":]] ..
  [[{"employeeNumber":"%d","department":"Department %d",]] ..
  [["organization":"Bench Inc."}}]]

local patch_user_fmt = [[{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],]] ..
  [["Operations":[{"op":"Replace","path":"title","value":"Title %d-%d"},]] ..
  [[{"op":"Replace","path":"name.familyName","value":"Family %d-%d"}]}]]

local patch_group_fmt = [[{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],]] ..
  [["Operations":[{"op":"Add","path":"members","value":[{"value":"%s"}]}]}]]

function request()
  local n = counter
  counter = counter + 1
  if scenario == "get_id" then
    local id = pick()
    return wrk.format("GET", base .. "/Users/" .. id)
  elseif scenario == "filter" then
    local _, name = pick()
    return wrk.format("GET", base .. "/Users?filter=" ..
      urlencode('userName eq "' .. name .. '"'))
  elseif scenario == "page" then
    local last = nusers - 99
    if last < 1 then last = 1 end
    return wrk.format("GET", base .. "/Users?startIndex=" ..
      math.random(last) .. "&count=100")
  elseif scenario == "cursor" then
    return wrk.format("GET", base .. "/Users?count=100&cursor=" .. cursor)
  elseif scenario == "group_get" then
    return wrk.format("GET", base .. "/Groups/" .. group ..
      "?excludedAttributes=members")
  elseif scenario == "post" then
    local name = string.format("post-%s-%d-%d@bench.example.com", runid, tid, n)
    local body = string.format(user_fmt, name, name, n, n, n, n, n, n, name,
      n, n % 50)
    return wrk.format("POST", base .. "/Users", json_headers, body)
  elseif scenario == "patch_user" then
    local body = string.format(patch_user_fmt, tid, n, tid, n)
    local id = pick()
    return wrk.format("PATCH", base .. "/Users/" .. id, json_headers, body)
  elseif scenario == "patch_group" then
    local k = tid + (n - 1) * nthreads
    if k > nspares then
      -- Pool used up: re-adding is a no-op; run-bench.py flags the run.
      exhausted = exhausted + 1
      k = (k - 1) % nspares + 1
    end
    local id = record(spares_f, k)
    return wrk.format("PATCH", base .. "/Groups/" .. group, json_headers,
      string.format(patch_group_fmt, id))
  elseif scenario:sub(1, 5) == "gate_" then
    -- gate_basic -> /gate-basic/index.html (a static page)
    return wrk.format("GET", "/" .. scenario:gsub("_", "-") .. "/index.html")
  elseif scenario == "null_pick" then
    -- The null responder with a GET by id's client work: the same pick
    -- (a seek and a read of the users file) and a path as long.
    local id = pick()
    return wrk.format("GET", "/bench/null?id=" .. id)
  elseif scenario == "null_sized" then
    return wrk.format("GET", "/bench/null?bytes=" .. null_bytes)
  else
    return wrk.format("GET", "/bench/null")
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local ex = 0
  for _, t in ipairs(threads) do
    ex = ex + (t:get("exhausted") or 0)
  end
  io.write(string.format('BENCH-JSON {"requests": %d, "duration_us": %d, ' ..
    '"bytes": %d, "errors": {"connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d}, "latency_us": {"mean": %.1f, ' ..
    '"p50": %d, "p90": %d, "p99": %d, "max": %d}, "exhausted": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read,
    e.write, e.status, e.timeout, latency.mean, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, ex))
end
