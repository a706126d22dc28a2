#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test_quick.sh [DIODE_QUICK [DIODECTL]]: host tests of diode-quick, with no
# kernel module and no root: usage, bad arguments, strip, its errors, and up
# and down against stand-ins for ip and diodectl that log what they are asked
# to do, so that the order of the steps and the undoing of a failed up show.
# Prints KTAP; exits 1 when any test fails.

# The tests are called through the table at the end.
# shellcheck disable=SC2317,SC2015

QUICK=$(realpath "${1:-./diode-quick}")
DIODECTL=$(realpath "${2:-./diodectl/diodectl}")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ALICE_PRIVATE=dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LCo=
ALICE_PUBLIC=hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=

fail() {
	echo "# FAIL: $*"
	exit 1
}

# quick ARGS...: runs diode-quick with its configurations in $TMP/etc and
# its state in $TMP/state, leaving the exit status in $rc and the output in
# $TMP/out and $TMP/err.
quick() {
	DIODE_CONFIG_DIR=$TMP/etc DIODE_STATE_DIR=$TMP/state "$QUICK" "$@" \
		</dev/null >"$TMP/out" 2>"$TMP/err"
	rc=$?
}

# refused WORD ARGS...: diode-quick fails with status 1, nothing on stdout,
# and WORD in its message.
refused() {
	local word=$1
	shift
	quick "$@"
	[ "$rc" = 1 ] || fail "diode-quick $*: exit status $rc, not 1"
	[ ! -s "$TMP/out" ] || fail "diode-quick $*: wrote to stdout: $(cat "$TMP/out")"
	grep -qF -- "$word" "$TMP/err" ||
		fail "diode-quick $*: '$word' not in: $(cat "$TMP/err")"
	echo "# $(head -n 1 "$TMP/err")"
}

write_sender() {
	mkdir -p "$TMP/etc"
	rm -f "$TMP/etc/diode0.conf"
	(umask 077 && cat >"$TMP/etc/diode0.conf") <<-EOF
		# The sender
		[ interface ]
		Mode = tx
		PrivateKey = $ALICE_PRIVATE
		address = 10.9.0.1/24, 2001:db8:9::1/64   # both families
		MTU = 1400
		Neighbor = 192.0.2.2 02:00:00:00:00:02 eth1
		  NEIGHBOR=2001:db8::2   02:00:00:00:00:03	eth2
		Local = 192.0.2.1
		Address = 10.9.1.1/32
		Address = 10.9.1.2

		[Peer]
		PublicKey = $ALICE_PUBLIC   # Address here is diodectl's to refuse
		Remote = 192.0.2.2
	EOF
}

# The sender's file as diodectl setconf takes it.
stripped_sender() {
	cat <<-EOF
		# The sender
		[ interface ]
		Mode = tx
		PrivateKey = $ALICE_PRIVATE
		Local = 192.0.2.1

		[Peer]
		PublicKey = $ALICE_PUBLIC   # Address here is diodectl's to refuse
		Remote = 192.0.2.2
	EOF
}

test_help() {
	local opt
	for opt in --help -h help; do
		quick "$opt"
		[ "$rc" = 0 ] || fail "$opt: exit status $rc"
		grep -q '^Usage: diode-quick up|down|save|strip NAME' "$TMP/out" ||
			fail "$opt: no usage"
		grep -q 'Neighbor = IP LLADDR DEV' "$TMP/out" ||
			fail "$opt: Neighbor not explained"
		grep -qF "$TMP/state/NAME.mark" "$TMP/out" ||
			fail "$opt: the state folder is not shown"
		grep -qF "$TMP/etc/NAME.conf" "$TMP/out" ||
			fail "$opt: the configuration folder is not shown"
		[ ! -s "$TMP/err" ] || fail "$opt: wrote to stderr"
	done
}

test_bad_arguments() {
	refused "a command is needed" # no arguments
	grep -q '^Usage:' "$TMP/err" || fail "no usage on stderr"
	refused "unknown command 'start'" start diode0
	refused "up needs a NAME or a FILE.conf" up
	refused "down takes one NAME or FILE.conf, not 'a b c'" down a b c
	refused "--help takes no arguments" --help up
	refused "invalid interface name '0123456789abcdef'" up 0123456789abcdef
	refused "invalid interface name 'a b'" strip 'a b'
	refused "invalid interface name ''" strip /etc/.conf
	refused "invalid interface name 'x/y'" strip x/y
	refused "$TMP/etc/nothing.conf does not exist" strip nothing
	refused "$TMP/no/where.conf does not exist" up "$TMP/no/where.conf"
	mkdir -p "$TMP/etc/dir.conf"
	refused "cannot read $TMP/etc/dir.conf" strip "$TMP/etc/dir.conf"
}

test_strip() {
	write_sender
	quick strip diode0
	[ "$rc" = 0 ] || fail "strip: exit status $rc: $(cat "$TMP/err")"
	[ ! -s "$TMP/err" ] || fail "strip: stderr: $(cat "$TMP/err")"
	diff -u <(stripped_sender) "$TMP/out" | sed 's/^/# /'
	cmp -s <(stripped_sender) "$TMP/out" || fail "strip: not the expected text"
	# The same by path, and a file without a final newline.
	cp "$TMP/etc/diode0.conf" "$TMP/other.conf"
	quick strip "$TMP/other.conf"
	cmp -s <(stripped_sender) "$TMP/out" || fail "strip by path differs"
	printf '[Interface]\nMTU = 1500\nMode = rx' >"$TMP/etc/last.conf"
	quick strip last
	[ "$rc" = 0 ] && [ "$(cat "$TMP/out")" = $'[Interface]\nMode = rx' ] ||
		fail "strip without a final newline: $(cat "$TMP/out")"
}

# What strip prints is a file diodectl takes: it gets as far as the kernel.
test_strip_feeds_diodectl() {
	write_sender
	quick strip diode0
	"$DIODECTL" setconf diode0 - <"$TMP/out" 2>"$TMP/err"
	if grep -q 'not loaded' "$TMP/err"; then
		return 0
	fi
	if grep -q ':[0-9]*: ' "$TMP/err"; then
		fail "diodectl refused the stripped file: $(cat "$TMP/err")"
	fi
	echo "# the diode module is loaded here"
	return 4
}

test_strip_refuses() {
	mkdir -p "$TMP/etc"
	printf '[Interface]\nMode = tx\nMTU = 1400\nmtu = 1500\n' >"$TMP/etc/e.conf"
	refused "$TMP/etc/e.conf:4: MTU is given twice (first on line 3)" strip e
	printf '[Interface]\nMTU = 40\n' >"$TMP/etc/e.conf"
	refused "$TMP/etc/e.conf:2: invalid MTU '40' (68 to 65535)" strip e
	printf '[Interface]\nMTU = 1.5k\n' >"$TMP/etc/e.conf"
	refused "e.conf:2: invalid MTU '1.5k'" strip e
	printf '\n[Interface]\nAddress =   # nothing\n' >"$TMP/etc/e.conf"
	refused "e.conf:3: Address needs a value" strip e
	printf '[Interface]\nAddress = 10.0.0.1/24, fe80::x/64\n' >"$TMP/etc/e.conf"
	refused "e.conf:2: invalid Address 'fe80::x/64'" strip e
	printf '[Interface]\nAddress = example.com\n' >"$TMP/etc/e.conf"
	refused "e.conf:2: invalid Address 'example.com'" strip e
	printf '[Interface]\nNeighbor = 192.0.2.2 eth1\n' >"$TMP/etc/e.conf"
	refused "e.conf:2: invalid Neighbor '192.0.2.2 eth1' (expected IP LLADDR DEVICE" strip e
	printf '[Interface]\nNeighbor = 192.0.2.2 02:00:00:00:00 eth1 x\n' >"$TMP/etc/e.conf"
	refused "e.conf:2: invalid Neighbor" strip e
	printf '[Interface]\nNeighbor = 192.0.2.2 0200.0000.0002 eth1\n' >"$TMP/etc/e.conf"
	refused "e.conf:2: invalid Neighbor link-layer address '0200.0000.0002'" strip e
	printf '[Interface]\nNeighbor = gw 02:00:00:00:00:02 eth1\n' >"$TMP/etc/e.conf"
	refused "e.conf:2: invalid Neighbor address 'gw'" strip e
	printf '[Interface]\nNeighbor = 192.0.2.2 02:00:00:00:00:02 a/b\n' >"$TMP/etc/e.conf"
	refused "e.conf:2: invalid Neighbor device 'a/b'" strip e
}

test_strip_warns() {
	write_sender
	chmod 644 "$TMP/etc/diode0.conf"
	quick strip diode0
	[ "$rc" = 0 ] || fail "strip: exit status $rc"
	grep -qF "warning: $TMP/etc/diode0.conf holds secret keys and others can read it" \
		"$TMP/err" || fail "no warning: $(cat "$TMP/err")"
	printf '[Interface]\nMode = rx\n' >"$TMP/etc/public.conf"
	chmod 644 "$TMP/etc/public.conf"
	quick strip public
	[ ! -s "$TMP/err" ] || fail "warning without secrets: $(cat "$TMP/err")"
}

# Stand-ins for ip and diodectl: each logs its words to $TMP/log. A link
# exists while $TMP/links/NAME does, holding its kind. STUB_IP_FAIL makes
# the ip command holding those words fail; STUB_DIODECTL_FAIL makes
# diodectl setconf fail with that message about stdin. diodectl show NAME
# mode prints STUB_MODE (default tx), show NAME rx-mark prints STUB_MARK;
# diodectl set fails when STUB_SET_FAIL is set.
make_stubs() {
	rm -rf "$TMP/links" "$TMP/state"
	mkdir -p "$TMP/bin" "$TMP/links"
	: >"$TMP/log"
	cat >"$TMP/bin/ip" <<-'EOF'
		#!/bin/bash
		echo "ip $*" >>"$STUB_DIR/log"
		name=${*: -1}
		if [ -n "${STUB_IP_FAIL:-}" ] && [[ "$*" == *"$STUB_IP_FAIL"* ]]; then
			echo "Error: stand-in failure." >&2
			exit 2
		fi
		case "$*" in
		"link show dev "*)
			[ -e "$STUB_DIR/links/$name" ] ;;
		"-details -json link show dev "*)
			[ -e "$STUB_DIR/links/$name" ] || exit 1
			printf '[{"ifname":"%s","linkinfo":{"info_kind":"%s"}}]\n' \
				"$name" "$(cat "$STUB_DIR/links/$name")" ;;
		"link add "*)
			[ ! -e "$STUB_DIR/links/$3" ] && echo "$5" >"$STUB_DIR/links/$3" ;;
		"link delete dev "*)
			rm "$STUB_DIR/links/$name" ;;
		esac
	EOF
	cat >"$TMP/bin/diodectl" <<-'EOF'
		#!/bin/bash
		echo "diodectl $*" >>"$STUB_DIR/log"
		case "$1 $3" in
		"show mode")
			echo "${STUB_MODE:-tx}"
			exit 0 ;;
		"show rx-mark")
			[ -n "${STUB_MARK:-}" ] || exit 1
			echo "$STUB_MARK"
			exit 0 ;;
		"set rx-mark")
			[ -z "${STUB_SET_FAIL:-}" ] || exit 1
			exit 0 ;;
		esac
		cat >"$STUB_DIR/stdin"
		if [ -n "${STUB_DIODECTL_FAIL:-}" ]; then
			echo "diodectl: $1 $2: stdin:$STUB_DIODECTL_FAIL" >&2
			exit 1
		fi
	EOF
	chmod +x "$TMP/bin/ip" "$TMP/bin/diodectl"
}

stubbed() {
	STUB_DIR=$TMP PATH=$TMP/bin:$PATH quick "$@"
}

log_is() {
	if [ "$(cat "$TMP/log")" != "$1" ]; then
		diff -u <(echo "$1") "$TMP/log" | sed 's/^/# /'
		fail "not the expected steps"
	fi
}

test_up() {
	write_sender
	make_stubs
	stubbed up diode0
	[ "$rc" = 0 ] || fail "up: exit status $rc: $(cat "$TMP/err")"
	log_is "ip link show dev diode0
ip link add diode0 type diode
diodectl setconf diode0 -
diodectl show diode0 mode
ip link set dev diode0 mtu 1400
ip address add 10.9.0.1/24 dev diode0
ip address add 2001:db8:9::1/64 dev diode0
ip address add 10.9.1.1/32 dev diode0
ip address add 10.9.1.2 dev diode0
ip neigh replace 192.0.2.2 lladdr 02:00:00:00:00:02 dev eth1 nud permanent
ip neigh replace 2001:db8::2 lladdr 02:00:00:00:00:03 dev eth2 nud permanent
ip link set dev diode0 up"
	# diodectl read the stripped file on stdin, lines in their places.
	[ "$(wc -l <"$TMP/stdin")" = "$(wc -l <"$TMP/etc/diode0.conf")" ] ||
		fail "the lines moved: $(cat "$TMP/stdin")"
	sed -n 4p "$TMP/stdin" | grep -qF "PrivateKey = $ALICE_PRIVATE" ||
		fail "line 4 is not the private key"
	cmp -s <(grep -v '^$' "$TMP/stdin") <(stripped_sender | grep -v '^$') ||
		fail "diodectl was not given the stripped file"
	grep -qF '[#] ip link add diode0 type diode' "$TMP/err" ||
		fail "the steps are not shown"
	grep -qF "$ALICE_PRIVATE" "$TMP/err" && fail "the key was shown"
	[ -e "$TMP/links/diode0" ] || fail "no link"

	# Up again: it exists, and is left alone.
	: >"$TMP/log"
	stubbed up diode0
	[ "$rc" = 1 ] && grep -q "diode0 already exists" "$TMP/err" ||
		fail "up twice: $rc $(cat "$TMP/err")"
	log_is "ip link show dev diode0"
	[ -e "$TMP/links/diode0" ] || fail "the existing link was deleted"
}

# diodectl refuses the file: its message names the real file and line, and
# the link is gone again.
test_up_undone_after_diodectl() {
	write_sender
	make_stubs
	STUB_DIODECTL_FAIL="9: unknown key 'Foo' in [Interface]" stubbed up diode0
	[ "$rc" != 0 ] || fail "up succeeded"
	grep -qxF "diodectl: setconf diode0: $TMP/etc/diode0.conf:9: unknown key 'Foo' in [Interface]" \
		"$TMP/err" || fail "diodectl's message: $(cat "$TMP/err")"
	grep -q "up diode0 failed; deleting diode0 again" "$TMP/err" ||
		fail "no message about the undoing"
	log_is "ip link show dev diode0
ip link add diode0 type diode
diodectl setconf diode0 -
ip link delete dev diode0"
	[ ! -e "$TMP/links/diode0" ] || fail "the link is still there"
}

test_up_undone_after_ip() {
	local step
	write_sender
	for step in "mtu 1400" "address add 2001:db8:9::1/64" "neigh replace 2001" \
		"set dev diode0 up"; do
		make_stubs
		STUB_IP_FAIL=$step stubbed up diode0
		[ "$rc" != 0 ] || fail "up succeeded though '$step' failed"
		[ "$(tail -n 1 "$TMP/log")" = "ip link delete dev diode0" ] ||
			fail "'$step' failed, the link was not deleted: $(cat "$TMP/log")"
		[ ! -e "$TMP/links/diode0" ] || fail "the link is still there"
		grep -q "stand-in failure" "$TMP/err" || fail "ip's message is lost"
	done
	# Nothing created, nothing to undo.
	make_stubs
	STUB_IP_FAIL="link add" stubbed up diode0
	[ "$rc" != 0 ] || fail "up succeeded though link add failed"
	log_is "ip link show dev diode0
ip link add diode0 type diode"
}

test_down() {
	make_stubs
	echo diode >"$TMP/links/diode0"
	stubbed down diode0
	[ "$rc" = 0 ] || fail "down: exit status $rc: $(cat "$TMP/err")"
	log_is "ip link show dev diode0
ip -details -json link show dev diode0
diodectl show diode0 mode
ip link delete dev diode0"
	[ ! -e "$TMP/links/diode0" ] || fail "the link is still there"
	[ ! -e "$TMP/state" ] || fail "a sender's down wrote state: $(ls -a "$TMP/state")"
	# By path: the name is the file's.
	echo diode >"$TMP/links/diode3"
	stubbed down /nowhere/diode3.conf
	[ "$rc" = 0 ] && [ ! -e "$TMP/links/diode3" ] || fail "down by path"

	make_stubs
	stubbed down diode0
	[ "$rc" = 1 ] && grep -q "diode0 does not exist" "$TMP/err" ||
		fail "down of nothing: $rc $(cat "$TMP/err")"
	echo veth >"$TMP/links/eth0"
	stubbed down eth0
	[ "$rc" = 1 ] && grep -q "eth0 is not a diode device" "$TMP/err" ||
		fail "down of a veth: $rc $(cat "$TMP/err")"
	[ -e "$TMP/links/eth0" ] || fail "eth0 was deleted"
}

write_receiver() {
	mkdir -p "$TMP/etc"
	rm -f "$TMP/etc/diode0.conf"
	(umask 077 && cat >"$TMP/etc/diode0.conf") <<-EOF
		[Interface]
		Mode = rx
		PrivateKey = $ALICE_PRIVATE
		Address = 10.9.0.2/24

		[Peer]
		PublicKey = $ALICE_PUBLIC
	EOF
}

MARK=1764900000123456789:42

# up of a receiver: its mark comes back before it is up.
test_up_restores_mark() {
	write_receiver
	make_stubs
	mkdir -p "$TMP/state"
	echo "$MARK" >"$TMP/state/diode0.mark"
	STUB_MODE=rx stubbed up diode0
	[ "$rc" = 0 ] || fail "up: exit status $rc: $(cat "$TMP/err")"
	log_is "ip link show dev diode0
ip link add diode0 type diode
diodectl setconf diode0 -
diodectl show diode0 mode
diodectl set diode0 rx-mark $MARK
ip address add 10.9.0.2/24 dev diode0
ip link set dev diode0 up"
	grep -qF "[#] diodectl set diode0 rx-mark $MARK" "$TMP/err" ||
		fail "the step is not shown: $(cat "$TMP/err")"
	# The last line may lack its newline.
	make_stubs
	mkdir -p "$TMP/state"
	printf '%s' "$MARK" >"$TMP/state/diode0.mark"
	STUB_MODE=rx stubbed up diode0
	[ "$rc" = 0 ] && grep -qxF "diodectl set diode0 rx-mark $MARK" "$TMP/log" ||
		fail "a mark without a newline: $rc $(cat "$TMP/err")"
}

# No file: a first start, which is fine and said.
test_up_without_mark() {
	write_receiver
	make_stubs
	STUB_MODE=rx stubbed up diode0
	[ "$rc" = 0 ] || fail "up: exit status $rc: $(cat "$TMP/err")"
	grep -q "rx-mark" "$TMP/log" && fail "a mark was set: $(cat "$TMP/log")"
	grep -qF "no saved mark ($TMP/state/diode0.mark): diode0 starts without one" \
		"$TMP/err" || fail "nothing said: $(cat "$TMP/err")"
	[ -e "$TMP/links/diode0" ] || fail "no link"
}

# A file that is not a mark: up fails, naming it, and the device goes.
test_up_refuses_corrupt_mark() {
	local content
	write_receiver
	mkdir -p "$TMP/state"
	for content in "garbage" "1764900000123456789" "1:2:3" "-1:2" \
		"1:2 " " 1:2" "1:2"$'\n'"3:4" "1:2"$'\n\n' "" \
		"123456789012345678901:0" "0x10:0"; do
		make_stubs
		mkdir -p "$TMP/state"
		printf '%s' "$content" >"$TMP/state/diode0.mark"
		STUB_MODE=rx stubbed up diode0
		[ "$rc" = 1 ] || fail "up took '$content': exit status $rc"
		grep -qF "diode-quick: $TMP/state/diode0.mark is not a mark (one line CREATED:COUNTER, as diodectl show diode0 rx-mark prints it); move it away to bring diode0 up without one" \
			"$TMP/err" || fail "'$content': $(cat "$TMP/err")"
		[ "$(tail -n 1 "$TMP/log")" = "ip link delete dev diode0" ] ||
			fail "'$content': the link was not deleted: $(cat "$TMP/log")"
	done
	echo "# $(grep 'not a mark' "$TMP/err")"
	# One the kernel refuses (lower than the device's): up fails too.
	make_stubs
	mkdir -p "$TMP/state"
	echo "$MARK" >"$TMP/state/diode0.mark"
	STUB_MODE=rx STUB_SET_FAIL=1 stubbed up diode0
	[ "$rc" != 0 ] && [ ! -e "$TMP/links/diode0" ] ||
		fail "up went on after set rx-mark failed: $rc"
	# A folder where the file should be.
	make_stubs
	mkdir -p "$TMP/state/diode0.mark"
	STUB_MODE=rx stubbed up diode0
	[ "$rc" = 1 ] && grep -qF "cannot read the saved mark $TMP/state/diode0.mark" "$TMP/err" ||
		fail "a folder as the mark: $rc $(cat "$TMP/err")"
}

# down of a receiver: down, its mark saved, then deleted.
test_down_saves_mark() {
	make_stubs
	mkdir -p "$TMP/state"
	echo "1:1" >"$TMP/state/diode0.mark"
	echo diode >"$TMP/links/diode0"
	STUB_MODE=rx STUB_MARK=$MARK stubbed down diode0
	[ "$rc" = 0 ] || fail "down: exit status $rc: $(cat "$TMP/err")"
	log_is "ip link show dev diode0
ip -details -json link show dev diode0
diodectl show diode0 mode
ip link set dev diode0 down
diodectl show diode0 rx-mark
ip link delete dev diode0"
	[ "$(cat "$TMP/state/diode0.mark")" = "$MARK" ] ||
		fail "saved: $(cat "$TMP/state/diode0.mark")"
	[ "$(wc -c <"$TMP/state/diode0.mark")" = $((${#MARK} + 1)) ] ||
		fail "not one line"
	[ "$(ls -A "$TMP/state")" = diode0.mark ] ||
		fail "files left behind: $(ls -A "$TMP/state")"
	# The state folder is made when missing, with DIODE_STATE_DIR unset
	# from systemd's STATE_DIRECTORY.
	make_stubs
	rm -rf "$TMP/state"
	echo diode >"$TMP/links/diode0"
	STUB_DIR=$TMP PATH=$TMP/bin:$PATH STUB_MODE=rx STUB_MARK=5:6 \
		STATE_DIRECTORY=$TMP/sd/diode DIODE_CONFIG_DIR=$TMP/etc \
		"$QUICK" down diode0 </dev/null >"$TMP/out" 2>"$TMP/err" ||
		fail "down with STATE_DIRECTORY: $(cat "$TMP/err")"
	[ "$(cat "$TMP/sd/diode/diode0.mark")" = 5:6 ] || fail "not in STATE_DIRECTORY"
}

# A mark that cannot be saved: the device stays, down, and nothing is lost.
test_down_keeps_device_if_mark_unsaved() {
	make_stubs
	: >"$TMP/state"	# a file where the folder should be
	echo diode >"$TMP/links/diode0"
	STUB_MODE=rx STUB_MARK=$MARK stubbed down diode0
	[ "$rc" = 1 ] || fail "down: exit status $rc"
	grep -qF "cannot save the mark of diode0 in $TMP/state/diode0.mark; diode0 is left in place, down" \
		"$TMP/err" || fail "message: $(cat "$TMP/err")"
	[ -e "$TMP/links/diode0" ] || fail "the device was deleted"
	grep -q "link delete" "$TMP/log" && fail "delete was run"
	rm -f "$TMP/state"
	# diodectl prints no mark: the same.
	make_stubs
	echo diode >"$TMP/links/diode0"
	STUB_MODE=rx stubbed down diode0
	[ "$rc" = 1 ] && [ -e "$TMP/links/diode0" ] || fail "deleted without a mark"
	[ ! -e "$TMP/state/diode0.mark" ] || fail "a mark file was written"
}

test_save() {
	make_stubs
	echo diode >"$TMP/links/diode0"
	STUB_MODE=rx STUB_MARK=$MARK stubbed save diode0
	[ "$rc" = 0 ] || fail "save: exit status $rc: $(cat "$TMP/err")"
	log_is "ip link show dev diode0
ip -details -json link show dev diode0
diodectl show diode0 mode
diodectl show diode0 rx-mark"
	[ "$(cat "$TMP/state/diode0.mark")" = "$MARK" ] || fail "not saved"
	[ -e "$TMP/links/diode0" ] || fail "the device went"
	STUB_MODE=tx stubbed save diode0
	[ "$rc" = 1 ] && grep -qF "diode0 is not a receiver (mode rx, not tx): it has no mark to save" \
		"$TMP/err" || fail "save of a sender: $rc $(cat "$TMP/err")"
}

tests=(
	test_help test_bad_arguments test_strip test_strip_feeds_diodectl
	test_strip_refuses test_strip_warns test_up
	test_up_undone_after_diodectl test_up_undone_after_ip test_down
	test_up_restores_mark test_up_without_mark test_up_refuses_corrupt_mark
	test_down_saves_mark test_down_keeps_device_if_mark_unsaved test_save
)

source "$(dirname "$0")/ktap.sh"
ktap_main "${tests[@]}"
