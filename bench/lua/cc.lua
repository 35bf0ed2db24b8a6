-- client_credentials with client_secret_basic.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

function init(args)
  req = wrk.format("POST", data.token_path, headers_with({ Authorization = data.machine_basic }), "grant_type=client_credentials&scope=api")
end

function request() return req end

function response(status, headers, body)
  if status ~= 200 or not body:find('"access_token"', 1, true) then bad = bad + 1 end
end
