#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Configuration files: setconf/showconf round trip, broken files refused with
# their line number and nothing applied, diode-quick up and down.
source "$(dirname "$0")/lib.sh"

diode_install_module || exit $KSFT_FAIL
PATH=$DIODE_TOP/tools:$PATH
umask 077

setup() {
	NS=$(netns_add cfg)
	DIR=$(mktemp -d)
	ip -n "$NS" link add diode0 type diode
	diodectl genkey >"$DIR/key"
	diodectl genkey | diodectl pubkey >"$DIR/peer.pub"
	diodectl genpsk >"$DIR/psk"
	cat >"$DIR/good.conf" <<EOC
# a sender
[Interface]
Mode = tx
PrivateKey = $(cat "$DIR/key")
Local = 192.0.2.1:4000
ReplayWindow = 1024
RekeyAfterTime = 60
RekeyAfterFrames = 100000
MaxSessionAge = 0

[Peer]
PublicKey = $(cat "$DIR/peer.pub")
PresharedKey = $(cat "$DIR/psk")
Remote = 192.0.2.2:4001
EOC
}

in_ns() { ip netns exec "$NS" "$@"; }

test_setconf_showconf_round_trip() {
	setup
	in_ns diodectl setconf diode0 "$DIR/good.conf"
	in_ns diodectl showconf diode0 >"$DIR/shown.conf"
	grep -q "^PrivateKey = $(cat "$DIR/key")\$" "$DIR/shown.conf" || fail "showconf lost the private key"
	grep -q "^PresharedKey = $(cat "$DIR/psk")\$" "$DIR/shown.conf" || fail "showconf lost the PSK"
	# Feeding showconf to a second device gives the same configuration.
	in_ns ip link add diode1 type diode
	in_ns diodectl setconf diode1 "$DIR/shown.conf"
	in_ns diodectl showconf diode1 >"$DIR/shown1.conf"
	expect_eq "showconf of both devices" "$(cat "$DIR/shown.conf")" "$(cat "$DIR/shown1.conf")"
	local json
	json=$(in_ns diodectl show diode0 --json)
	echo "$json" | python3 -c 'import json, sys
d = json.load(sys.stdin)[0]
assert d["mode"] == "tx", d["mode"]
assert d["replay_window"] == 1024
assert d["rekey_after_time"] == 60 and d["rekey_after_frames"] == 100000
assert d["preshared_key"] is True' || fail "show disagrees with the file: $json"
	# show never prints secrets.
	if in_ns diodectl show diode0 | grep -qF "$(cat "$DIR/key")"; then
		fail "show printed the private key"
	fi
}

# setconf returns every setting its file leaves out to its default (the
# kernel's replace flag): a device configured otherwise before ends as a new
# one given the same file.
test_setconf_resets_what_the_file_leaves_out() {
	setup
	in_ns diodectl setconf diode0 "$DIR/good.conf"
	in_ns diodectl set diode0 heartbeat-interval 2000 redundancy 2 fec 8/2 interleave 4 \
		rate 100mbit ethertype 0x88b6 dest-mac 02:00:00:00:00:02
	printf '[Interface]\nMode = tx\n\n[Peer]\nPublicKey = %s\n' "$(cat "$DIR/peer.pub")" \
		>"$DIR/least.conf"
	in_ns diodectl setconf diode0 "$DIR/least.conf"
	in_ns ip link add diode1 type diode
	in_ns diodectl setconf diode1 "$DIR/least.conf"
	expect_eq "showconf after setconf of the least file" \
		"$(in_ns diodectl showconf diode1)" "$(in_ns diodectl showconf diode0)"
	! in_ns diodectl showconf diode0 | grep -q '^PrivateKey' || fail "the private key stayed"
}

# broken LINE TEXT EXPECTED: replace line LINE of the good file with TEXT;
# setconf must fail naming that line, and change nothing.
broken() {
	local line=$1 text=$2 expected=$3 before out
	sed "${line}s|.*|${text}|" "$DIR/good.conf" >"$DIR/bad.conf"
	before=$(diode_config "$NS")
	if out=$(in_ns diodectl setconf diode0 "$DIR/bad.conf" 2>&1); then
		fail "setconf accepted line $line: $text"
	fi
	[[ $out == *"bad.conf:$line:"* ]] || fail "no line number $line in: $out"
	[[ -z $expected || ${out,,} == *"$expected"* ]] || fail "'$expected' not in: $out"
	echo "# $out"
	expect_eq "configuration after a refused file" "$before" \
		"$(diode_config "$NS")"
}

test_broken_files_refused() {
	setup
	broken 3 "Colour = blue" "unknown key"
	broken 4 "PrivateKey = not-base64!" "privatekey"
	broken 7 "RekeyAfterTime = 0" "rekey"
	broken 5 "Local = 300.1.1.1" "300.1.1.1"
	# No peer at all.
	head -n 10 "$DIR/good.conf" >"$DIR/bad.conf"
	local out
	if out=$(in_ns diodectl setconf diode0 "$DIR/bad.conf" 2>&1); then
		fail "setconf accepted a file without a peer"
	fi
	[[ ${out,,} == *peer* ]] || fail "no word of the missing peer in: $out"
	echo "# $out"
}

test_diode_quick_up_down() {
	setup
	mkdir -p "$DIR/etc"
	# No Local: this namespace has no 192.0.2.1 to send from.
	sed -e 's/^Mode = tx/Mode = tx\nAddress = 198.51.100.1\/24\nMTU = 1300/' \
		-e '/^Local = /d' "$DIR/good.conf" >"$DIR/etc/dq0.conf"
	DIODE_CONFIG_DIR=$DIR/etc in_ns diode-quick up dq0
	expect_eq "mtu" 1300 "$(in_ns cat /sys/class/net/dq0/mtu)"
	in_ns ip -br addr show dq0 | grep -q 198.51.100.1/24 || fail "address not set"
	in_ns diodectl show dq0 | grep -q "mode: tx" || fail "mode not set"
	DIODE_CONFIG_DIR=$DIR/etc in_ns diode-quick down dq0
	expect_fail in_ns ip link show dq0
	# A broken file leaves no device behind.
	sed -i 's/^RekeyAfterTime = 60/RekeyAfterTime = 0/' "$DIR/etc/dq0.conf"
	if DIODE_CONFIG_DIR=$DIR/etc in_ns diode-quick up dq0 2>/dev/null; then
		fail "diode-quick brought up a broken configuration"
	fi
	expect_fail in_ns ip link show dq0
}

test_showconf_needs_root() {
	setup
	in_ns diodectl setconf diode0 "$DIR/good.conf"
	local out
	if out=$(in_ns unshare --user --map-root-user diodectl showconf diode0 2>&1); then
		fail "showconf worked from a user namespace"
	fi
	[[ $out == *"needs root"* ]] || fail "unclear message: $out"
	[[ $out != *"$(cat "$DIR/key")"* ]] || fail "a key leaked"
}

# A receiver's mark is state, not configuration: showconf does not print it
# and setconf leaves it alone; MaxSessionAge left out is the default.
test_mark_not_in_configuration() {
	setup
	sed -e 's/^Mode = tx/Mode = rx/' -e '/^Remote = /d' -e '/^MaxSessionAge = /d' \
		"$DIR/good.conf" >"$DIR/rx.conf"
	in_ns diodectl setconf diode0 "$DIR/rx.conf"
	in_ns diodectl set diode0 rx-mark 1764900000123456789:42
	in_ns diodectl showconf diode0 >"$DIR/shown.conf"
	if grep -qi 'mark\|1764900000123456789' "$DIR/shown.conf"; then
		fail "showconf printed the mark: $(grep -i mark "$DIR/shown.conf")"
	fi
	grep -qx 'MaxSessionAge = 86400' "$DIR/shown.conf" ||
		fail "not the default max session age: $(grep MaxSessionAge "$DIR/shown.conf")"
	in_ns diodectl setconf diode0 "$DIR/shown.conf"
	in_ns diodectl addconf diode0 - <<<$'[Interface]\nMaxSessionAge = 600'
	expect_eq "mark after setconf and addconf" 1764900000123456789:42 \
		"$(in_ns diodectl show diode0 rx-mark)"
	local out
	if out=$(in_ns diodectl addconf diode0 - <<<$'[Interface]\nRxMark = 1:2' 2>&1); then
		fail "a file set the mark"
	fi
	echo "# $out"
}

ktap_run setconf_showconf_round_trip setconf_resets_what_the_file_leaves_out broken_files_refused diode_quick_up_down showconf_needs_root \
	mark_not_in_configuration
