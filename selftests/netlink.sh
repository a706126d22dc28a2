#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The generic netlink family under bad input: every request that is wrong in
# any way is refused with a message a user can act on, and changes nothing.
source "$(dirname "$0")/lib.sh"

diode_install_module || exit $KSFT_FAIL

# genl COMMAND ATTR...: the kernel's answer to a raw request, from the
# genl.py that setup started for the test (a python start costs seconds in a
# guest).
genl() {
	local answer
	echo "$*" >&"${GENL[1]}"
	read -r -t $((60 * DIODE_SLOWDOWN)) answer <&"${GENL[0]}" || fail "genl.py gave no answer to: $*"
	echo "$answer"
}


# refused ERRNO MESSAGE ATTR...: a SET the kernel must refuse, with an errno
# and a message matching the extended regular expressions ERRNO and MESSAGE.
# Policy violations are EINVAL on 6.1 and sometimes ERANGE on 6.12.
refused() {
	local errno=$1 message=$2 before after answer
	shift 2
	before=$(diode_config "$NS")
	answer=$(genl set "ifindex:u32:$IFINDEX" "$@")
	[[ $answer =~ ^error\ ($errno):\ .*$message ]] ||
		fail "set $*: expected '$errno ... $message', got '$answer'"
	after=$(diode_config "$NS")
	expect_eq "configuration after a refused request" "$before" "$after"
}

setup() {
	NS=$(netns_add nl)
	ip -n "$NS" link add diode0 type diode
	coproc GENL { ip netns exec "$NS" python3 "$DIODE_TOP/selftests/genl.py" -; }
	IFINDEX=$(ip netns exec "$NS" cat /sys/class/net/diode0/ifindex)
	KEY=$(printf '11%.0s' {1..32})
}

test_device_must_be_named_and_exist() {
	setup
	case $(genl set mode:u8:1) in
	"error EINVAL: name the device"*) ;;
	*) fail "a request without a device was not refused" ;;
	esac
	case $(genl set ifindex:u32:999999 mode:u8:1) in
	"error ENODEV: no such device") ;;
	*) fail "a missing device was not refused" ;;
	esac
	local answer
	answer=$(genl set ifindex:u32:1 mode:u8:1)
	# Python names EOPNOTSUPP (95) ENOTSUP.
	expect_eq "lo by index" "error ENOTSUP: not a diode device" "$answer"
	answer=$(genl set ifname:str:lo mode:u8:1)
	expect_eq "lo by name" "error ENOTSUP: not a diode device" "$answer"
}

test_wrong_lengths() {
	setup
	refused "EINVAL|ERANGE" "" "private_key:hex:${KEY:2}"
	refused "EINVAL|ERANGE" "" "private_key:hex:${KEY}00"
	refused "EINVAL|ERANGE" "" "peer_public_key:hex:${KEY:2}"
	refused "EINVAL|ERANGE" "" "preshared_key:hex:${KEY}11"
	refused "EINVAL|ERANGE" "" "mode:u32:1"
	refused "EINVAL|ERANGE" "" "replay_window:u16:128"
	# a struct sockaddr_in6 claimed, but only 16 bytes given
	refused EINVAL "sockaddr" "local:hex:0a00c963000000000000000000000000"
	refused "EINVAL|ERANGE" "" "remote:hex:$(printf '00%.0s' {1..40})"
}

test_out_of_range_values() {
	setup
	refused "EINVAL|ERANGE" "" mode:u8:3
	refused EINVAL "multiple of 64" replay_window:u32:100
	refused "EINVAL|ERANGE" "" replay_window:u32:32
	refused "EINVAL|ERANGE" "" replay_window:u32:131072
	# AF_INET, port 0, 192.0.2.2: a remote needs a port
	refused EINVAL "port" "remote:hex:02000000c00002020000000000000000"
}

test_read_only_and_unknown_attributes() {
	setup
	refused "EINVAL|ERANGE" "" "public_key:hex:$KEY"
	refused "EINVAL|ERANGE" "" has_preshared_key:u8:1
	refused "EINVAL|ERANGE" "" stats:hex:
	refused "EINVAL|ERANGE" "" sessions:hex:
	refused "EINVAL|ERANGE" "" 200:u32:1
}

test_all_or_nothing() {
	setup
	# A valid key with an invalid window: neither is applied.
	refused EINVAL "multiple of 64" "private_key:hex:$KEY" replay_window:u32:100
	# A low-order peer key (the point 1) is refused with the private key set.
	expect_eq "valid set" ok "$(genl set "ifindex:u32:$IFINDEX" "private_key:hex:$KEY")"
	refused EINVAL "low-order" "peer_public_key:hex:01$(printf '00%.0s' {1..31})"
	# While up, the mode, local and remote stay as they are.
	ip -n "$NS" link set diode0 up
	refused EBUSY "bring the device down" mode:u8:2
}

# With replace, what a SET leaves out returns to a new device's setting; the
# mark, which is not a setting, stays; a refused request changes nothing.
test_replace_returns_the_rest_to_defaults() {
	setup
	local fresh
	fresh=$(diode_config "$NS")
	expect_eq "settings" ok "$(genl set "ifindex:u32:$IFINDEX" mode:u8:2 "private_key:hex:$KEY" \
		replay_window:u32:1024 rekey_after_time:u32:60 max_session_age:u32:0 \
		heartbeat_interval:u32:2000 redundancy:u8:3 fec_data:u8:8 fec_parity:u8:2 \
		fec_interleave:u8:4 rate:u64:1000000 ethertype:u16:0x88b6 \
		dest_mac:hex:020000000002 "$(mark 5 1)")"
	[ "$(diode_config "$NS")" != "$fresh" ] || fail "the settings did not change"
	refused EINVAL "multiple of 64" replace:hex: replay_window:u32:100
	expect_eq "replace" ok "$(genl set "ifindex:u32:$IFINDEX" replace:hex: mode:u8:2)"
	expect_eq "mark after replace" 5:1 "$(rx_mark_of)"
	expect_eq "replace" ok "$(genl set "ifindex:u32:$IFINDEX" replace:hex:)"
	expect_eq "settings after replace" "$fresh" "$(diode_config "$NS")"
}

test_diodectl_errors() {
	setup
	local out
	if out=$(ip netns exec "$NS" diodectl set diode0 replay-window 100 2>&1); then
		fail "diodectl accepted replay-window 100"
	fi
	echo "# $out"
	if out=$(ip netns exec "$NS" diodectl set diode0 private-key /nonexistent 2>&1); then
		fail "diodectl accepted a missing key file"
	fi
	echo "# $out"
	if out=$(ip netns exec "$NS" diodectl set nosuchdev mode tx 2>&1); then
		fail "diodectl configured a missing device"
	fi
	echo "# $out"
	[[ ${out,,} == *"no such device"* ]] || fail "no clear message: $out"
	if out=$(ip netns exec "$NS" diodectl set lo mode tx 2>&1); then
		fail "diodectl configured lo"
	fi
	case $out in *"not a diode device"*) ;; *) fail "no clear message: $out" ;; esac
}

test_needs_cap_net_admin() {
	setup
	local answer
	answer=$(ip netns exec "$NS" setpriv --reuid=65534 --regid=65534 --clear-groups \
		python3 "$DIODE_TOP/selftests/genl.py" get "ifindex:u32:$IFINDEX")
	expect_eq "unprivileged get" "error EPERM: " "$answer"
	# Root of a new user namespace owns nothing in this network namespace.
	answer=$(ip netns exec "$NS" unshare --user --map-root-user \
		python3 "$DIODE_TOP/selftests/genl.py" set "ifindex:u32:$IFINDEX" mode:u8:1)
	expect_eq "set from a user namespace" "error EPERM: " "$answer"
	expect_eq "mode" none "$(ip netns exec "$NS" diodectl show diode0 mode)"
}

rx_mark_of() {
	ip netns exec "$NS" diodectl show diode0 rx-mark
}

# mark CREATED COUNTER: the attribute of a mark, as diodectl sends it.
mark() {
	echo "rx_mark:nest:created:u64:$1,counter:u64:$2"
}

# The mark is a receiver's: refused on any other device, with a message.
test_rx_mark_only_in_rx_mode() {
	setup
	refused EINVAL "only a receiver \\(mode rx\\) has a mark" "$(mark 5 1)"
	expect_eq "set" ok "$(genl set "ifindex:u32:$IFINDEX" mode:u8:1)"
	refused EINVAL "only a receiver" "$(mark 5 1)"
	# Nor with a request that leaves mode rx.
	expect_eq "set" ok "$(genl set "ifindex:u32:$IFINDEX" mode:u8:2)"
	refused EINVAL "only a receiver" mode:u8:1 "$(mark 5 1)"
	expect_eq "set" ok "$(genl set "ifindex:u32:$IFINDEX" mode:u8:0)"
	# A request that makes it a receiver may give its mark.
	expect_eq "mode and mark" ok "$(genl set "ifindex:u32:$IFINDEX" mode:u8:2 "$(mark 5 1)")"
	expect_eq "mark" 5:1 "$(rx_mark_of)"
	# Only a receiver reports one.
	expect_eq "set" ok "$(genl set "ifindex:u32:$IFINDEX" mode:u8:1)"
	ip netns exec "$NS" diodectl show diode0 --json |
		python3 -c 'import json, sys; assert json.load(sys.stdin)[0]["rx_mark"] is None' ||
		fail "a sender reported a mark"
	local out
	if out=$(rx_mark_of 2>&1); then fail "a sender printed a mark: $out"; fi
	expect_eq "show rx-mark of a sender" \
		"diodectl: show diode0: no rx-mark: only a receiver (mode rx) has one, and this device is in mode tx" "$out"
	if out=$(ip netns exec "$NS" diodectl set diode0 rx-mark 6:0 2>&1); then
		fail "diodectl set a sender's mark"
	fi
	expect_eq "diodectl set rx-mark of a sender" \
		"diodectl: set diode0: Invalid argument: only a receiver (mode rx) has a mark" "$out"
}

# It only rises, ERANGE otherwise; the same mark again is no change.
test_rx_mark_only_rises() {
	setup
	expect_eq "set" ok "$(genl set "ifindex:u32:$IFINDEX" mode:u8:2)"
	expect_eq "a new receiver's mark" 0:0 "$(rx_mark_of)"
	expect_eq "raise" ok "$(genl set "ifindex:u32:$IFINDEX" "$(mark 1000 50)")"
	expect_eq "mark" 1000:50 "$(rx_mark_of)"
	expect_eq "the same again" ok "$(genl set "ifindex:u32:$IFINDEX" "$(mark 1000 50)")"
	refused ERANGE "a mark only rises" "$(mark 1000 49)"
	refused ERANGE "a mark only rises" "$(mark 999 18446744073709551615)"
	refused ERANGE "a mark only rises" "$(mark 0 0)"
	# All or nothing: a good window with a lower mark is not applied.
	refused ERANGE "a mark only rises" replay_window:u32:1024 "$(mark 1 0)"
	expect_eq "raise the counter" ok "$(genl set "ifindex:u32:$IFINDEX" "$(mark 1000 51)")"
	expect_eq "raise the time" ok "$(genl set "ifindex:u32:$IFINDEX" "$(mark 1001 0)")"
	expect_eq "mark" 1001:0 "$(rx_mark_of)"
	# Through diodectl, with the kernel's message.
	ip netns exec "$NS" diodectl set diode0 rx-mark 18446744073709551615:18446744073709551615
	expect_eq "the highest mark" 18446744073709551615:18446744073709551615 "$(rx_mark_of)"
	local out
	if out=$(ip netns exec "$NS" diodectl set diode0 rx-mark 1001:0 2>&1); then
		fail "diodectl lowered the mark"
	fi
	expect_eq "diodectl set a lower mark" \
		"diodectl: set diode0: Numerical result out of range: a mark only rises: this one is below the receiver's current mark" "$out"
	# Down and up keep it; so does reset-sessions.
	ip -n "$NS" link set diode0 up
	ip -n "$NS" link set diode0 down
	ip netns exec "$NS" diodectl reset-sessions diode0
	expect_eq "mark after down, up and reset-sessions" \
		18446744073709551615:18446744073709551615 "$(rx_mark_of)"
}

# A nest, flagged, of exactly two u64: anything else is refused.
test_rx_mark_malformed() {
	setup
	expect_eq "set" ok "$(genl set "ifindex:u32:$IFINDEX" mode:u8:2)"
	refused EINVAL "NLA_F_NESTED" "rx_mark:rawnest:created:u64:5,counter:u64:1"
	refused "EINVAL|ERANGE" "" "rx_mark:nest:created:u32:5,counter:u64:1"
	refused "EINVAL|ERANGE" "" "rx_mark:nest:created:u64:5,counter:hex:0100000000"
	refused EINVAL "both its creation time and its counter" "rx_mark:nest:created:u64:5"
	refused EINVAL "both its creation time and its counter" "rx_mark:nest:counter:u64:5"
	refused EINVAL "both its creation time and its counter" "rx_mark:nest:"
	refused "EINVAL|ERANGE" "" "$(mark 5 1),pad:hex:"
	refused "EINVAL|ERANGE" "" "$(mark 5 1),9:u64:1"
	refused "EINVAL|ERANGE" "" "rx_mark:u64:5"
	refused "EINVAL|ERANGE" "" "rx_mark:hex:00"
	expect_eq "mark" 0:0 "$(rx_mark_of)"
}

# EtherTypes that the stack or the link would take are refused, whatever
# the encapsulation, and nothing changes.
test_ethertype_of_the_stack_refused() {
	setup
	local type
	for type in 0x0800 0x0806 0x86DD 0x8100 0x88A8 0x9100 0x9200 0x8847 \
		0x8863 0x8864 0x88CC 0x88E5 0x88F7 0x8808 0x8035; do
		refused EINVAL "a protocol the kernel or the link handles itself" "ethertype:u16:$type"
	done
	expect_eq "diode's own" ok "$(genl set "ifindex:u32:$IFINDEX" ethertype:u16:0x88b6)"
	expect_eq "another" ok "$(genl set "ifindex:u32:$IFINDEX" ethertype:u16:0x9000)"
	local out
	if out=$(ip netns exec "$NS" diodectl set diode0 ethertype 0x0800 2>&1); then
		fail "diodectl took the EtherType of IPv4"
	fi
	echo "# $out"
	[[ $out == *"IPv4's"* ]] || fail "no clear message: $out"
}

# SET is all or nothing when the MTU that fits the new settings cannot be
# set: a lower device whose MTU leaves more than diode0's largest.
test_mtu_all_or_nothing() {
	setup
	ip -n "$NS" link add big0 type veth peer name big1
	ip -n "$NS" link set big0 mtu 65535
	ip -n "$NS" link add small0 type veth peer name small1
	ip -n "$NS" link set small0 mtu 1400
	local big small before answer mtu0
	big=$(ip netns exec "$NS" cat /sys/class/net/big0/ifindex)
	small=$(ip netns exec "$NS" cat /sys/class/net/small0/ifindex)
	mtu0=$(ip netns exec "$NS" cat /sys/class/net/diode0/mtu)
	before=$(diode_config "$NS")
	answer=$(genl set "ifindex:u32:$IFINDEX" encap:u8:1 "lower_ifindex:u32:$big" \
		redundancy:u8:2 ethertype:u16:0x88b6)
	echo "# $answer"
	case $answer in
	ok)
		# A kernel that fits the MTU to what the device can take.
		local mtu; mtu=$(ip netns exec "$NS" cat /sys/class/net/diode0/mtu)
		[ "$mtu" -le 65459 ] || fail "MTU $mtu"
		diode_config "$NS" | grep -qx '  encap: eth' || fail "not applied: $(diode_config "$NS")"
		;;
	"error EINVAL: "*MTU*)
		expect_eq "configuration after a refused request" "$before" "$(diode_config "$NS")"
		expect_eq "mtu" "$mtu0" "$(ip netns exec "$NS" cat /sys/class/net/diode0/mtu)"
		;;
	*) fail "unexpected answer: $answer" ;;
	esac
	# What fits is applied, MTU included.
	ip -n "$NS" link del big0
	expect_eq "a lower device of 1400 bytes" ok \
		"$(genl set "ifindex:u32:$IFINDEX" encap:u8:1 "lower_ifindex:u32:$small")"
	expect_eq "mtu" $((1400 - 28)) "$(ip netns exec "$NS" cat /sys/class/net/diode0/mtu)"
}

# The kernel's own netlink CLI (tools/net/ynl/cli.py, which
# scripts/netlink-gen takes into the cache) drives the family from its spec
# alone: diodectl shows what a SET of it set, and a GET of it reads back
# what diodectl set.
test_ynl_cli_drives_the_family() {
	setup
	local cli out
	cli=$(ls "$DIODE_TOP"/.cache/ynl/*/tools/net/ynl/cli.py 2>/dev/null | tail -n 1)
	[ -n "$cli" ] || fail "no ynl cli.py in $DIODE_TOP/.cache/ynl (scripts/netlink-gen takes it)"
	ip netns exec "$NS" diodectl set diode0 heartbeat-interval 2500 || fail "diodectl set"
	out=$(ip netns exec "$NS" python3 "$cli" --no-schema --spec "$DIODE_TOP/uapi/diode.yaml" \
		--do set-device --json '{"ifname": "diode0", "rekey-after-time": 600, "fec-data": 8, "fec-parity": 2}' \
		2>&1) || fail "ynl set-device: $out"
	out=$(diode_config "$NS")
	[[ $out == *"rekey after time: 600 seconds"* ]] || fail "ynl's rekey time not set: $out"
	[[ $out == *"fec: 8/2"* ]] || fail "ynl's fec not set: $out"
	out=$(ip netns exec "$NS" python3 "$cli" --no-schema --spec "$DIODE_TOP/uapi/diode.yaml" \
		--do get-device --json '{"ifname": "diode0"}' --output-json 2>&1) || fail "ynl get-device: $out"
	[[ $out == *'"heartbeat-interval": 2500'* ]] || fail "ynl get-device did not read the heartbeat: $out"
	[[ $out == *'"ifname": "diode0"'* ]] || fail "ynl get-device did not read the name: $out"
}

ktap_run device_must_be_named_and_exist wrong_lengths out_of_range_values \
	read_only_and_unknown_attributes all_or_nothing replace_returns_the_rest_to_defaults \
	diodectl_errors needs_cap_net_admin \
	rx_mark_only_in_rx_mode rx_mark_only_rises rx_mark_malformed \
	ethertype_of_the_stack_refused mtu_all_or_nothing ynl_cli_drives_the_family
