#!/usr/bin/env bash
# Token endpoint benchmark. For each database (SQLite, PostgreSQL): client_credentials
# tokens per second, p50/p99 latency, peak RSS and server CPU per token of the release
# server, beside the stand-in endpoint (benches/standin.rs: what such a token needs and
# nothing else) measured in the same run, alternating stand-in and Tessera (A B A B); then
# RS256 against the stand-in's RS256 (the RSA-2048 signing limit), ES256 under a flood of
# wrong passwords, and two Tessera servers on one database.
#
#   bench/token.sh                         # everything, 50 connections, 5 s per slice
#   DURATION=3s ROUNDS=2 bench/token.sh    # shorter
#   BACKENDS=sqlite bench/token.sh         # one database
#   RUNS="es256" bench/token.sh            # some of: es256 rs256 flood two
#   BIN=/tmp/tessera bench/token.sh        # another build, as it is (A B A B comparisons)
#
# Server CPU per token is the server's utime+stime (/proc/PID/stat) over the measured run
# divided by the answers wrk counted. Needs wrk and curl; psql for PostgreSQL
# (BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test: a database is
# created per server start and dropped after). wrk runs on the same cores as the servers.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS="${CONNECTIONS:-50}"
THREADS="${THREADS:-2}"
DURATION="${DURATION:-5s}"
WARMUP="${WARMUP:-2s}"
ROUNDS="${ROUNDS:-6}"
BACKENDS="${BACKENDS:-sqlite postgres}"
RUNS="${RUNS:-es256 rs256 flood two}"
FLOOD_CONNECTIONS="${FLOOD_CONNECTIONS:-10}"
BENCH_POSTGRES_URL="${BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
TICKS="$(getconf CLK_TCK)"

for tool in wrk curl; do
    if ! command -v "$tool" >/dev/null; then
        echo "installing $tool"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null
    fi
done

if [[ -z "${BIN:-}" ]]; then
    cargo build --release --quiet
    BIN="$PWD/target/release/tessera"
fi
STANDIN="$(cargo bench --bench standin --no-run 2>&1 | sed -nE 's/.*Executable .*\((.*)\).*/\1/p' | tail -n1)"
[[ -x "$STANDIN" ]] || { echo "cannot find the stand-in binary"; exit 1; }

WORK="$(mktemp -d)"
PIDS=()
DATABASES=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
    for db in "${DATABASES[@]}"; do
        psql -q "$BENCH_POSTGRES_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# Waits for "listening on http://HOST:PORT" in a log; prints the URL.
url_from_log() {
    local log="$1" port=""
    for _ in $(seq 200); do
        port="$(sed -nE 's|.*listening on http://[^ ]*:([0-9]+).*|\1|p' "$log" | head -n1)"
        [[ -n "$port" ]] && curl -s -o /dev/null "http://127.0.0.1:$port/" && break
        sleep 0.1
    done
    [[ -n "$port" ]] || { cat "$log" >&2; exit 1; }
    echo "http://127.0.0.1:$port"
}

# A fresh database for $1 (sqlite|postgres) in $WORK/$2: sets DB_URL, creates the owner
# and an application, sets BASIC, ID and SECRET.
prepare() {
    local backend="$1" dir="$WORK/$2"
    mkdir -p "$dir"
    if [[ "$backend" == postgres ]]; then
        local name="bench_$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
        psql -q "$BENCH_POSTGRES_URL" -c "CREATE DATABASE $name" >/dev/null
        DATABASES+=("$name")
        DB_URL="${BENCH_POSTGRES_URL%/*}/$name"
    else
        DB_URL="sqlite://$dir/tessera.db"
    fi
    export TESSERA_DATABASE_URL="$DB_URL" TESSERA_KEYS_DIR="$dir/keys"
    export TESSERA_OUTBOX_DIR="$dir/outbox" TESSERA_BIND="127.0.0.1:0" RUST_LOG=info
    # Metrics served on a listener of their own, as in production; usage is always counted.
    export TESSERA_METRICS_BIND="127.0.0.1:0"
    TESSERA_USER_PASSWORD="bench owner password" "$BIN" users create \
        --username owner --email owner@example.com >/dev/null 2>&1
    local created
    created="$("$BIN" clients create --name bench --grant client_credentials \
        --grant password --owner owner --json 2>/dev/null)"
    ID="$(sed -E 's/.*"client_id":"([^"]+)".*/\1/' <<<"$created")"
    SECRET="$(sed -E 's/.*"client_secret":"([^"]+)".*/\1/' <<<"$created")"
    # Generated ids and secrets are URL-safe, so Appendix B's encoding changes nothing.
    BASIC="$(printf '%s:%s' "$ID" "$SECRET" | base64 -w0)"
}

# Starts a Tessera server signing with $1 over the prepared database; log in $2. Sets
# SERVER_PID and URL.
start_tessera() {
    TESSERA_SIGNING_ALG="$1" "$BIN" serve 2>"$2" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    URL="$(url_from_log "$2")"
}

start_standin() {
    STANDIN_ALG="$1" STANDIN_CLIENT_ID="$ID" STANDIN_SECRET="$SECRET" "$STANDIN" 2>"$2" &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    URL="$(url_from_log "$2")"
}

stop() {
    kill "$1"
    wait "$1" 2>/dev/null || true
}

write_script() {
    cat >"$1" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $BASIC"
wrk.body = "$2"
LUA
}

# Prints "requests tokens/s p50 p99 non-2xx" from a wrk --latency report.
summarize() {
    awk '
        /requests in/ { n = $1 }
        /Requests\/sec/ { rps = $2 }
        /^ +50%/ { p50 = $2 }
        /^ +99%/ { p99 = $2 }
        /Non-2xx/ { errors = $NF }
        END { printf "%s %s %s %s %s\n", n, rps, p50, p99, errors + 0 }
    ' "$1"
}

row() { printf '%-34s %10s %9s %9s %9s %10s %8s\n' "$@"; }

# Loads $1 (one or more URLs, space-separated; the connections are split between them) with
# script $2 and prints a row named $3 for the server PIDs in $4.
measure() {
    local urls=($1) script="$2" name="$3" pids=($4)
    local per=$((CONNECTIONS / ${#urls[@]})) before=0 after=0 pid i
    local loads=()
    for url in "${urls[@]}"; do
        wrk -t1 -c"$per" -d"$WARMUP" -s "$script" "$url/oauth2-token" >/dev/null &
        loads+=($!)
    done
    wait "${loads[@]}"
    loads=()
    for pid in "${pids[@]}"; do before=$((before + $(cpu_ticks "$pid"))); done
    i=0
    for url in "${urls[@]}"; do
        wrk -t"$(( THREADS / ${#urls[@]} > 0 ? THREADS / ${#urls[@]} : 1 ))" -c"$per" -d"$DURATION" \
            --latency -s "$script" "$url/oauth2-token" >"$WORK/run-$i.txt" &
        loads+=($!)
        i=$((i + 1))
    done
    wait "${loads[@]}"
    for pid in "${pids[@]}"; do after=$((after + $(cpu_ticks "$pid"))); done
    local requests=0 rps=0 p50="" p99="" errors=0 n r a b e
    for ((j = 0; j < i; j++)); do
        read -r n r a b e < <(summarize "$WORK/run-$j.txt")
        requests=$((requests + n)); errors=$((errors + e))
        rps="$(awk -v x="$rps" -v y="$r" 'BEGIN { printf "%.0f", x + y }')"
        p50="${p50:+$p50/}$a"; p99="${p99:+$p99/}$b"
    done
    local rss=0 kib
    for pid in "${pids[@]}"; do
        kib="$(status_kib "$pid" VmHWM)"; ((kib > rss)) && rss=$kib
    done
    local us
    us="$(awk -v t=$((after - before)) -v hz="$TICKS" -v n="$requests" \
        'BEGIN { printf "%.1f", n ? t * 1e6 / hz / n : 0 }')"
    row "$name" "$rps" "$p50" "$p99" "$us" "$(awk -v k="$rss" 'BEGIN { printf "%.1f MiB", k / 1024 }')" "$errors"
    LAST_RPS=$rps LAST_US=$us
}

# Prints the median (and the range) of the rounds' "tokens/s-ratio CPU-ratio" pairs.
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
summarize_ratios() {
    local name="$1"
    shift
    local tokens cpu low high
    tokens="$(printf '%s\n' "$@" | cut -d' ' -f1 | median)"
    cpu="$(printf '%s\n' "$@" | cut -d' ' -f2 | median)"
    low="$(printf '%s\n' "$@" | cut -d' ' -f1 | sort -n | head -n1)"
    high="$(printf '%s\n' "$@" | cut -d' ' -f1 | sort -n | tail -n1)"
    printf '%-34s tokens/s %.2fx (median of %d, %s to %s), CPU per token %.2fx\n' \
        "$name" "$tokens" "$#" "$low" "$high" "$cpu"
}

has() { [[ " $RUNS " == *" $1 "* ]]; }

echo "$(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
row run "tokens/s" p50 p99 "µs CPU" "peak RSS" non-2xx
for backend in $BACKENDS; do
    prepare "$backend" "$backend"
    write_script "$WORK/cc.lua" "grant_type=client_credentials"
    if has es256; then
        # Both servers stay up and take turns, so each pair of slices sees the same machine.
        start_standin ES256 "$WORK/standin.log"
        standin_pid=$SERVER_PID standin_url=$URL
        start_tessera ES256 "$WORK/$backend-es256.log"
        ratios=()
        for round in $(seq "$ROUNDS"); do
            measure "$standin_url" "$WORK/cc.lua" "stand-in ES256 ($round)" "$standin_pid"
            standin_rps=$LAST_RPS standin_us=$LAST_US
            measure "$URL" "$WORK/cc.lua" "$backend ES256 ($round)" "$SERVER_PID"
            ratios+=("$(awk -v a="$LAST_RPS" -v b="$standin_rps" -v c="$LAST_US" -v d="$standin_us" \
                'BEGIN { printf "%.3f %.3f", a / b, c / d }')")
        done
        stop "$standin_pid"
        stop "$SERVER_PID"
        summarize_ratios "$backend ES256 / stand-in" "${ratios[@]}"
    fi
    if has rs256; then
        start_standin RS256 "$WORK/standin.log"
        measure "$URL" "$WORK/cc.lua" "stand-in RS256" "$SERVER_PID"
        stop "$SERVER_PID"
        rm -rf "$TESSERA_KEYS_DIR"
        start_tessera RS256 "$WORK/$backend-rs256.log"
        measure "$URL" "$WORK/cc.lua" "$backend RS256" "$SERVER_PID"
        stop "$SERVER_PID"
        rm -rf "$TESSERA_KEYS_DIR"
    fi
    if has flood; then
        # ES256 while wrong passwords for the owner arrive at the same time.
        start_tessera ES256 "$WORK/$backend-flood.log"
        write_script "$WORK/flood.lua" "grant_type=password&username=owner&password=wrong-password"
        wrk -t1 -c"$FLOOD_CONNECTIONS" -d"$DURATION" -s "$WORK/flood.lua" \
            "$URL/oauth2-token" >/dev/null &
        flood=$!
        measure "$URL" "$WORK/cc.lua" "$backend ES256 under flood" "$SERVER_PID"
        wait "$flood" || true
        stop "$SERVER_PID"
    fi
    if has two; then
        # Two servers on one database, the connections split between them.
        start_tessera ES256 "$WORK/$backend-two-a.log"
        first_pid=$SERVER_PID first_url=$URL
        start_tessera ES256 "$WORK/$backend-two-b.log"
        measure "$first_url $URL" "$WORK/cc.lua" "$backend ES256, two servers" "$first_pid $SERVER_PID"
        stop "$first_pid"
        stop "$SERVER_PID"
    fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
