#!/usr/bin/env bash
# Regenerates reports/ from sample_capture/*.pcapng: for each capture, the
# lab report as Markdown (NAME.md, with NAME.svg, its space-time diagram) and
# as JSON (NAME.json). CI (tests/report.rs) regenerates into a temporary
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
  "$bin" report "$f" --format md -o "$out"
  "$bin" report "$f" --format json -o "$out"
done
