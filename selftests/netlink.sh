#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The generic netlink family under bad input: every request that is wrong in
# any way is refused with a message a user can act on, and changes nothing.
source "$(dirname "$0")/lib.sh"

diode_install_module || exit $KSFT_FAIL

genl() {
	ip netns exec "$NS" python3 "$DIODE_TOP/selftests/genl.py" "$@"
}

# The configuration part of `diodectl show` (no counters, no sessions).
config_of() {
	ip netns exec "$NS" diodectl show diode0 --json |
		python3 -c 'import json, sys
d = json.load(sys.stdin)[0]
for k in ("stats", "sessions"): d.pop(k, None)
print(json.dumps(d, sort_keys=True))'
}

# refused ERRNO MESSAGE ATTR...: a SET the kernel must refuse, with an errno
# and a message matching the extended regular expressions ERRNO and MESSAGE.
# Policy violations are EINVAL on 6.1 and sometimes ERANGE on 6.12.
refused() {
	local errno=$1 message=$2 before after answer
	shift 2
	before=$(config_of)
	answer=$(genl set "ifindex:u32:$IFINDEX" "$@")
	[[ $answer =~ ^error\ ($errno):\ .*$message ]] ||
		fail "set $*: expected '$errno ... $message', got '$answer'"
	after=$(config_of)
	expect_eq "configuration after a refused request" "$before" "$after"
}

setup() {
	NS=$(netns_add nl)
	ip -n "$NS" link add diode0 type diode
	IFINDEX=$(ip netns exec "$NS" cat /sys/class/net/diode0/ifindex)
	KEY=$(python3 -c 'print("11" * 32)')
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
	refused "EINVAL|ERANGE" "" "remote:hex:$(python3 -c 'print("00" * 40)')"
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
	refused EINVAL "low-order" "peer_public_key:hex:01$(python3 -c 'print("00" * 31)')"
	# While up, the mode, local and remote stay as they are.
	ip -n "$NS" link set diode0 up
	refused EBUSY "bring the device down" mode:u8:2
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
	expect_eq "mode" '"none"' "$(config_of | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["mode"]))')"
}

ktap_run device_must_be_named_and_exist wrong_lengths out_of_range_values \
	read_only_and_unknown_attributes all_or_nothing diodectl_errors needs_cap_net_admin
