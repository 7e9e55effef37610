#!/bin/sh
# Run a benchmark area from a Release build and print its figures as
#   BENCH <area> <name> <value> <unit>
# Usage: scripts/bench.sh AREA [ARGS...]     AREA: core, live, dataplane, flow, placement, tenants, classify
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
flow)
	# shared flow manager vs a hash table per element; the flow table vs
	# rte_hash (Mpps per CPU-second of the one thread; ARGS: seconds per figure)
	cmake --build build-release -j "$(nproc)" --target bench_flow >/dev/null
	build-release/bench_flow "$@" ;;
dataplane)
	# mboxsh on virtual devices against dpdk-testpmd on the same devices,
	# in this run, with the same memory (hugepages or not, as rt_eal_init
	# decides).  testpmd: 3 runs of 6 s (start-up takes 1 to 2 s of them
	# on a loaded machine), Rx-pps per 1 s period (the first dropped; the
	# busiest port of each period), median per run, median of the runs.  testpmd gets small mbufs (--mbuf-size, still room for the
	# trace's largest frame): without hugepages its pool puts one default
	# mbuf per 4 KB page and every header in one L1 set, which cost it 60 %
	# on macswap (25 vs 65 Mpps); mboxsh packs its pool (runtime/router.c).
	# Debian ships dpdk-testpmd in dpdk-dev, not dpdk.
	cmake --build build-release -j "$(nproc)" --target bench_dataplane >/dev/null
	if ! command -v dpdk-testpmd >/dev/null 2>&1; then
		SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
		DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends dpdk-dev >/dev/null 2>&1 ||
			echo "bench.sh: dpdk-testpmd unavailable (apt-get install dpdk-dev failed): no ratios" >&2
	fi
	dp_tmp=$(mktemp -d /tmp/mbx_benchdp.XXXXXX)
	trap 'rm -rf "$dp_tmp"' EXIT
	build-release/bench_dataplane --gen-trace "$dp_tmp/trace.pcap"
	huge_free=$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)
	if [ "${huge_free:-0}" -ge 256 ] && [ -z "$MBOXSH_NO_HUGE" ]; then dp_mem="--in-memory"
	else dp_mem="--no-huge -m 512 --no-shconf"; fi
	# testpmd_mpps MODE TOPOLOGY NPORTS MBUF_SIZE VDEV...: prints Mpps (0 on failure)
	testpmd_mpps() {
		tp_mode=$1 tp_topo=$2 tp_nports=$3 tp_mbuf=$4
		shift 4
		tp_runs=""
		for tp_i in 1 2 3; do
			# shellcheck disable=SC2086
			tp_v=$(timeout -s INT 6 dpdk-testpmd -l 0-1 $dp_mem --no-pci --no-telemetry \
				--file-prefix="mbxtpmd$$" --log-level=error "$@" -- --forward-mode="$tp_mode" \
				--port-topology="$tp_topo" --nb-cores=1 --stats-period 1 --total-num-mbufs=32768 \
				--mbuf-size="$tp_mbuf" </dev/null 2>&1 | awk -v np="$tp_nports" '
				/Rx-pps:/ { if ($2 > best) best = $2; if (++k % np == 0) { if (k > np) v[n++] = best; best = 0 } }
				END { if (!n) { print 0; exit }
				      for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
				      printf "%.3f\n", (n % 2 ? v[int(n / 2)] : (v[n / 2 - 1] + v[n / 2]) / 2) / 1e6 }') || tp_v=0
			echo "  testpmd $tp_mode run $tp_i: ${tp_v:-0} Mpps" >&2
			tp_runs="$tp_runs ${tp_v:-0}"
		done
		# a run that failed to start (0) is left out, not taken for a rate
		echo "$tp_runs" | tr ' ' '\n' | grep . | grep -vx '0' | sort -g |
			awk '{ v[n++] = $1 } END { print n ? v[int(n / 2)] : 0 }'
	}
	# each case right after its testpmd reference, so that both see the
	# same machine load (the VM's two cores are shared); one process per
	# case, the header lines once, the largest resident sizes
	have_tp=0
	command -v dpdk-testpmd >/dev/null 2>&1 && have_tp=1
	ref() { if [ $have_tp = 1 ]; then testpmd_mpps "$@"; else echo 0; fi; }
	dp() { build-release/bench_dataplane --trace "$dp_tmp/trace.pcap" "$@"; }
	{
		dp --case macswap --ref-macswap "$(ref macswap loop 1 1024 --vdev net_null0)" "$@"
		dp --case io --ref-io "$(ref io loop 1 1024 --vdev net_null0)" "$@"
		dp --case router_pcap --ref-pcap "$(ref io paired 2 1700 \
			--vdev "net_pcap0,rx_pcap=$dp_tmp/trace.pcap,infinite_rx=1" --vdev net_null1,no-rx=1)" "$@"
		dp --case macswap_2w --case macswap_2w_sep "$@"
	} | awk '$3 == "rss_mb" || $3 == "peak_rss_mb" { if ($4 > mem[$3]) { mem[$3] = $4; unit[$3] = $5 }; next }
		 seen[$3]++ { next } { print; fflush() }
		 END { for (k in mem) printf "BENCH dataplane %s %s %s\n", k, mem[k], unit[k] }' ;;
placement)
	# Multi-FIB lookups and memory against rte_lpm (cpu, opencl, and cuda
	# when a GPU answers), pattern matching, migration under traffic; then
	# the portable device check (kernels against the cpu on every device).
	cmake --build build-release -j "$(nproc)" --target bench_placement bench_cls_dev bench_ac bench_migrate mig_gpucheck >/dev/null
	build-release/bench_placement "$@"
	build-release/bench_cls_dev
	build-release/bench_ac
	build-release/bench_migrate
	build-release/mig_gpucheck | grep '^BENCH' || true ;;
tenants)
	# The noisy neighbour: quiet tenant B's throughput and p99 lateness
	# alone, then while tenant A floods over its CPU quota with a buffer
	# hog and a Lua loop, then with A's CPU quota lifted (one worker).
	cmake --build build-release -j "$(nproc)" --target bench_tenants >/dev/null
	build-release/bench_tenants "$@" ;;
classify)
	# The big classifier against rte_acl on generated acl/fw/ipc rule sets of
	# 1K, 10K and 100K rules and one trace each (bench_classify --quick:
	# shorter rounds; --sizes/--shapes to narrow).
	cmake --build build-release -j "$(nproc)" --target bench_classify >/dev/null
	build-release/bench_classify "$@" ;;
*)
	echo "bench.sh: unknown area '$area' (known: core, live, dataplane, flow, placement, tenants, classify)" >&2
	exit 2 ;;
esac
