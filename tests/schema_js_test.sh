#!/bin/sh
# schema_js_test.sh — the JSON Schema validator (core/jsonschema.c) against
# Ajv itself: tests/schema/gen.cjs makes SCHEMA_CASES schemas (seeded:
# SCHEMA_SEED) shaped like Model, ModelInstanceDocument and TileDocument
# schemas, plus the shapes Ajv's strict mode refuses, each with six
# instances near its edges; tests/schema/ajv_run.cjs runs them through
# Ajv 8.20.0 + ajv-formats 2.1.1 built with js-ceramic 2.44's options, and
# build/tests/schema_run through ours. Every verdict (compiles or not,
# valid or not per instance) must agree.
#
# Needs node and the Ajv install of tests/peers/ajv.sh: without it a loud
# SKIP (exit 77) outside CI, a failure with CI set (.ci/run installs it).
set -u

CFS=${CERAMICFS:-build/ceramicfs}
TEST=schema_js_test WHAT="agreement of the schema validator with Ajv"
. "$(dirname "$0")/lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
RUN="$(dirname "$CFS")/tests/schema_run"
SEED=${SCHEMA_SEED:-20261207}
CASES=${SCHEMA_CASES:-6000}

command -v node >/dev/null 2>&1 || skip "node is not installed"
if ! bash "$HERE/peers/ajv.sh" installed; then
    [ -n "${CI:-}" ] || skip "Ajv not installed (bash tests/peers/ajv.sh install, ~10 s)"
    bash "$HERE/peers/ajv.sh" install || { echo "FAIL $TEST: Ajv install failed"; exit 1; }
fi
[ -x "$RUN" ] || { echo "FAIL $TEST: $RUN not built (make tests)"; exit 1; }
AJV_DIR=$(bash "$HERE/peers/ajv.sh" dir)
export AJV_DIR

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
node "$HERE/schema/gen.cjs" "$SEED" "$CASES" >"$T/cases.jsonl" || { echo "FAIL $TEST: generator"; exit 1; }
node "$HERE/schema/ajv_run.cjs" <"$T/cases.jsonl" >"$T/ajv.out" || { echo "FAIL $TEST: Ajv run"; exit 1; }
"$RUN" <"$T/cases.jsonl" >"$T/c.out" || { echo "FAIL $TEST: schema_run"; exit 1; }

eq "cases" "$(wc -l <"$T/ajv.out" | tr -d ' ')" "$CASES"
eq "our cases" "$(wc -l <"$T/c.out" | tr -d ' ')" "$CASES"
paste -d' ' "$T/ajv.out" "$T/c.out" | awk '$1 != $2 { print NR, $1, $2 }' >"$T/diff"
compiled=$(grep -vc '^C$' "$T/ajv.out")
verdicts=$(grep -v '^C$' "$T/ajv.out" | tr -d '\n' | wc -c | tr -d ' ')
valid=$(grep -v '^C$' "$T/ajv.out" | tr -cd 'v' | wc -c | tr -d ' ')
echo "$TEST: $CASES schemas ($compiled compile in Ajv), $verdicts instance verdicts ($valid valid)"
if [ -s "$T/diff" ]; then
    bad "Ajv and ours disagree on $(wc -l <"$T/diff") of $CASES cases (line, Ajv, ours; first 10):"
    head -10 "$T/diff" | while read -r n a c; do
        echo "  case $n: Ajv $a, ours $c"
        sed -n "${n}p" "$T/cases.jsonl" | cut -c1-600 | sed 's/^/    /'
    done
else
    ok "Ajv and ours agree on every schema and instance"
fi
# the generator must keep reaching both sides of every question
[ "$compiled" -gt $((CASES / 2)) ] && ok "most schemas compile" || bad "only $compiled schemas compile"
[ "$valid" -gt $((verdicts / 10)) ] && ok "valid instances: $valid" || bad "too few valid instances: $valid"
[ "$((verdicts - valid))" -gt $((verdicts / 10)) ] && ok "invalid instances" || bad "too few invalid instances"

[ "$fails" -eq 0 ] || exit 1
echo "$TEST: all passed"
