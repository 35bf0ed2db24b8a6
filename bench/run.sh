#!/usr/bin/env bash
# The benchmark (docs/performance.md): Plinto against panva's oidc-provider, in the same run, on the same machine,
# driven by the same load generator (wrk) over loopback. Started by `./build.sh bench`, which installs what is
# missing and starts the throwaway PostgreSQL (PLINTO_BENCH_POSTGRES). The result table is appended to
# docs/performance.md. Knobs: BENCH_DURATION (10s, one measured window), BENCH_ROUNDS (3), BENCH_WARMUP (60s),
# BENCH_CONNECTIONS (16), BENCH_THREADS (2), BENCH_REPORT (the markdown file the table is appended to;
# docs/performance.md). The 60 s warm-up: a node needs about 40 s of one grant type before the JIT has recompiled
# its hot paths (docs/performance.md). After both servers' warm-ups, each scenario is measured in BENCH_ROUNDS
# rounds of one window per server (Plinto, then the peer; for sign-ins also the raw hash rate), and the report takes
# medians: the machine's speed drifts by more than the differences measured (a shared VM), and a ratio of two
# windows a few seconds apart is far steadier than one of two runs minutes apart. BENCH_SCENARIOS (all: "discovery
# cc refresh introspect code signin") runs only some, to measure one lever quickly. refresh_token and the code flow
# are also measured against the peer with a PostgreSQL store (bench/peer/server.mjs, PEER_STORE=postgres) on the same
# database server: extra rows next to the in-memory peer's, which the targets are stated against.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WORK="$ROOT/artifacts/bench"
# The knobs set for this run, before defaults fill them in: the report names the exact command.
COMMAND=""
for knob in BENCH_SCENARIOS BENCH_ROUNDS BENCH_DURATION BENCH_WARMUP BENCH_CONNECTIONS BENCH_THREADS; do
  if [[ -n "${!knob:-}" ]]; then
    value=${!knob}
    [[ "$value" == *" "* ]] && value="'$value'"
    COMMAND+="$knob=$value "
  fi
done
COMMAND+="./build.sh bench"
RESULTS="$WORK/results"
DURATION=${BENCH_DURATION:-10s}
export BENCH_ROUNDS=${BENCH_ROUNDS:-3}
WARMUP=${BENCH_WARMUP:-60s}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
export BENCH_THREADS=${BENCH_THREADS:-2}
export BENCH_LUA="$ROOT/bench/lua"
: "${PLINTO_BENCH_POSTGRES:?start through ./build.sh bench}"
: "${PLINTO_BENCH_PG_DATA:?start through ./build.sh bench}"

# The same clients, user and secrets on both servers (bench/peer/server.mjs reads these too).
export BENCH_USER_EMAIL=bench@plinto.test BENCH_USER_PASSWORD='Bench-password-1!'
export BENCH_MACHINE_SECRET=bench-machine-secret-0123456789-abcdefghij BENCH_WEB_SECRET=bench-web-secret-0123456789-abcdefghijklm
export BENCH_REDIRECT_URI=http://127.0.0.1:5999/callback
export BENCH_REFRESH_TOKENS=$((CONNECTIONS + 8))
# Plinto's password hash parameters (Account/AccountServiceCollectionExtensions.cs); the peer hashes the same way.
PBKDF2_ITERATIONS=220000
grep -q "PasswordIterations = 220_000;" src/Plinto.IdentityServer/Account/AccountServiceCollectionExtensions.cs \
  || { echo "Plinto's PBKDF2 iteration count changed: update PBKDF2_ITERATIONS in bench/run.sh" >&2; exit 1; }
export BENCH_PBKDF2_ITERATIONS=$PBKDF2_ITERATIONS

log() { printf '\n==> %s\n' "$*"; }

free_port() {
  local port
  for port in $(seq "$1" $(($1 + 100))); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  echo "No free port from $1" >&2; exit 1
}

PLINTO_PID="" PEER_PID=""
stop_peer() {
  [ -n "$PEER_PID" ] && kill "$PEER_PID" 2>/dev/null && wait "$PEER_PID" 2>/dev/null || true
  PEER_PID=""
}
stop_servers() {
  [ -n "$PLINTO_PID" ] && kill "$PLINTO_PID" 2>/dev/null && wait "$PLINTO_PID" 2>/dev/null || true
  PLINTO_PID=""
  stop_peer
}
trap stop_servers EXIT

wait_ready() { # url seconds
  local deadline=$((SECONDS + $2))
  until curl -sf -o /dev/null "$1"; do
    [ $SECONDS -lt $deadline ] || { echo "$1 did not answer in $2 s" >&2; exit 1; }
    sleep 0.05
  done
}

# CPU time in clock ticks (user + system) of a process and of its children that have exited and been reaped
# (proc(5): utime, stime, cutime, cstime; the fields are counted after the command name, which may hold spaces).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 + $14 + $15 }'; }
# The whole PostgreSQL cluster: the postmaster (with the backends it has reaped) and every live child.
db_ticks() {
  local postmaster total child
  postmaster=$(head -n 1 "$PLINTO_BENCH_PG_DATA/postmaster.pid")
  total=$(cpu_ticks "$postmaster")
  for child in $(pgrep -P "$postmaster"); do total=$((total + $(cpu_ticks "$child" 2>/dev/null || echo 0))); done
  echo "$total"
}
TICKS=$(getconf CLK_TCK)

rss_mb() { awk -v k="$2:" '$1 == k { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }

# start_plinto <PostgreSql|Sqlite> <RS256|ES256> <data-dir> [jobs: true|false]
# The load scenarios run with the background jobs off, so that no token pruning falls inside a window; the start and
# idle-memory step runs the default configuration (jobs on: the node starts its scheduler).
start_plinto() {
  PLINTO_PORT=$(free_port 5301)
  local database=("Plinto__Database__Provider=$1")
  [ "$1" = PostgreSql ] && database+=("Plinto__Database__ConnectionString=$PLINTO_BENCH_POSTGRES;Database=plinto_bench;Maximum Pool Size=50")
  # From the publish folder, as the container image runs it (WORKDIR /app): the content root is the working
  # directory, and appsettings.json (log levels) is read from there.
  (cd "$WORK/plinto" && exec env ASPNETCORE_ENVIRONMENT=Production ASPNETCORE_URLS="http://127.0.0.1:$PLINTO_PORT" \
    Plinto__Issuer="http://127.0.0.1:$PLINTO_PORT/" Plinto__RequireHttps=false Plinto__DataDirectory="$3" \
    "${database[@]}" Plinto__Email__PickupDirectory="$3/mail" Plinto__Jobs__Enabled="${4:-false}" \
    Plinto__Keys__AccessTokenAlgorithm="$2" \
    Plinto__Clients__0__ClientId=machine Plinto__Clients__0__ClientSecret="$BENCH_MACHINE_SECRET" \
    Plinto__Clients__0__GrantTypes__0=client_credentials Plinto__Clients__0__Scopes__0=api \
    Plinto__Clients__1__ClientId=web Plinto__Clients__1__ClientSecret="$BENCH_WEB_SECRET" Plinto__Clients__1__ConsentType=implicit \
    Plinto__Clients__1__GrantTypes__0=authorization_code Plinto__Clients__1__GrantTypes__1=refresh_token \
    Plinto__Clients__1__Scopes__0=openid Plinto__Clients__1__Scopes__1=offline_access Plinto__Clients__1__Scopes__2=api \
    Plinto__Clients__1__RedirectUris__0="$BENCH_REDIRECT_URI" \
    Plinto__Scopes__0__Name=api Plinto__Scopes__0__Resources__0=https://api.test \
    Plinto__Bootstrap__AdminEmail="$BENCH_USER_EMAIL" Plinto__Bootstrap__AdminPassword="$BENCH_USER_PASSWORD" \
    Plinto__RateLimits__AccountPostsPerMinutePerIp=100000 Plinto__RateLimits__SignInAttemptsPerMinutePerAccount=100000 \
    dotnet Plinto.IdentityServer.dll) >>"$WORK/plinto.log" 2>&1 &
  PLINTO_PID=$!
  PLINTO_URL="http://127.0.0.1:$PLINTO_PORT"
  START=$(date +%s.%N)
  wait_ready "$PLINTO_URL/health/ready" 120
  STARTED_IN=$(echo "$(date +%s.%N) - $START" | bc)
}

# start_peer <RS256|ES256> [memory|postgres]: the store, in memory (the default) or in PLINTO_BENCH_POSTGRES's server
pg_setting() { tr ';' '\n' <<<"$PLINTO_BENCH_POSTGRES" | sed -n "s/^$1=//p"; }
start_peer() {
  PEER_PORT=$(free_port 5401)
  (cd "$ROOT/bench/peer" && NODE_ENV=production PEER_PORT=$PEER_PORT PEER_ACCESS_TOKEN_ALG=$1 PEER_STORE="${2:-memory}" \
    PEER_PG_HOST="$(pg_setting Host)" PEER_PG_PORT="$(pg_setting Port)" PEER_PG_USER="$(pg_setting Username)" \
    exec node server.mjs) >>"$WORK/peer.log" 2>&1 &
  PEER_PID=$!
  PEER_URL="http://127.0.0.1:$PEER_PORT"
  wait_ready "$PEER_URL/.well-known/openid-configuration" 60
}

# warm <scenario> <url> <data-file>: the warm-up run, not measured (refresh tokens: their own set)
warm() {
  local scenario=$1 url=$2
  export BENCH_DATA=$3 BENCH_SET=refresh_tokens_warm
  BENCH_RESULT="$WORK/warmup.json" wrk -t"$BENCH_THREADS" -c"$CONNECTIONS" -d"$WARMUP" --timeout 10s -s "$BENCH_LUA/$scenario.lua" "$url" >/dev/null
}

# measure <scenario> <run-name> <url> <data-file> <round> <server-pid>: one measured window,
# {scenario}.{run-name}.{round}.json, and the CPU the server and PostgreSQL spent in it, {...}.{round}.cpu.json
# (throughput on a shared VM drifts; CPU per request is what a window costs whatever else runs on the cores).
measure() {
  local scenario=$1 name=$2 url=$3 round=$5 server=$6 server0 db0
  export BENCH_DATA=$4 BENCH_SET=refresh_tokens_$round
  server0=$(cpu_ticks "$server") db0=$(db_ticks)
  BENCH_RESULT="$RESULTS/$scenario.$name.$round.json" wrk -t"$BENCH_THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s -s "$BENCH_LUA/$scenario.lua" "$url" >/dev/null
  awk -v s="$(($(cpu_ticks "$server") - server0))" -v d="$(($(db_ticks) - db0))" -v t="$TICKS" \
    'BEGIN { printf "{\"server_cpu_s\":%.2f,\"db_cpu_s\":%.2f}\n", s / t, d / t }' >"$RESULTS/$scenario.$name.$round.cpu.json"
  printf '%-11s %-13s %s %s %s\n' "$scenario" "$name" "$round" "$(cat "$RESULTS/$scenario.$name.$round.json")" "$(cat "$RESULTS/$scenario.$name.$round.cpu.json")"
}

# compare <scenario> <plinto-run-name> <peer-run-name>: both warm-ups, then the rounds of alternating windows. The
# data files `Plinto.Bench setup` wrote: PLINTO_DATA and PEER_DATA.
compare() {
  local scenario=$1 round
  warm "$scenario" "$PLINTO_URL" "$PLINTO_DATA"
  warm "$scenario" "$PEER_URL" "$PEER_DATA"
  for round in $(seq 1 "$BENCH_ROUNDS"); do
    measure "$scenario" "$2" "$PLINTO_URL" "$PLINTO_DATA" "$round" "$PLINTO_PID"
    # The limit a sign-in rate is read against, measured between the two servers' windows (nothing else running).
    if [ "$scenario" = signin ]; then $BENCH raw-pbkdf2 "$PBKDF2_ITERATIONS" >"$RESULTS/signin.raw.$round.json"; fi
    measure "$scenario" "$3" "$PEER_URL" "$PEER_DATA" "$round" "$PEER_PID"
  done
}

rm -rf "$WORK" && mkdir -p "$RESULTS"

log "Building Plinto (Release, ReadyToRun as in the container image) and the benchmark driver; installing the peer (npm ci)"
case "$(uname -m)" in aarch64) RID=linux-arm64 ;; *) RID=linux-x64 ;; esac
dotnet publish src/Plinto.IdentityServer -c Release -r "$RID" --self-contained false -p:PublishReadyToRun=true -o "$WORK/plinto" -nologo -v:q
dotnet build bench/Plinto.Bench -c Release -o "$WORK/tool" -nologo -v:q
(cd bench/peer && npm ci --silent --no-audit --no-fund)
BENCH="dotnet $WORK/tool/Plinto.Bench.dll"

log "Raw limits (nothing else running)"
$BENCH raw "$PBKDF2_ITERATIONS" | tee "$RESULTS/raw.json"

# Before any load: after the PostgreSQL scenarios, the cluster's autovacuum and checkpoints of the benchmark database
# would share the cores with the starts being timed.
log "Start time and idle memory on SQLite (the embedded default)"
start_plinto Sqlite RS256 "$WORK/data-sqlite" true
FIRST_START=$STARTED_IN
stop_servers
# The median of five starts on the database that now exists: one start alone moves by ±0.3 s on this VM.
STARTS=() IDLE_RSSES=()
for _ in 1 2 3 4 5; do
  start_plinto Sqlite RS256 "$WORK/data-sqlite" true
  sleep 3
  STARTS+=("$(printf '%.2f' "$STARTED_IN")") IDLE_RSSES+=("$(rss_mb "$PLINTO_PID" VmRSS)")
  stop_servers
done
median() { printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"; }
START_MEDIAN=$(median "${STARTS[@]}") IDLE_RSS=$(median "${IDLE_RSSES[@]}")

log "Plinto (PostgreSQL, RS256) and the peer (RS256)"
start_plinto PostgreSql RS256 "$WORK/data-pg"
start_peer RS256
PLINTO_DATA="$WORK/plinto.lua" PEER_DATA="$WORK/peer.lua"
$BENCH setup plinto "$PLINTO_URL" "$PLINTO_DATA"
$BENCH setup peer "$PEER_URL" "$PEER_DATA"
BENCH_DATA="$WORK/plinto.lua" BENCH_RESULT="$RESULTS/probe.plinto.json" wrk -t1 -c2 -d5s -s "$BENCH_LUA/probe.lua" "$PLINTO_URL" >/dev/null
SCENARIOS=${BENCH_SCENARIOS:-discovery cc refresh introspect code signin}
for scenario in $SCENARIOS; do
  if [ "$scenario" = signin ]; then
    # Discovery latency (a light probe) while sign-ins keep every core busy (during Plinto's warm-up): thread pool
    # starvation shows here.
    (sleep 12; BENCH_DATA="$WORK/plinto.lua" BENCH_RESULT="$RESULTS/signin-probe.plinto.json" \
      wrk -t1 -c2 -d10s -s "$BENCH_LUA/probe.lua" "$PLINTO_URL" >/dev/null) &
    PROBE=$!
  fi
  compare "$scenario" plinto peer
  if [ "$scenario" = signin ]; then wait "$PROBE"; fi
done

# The same Plinto node against the peer with its PostgreSQL store, for the scenarios that write to a store. Fresh
# refresh tokens for Plinto: the sets of the first setup were rotated away.
if [[ " $SCENARIOS " == *" refresh "* || " $SCENARIOS " == *" code "* ]]; then
  log "refresh_token and the code flow against the peer with a PostgreSQL store (same Plinto node)"
  stop_peer
  start_peer RS256 postgres
  PLINTO_DATA="$WORK/plinto-pgpeer.lua" PEER_DATA="$WORK/peer-pg.lua"
  $BENCH setup plinto "$PLINTO_URL" "$PLINTO_DATA"
  $BENCH setup peer "$PEER_URL" "$PEER_DATA"
  for scenario in refresh code; do
    [[ " $SCENARIOS " == *" $scenario "* ]] || continue
    compare "$scenario" plinto-pgpeer peer-pg
  done
fi
PEAK_RSS=$(rss_mb "$PLINTO_PID" VmHWM)
stop_servers

log "client_credentials, refresh_token and the code flow with ES256 access tokens (both servers)"
start_plinto PostgreSql ES256 "$WORK/data-pg"
start_peer ES256
PLINTO_DATA="$WORK/plinto.lua" PEER_DATA="$WORK/peer.lua"
$BENCH setup plinto "$PLINTO_URL" "$PLINTO_DATA"
$BENCH setup peer "$PEER_URL" "$PEER_DATA"
for scenario in cc refresh code; do
  [[ " $SCENARIOS " == *" $scenario "* ]] || continue
  compare "$scenario" plinto-es256 peer-es256
done
PEAK_RSS_ES256=$(rss_mb "$PLINTO_PID" VmHWM)
stop_servers

cat >"$RESULTS/host.json" <<JSON
{
  "cpu": "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)",
  "memory": "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)",
  "os": "$(. /etc/os-release && echo "$PRETTY_NAME")",
  "plinto": "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)",
  "postgres": "$("$PLINTO_BENCH_PG_BIN/postgres" --version | awk '{ print $3 }')",
  "peer": "$(node -p "require('./bench/peer/node_modules/oidc-provider/package.json').version")",
  "node": "$(node --version)",
  "wrk": "wrk -t$BENCH_THREADS -c$CONNECTIONS: $BENCH_ROUNDS rounds of a $DURATION window per server, Plinto and the peer alternating (after a $WARMUP warm-up of each)",
  "command": "$COMMAND",
  "peak_rss_mb": "$PEAK_RSS",
  "peak_rss_es256_mb": "$PEAK_RSS_ES256",
  "idle_rss_mb": "$IDLE_RSS",
  "start_seconds": "$START_MEDIAN",
  "starts": "${STARTS[*]}",
  "idle_rsses": "${IDLE_RSSES[*]}",
  "first_start_seconds": "$(printf '%.2f' "$FIRST_START")"
}
JSON

log "Report (appended to docs/performance.md)"
$BENCH report "$RESULTS" "${BENCH_REPORT:-$ROOT/docs/performance.md}"
