-- Introspection (RFC 7662) of an access token by the client it was issued to.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

function init(args)
  req = wrk.format("POST", data.introspect_path, headers_with({ Authorization = data.machine_basic }), "token=" .. data.access_token)
end

function request() return req end

function response(status, headers, body)
  if status ~= 200 or not body:match('"active"%s*:%s*true') then bad = bad + 1 end
end
