-- refresh_token grant. Every use rotates the token, so each thread keeps a queue: a request takes a token, its
-- response puts the new one back. BENCH_SET picks the token set (the warm-up and each measured round use their own).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local queue = {}

function init(args)
  local tokens = data[os.getenv("BENCH_SET")]
  for i = 1, #tokens do
    if (i - 1) % nthreads == id then table.insert(queue, tokens[i]) end
  end
end

function request()
  local token = table.remove(queue, 1) or "none-left"
  return wrk.format("POST", data.token_path, headers_with({ Authorization = data.web_basic }), "grant_type=refresh_token&refresh_token=" .. token)
end

function response(status, headers, body)
  local token = status == 200 and body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if token then table.insert(queue, token) else bad = bad + 1 end
end
