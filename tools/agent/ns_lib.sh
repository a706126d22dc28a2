# SPDX-License-Identifier: GPL-2.0
#
# What the agents' host tests and benchmarks share: ns_end NS... ends the
# processes of each network namespace (TERM, then KILL what is left after
# a second) and deletes the namespaces.
ns_end() {
	local ns p i left
	for ns; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null; done
	done
	for i in $(seq 20); do
		left=
		for ns; do left+=$(ip netns pids "$ns" 2>/dev/null); done
		[ -z "$left" ] && break
		sleep 0.05
	done
	for ns; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$ns" 2>/dev/null
	done
}
