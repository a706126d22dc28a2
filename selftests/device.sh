#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The diode netdevice: creation, properties, rename, netns moves, many devices.
source "$(dirname "$0")/lib.sh"

diode_install_module || exit $KSFT_FAIL

test_create_delete() {
	local ns; ns=$(netns_add dev)
	ip -n "$ns" link add diode0 type diode
	local info; info=$(ip -n "$ns" -d link show diode0)
	echo "$info" | grep -q "link/none" || fail "not ARPHRD_NONE: $info"
	echo "$info" | grep -q "NOARP" || fail "ARP is on: $info"
	echo "$info" | grep -q "diode" || fail "kind is not diode: $info"
	expect_eq "type" 65534 "$(ip netns exec "$ns" cat /sys/class/net/diode0/type)"
	ip -n "$ns" link set diode0 up
	ip -n "$ns" link del diode0
	expect_fail ip -n "$ns" link show diode0
}

test_mtu() {
	local ns; ns=$(netns_add dev)
	ip -n "$ns" link add diode0 type diode
	expect_eq "default mtu" 1424 "$(ip netns exec "$ns" cat /sys/class/net/diode0/mtu)"
	ip -n "$ns" link set diode0 mtu 1280
	expect_eq "mtu" 1280 "$(ip netns exec "$ns" cat /sys/class/net/diode0/mtu)"
	expect_fail ip -n "$ns" link set diode0 mtu 67
	expect_fail ip -n "$ns" link set diode0 mtu 65536
	ip -n "$ns" link add diode1 mtu 9000 type diode
	expect_eq "mtu at creation" 9000 "$(ip netns exec "$ns" cat /sys/class/net/diode1/mtu)"
}

# Datagrams, what a one-way link carries, gain nothing from GRO: off until the
# user turns it on.
test_gro_off_until_turned_on() {
	local ns; ns=$(netns_add dev)
	ip -n "$ns" link add diode0 type diode
	expect_eq "GRO at creation" "generic-receive-offload: off" \
		"$(ip netns exec "$ns" ethtool -k diode0 | grep '^generic-receive-offload:')"
	ip netns exec "$ns" ethtool -K diode0 gro on
	expect_eq "GRO turned on" "generic-receive-offload: on" \
		"$(ip netns exec "$ns" ethtool -k diode0 | grep '^generic-receive-offload:')"
}

test_rename() {
	local ns; ns=$(netns_add dev)
	ip -n "$ns" link add diode0 type diode
	ip -n "$ns" link set diode0 name ot-export
	ip -n "$ns" link show ot-export >/dev/null
	expect_fail ip -n "$ns" link show diode0
	ip -n "$ns" link del ot-export
}

test_move_netns() {
	local a b; a=$(netns_add dev) b=$(netns_add dev2)
	ip -n "$a" link add diode0 type diode
	ip -n "$a" link set diode0 netns "$b"
	expect_fail ip -n "$a" link show diode0
	ip -n "$b" link show diode0 >/dev/null
	ip -n "$b" link set diode0 up
	# Deleting the namespace deletes its device.
	ip netns del "$b"
	ip -n "$a" link add diode0 type diode
}

test_many_devices() {
	local ns i; ns=$(netns_add dev)
	for i in $(seq 0 99); do echo "link add diode$i type diode"; done |
		ip -n "$ns" -batch -
	expect_eq "devices" 100 "$(ip -n "$ns" -o link show type diode | wc -l)"
	for i in $(seq 0 99); do echo "link del diode$i"; done |
		ip -n "$ns" -batch -
	expect_eq "devices" 0 "$(ip -n "$ns" -o link show type diode | wc -l)"
}

test_counts_drops_without_peer() {
	local ns; ns=$(netns_add dev)
	ip -n "$ns" link add diode0 type diode
	ip -n "$ns" addr add 10.99.0.1/24 dev diode0
	ip -n "$ns" link set diode0 up
	ip netns exec "$ns" ping -c 3 -i 0.2 -W 1 10.99.0.2 >/dev/null 2>&1 || true
	local dropped
	dropped=$(ip netns exec "$ns" cat /sys/class/net/diode0/statistics/tx_dropped)
	[ "$dropped" -ge 3 ] || fail "tx_dropped is $dropped, expected at least 3"
}

ktap_run create_delete mtu gro_off_until_turned_on rename move_netns many_devices counts_drops_without_peer
