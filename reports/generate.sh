#!/usr/bin/env bash
# Regenerates reports/ from sample_capture/*.pcapng: for each capture, the
# lab report as Markdown (NAME.md, with NAME.svg, its space-time diagram) and
# as JSON (NAME.json); a capture with a key log beside it (NAME.keys) is
# read with it (`-o tls.keylog_file:NAME.keys`: Task 8 then says what the
# key log reveals). CI (tests/report/big.rs) regenerates into a temporary
# directory and diffs against what is committed.
#
#   reports/generate.sh            # rewrites reports/
#   reports/generate.sh OUT_DIR    # writes elsewhere
#   COFFEESHARK=path/to/coffeeshark reports/generate.sh
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/reports}"
bin="${COFFEESHARK:-}"
if [ -z "$bin" ]; then
  cargo build --release --quiet --manifest-path "$root/Cargo.toml"
  bin="${CARGO_TARGET_DIR:-$root/target}/release/coffeeshark"
fi
mkdir -p "$out"
for f in "$root"/sample_capture/*.pcapng; do
  keys=()
  if [ -f "${f%.pcapng}.keys" ]; then keys=(-o "tls.keylog_file:${f%.pcapng}.keys"); fi
  "$bin" report "$f" --format md -o "$out" "${keys[@]}"
  "$bin" report "$f" --format json -o "$out" "${keys[@]}"
done
