#!/usr/bin/env bash
# Token endpoint benchmark: client_credentials tokens per second, p50/p99 latency and peak
# RSS of the release server on SQLite, for ES256, EdDSA and RS256, then ES256 again while a
# second load sends wrong passwords to the password grant.
#
#   bench/token.sh                    # all runs, 50 connections, 15 s each
#   DURATION=5s bench/token.sh        # shorter
#   ALGS="ES256" bench/token.sh       # one algorithm (the flood run uses ES256)
#   BIN=/tmp/tessera bench/token.sh   # another binary, as it is
#
# Needs wrk (Debian: apt-get install wrk) and curl. The load tool runs on the same cores as
# the server, as the targets in issue 5 assume.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS="${CONNECTIONS:-50}"
THREADS="${THREADS:-2}"
DURATION="${DURATION:-15s}"
WARMUP="${WARMUP:-3s}"
ALGS="${ALGS:-ES256 EdDSA RS256}"
FLOOD_CONNECTIONS="${FLOOD_CONNECTIONS:-10}"

for tool in wrk curl; do
    if ! command -v "$tool" >/dev/null; then
        echo "installing $tool"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null
    fi
done

# BIN=path/to/tessera compares another build (A B A B runs) instead of building this one.
if [[ -z "${BIN:-}" ]]; then
    cargo build --release --quiet
    BIN="$PWD/target/release/tessera"
fi
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

status_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
mib() { awk -v kib="$1" 'BEGIN { printf "%.1f", kib / 1024 }'; }

# Starts a fresh server signing with $1, its database and keys in $WORK/$2; sets
# SERVER_PID, URL and BASIC.
start_server() {
    local alg="$1" dir="$WORK/$2"
    mkdir -p "$dir"
    export TESSERA_DATABASE_URL="sqlite://$dir/tessera.db"
    export TESSERA_KEYS_DIR="$dir/keys" TESSERA_OUTBOX_DIR="$dir/outbox"
    export TESSERA_SIGNING_ALG="$alg" TESSERA_BIND="127.0.0.1:0" RUST_LOG=info
    # Metrics served on a listener of their own, as in production; usage is always counted.
    export TESSERA_METRICS_BIND="127.0.0.1:0"
    TESSERA_USER_PASSWORD="bench owner password" "$BIN" users create \
        --username owner --email owner@example.com >/dev/null 2>&1
    local created
    created="$("$BIN" clients create --name "bench $alg" --grant client_credentials \
        --grant password --owner owner --json 2>/dev/null)"
    local id secret
    id="$(sed -E 's/.*"client_id":"([^"]+)".*/\1/' <<<"$created")"
    secret="$(sed -E 's/.*"client_secret":"([^"]+)".*/\1/' <<<"$created")"
    # Generated ids and secrets are URL-safe, so Appendix B's encoding changes nothing.
    BASIC="$(printf '%s:%s' "$id" "$secret" | base64 -w0)"

    "$BIN" serve 2>"$dir/server.log" &
    SERVER_PID=$!
    local port=""
    for _ in $(seq 100); do
        port="$(sed -nE 's|.*listening on http://[^ ]*:([0-9]+).*|\1|p' "$dir/server.log" | head -n1)"
        [[ -n "$port" ]] && curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
        sleep 0.1
    done
    [[ -n "$port" ]] || { cat "$dir/server.log"; exit 1; }
    URL="http://127.0.0.1:$port"
}

stop_server() {
    kill "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

write_script() {
    local file="$1" body="$2"
    cat >"$file" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic $BASIC"
wrk.body = "$body"
LUA
}

# Prints "tokens/s p50 p99 non-2xx" from a wrk --latency report.
summarize() {
    awk '
        /Requests\/sec/ { rps = $2 }
        /^ +50%/ { p50 = $2 }
        /^ +99%/ { p99 = $2 }
        /Non-2xx/ { errors = $NF }
        END { printf "%s %s %s %s\n", rps, p50, p99, errors + 0 }
    ' "$1"
}

# Peak RSS is VmHWM: the most the server ever held, start and warm-up included.
printf '%-22s %12s %9s %9s %12s %8s\n' run "tokens/s" p50 p99 "peak RSS" non-2xx
for alg in $ALGS; do
    start_server "$alg" "$alg"
    write_script "$WORK/cc.lua" "grant_type=client_credentials"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$WORK/cc.lua" "$URL/oauth2-token" >/dev/null
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/cc.lua" \
        "$URL/oauth2-token" >"$WORK/cc-$alg.txt"
    read -r rps p50 p99 errors < <(summarize "$WORK/cc-$alg.txt")
    printf '%-22s %12s %9s %9s %8s MiB %8s\n' "client_credentials $alg" "$rps" "$p50" "$p99" \
        "$(mib "$(status_kib "$SERVER_PID" VmHWM)")" "$errors"
    stop_server
done

# ES256 again, with wrong passwords for one user arriving at the same time.
start_server ES256 flood
write_script "$WORK/cc.lua" "grant_type=client_credentials"
write_script "$WORK/flood.lua" "grant_type=password&username=owner&password=wrong-password"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" -s "$WORK/cc.lua" "$URL/oauth2-token" >/dev/null
wrk -t1 -c"$FLOOD_CONNECTIONS" -d"$DURATION" --latency -s "$WORK/flood.lua" \
    "$URL/oauth2-token" >"$WORK/flood.txt" &
FLOOD_PID=$!
wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/cc.lua" \
    "$URL/oauth2-token" >"$WORK/cc-flood.txt"
wait "$FLOOD_PID"
read -r rps p50 p99 errors < <(summarize "$WORK/cc-flood.txt")
printf '%-22s %12s %9s %9s %8s MiB %8s\n' "cc ES256 under flood" "$rps" "$p50" "$p99" \
    "$(mib "$(status_kib "$SERVER_PID" VmHWM)")" "$errors"
read -r rps p50 p99 errors < <(summarize "$WORK/flood.txt")
printf '%-22s %12s %9s %9s %12s %8s\n' "wrong-password flood" "$rps" "$p50" "$p99" "" "$errors"
if command -v sqlite3 >/dev/null; then
    hashed="$(sqlite3 "$WORK/flood/tessera.db" \
        "select count(*) from audit_events where action = 'token_password_failed'")"
    echo "wrong passwords actually hashed (the throttle refused the rest): $hashed"
fi
stop_server
