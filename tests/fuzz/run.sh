#!/bin/sh
# run.sh — run the libFuzzer targets (make fuzz): JOBS at a time, each for
# SECONDS, from its seeds in tests/fuzz/corpus/<target>/ and what earlier
# runs found in BUILD/corpus/<target>/. SECONDS 0: the run takes TOTAL
# seconds of wall time however many targets there are (each gets
# TOTAL x JOBS / targets, at least 20 s), so a new target does not make CI
# longer. A crash stops the run after the targets under way and leaves
# crash-* in BUILD/ (make it a test).
#
#   usage: run.sh BUILD JOBS SECONDS TOTAL TARGET...
set -u
BUILD=$1 JOBS=$2 SECONDS_EACH=$3 TOTAL=$4
shift 4
n=$#
[ "$n" -gt 0 ] || { echo "run.sh: no fuzz targets"; exit 1; }
[ "$JOBS" -ge 1 ] 2>/dev/null || JOBS=1
if [ "$SECONDS_EACH" -le 0 ] 2>/dev/null; then
    SECONDS_EACH=$((TOTAL * JOBS / n))
    [ "$SECONDS_EACH" -ge 20 ] || SECONDS_EACH=20
fi
echo "== fuzz: $n targets, $JOBS at a time, ${SECONDS_EACH}s each"

one() {
    f=$1
    t=${f##*/fuzz_}
    mkdir -p "$BUILD/corpus/$t"
    if "./$f" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$BUILD/" -print_final_stats=0 "$BUILD/corpus/$t" "tests/fuzz/corpus/$t" \
        2>"$BUILD/fuzz-$t.log"; then
        echo "-- fuzz $t: $(grep -E '^(Done|#[0-9]+ *DONE)' "$BUILD/fuzz-$t.log" | tail -1)"
    else
        echo "-- fuzz $t FAILED:"
        tail -50 "$BUILD/fuzz-$t.log"
        return 1
    fi
}

# JOBS workers, each taking every JOBS-th target; a failure is kept in a file
rm -f "$BUILD/fuzz-failed"
w=0
while [ $w -lt "$JOBS" ]; do
    (
        i=0
        for f in "$@"; do
            if [ $((i % JOBS)) -eq $w ] && [ ! -e "$BUILD/fuzz-failed" ]; then
                one "$f" || touch "$BUILD/fuzz-failed"
            fi
            i=$((i + 1))
        done
    ) &
    w=$((w + 1))
done
wait
[ ! -e "$BUILD/fuzz-failed" ]
