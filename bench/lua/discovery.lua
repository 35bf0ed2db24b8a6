-- Discovery document and JWKS, alternating: what every client and resource server fetches.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local n = 0

function request()
  n = n + 1
  return wrk.format("GET", n % 2 == 0 and data.jwks_path or data.discovery_path)
end

function response(status, headers, body)
  if status ~= 200 or not (body:find('"keys"', 1, true) or body:find('"issuer"', 1, true)) then bad = bad + 1 end
end
