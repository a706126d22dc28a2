#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_cli.sh DIODECTL: host tests of the command line of diodectl, with no
# diode module needed: usage, keys, and that every bad input (words or
# configuration files) is refused with one line on stderr naming the bad word
# or FILE:LINE, exit status 1 and no output, before anything is sent to the
# kernel. Prints KTAP; exits 1 when any test fails.

DIODECTL=$(realpath "${1:-./diodectl}")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# RFC 7748, section 6.1: Alice's key pair.
ALICE_PRIVATE=dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=
ALICE_PUBLIC=hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=

fail() {
	echo "# FAIL: $*"
	exit 1
}

# run ARGS...: runs diodectl with stdin from $STDIN (default empty), leaving
# the exit status in $rc and the output in $TMP/out and $TMP/err.
run() {
	"$DIODECTL" "$@" <"${STDIN:-/dev/null}" >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

# refused WORD ARGS...: diodectl ARGS fails cleanly with a message naming WORD.
refused() {
	local word=$1
	shift
	run "$@"
	[ "$rc" = 1 ] || fail "diodectl $*: exit status $rc, not 1"
	[ ! -s "$TMP/out" ] || fail "diodectl $*: wrote to stdout"
	[ "$(wc -l <"$TMP/err")" = 1 ] ||
		fail "diodectl $*: not one line on stderr: $(cat "$TMP/err")"
	grep -q '^diodectl: ' "$TMP/err" || fail "diodectl $*: no 'diodectl:' prefix"
	grep -qF -- "$word" "$TMP/err" ||
		fail "diodectl $*: '$word' not in: $(cat "$TMP/err")"
	echo "# $(cat "$TMP/err")"
}

test_help() {
	local opt
	for opt in help --help -h; do
		run "$opt"
		[ "$rc" = 0 ] || fail "$opt: exit status $rc"
		grep -q '^Usage: diodectl' "$TMP/out" || fail "$opt: no usage"
		grep -q 'replay-window' "$TMP/out" || fail "$opt: usage lacks set"
		for word in max-session-age setconf addconf showconf reset-sessions \
			heartbeat-interval redundancy fec interleave rate \
			encap lower ethertype dest-mac monitor rx-mark; do
			grep -q -- "$word" "$TMP/out" || fail "$opt: usage lacks $word"
		done
	done
	run --version
	[ "$rc" = 0 ] && grep -qE '^diodectl [0-9]+\.[0-9]+' "$TMP/out" ||
		fail "--version: $(cat "$TMP/out")"
}

test_bad_commands() {
	refused "'frobnicate'" frobnicate
	refused "'extra'" genkey extra
	refused "'x'" pubkey x
	refused "'--json'" help --json
}

test_genkey_pubkey() {
	local private public
	private=$("$DIODECTL" genkey) || fail "genkey failed"
	[[ $private =~ ^[A-Za-z0-9+/]{43}=$ ]] || fail "genkey printed '$private'"
	[ "$private" != "$("$DIODECTL" genkey)" ] || fail "genkey repeats"
	public=$(echo "$private" | "$DIODECTL" pubkey) || fail "pubkey failed"
	[[ $public =~ ^[A-Za-z0-9+/]{43}=$ ]] || fail "pubkey printed '$public'"
	[ "$public" = "$(echo "$private" | "$DIODECTL" pubkey)" ] ||
		fail "pubkey not deterministic"
	public=$(echo "$ALICE_PRIVATE" | "$DIODECTL" pubkey)
	[ "$public" = "$ALICE_PUBLIC" ] || fail "pubkey of RFC 7748 key: $public"
	public=$(printf '%s' "$ALICE_PRIVATE" | "$DIODECTL" pubkey)
	[ "$public" = "$ALICE_PUBLIC" ] || fail "pubkey without newline: $public"
	psk=$("$DIODECTL" genpsk) || fail "genpsk failed"
	[[ $psk =~ ^[A-Za-z0-9+/]{43}=$ ]] || fail "genpsk printed '$psk'"
}

test_pubkey_refuses() {
	STDIN=$TMP/key
	echo "not a key" >"$TMP/key"
	refused "stdin holds no valid key" pubkey
	echo "${ALICE_PRIVATE%=}" >"$TMP/key"
	refused "44 base64 characters" pubkey
	head -c 4096 /dev/zero | tr '\0' 'A' >"$TMP/key"
	refused "too long" pubkey
	: >"$TMP/key"
	refused "not 0" pubkey
	unset STDIN
}

# A world-readable file gets a warning; a pipe or a private file none.
test_genkey_umask_warning() {
	(umask 022 && "$DIODECTL" genkey >"$TMP/k1" 2>"$TMP/err")
	grep -q 'umask 077' "$TMP/err" || fail "no warning for a readable file"
	(umask 077 && "$DIODECTL" genkey >"$TMP/k2" 2>"$TMP/err")
	[ ! -s "$TMP/err" ] || fail "warning for a private file: $(cat "$TMP/err")"
}

test_set_refuses_words() {
	refused "device name" set
	refused "nothing to set" set diode0
	refused "'bad/name'" set bad/name mode tx
	refused "'0123456789abcdef'" set 0123456789abcdef mode tx
	refused "'mode' needs a value" set diode0 mode
	refused "'mode' is given twice" set diode0 mode tx mode rx
	refused "'sideways'" set diode0 mode sideways
	refused "'listen-port'" set diode0 listen-port 5
	refused "'YWJj'" set diode0 peer YWJj
	refused "'${ALICE_PUBLIC%=}'" set diode0 peer "${ALICE_PUBLIC%=}"
}

test_set_refuses_addresses() {
	refused "'1.2.3'" set diode0 local 1.2.3
	refused "'1.2.3.4:0'" set diode0 remote 1.2.3.4:0
	refused "'65536'" set diode0 remote 1.2.3.4:65536
	refused "'[2001:db8::1'" set diode0 remote '[2001:db8::1'
	refused "'2001:db8::x'" set diode0 remote 2001:db8::x
	refused "'[::1]:x'" set diode0 local '[::1]:x'
	refused "'example.com'" set diode0 remote example.com
	refused "'any'" set diode0 remote any
	refused "[2001:db8::1]:51555" set diode0 local any remote '[2001:db8::1]'
}

test_set_refuses_windows() {
	refused "'32'" set diode0 replay-window 32
	refused "'65600'" set diode0 replay-window 65600
	refused "'100'" set diode0 replay-window 100
	refused "'8k'" set diode0 replay-window 8k
}

test_set_refuses_keys() {
	refused "no-such-file" set diode0 private-key "$TMP/no-such-file"
	echo garbage >"$TMP/bad"
	refused "preshared-key" set diode0 preshared-key "$TMP/bad"
	refused "stdin" set diode0 private-key - preshared-key -
	# A key where its file belongs: refused without echoing it.
	refused "not the key itself" set diode0 private-key "$ALICE_PRIVATE"
	grep -qF "$ALICE_PRIVATE" "$TMP/err" && fail "the key was echoed"
	# The file is read, and a bad key in it is not echoed either.
	echo "${ALICE_PRIVATE%=}" >"$TMP/bad"
	refused "holds no valid key" set diode0 private-key "$TMP/bad"
	grep -qF "${ALICE_PRIVATE%=}" "$TMP/err" && fail "the key was echoed"
	return 0
}

test_set_refuses_rekey() {
	refused "invalid rekey time '0' (seconds, from 1 to 604800)" \
		set diode0 rekey-after-time 0
	refused "'604801'" set diode0 rekey-after-time 604801
	refused "invalid rekey frame count '1023' (from 1024 to 4294967296)" \
		set diode0 rekey-after-frames 1023
	refused "'4294967297'" set diode0 rekey-after-frames 4294967297
	refused "invalid max session age '1d'" set diode0 max-session-age 1d
	refused "'4294967296'" set diode0 max-session-age 4294967296
}

test_set_refuses_link() {
	refused "set diode0: invalid heartbeat interval '99' (100ms to 60s: milliseconds, or a number with the unit ms or s)" \
		set diode0 heartbeat-interval 99
	refused "invalid heartbeat interval '2m'" set diode0 heartbeat-interval 2m
	refused "set diode0: invalid redundancy '9' (1 to 8 copies of every frame)" \
		set diode0 redundancy 9
	refused "set diode0: invalid FEC '16-4' (K/M: 1 to 32 data frames and 1 to 16 parity frames per group, as 16/4; or off)" \
		set diode0 fec 16-4
	refused "invalid FEC '33/4'" set diode0 fec 33/4
	refused "set diode0: invalid interleave '17' (1 to 16 FEC groups filled in turn)" \
		set diode0 interleave 17
	refused "set diode0: invalid rate '100Mbps' (bits per second: a whole number with an optional unit bit, kbit, mbit, gbit or tbit, as 100mbit; 0 or none for no limit)" \
		set diode0 rate 100Mbps
	refused "invalid rate '-1'" set diode0 rate -1
	refused "set diode0: invalid rate '18446744073709551616' (too large: at most 18446744073709551615bit)" \
		set diode0 rate 18446744073709551616
	refused "set diode0: invalid encapsulation 'vxlan' (expected udp or eth)" \
		set diode0 encap vxlan
	refused "set diode0: lower device 'no-such-if0' does not exist (expected a device of this network namespace, or none)" \
		set diode0 lower no-such-if0
	refused "set diode0: invalid lower device 'a:b' (a device name, or none)" \
		set diode0 lower a:b
	refused "set diode0: invalid EtherType '0x0500' (0x0600 to 0xffff, in hex as 0x88b5 or in decimal)" \
		set diode0 ethertype 0x0500
	refused "invalid EtherType 'ip'" set diode0 ethertype ip
	refused "set diode0: invalid destination MAC address '02:00:00:00:00:02:03' (six bytes in hex, as 02:00:00:00:00:02)" \
		set diode0 dest-mac 02:00:00:00:00:02:03
	refused "(all zeros is no address)" set diode0 dest-mac 00:00:00:00:00:00
	refused "set diode0: invalid EtherType '0x0800' (0x0800 is IPv4's, which the kernel or the link handles itself; use one of diode's own, as the default 0x88b5)" \
		set diode0 ethertype 0x0800
	refused "(0x8100 is 802.1Q VLAN's" set diode0 ethertype 33024
	refused "(0x86dd is IPv6's" set diode0 ethertype 0x86dd
	refused "set diode0: invalid rx-mark '1764900000000000000' (CREATED:COUNTER, two whole numbers of at most 20 digits, as diodectl show DEV rx-mark prints it)" \
		set diode0 rx-mark 1764900000000000000
	refused "invalid rx-mark '1:-2'" set diode0 rx-mark 1:-2
	# All or nothing: one bad word among good ones, and nothing is sent.
	refused "invalid interleave '0'" set diode0 rate 1gbit fec 8/2 interleave 0
}

test_monitor_refuses() {
	refused "monitor: unexpected word 'b' (usage: diodectl monitor [DEV])" \
		monitor a b
	refused "monitor: unknown option '--json' (usage: diodectl monitor [DEV])" \
		monitor --json
	refused "monitor: invalid interface name 'a/b'" monitor a/b
}

test_new_commands_refuse_words() {
	refused "reset-sessions: a device name is needed" reset-sessions
	refused "reset-sessions: too many words" reset-sessions a b
	refused "reset-sessions: invalid interface name 'a/b'" reset-sessions a/b
	refused "showconf: a device name is needed" showconf
	refused "showconf: too many words" showconf diode0 --json
	refused "showconf: invalid interface name" showconf 0123456789abcdef
	refused "setconf: a device name is needed" setconf
	refused "setconf: a configuration file is needed" setconf diode0
	refused "addconf: too many words" addconf diode0 a b
	refused "addconf: invalid interface name 'x:y'" addconf x:y -
	refused "setconf diode0: cannot open '$TMP/none.conf': No such file" \
		setconf diode0 "$TMP/none.conf"
}

# A bad file is refused with FILE:LINE before anything is sent.
test_conf_refuses_files() {
	printf '[Interface]\nMode = tx\n\n[Peer]\nPublicKey = %s\nFoo = 1\n' \
		"$ALICE_PUBLIC" >"$TMP/bad.conf"
	refused "setconf diode0: $TMP/bad.conf:6: unknown key 'Foo' in [Peer]" \
		setconf diode0 "$TMP/bad.conf"
	STDIN=$TMP/bad.conf refused "addconf diode0: stdin:6: unknown key 'Foo'" \
		addconf diode0 -
	printf '[Interface]\nMode = tx\nFEC = 4\n' >"$TMP/bad.conf"
	refused "setconf diode0: $TMP/bad.conf:3: invalid FEC '4' (K/M: 1 to 32 data frames and 1 to 16 parity frames per group, as 16/4; or off)" \
		setconf diode0 "$TMP/bad.conf"
	printf '[Interface]\nDestMAC = 02:00:00:00:00:02\n' >"$TMP/bad.conf"
	refused "addconf diode0: $TMP/bad.conf:2: DestMAC belongs in [Peer], not [Interface]" \
		addconf diode0 "$TMP/bad.conf"
	printf '[Interface]\nLower = no-such-if0\n' >"$TMP/bad.conf"
	refused "$TMP/bad.conf:2: lower device 'no-such-if0' does not exist" \
		addconf diode0 "$TMP/bad.conf"
	printf '[Interface]\nMode = tx\n' >"$TMP/bad.conf"
	refused "$TMP/bad.conf:2: no [Peer] section" setconf diode0 "$TMP/bad.conf"
	printf '[Interface]\nLocal = any\n[Peer]\nPublicKey = %s\n' \
		"$ALICE_PUBLIC" >"$TMP/bad.conf"
	refused "$TMP/bad.conf:1: [Interface] has no Mode" \
		setconf diode0 "$TMP/bad.conf"
	# A private key on a line of its own, or mistyped, is never echoed.
	printf '[Interface]\n%s\n' "$ALICE_PRIVATE" >"$TMP/bad.conf"
	refused "$TMP/bad.conf:2: unknown key (not quoted" \
		addconf diode0 "$TMP/bad.conf"
	grep -qF "${ALICE_PRIVATE:0:20}" "$TMP/err" && fail "the key was echoed"
	printf '[Interface]\nPrivateKey = %s=\n' "$ALICE_PRIVATE" >"$TMP/bad.conf"
	refused "$TMP/bad.conf:2: invalid PrivateKey" addconf diode0 "$TMP/bad.conf"
	grep -qF "${ALICE_PRIVATE:0:20}" "$TMP/err" && fail "the key was echoed"
	refused "cannot read '$TMP': Is a directory" setconf diode0 "$TMP"
	head -c 65537 /dev/zero | tr '\0' '\n' >"$TMP/big.conf"
	refused "'$TMP/big.conf' is too long for a configuration (more than 65536 bytes)" \
		setconf diode0 "$TMP/big.conf"
}

test_show_refuses() {
	refused "'bad/name'" show bad/name
	refused "'two'" show one two
	refused "'-j'" show diode0 -j
	refused "show: unexpected word 'rx-mark'" show diode0 rx-mark rx-mark
	refused "show: unexpected word 'public-key' (usage: diodectl show [DEV] [--json], or diodectl show DEV mode|rx-mark|statistics)" \
		show diode0 public-key
	refused "show: --json prints every field; rx-mark alone is plain text" \
		show diode0 rx-mark --json
}

# Without the module, valid input gets as far as the kernel and no further.
test_without_module() {
	run show
	if ! grep -q 'not loaded' "$TMP/err"; then
		echo "# the diode module is loaded here"
		return 4
	fi
	refused "the diode kernel module is not loaded (modprobe diode)" show
	refused "show diode0: the diode kernel module" show diode0 --json
	refused "show diode0: the diode kernel module" show diode0 rx-mark
	refused "show: the diode kernel module" # no command: show
	echo "$ALICE_PRIVATE" >"$TMP/key"
	STDIN=$TMP/key refused "set diode0: the diode kernel module" set diode0 \
		mode tx private-key - peer "$ALICE_PUBLIC" preshared-key none \
		local '[::]' remote '[2001:db8::1]:4000' replay-window 65536 \
		rekey-after-time 604800 rekey-after-frames 4294967296 \
		max-session-age 0
	refused "reset-sessions diode0: the diode kernel module" \
		reset-sessions diode0
	refused "showconf diode0: the diode kernel module" showconf diode0
	refused "set diode0: the diode kernel module" set diode0 \
		heartbeat-interval 500ms redundancy 2 fec 16/4 interleave 4 \
		rate 100mbit encap eth lower lo ethertype 0x88b5 \
		dest-mac 02:00:00:00:00:02
	refused "set diode0: the diode kernel module" set diode0 mode rx \
		rx-mark 1764900000123456789:42
	refused "set diode0: the diode kernel module" set diode0 fec off \
		rate none lower none encap udp heartbeat-interval 2s
	refused "monitor: the diode kernel module is not loaded (modprobe diode)" \
		monitor
	refused "monitor diode0: the diode kernel module" monitor diode0
	# A good file gets as far as the kernel.
	(umask 077 && cat >"$TMP/good.conf") <<-EOF
		# comment
		[Interface]
		Mode = tx            # tx | rx | none
		PrivateKey = $ALICE_PRIVATE
		Local = 192.0.2.1:51555
		ReplayWindow = 8192
		RekeyAfterTime = 120
		RekeyAfterFrames = 1073741824
		MaxSessionAge = 0
		HeartbeatInterval = 1s
		Redundancy = 2
		FEC = 16/4
		Interleave = 2
		Rate = 10gbit
		Encap = udp
		Lower = lo
		EtherType = 0x88b5

		[Peer]
		PublicKey = $ALICE_PUBLIC
		Remote = 192.0.2.2:51555
		DestMAC = 02:00:00:00:00:02
	EOF
	refused "setconf diode0: the diode kernel module" setconf diode0 \
		"$TMP/good.conf"
	STDIN=$TMP/good.conf refused "addconf diode0: the diode kernel module" \
		addconf diode0 -
	# One that others can read: a warning first.
	chmod 644 "$TMP/good.conf"
	run setconf diode0 "$TMP/good.conf"
	[ "$rc" = 1 ] || fail "setconf: exit status $rc"
	grep -q "^diodectl: setconf diode0: warning: $TMP/good.conf holds secret keys and others can read it (chmod 600 $TMP/good.conf)$" \
		"$TMP/err" || fail "no warning: $(cat "$TMP/err")"
	STDIN=$TMP/good.conf run addconf diode0 -
	grep -q "warning: the file on stdin holds secret keys" "$TMP/err" ||
		fail "no warning for stdin: $(cat "$TMP/err")"
	# No secret in it: no warning.
	printf '[Interface]\nMode = rx\n' >"$TMP/public.conf"
	chmod 644 "$TMP/public.conf"
	refused "addconf diode0: the diode kernel module" addconf diode0 \
		"$TMP/public.conf"
}

tests=(
	test_help test_bad_commands test_genkey_pubkey test_pubkey_refuses
	test_genkey_umask_warning test_set_refuses_words
	test_set_refuses_addresses test_set_refuses_windows
	test_set_refuses_keys test_set_refuses_rekey test_set_refuses_link
	test_monitor_refuses test_new_commands_refuse_words test_conf_refuses_files test_show_refuses
	test_without_module
)

source "$(dirname "$0")/../ktap.sh"
ktap_main "${tests[@]}"
