-- Password sign-in: the sign-in form posted with the right password, answered by a redirect.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

function init(args)
  req = wrk.format("POST", data.signin_path, headers_with({ Cookie = data.signin_cookie }), data.signin_body)
end

function request() return req end

function response(status, headers, body)
  if status ~= data.signin_status then bad = bad + 1 end
end
