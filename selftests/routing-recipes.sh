#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Every nftables and iproute2 recipe of docs/routing.md, run as the doc
# writes it.
source "$(dirname "$0")/routing.lib"

# ordinary_route: the gateway's default route, which traffic for the diode
# must not take when diode0 is gone.
ordinary_route() {
	ip -n "$TX" route add default dev vtx
	ip -n "$TX" -6 route add default dev vtx
}

# fails_closed [ip route get options]: with diode0 deleted, the gateway has
# no route for the collector (rather than its default route).
fails_closed() {
	local fam out
	ip -n "$TX" link del diode0
	for fam in 4 6; do
		if out=$(ip -n "$TX" -"$fam" route get "$(collector "$fam")" "$@" 2>&1); then
			fail "IPv$fam route without diode0: $out"
		fi
		grep -q 'No route to host' <<<"$out" || fail "IPv$fam: $out"
	done
}

test_recipe_plain_route() {
	local fam dst
	gateway 4
	ordinary_route
	recipe plain-route
	for fam in 4 6; do
		dst=$(collector "$fam")
		recv_start far "$RX" "$dst"
		send "$fam" "$dst"
		recv_wait far
	done
	fails_closed
}

# Only the marked port crosses: a stream to another port, sent first, does
# not arrive.
test_recipe_policy_routing() {
	local fam dst
	gateway 4
	ordinary_route
	recipe policy-routing
	for fam in 4 6; do
		dst=$(collector "$fam")
		count_start other "$RX" "$dst" 515
		recv_start far "$RX" "$dst"
		send "$fam" "$dst" 515
		send "$fam" "$dst"
		recv_wait far
		expect_eq "IPv$fam datagrams to port 515 delivered" 0 "$(count_stop other)"
	done
	fails_closed mark 0x514
}

test_recipe_netdev_fwd() {
	gateway 4
	recipe netdev-fwd
	steered 4
	steered 6
}

# The frame goes into the diode with its Ethernet header: the receiver drops
# every one as a bad inner packet and delivers none.
test_recipe_netdev_dup_broken() {
	local bad0 i
	gateway 4
	recipe netdev-dup-broken
	bad0=$(diode_stat "$RX" rx_bad_inner)
	count_start far "$RX" "$OT_GW4"
	recv_start local "$TX" "$OT_GW4"
	send 4 "$OT_GW4"
	recv_wait local
	for i in $(seq 200); do
		[ $(( $(diode_stat "$RX" rx_bad_inner) - bad0 )) -ge "$(stream_len)" ] && break
		sleep 0.1
	done
	expect_eq "bad inner packets counted" "$(stream_len)" \
		$(( $(diode_stat "$RX" rx_bad_inner) - bad0 ))
	expect_eq "datagrams delivered on the far side" 0 "$(count_stop far)"
}

test_recipe_nft_dup() {
	local fam dst
	gateway 4
	recipe nft-dup
	for fam in 4 6; do
		dst=$(gw_addr "$fam")
		recv_start local "$TX" "$dst"
		recv_start far "$RX" "$dst"
		send "$fam" "$dst"
		recv_wait local
		recv_wait far
	done
}

# Every recipe of the doc is run by some test here.
test_doc_recipes_tested() {
	local name names
	names=$(sed -n 's/^# recipe: //p' "$DOC")
	[ -n "$names" ] || fail "no recipes in $DOC"
	for name in $names; do
		grep -qE "^[[:space:]]*recipe $name\$" "$DIODE_TOP"/selftests/routing* ||
			fail "recipe $name of $DOC is run by no test"
	done
}

ktap_run doc_recipes_tested recipe_plain_route recipe_policy_routing recipe_netdev_fwd \
	recipe_netdev_dup_broken recipe_nft_dup
