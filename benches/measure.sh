# Shared by the benchmark scripts (sourced, not run): timing one command
# the same way in each. Needs $RUNS and $WORK set, and GNU time.

now_ns() { date +%s%N; }

# measure LABEL CMD...: runs CMD $RUNS times (stdout to /dev/null) and sets
# BEST_SECS (best wall time) and BEST_RSS_KB (peak RSS of that run).
measure() {
    local label="$1"
    shift
    BEST_SECS=""
    BEST_RSS_KB=""
    local i start end secs e rss
    for ((i = 1; i <= RUNS; i++)); do
        start=$(now_ns)
        if ! /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/stderr.txt"; then
            echo "$label failed:" >&2
            cat "$WORK/stderr.txt" >&2
            exit 1
        fi
        end=$(now_ns)
        secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", (b - a) / 1e9 }')
        read -r e rss <"$WORK/time.txt"
        printf '   %-12s run %d: %7s s (time %%e %s s), peak RSS %7.1f MiB\n' \
            "$label" "$i" "$secs" "$e" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" >&2
        if [[ -z "$BEST_SECS" ]] || awk -v a="$secs" -v b="$BEST_SECS" 'BEGIN { exit !(a < b) }'; then
            BEST_SECS="$secs"
            BEST_RSS_KB="$rss"
        fi
    done
}
