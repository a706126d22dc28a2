# SPDX-License-Identifier: GPL-2.0
#
# What the agents' host tests and benchmarks share: the one-way link
# between two network namespaces, and their end.

# ns_link TX RX IF NET [MTU]: namespaces TX and RX joined by the veth pair
# IF0 (in TX, NET.1/24) and IF1 (in RX, NET.2/24); TX knows RX's address
# without asking, and whatever RX sends out of IF1 is counted (counter
# back) and dropped: nothing goes back.
ns_link() {
	local tx=$1 rx=$2 dev=$3 net=$4 mtu=${5:-1500} mac
	ip netns add "$tx" && ip netns add "$rx" || return 1
	ip -n "$tx" link set lo up; ip -n "$rx" link set lo up
	ip link add "${dev}0" netns "$tx" mtu "$mtu" type veth peer name "${dev}1" netns "$rx" mtu "$mtu" ||
		return 1
	ip -n "$tx" addr add "$net.1/24" dev "${dev}0"
	ip -n "$rx" addr add "$net.2/24" dev "${dev}1"
	ip -n "$tx" link set "${dev}0" up; ip -n "$rx" link set "${dev}1" up
	mac=$(ip -n "$rx" -br link show "${dev}1" | awk '{ print $3 }')
	ip -n "$tx" neigh replace "$net.2" lladdr "$mac" dev "${dev}0" nud permanent
	ip netns exec "$rx" nft -f - <<-NFT
	table inet diode {
		counter back {}
		chain out { type filter hook output priority 0; oifname "${dev}1" counter name back drop; }
	}
	NFT
}

# ns_end NS...: ends the processes of each network namespace (TERM, then
# KILL what is left after a second) and deletes the namespaces.
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
