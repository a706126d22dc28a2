# SPDX-License-Identifier: GPL-2.0
#
# What the agents' benchmarks share, sourced once ns_tx, ns_rx and work are
# set: at exit, the processes of both namespaces are ended (TERM, then
# KILL), the namespaces deleted and the work folder removed.
bench_cleanup() {
	local ns p
	for ns in "$ns_tx" "$ns_rx"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
	done
	sleep 0.3
	for ns in "$ns_tx" "$ns_rx"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
	rm -rf "$work"
}
trap bench_cleanup EXIT
