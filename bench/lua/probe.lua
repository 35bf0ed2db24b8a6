-- A latency probe, not a load: discovery + JWKS on its connections, one request every 20 ms each, while another
-- scenario saturates the server (shows whether ordinary requests still get a thread and the CPU).
dofile(os.getenv("BENCH_LUA") .. "/discovery.lua")

function delay()
  return 20
end
