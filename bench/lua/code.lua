-- Authorization code + PKCE (S256) with an existing browser session: the authorization request redirects with a
-- code, which the next request on the thread redeems at the token endpoint.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local codes = {}

function request()
  local code = table.remove(codes, 1)
  if code then
    return wrk.format("POST", data.token_path, headers_with({ Authorization = data.web_basic }),
      "grant_type=authorization_code&code=" .. code .. "&redirect_uri=" .. data.redirect_uri .. "&code_verifier=" .. data.code_verifier)
  end
  return wrk.format("GET", data.authorize_path, { Cookie = data.session_cookie })
end

function response(status, headers, body)
  if status == 302 or status == 303 then
    local code = location(headers):match("[?&]code=([^&]+)")
    if code then table.insert(codes, code) else bad = bad + 1 end
  elseif status ~= 200 or not body:find('"id_token"', 1, true) then
    bad = bad + 1
  end
end
