#!/bin/sh
# Run one end-to-end case: a directory holding
#   config.click   the configuration (required)
#   args           extra command-line arguments (optional, one line; $DATA is
#                  the shared data folder, $OUT a fresh output folder, $CASE
#                  the case folder)
#   expected       expected standard output, exactly (optional)
#   expected_err   a line that standard error must contain (optional)
#   status         expected exit status (default 0)
#   files          lines "OUTPUT EXPECTED": $OUT/OUTPUT must equal CASE/EXPECTED
# Usage: run_case.sh MBOXSH CASEDIR
set -u
MBOXSH=$1
CASE=$2
DATA=${MBOXSH_DATA:-$(dirname "$0")/../../../shared/data}
E2E=$(cd "$(dirname "$0")" && pwd)
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
export DATA OUT CASE E2E
args=""
[ -f "$CASE/args" ] && args=$(eval "echo $(cat "$CASE/args")")
want_status=0
[ -f "$CASE/status" ] && want_status=$(cat "$CASE/status")
cd "$CASE"
# shellcheck disable=SC2086
timeout 50 "$MBOXSH" --no-live -f config.click $args >"$OUT/stdout" 2>"$OUT/stderr"
status=$?
fail=0
if [ "$status" != "$want_status" ]; then
	echo "exit status $status, expected $want_status"
	fail=1
fi
if [ -f expected ] && ! cmp -s expected "$OUT/stdout"; then
	echo "standard output differs from $CASE/expected:"
	diff -u expected "$OUT/stdout" | head -40
	fail=1
fi
if [ -f expected_err ]; then
	while IFS= read -r line; do
		if ! grep -qF -- "$line" "$OUT/stderr"; then
			echo "standard error lacks: $line"
			fail=1
		fi
	done <expected_err
fi
if [ -f files ]; then
	while read -r got want; do
		want=$(eval "echo $want")
		if ! cmp -s "$OUT/$got" "$want"; then
			echo "output file $got differs from $want"
			fail=1
		fi
	done <files
fi
if [ $fail -ne 0 ]; then
	echo "--- stderr:"
	head -30 "$OUT/stderr"
	exit 1
fi
echo "ok $(basename "$CASE")"
