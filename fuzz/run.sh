#!/usr/bin/env bash
# Runs every fuzz target for a bounded time and reports, per target, the executions run and
# whether it crashed. Exits non-zero when any target crashed (or could not run).
#
#   bash fuzz/run.sh [SECONDS]        SECONDS per target, default 60
#
# Environment:
#   FUZZ_TARGETS="a b"      run only these targets (default: all six)
#   FUZZ_SANITIZER=none     build without AddressSanitizer (default: address)
#   FUZZ_GROW_CORPUS=1      add new interesting inputs to fuzz/corpus/TARGET (default: they go
#                           to fuzz/target/new-corpus/TARGET and the repository stays clean)
#   CARGO_TARGET_DIR        default fuzz/target (kept apart from the workspace's target/)
#
# cargo-fuzz and libfuzzer-sys need nightly compiler flags (-Zsanitizer, sancov); only stable
# Rust is used here, so RUSTC_BOOTSTRAP=1 unlocks them. Needs network access to crates.io only
# (to install cargo-fuzz when missing and to fetch dependencies).
set -euo pipefail

seconds="${1:-60}"
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
    echo "usage: $0 [SECONDS per target, default 60]" >&2
    exit 2
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/fuzz/target}"
sanitizer="${FUZZ_SANITIZER:-address}"
read -r -a targets <<< "${FUZZ_TARGETS:-snapshot_decode sync_frame invite_token field_value foreign_document sealed_snapshot at_rest epoch_message}"

started=$(date +%s)
if ! cargo fuzz --version > /dev/null 2>&1; then
    echo "== installing cargo-fuzz (crates.io)"
    cargo install cargo-fuzz --locked
fi
echo "== $(cargo fuzz --version), $(rustc --version), sanitizer: $sanitizer"

echo "== building ${targets[*]}"
for t in "${targets[@]}"; do
    cargo fuzz build --sanitizer "$sanitizer" "$t"
done
built=$(date +%s)
echo "== built in $((built - started)) s"

logs="$CARGO_TARGET_DIR/fuzz-logs"
mkdir -p "$logs"
failed=0
summary=()
for t in "${targets[@]}"; do
    corpus="fuzz/corpus/$t"
    if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
        echo "== $t: no corpus in $corpus" >&2
        summary+=("$t: NO CORPUS")
        failed=1
        continue
    fi
    if [ "${FUZZ_GROW_CORPUS:-0}" = 1 ]; then
        dirs=("$corpus")
    else
        # libFuzzer writes new inputs to the first directory and only reads the others.
        new="$CARGO_TARGET_DIR/new-corpus/$t"
        mkdir -p "$new"
        dirs=("$new" "$corpus")
    fi
    log="$logs/$t.log"
    echo "== $t: ${seconds} s (log: $log)"
    t0=$(date +%s)
    set +e
    cargo fuzz run --sanitizer "$sanitizer" "$t" "${dirs[@]}" -- \
        -max_total_time="$seconds" -timeout=30 -print_final_stats=1 > "$log" 2>&1
    rc=$?
    set -e
    elapsed=$(($(date +%s) - t0))
    runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
    if [ -z "$runs" ]; then
        runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1)
    fi
    # On a crash libFuzzer prints no final count; its last status line has one.
    if [ -z "$runs" ]; then
        runs=$(sed -n 's/^#\([0-9]*\)[[:space:]].*/\1/p' "$log" | tail -n 1)
    fi
    runs="${runs:-?}"
    if [ "$rc" -eq 0 ]; then
        line="$t: $runs executions in ${elapsed} s, no crash"
    else
        failed=1
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
        line="$t: CRASHED (exit $rc) after $runs executions in ${elapsed} s; input: ${artifact:-see log}"
        echo "---- last lines of $log" >&2
        tail -n 40 "$log" >&2
    fi
    echo "== $line"
    summary+=("$line")
done

echo
echo "== summary (${seconds} s per target, total $(($(date +%s) - started)) s including install and build)"
printf '  %s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
    echo "== FAILED: reproduce with: RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET INPUT; keep the input in fuzz/corpus/TARGET" >&2
    exit 1
fi
