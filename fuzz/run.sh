#!/usr/bin/env bash
# Runs fuzz targets one after the other (one libFuzzer process at a time,
# niced), each for SECONDS, growing fuzz/corpus/TARGET from the committed
# corpus and the seeds (fuzz/seeds/TARGET, made by make_seeds.py when
# present). Logs go to fuzz/logs/TARGET-TIME.log; the last line of each run
# ("#N DONE cov: C ft: F ...") is what fuzz/README.md's table adds up.
#
#   fuzz/run.sh SECONDS [TARGET...]      (default: every target)
#   fuzz/run.sh cmin [TARGET...]         minimize the corpora in place
#   fuzz/run.sh ci [TARGET...]           what .ci/run does: a fixed number of
#                                        executions per target, seed 1
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

# CI's budget per target, in executions rather than seconds, so that a run is
# the same on every machine (seed 1, the committed corpus): a failure in CI
# replays here with the same command. About 10 s each on a 2-core machine.
ci_runs_of() {
  case "$1" in
    decode) echo 10000000 ;;
    pot_request) echo 1500000 ;;
    webapp_form | tls_records) echo 750000 ;;
    htcpcp | http_parser) echo 300000 ;;
    capture_reader | tcp_stream) echo 150000 ;;
    display_filter) echo 70000 ;;
    report | diagram) echo 20000 ;;
    *) echo 50000 ;;
  esac
}

if [ "$secs" = "ci" ]; then
  log="$(mktemp)"
  for t in "${targets[@]}"; do
    if ! cargo +nightly fuzz run "${FLAGS[@]}" "$t" "corpus/$t" -- \
      -runs="$(ci_runs_of "$t")" -seed=1 -timeout=10 -rss_limit_mb=2048 \
      -max_len="$(max_len_of "$t")" >"$log" 2>&1; then
      tail -n 40 "$log"
      echo "fuzz target $t failed: the input is in fuzz/artifacts/$t/" >&2
      exit 1
    fi
    { grep -E "^#[0-9]+[[:space:]]+DONE" "$log" || true; } | tail -n 1 | sed "s/^/$t: /"
  done
  exit 0
fi

if [ "$secs" = "cmin" ]; then
  for t in "${targets[@]}"; do
    before=$(ls "corpus/$t" | wc -l)
    nice -n 19 cargo +nightly fuzz cmin "${FLAGS[@]}" "$t" "corpus/$t" -- \
      -max_len="$(max_len_of "$t")" -rss_limit_mb=2048 >"logs-cmin-$t.txt" 2>&1
    echo "cmin: $t $before -> $(ls "corpus/$t" | wc -l) files, $(du -sk "corpus/$t" | cut -f1) KiB" >&2
  done
  exit 0
fi

mkdir -p logs
for t in "${targets[@]}"; do
  failed=""
  mkdir -p "corpus/$t"
  extra=()
  [ -d "seeds/$t" ] && extra+=("seeds/$t")
  log="logs/$t-$(date -u +%Y%m%dT%H%M%S).log"
  echo "fuzz: $t for ${secs}s ($log)" >&2
  # One process (in-process, no -jobs): two runs of this script may share
  # the directory, one per core.
  nice -n 19 cargo +nightly fuzz run "${FLAGS[@]}" "$t" "corpus/$t" "${extra[@]}" -- \
    -dict="$(dict_of "$t")" -max_len="$(max_len_of "$t")" -max_total_time="$secs" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 || failed=1
  if [ -n "${failed:-}" ]; then
    echo "fuzz: $t FAILED (see fuzz/$log and fuzz/artifacts/$t/)" >&2
    exit 1
  fi
  { grep -E "^#[0-9]+[[:space:]]+DONE" "$log" || true; } | tail -n 1 | sed "s/^/$t: /" >&2
done
