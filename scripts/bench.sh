#!/bin/sh
# Run a benchmark area from a Release build and print its figures as
#   BENCH <area> <name> <value> <unit>
# Usage: scripts/bench.sh AREA [ARGS...]     AREA: core, live
set -e
cd "$(dirname "$0")/.."
area=${1:-core}
[ $# -gt 0 ] && shift
sh scripts/install-deps.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
case "$area" in
core)
	cmake --build build-release -j "$(nproc)" --target bench_core >/dev/null
	build-release/bench_core "$@" ;;
live)
	cmake --build build-release -j "$(nproc)" --target bench_live >/dev/null
	build-release/bench_live "$@" ;;
*)
	echo "bench.sh: unknown area '$area' (known: core, live)" >&2
	exit 2 ;;
esac
