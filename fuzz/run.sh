#!/usr/bin/env bash
# Runs fuzz targets one after the other (one libFuzzer process at a time,
# niced), each for SECONDS, growing fuzz/corpus/TARGET from the committed
# corpus and the seeds (fuzz/seeds/TARGET, made by make_seeds.py when
# present). Logs go to fuzz/logs/TARGET.log; the last line of each run
# ("#N DONE cov: C ft: F ...") is what fuzz/README.md's table adds up.
#
#   fuzz/run.sh SECONDS [TARGET...]      (default: every target)
#
# Needs nightly and cargo-fuzz (see fuzz/README.md). Builds first.
set -euo pipefail
cd "$(dirname "$0")"

secs="${1:?usage: fuzz/run.sh SECONDS [TARGET...]}"
shift
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi

# Built without a sanitizer (the code under test is safe Rust: overflow
# checks and debug assertions are the sanitizers) for speed.
FLAGS=(-s none --debug-assertions)
nice -n 19 cargo +nightly fuzz build "${FLAGS[@]}" >logs-build.txt 2>&1 || {
  tail -n 30 logs-build.txt >&2
  exit 1
}

dict_of() {
  case "$1" in
    http_parser) echo dict/http.dict ;;
    htcpcp | pot_request) echo dict/htcpcp.dict ;;
    display_filter) echo dict/filter.dict ;;
    webapp_form) echo dict/form.dict ;;
    tls_records) echo dict/tls.dict ;;
    *) echo dict/capture.dict ;;
  esac
}

max_len_of() {
  case "$1" in
    capture_reader | report | diagram) echo 65536 ;;
    display_filter | webapp_form) echo 1024 ;;
    *) echo 16384 ;;
  esac
}

mkdir -p logs
for t in "${targets[@]}"; do
  failed=""
  mkdir -p "corpus/$t"
  extra=()
  [ -d "seeds/$t" ] && extra+=("seeds/$t")
  echo "fuzz: $t for ${secs}s" >&2
  # One process, one job: the machine is shared.
  nice -n 19 cargo +nightly fuzz run "${FLAGS[@]}" "$t" "corpus/$t" "${extra[@]}" -- \
    -dict="$(dict_of "$t")" -max_len="$(max_len_of "$t")" -max_total_time="$secs" \
    -jobs=1 -workers=1 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"logs/$t.log" 2>&1 || failed=1
  # With -jobs, libFuzzer runs the job in a child that logs to fuzz-0.log.
  if [ -f fuzz-0.log ]; then
    cat fuzz-0.log >>"logs/$t.log"
    rm -f fuzz-0.log
  fi
  if [ -n "${failed:-}" ]; then
    echo "fuzz: $t FAILED (see fuzz/logs/$t.log and fuzz/artifacts/$t/)" >&2
    exit 1
  fi
  { grep -E "^#[0-9]+[[:space:]]+DONE" "logs/$t.log" || true; } | tail -n 1 | sed "s/^/$t: /" >&2
done
