-- wrk script for `make bench`: one GraphQL operation per run, chosen by the
-- BENCH_OP environment variable. Refresh chains: each connection sends the
-- refresh token it received last, so rotation with reuse detection holds.
local op = os.getenv("BENCH_OP")
local access = os.getenv("BENCH_ACCESS") or ""
local password = os.getenv("BENCH_PASSWORD") or ""
local refresh_file = os.getenv("BENCH_REFRESH_FILE")

local bodies = {
  me = '{"query":"query Me { me { id username } }"}',
  tasks = '{"query":"query Tasks { tasks(pagination: {limit: 20}) '
    .. '{ id title status priority dueDate } }"}',
  login = '{"query":"mutation L($u: String!, $p: String!) { tokenAuth('
    .. 'username: $u, password: $p) { accessToken refreshToken } }",'
    .. '"variables":{"u":"bench","p":"' .. password .. '"}}',
}
local REFRESH = '{"query":"mutation R($t: String) { refreshToken(refreshToken: $t)'
  .. ' { accessToken refreshToken } }","variables":{"t":"%s"}}'

local threads = {}
local counter = 1

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  bad = 0
  token = nil
  if op == "refresh" then
    local lines = {}
    for line in io.lines(refresh_file) do table.insert(lines, line) end
    token = lines[id]
  end
end

function request()
  local headers = { ["Content-Type"] = "application/json" }
  local body = bodies[op]
  if op == "me" or op == "tasks" then
    headers["Authorization"] = "Bearer " .. access
  elseif op == "refresh" then
    body = string.format(REFRESH, token)
  end
  return wrk.format("POST", "/graphql/", headers, body)
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors"', 1, true) then
    bad = bad + 1
    return
  end
  if op == "refresh" then
    local next_token = string.match(body, '"refreshToken"%s*:%s*"([^"]+)"')
    if next_token then token = next_token else bad = bad + 1 end
  end
end

function done(summary, latency, requests)
  local total_bad = 0
  for _, thread in ipairs(threads) do total_bad = total_bad + thread:get("bad") end
  io.write(string.format(
    "BENCH requests=%d seconds=%.3f p50=%.3f p99=%.3f bad=%d\n",
    summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, total_bad))
end
