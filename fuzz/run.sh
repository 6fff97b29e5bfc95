#!/bin/sh
# Runs every fuzz target for a bounded time: fuzz/run.sh [SECONDS_PER_TARGET] (default 60).
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). SANITIZER picks
# cargo-fuzz's sanitizer (default `none`: Tessera has no unsafe code of its own, and
# without ASan the targets build in half the time and run several times faster).
set -eu
cd "$(dirname "$0")/.."
seconds="${1:-60}"
sanitizer="${SANITIZER:-none}"
for target in token_request scope bearer_guard redirect_uri; do
    echo "== $target, ${seconds}s"
    cargo +nightly fuzz run --sanitizer "$sanitizer" "$target" -- \
        -max_total_time="$seconds" -max_len=4096 -print_final_stats=1
done
