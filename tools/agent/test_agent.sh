#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of diode-agent: a tx agent and an rx agent in two network
# namespaces joined by veth, everything going back dropped by nftables (a
# diode's link), and a collector behind the rx agent. KTAP output; exit 0
# when every test passed (or was skipped), 1 otherwise.
#
#   test_agent.sh [AGENT]        AGENT defaults to ./diode-agent beside it
set -u
here=$(cd "$(dirname "$0")" && pwd)
agent=$(realpath "${1:-$here/diode-agent}")
tool=$here/syslogtool.py
source "$here/ns_lib.sh"
# loadgen sends and collects like syslogtool.py, without a python process
# each (make check builds it); syslogtool.py checks
lg=$here/loadgen
[ -x "$lg" ] || lg=
collect() {	# collect NS PROTO PORT FILE (until killed)
	if [ -n "$lg" ]; then ip netns exec "$1" "$lg" collect "$2" "$3" "$4"
	else ip netns exec "$1" python3 "$tool" collect "$2" "$3" "$4"; fi
}
tests=(config_errors tcp_100k_four_senders udp_and_lf_framing
       loss_5_percent_exact mtu_1280_fragments tx_restart_keeps_epoch
       rx_restart_nothing_twice garbage_and_oversize replay_closes_gaps
       journal_bounded_and_checked collector_down_spooled spool_full_announced
       rsyslog_peers link_priority_shared
       mqtt_events_and_state mqtt_loss_converges mqtt_tx_down_broker_queues
       mqtt_restarts mqtt_restarts_mid_stream mqtt_v311_and_one_way
       files_200_mixed files_loss_5_percent files_blackout_second_pass
       files_rx_killed_resumes files_history_reports_missing files_history_names_many
       files_names_refused
       files_full_disk files_deadline_failed files_tx_killed_completes
       files_sent_again_not_twice files_partial_superseded files_ten_thousand)
tests+=(opcua_mirror_across opcua_loss_and_rx_restart opcua_model_changes
	opcua_carousel_share opcua_copies_in_order opcua_tx_restart opcua_rebrowse_asked opcua_sweep_missed_tombstone opcua_silent_source opcua_source_restart opcua_stalled_source opcua_secure_across opcua_untrusted_server opcua_wrong_password opcua_mirror_users)
# AGENT_TESTS="a b" runs only those (for development)
[ -n "${AGENT_TESTS:-}" ] && read -ra tests <<<"$AGENT_TESTS"

work=$(mktemp -d /tmp/diode-agent-test.XXXXXX)
ns_tx=dat-tx-$$ ns_rx=dat-rx-$$

# Everything a test started runs in one of its two namespaces, whose names
# end with -$$-I: all of them go at the end.
end_all() { ns_end $(ip netns list | awk '{ print $1 }' | grep -- "-$$-"); }
trap 'end_all; rm -rf "${base:-$work}"' EXIT

fail() { echo "# FAIL: $*" >&2; exit 1; }
expect_eq() { [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"; }

# The link: 10.77.0.1 (tx) -> 10.77.0.2 (rx); nothing goes back.
link() { ns_link "$ns_tx" "$ns_rx" dat 10.77.0 "${1:-1500}"; }

# loss PERCENT: drop a random share of what arrives at the rx side.
loss() {
	ip netns exec "$ns_rx" nft -f - <<-NFT
	table inet loss {
		counter lost {}
		chain in { type filter hook input priority -10; iifname "dat1" numgen random mod 100 < $1 counter name lost drop; }
	}
	NFT
}

conf_tx() {
	cat >"$work/tx.conf" <<-EOF
	[Channel]
	Name = tx1
	Role = tx
	Protocol = syslog
	Id = 7
	StateDir = $work/state-tx
	[Transport]
	Remote = 10.77.0.2:5140
	HeartbeatInterval = ${HB:-200ms}
	$([ -n "${QUEUE:-}" ] && echo "Queue = $QUEUE")
	$([ -n "${JOURNAL:-}" ] && echo "Journal = $JOURNAL")
	[Syslog]
	ListenUDP = 127.0.0.1:1514
	ListenTCP = 127.0.0.1:1514
	MaxMessage = ${MAXMSG:-65536}
	EOF
}
conf_rx() {
	cat >"$work/rx.conf" <<-EOF
	[Channel]
	Name = rx1
	Role = rx
	Protocol = syslog
	Id = 7
	StateDir = $work/state-rx
	[Transport]
	Local = 10.77.0.2:5140
	ReorderWait = 100ms
	[Syslog]
	Collector = ${COLL:-tcp}:127.0.0.1:10514
	MaxMessage = ${MAXMSG:-65536}
	$([ -n "${SPOOL:-}" ] && echo "Spool = $SPOOL")
	EOF
}

start_collector() {
	if [ -n "$lg" ]; then
		ip netns exec "$ns_rx" "$lg" collect "${COLL:-tcp}" 10514 "$work/out" &
	else
		ip netns exec "$ns_rx" python3 "$tool" collect "${COLL:-tcp}" 10514 "$work/out" &
	fi
	coll_pid=$!
}
collector_up() {
	start_collector
	wait_for 'ip netns exec "$ns_rx" ss -ltn | grep -q 127.0.0.1:10514' || fail "collector"
}
start_rx() {
	ip netns exec "$ns_rx" "$agent" run "$work/rx.conf" 2>>"$work/rx.log" &
	rx_pid=$!
}
# rx_up: the rx (re)started has its port bound (what comes before is lost)
rx_up() { wait_for 'ip netns exec "$ns_rx" ss -lun | grep -q 10.77.0.2:5140' || fail "rx port"; }
start_tx() {
	ip netns exec "$ns_tx" "$agent" run "$work/tx.conf" 2>>"$work/tx.log" &
	tx_pid=$!
}
# setup [MTU]: link, collector, both agents, ready to take messages.
setup() {
	rm -rf "$work"/*
	link "${1:-1500}" || return 1
	conf_tx; conf_rx
	start_collector; start_rx; start_tx
	wait_for 'ip netns exec "$ns_tx" ss -ltn | grep -q 127.0.0.1:1514' || return 1
	wait_for 'ip netns exec "$ns_rx" ss -lun | grep -q 10.77.0.2:5140' || return 1
	wait_for 'ip netns exec "$ns_rx" ss -ltn | grep -q 127.0.0.1:10514'
}
wait_for() {
	local i
	for i in $(seq 200); do eval "$1" && return 0; sleep 0.05; done
	return 1
}
wait_for_s() {	# wait_for_s SECONDS CONDITION
	local end=$((SECONDS + $1))
	while [ $SECONDS -lt $end ]; do eval "$2" && return 0; sleep 0.1; done
	return 1
}
# stat ROLE KEY: a counter of the status file (written at exit and every s)
stat() { statf "$work/state-$1/$1""1.status" "$2"; }
statf() {	# statf FILE KEY (one JSON line of numbers and plain strings)
	local v
	v=$(grep -o "\"$2\":[^,}]*" "$1") || { echo "no $2 in $1" >&2; return 1; }
	v=${v#*:}; v=${v#\"}; echo "${v%\"}"
}
stop() {	# stop PID: SIGTERM and wait for its last status
	kill "$1"; wait "$1" 2>/dev/null
}
# settle: wait until the rx has heard everything the tx sent, then stop both.
settle() {
	sleep 0.6
	stop "$tx_pid"; sleep 0.5; stop "$rx_pid"; sleep 0.3
}
send() {
	if [ -n "$lg" ]; then ip netns exec "$ns_tx" "$lg" msgs "$@"
	else ip netns exec "$ns_tx" python3 "$tool" send "$@"; fi
}

test_config_errors() {
	local f=$work/bad.conf out
	check_err() {	# check_err EXPECTED-MESSAGE, file on stdin
		cat >"$f"
		out=$("$agent" check "$f" 2>&1) && fail "accepted: $(cat "$f")"
		[[ "$out" == *"$1"* ]] || fail "expected '$1', got '$out'"
	}
	printf '[Channel]\nRole = tx\nId = 1\nProtocol = syslog\n[Transport]\nRemote = 10.0.0.1:5140\nMTU = 100\n' |
		check_err "bad.conf:7: invalid MTU"
	printf '[Channel]\nRole = sideways\n' | check_err "bad.conf:2: invalid Role 'sideways'"
	printf 'Role = tx\n' | check_err "bad.conf:1: Role is outside a section"
	printf '[Channel]\nRole = tx\nRole = rx\n' | check_err "bad.conf:3: Role is given twice (first on line 2)"
	printf '[Channel]\nRemote = 10.0.0.1\n' | check_err "bad.conf:2: Remote belongs in [Transport], not [Channel]"
	printf '[Channel]\nListenPort = 1\n' | check_err "bad.conf:2: unknown key 'ListenPort' in [Channel]"
	printf '[Channel]\nRole = rx\nId = 3\nProtocol = syslog\n[Transport]\nLocal = any:5140\n' |
		check_err "bad.conf:5: an rx syslog channel needs Collector"
	printf '[Channel]\nRole = tx\nId = 70000\n' | check_err "bad.conf:3: invalid Id"
	printf '[Channel]\nRole = tx\nId = 1\nProtocol = syslog\n[Transport]\nRemote = 10.0.0.1:5140\n[Syslog]\nListenTCP = 1.2.3:514\n' |
		check_err "bad.conf:8: invalid ListenTCP"
	printf '[Channel]\nRole = tx\nId = 1\nProtocol = syslog\n[Transport]\nRemote = 10.0.0.1:5140\nJournal = 5\n' |
		check_err "bad.conf:7: invalid Journal (off, or 1048576"
	printf '[Channel]\nRole = rx\nId = 1\nProtocol = syslog\n[Transport]\nLocal = 10.0.0.2:5140\nJournal = off\n[Syslog]\nCollector = tcp:127.0.0.1:514\n' |
		check_err "bad.conf:7: Journal is for a tx channel"
	printf '[Channel]\nRole = tx\nId = 1\nProtocol = syslog\n[Transport]\nRemote = 10.0.0.1:5140\nPriority = 2\n[Syslog]\nListenTCP = any:514\n' |
		check_err "bad.conf:7: Priority needs Link"
	printf '[Channel]\nRole = tx\nId = 1\nProtocol = syslog\n[Transport]\nRemote = 10.0.0.1:5140\nLink = diode0\nPriority = 8\n' |
		check_err "bad.conf:8: invalid Priority (0, the highest, to 7)"
	printf '[Channel]\nRole = tx\nId = 1\nProtocol = files\n[Transport]\nRemote = 10.0.0.1:5140\n[Files]\nOutbox = /o\n' |
		check_err "bad.conf:7: a tx files channel needs Outbox and Sent"
	printf '[Channel]\nRole = rx\nId = 1\nProtocol = files\n[Transport]\nLocal = 10.0.0.2:5140\n[Files]\nInbox = /i\nPasses = 3\n' |
		check_err "bad.conf:9: Passes is for a tx channel"
	printf '[Channel]\nRole = tx\nId = 1\nProtocol = files\n[Files]\nPasses = 17\n' |
		check_err "bad.conf:6: invalid Passes (1 to 16)"
	printf '[Channel]\nRole = tx\nId = 1\nProtocol = files\n[Files]\nSettle = 2\n' |
		check_err "bad.conf:6: invalid Settle"
	printf '[Channel]\nRole = rx\nId = 1\nProtocol = files\n[Transport]\nLocal = 10.0.0.2:5140\n[Syslog]\nCollector = tcp:127.0.0.1:514\n' |
		check_err "bad.conf:7: [Syslog] is not for Protocol = files"
	# [OPCUA]'s security (the files' contents are checked at start)
	local ua='[Channel]\nRole = tx\nId = 1\nProtocol = opcua\nStateDir = '"$work"'/state\n[Transport]\nRemote = 10.0.0.1:5140\n[OPCUA]\nEndpoint = opc.tcp://10.0.0.9:4840\n'
	local uarx='[Channel]\nRole = rx\nId = 1\nProtocol = opcua\nStateDir = '"$work"'/state\n[Transport]\nLocal = 10.0.0.2:5140\n[OPCUA]\n'
	local c=$work/c.pem k=$work/k.pem pw=$work/pw
	echo cert >"$c"; echo key >"$k"; echo secret >"$pw"; chmod 600 "$k" "$pw"
	printf "$ua"'SecurityMode = Encrypt\n' | check_err "bad.conf:10: invalid SecurityMode 'Encrypt' (None, Sign or SignAndEncrypt)"
	printf "$ua"'SecurityPolicy = Basic128Rsa15\n' | check_err "bad.conf:10: invalid SecurityPolicy (None, Basic256Sha256 or Aes128_Sha256_RsaOaep"
	printf "$ua"'SecurityMode = SignAndEncrypt\n' |
		check_err "bad.conf:10: SecurityMode SignAndEncrypt needs SecurityPolicy Basic256Sha256 or Aes128_Sha256_RsaOaep"
	printf "$ua"'SecurityPolicy = Basic256Sha256\n' |
		check_err "bad.conf:10: SecurityPolicy Basic256Sha256 needs SecurityMode Sign or SignAndEncrypt"
	printf "$ua"'SecurityMode = Sign\nSecurityPolicy = Basic256Sha256 Aes128_Sha256_RsaOaep\n' |
		check_err "bad.conf:11: a tx has one SecurityPolicy"
	printf "$ua"'SecurityMode = Sign\nSecurityPolicy = Basic256Sha256\nCertificate = %s\nPrivateKey = %s\n' "$c" "$k" |
		check_err "bad.conf:10: SecurityMode Sign or SignAndEncrypt needs Certificate, PrivateKey and TrustList in [OPCUA] (no TrustList)"
	printf "$ua"'SecurityMode = Sign\nSecurityPolicy = Basic256Sha256\nCertificate = %s/none.pem\n' "$work" |
		check_err "bad.conf:12: Certificate $work/none.pem: No such file or directory"
	printf "$ua"'Certificate = %s\n' "$c" | check_err "bad.conf:10: Certificate needs SecurityMode Sign or SignAndEncrypt"
	printf "$ua"'TrustList = %s\nTrustList = %s\n' "$c" "$c" | check_err "bad.conf:11: TrustList $c is given twice"
	chmod 644 "$k"
	printf "$ua"'PrivateKey = %s\n' "$k" | check_err "bad.conf:10: PrivateKey $k is open to every user (mode 0644): chmod o-rwx"
	chmod 600 "$k"
	printf "$ua"'Username = op\nPasswordFile = %s\n' "$pw" |
		check_err "bad.conf:10: Username needs SecurityMode Sign or SignAndEncrypt (a password is not sent without security)"
	printf "$ua"'Username = op\n' | check_err "bad.conf:10: Username needs PasswordFile"
	printf "$uarx"'SecurityMode = Sign\n' | check_err "bad.conf:9: SecurityMode is for a tx channel"
	printf "$uarx"'Username = op\n' | check_err "bad.conf:9: Username is for a tx channel"
	printf "$uarx"'SecurityPolicy = None, Aes128_Sha256_RsaOaep\nCertificate = %s\nPrivateKey = %s\n' "$c" "$k" |
		check_err "bad.conf:9: a SecurityPolicy other than None needs Certificate, PrivateKey and TrustList in [OPCUA] (no TrustList)"
	printf "$uarx"'Users = %s\n' "$pw" |
		check_err "bad.conf:9: Users needs a SecurityPolicy other than None (a password is not sent without security)"
	printf "$uarx"'Anonymous = no\n' | check_err "bad.conf:9: Anonymous = no needs Users"
	printf "$uarx"'Anonymous = maybe\n' | check_err "bad.conf:9: invalid Anonymous (yes or no)"
	printf "$ua"'Users = %s\n' "$pw" | check_err "bad.conf:10: Users is for an rx channel"
	printf "$ua"'CarouselShare = 0%%\n' | check_err "bad.conf:10: invalid CarouselShare (1% to 100% of Rate)"
	printf "$uarx"'CarouselShare = 20%%\n' | check_err "bad.conf:9: CarouselShare is for a tx channel"
	chmod 604 "$pw"
	printf "$uarx"'Users = %s\n' "$pw" | check_err "bad.conf:9: Users $pw is open to every user (mode 0604): chmod o-rwx"
	chmod 600 "$pw"
	printf "$uarx"'SecurityPolicy = None None\n' | check_err "bad.conf:9: invalid SecurityPolicy"
	printf "$ua"'SecurityMode = SignAndEncrypt\nSecurityPolicy = Aes128_Sha256_RsaOaep\nCertificate = %s\nPrivateKey = %s\nTrustList = %s\nTrustList = %s\nUsername = op\nPasswordFile = %s\n' \
		"$c" "$k" "$c" "$work" "$pw" >"$f"
	"$agent" check "$f" || fail "a good secure opcua tx refused"
	printf "$uarx"'SecurityPolicy = None, Basic256Sha256 Aes128_Sha256_RsaOaep\nCertificate = %s\nPrivateKey = %s\nTrustList = %s\nUsers = %s\nAnonymous = no\n' \
		"$c" "$k" "$work" "$pw" >"$f"
	"$agent" check "$f" || fail "a good secure opcua rx refused"
	# what open62541 is given is read at start: not a certificate, or
	# another's key, stops the agent with why
	printf "$ua"'SecurityMode = Sign\nSecurityPolicy = Basic256Sha256\nCertificate = %s\nPrivateKey = %s\nTrustList = %s\n' \
		"$c" "$k" "$c" >"$f"
	out=$(timeout 20 "$agent" run "$f" 2>&1) && fail "ran with a certificate that is none"
	[[ "$out" == *"Certificate $c: not a certificate (PEM or DER)"* ]] || fail "not a certificate: $out"
	work=$work/keys pki a b || fail "openssl"
	printf "$ua"'SecurityMode = Sign\nSecurityPolicy = Basic256Sha256\nCertificate = %s\nPrivateKey = %s\nTrustList = %s\n' \
		"$work/keys/pki/a.pem" "$work/keys/pki/b.key" "$work/keys/pki/b.pem" >"$f"
	out=$(timeout 20 "$agent" run "$f" 2>&1) && fail "ran with another's key"
	[[ "$out" == *"PrivateKey $work/keys/pki/b.key is not the key of Certificate $work/keys/pki/a.pem"* ]] ||
		fail "another's key: $out"
	printf '[Channel]\nRole = tx\nId = 1\nProtocol = files\n[Transport]\nRemote = 10.0.0.1:5140\n[Files]\nOutbox = /o\nSent = /s\nPassDelay = 1m\n' >"$f"
	"$agent" check "$f" || fail "a good files channel refused"
	printf '[Channel]\nRole = tx\nId = 1\nProtocol = syslog\n[Transport]\nRemote = 10.0.0.1:5140\n[Syslog]\nListenTCP = any:514\n' >"$f"
	"$agent" check "$f" || fail "a good file refused"
}

# 100 000 messages over TCP, octet counted, from four senders at once.
test_tcp_100k_four_senders() {
	setup || fail "setup"
	local p s=()
	for p in a b c d; do send tcp 127.0.0.1 1514 "$p" 25000 & s+=($!); done
	for p in "${s[@]}"; do wait "$p" || fail "sender failed"; done
	settle
	expect_eq "collector: total once missing twice gaps gapsum other" \
		"100000 100000 0 0 0 0 0" \
		"$(python3 "$tool" check "$work/out" a:25000 b:25000 c:25000 d:25000)"
	expect_eq "rx delivered" 100000 "$(stat rx delivered)"
	expect_eq "rx lost" 0 "$(stat rx lost)"
	expect_eq "rx duplicates" 0 "$(stat rx duplicates)"
	expect_eq "tx received_tcp" 100000 "$(stat tx received_tcp)"
	expect_eq "tx connections" 4 "$(stat tx connections)"
}

test_udp_and_lf_framing() {
	setup || fail "setup"
	send udp 127.0.0.1 1514 u 2000 300
	send lf 127.0.0.1 1514 l 3000 150
	settle
	local got; got=$(python3 "$tool" check "$work/out" u:2000:300 l:3000:150)
	# UDP into the tx agent on loopback is not lost at this rate
	expect_eq "collector" "5000 5000 0 0 0 0 0" "$got"
	expect_eq "tx received_udp" 2000 "$(stat tx received_udp)"
}

# At 5 % random loss, lost == messages missing, one gap message per gap.
test_loss_5_percent_exact() {
	setup || fail "setup"
	loss 5
	send tcp 127.0.0.1 1514 m 20000 200
	settle
	local r total once missing twice gaps gapsum other
	read -r total once missing twice gaps gapsum other < <(python3 "$tool" check "$work/out" m:20000)
	[ "$missing" -gt 0 ] || fail "nothing was lost"
	expect_eq "twice" 0 "$twice"
	expect_eq "rx lost == missing" "$missing" "$(stat rx lost)"
	expect_eq "rx delivered == once" "$once" "$(stat rx delivered)"
	expect_eq "gap messages == rx gaps" "$(stat rx gaps)" "$gaps"
	expect_eq "sum of gap counts == missing" "$missing" "$gapsum"
	expect_eq "other" 0 "$other"
	echo "# $missing of 20000 lost in $gaps gaps"
}

# Messages larger than the path are split and rebuilt: nothing fragmented by IP.
test_mtu_1280_fragments() {
	setup 1280 || fail "setup"
	send tcp 127.0.0.1 1514 big 300 20000
	send tcp 127.0.0.1 1514 small 300 1200
	settle
	expect_eq "collector" "600 600 0 0 0 0 0" \
		"$(python3 "$tool" check "$work/out" big:300:20000 small:300:1200)"
	expect_eq "datagram" 1252 "$(stat tx datagram)"
	expect_eq "send errors" 0 "$(stat tx send_errors)"
}

test_tx_restart_keeps_epoch() {
	setup || fail "setup"
	send tcp 127.0.0.1 1514 r1 5000
	sleep 0.5
	local epoch; epoch=$(stat tx epoch)
	kill -9 "$tx_pid"; wait "$tx_pid" 2>/dev/null || true
	start_tx
	wait_for 'ip netns exec "$ns_tx" ss -ltn | grep -q 127.0.0.1:1514' || fail "tx restart"
	send tcp 127.0.0.1 1514 r2 5000
	settle
	expect_eq "epoch kept" "$epoch" "$(stat tx epoch)"
	expect_eq "rx epochs" 1 "$(stat rx epochs)"
	expect_eq "collector" "10000 10000 0 0 0 0 0" \
		"$(python3 "$tool" check "$work/out" r1:5000 r2:5000)"
	expect_eq "rx lost" 0 "$(stat rx lost)"
	# the restarted tx skips its lease (1 to 65536) and says so
	expect_eq "rx dropped at source (restart)" $((65536 - 5000)) "$(stat rx dropped_restart)"
	expect_eq "rx delivered" 10000 "$(stat rx delivered)"
}

test_rx_restart_nothing_twice() {
	setup || fail "setup"
	send tcp 127.0.0.1 1514 s1 5000
	sleep 0.5
	stop "$rx_pid"
	start_rx; rx_up
	send tcp 127.0.0.1 1514 s2 5000
	settle
	expect_eq "collector" "10000 10000 0 0 0 0 0" \
		"$(python3 "$tool" check "$work/out" s1:5000 s2:5000)"
	expect_eq "rx epochs after restart" 0 "$(stat rx epochs)"
}

test_garbage_and_oversize() {
	MAXMSG=4096 setup || fail "setup"
	# random datagrams into the rx port, from the rx side itself
	ip netns exec "$ns_rx" python3 -c '
import os, socket, random
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
r = random.Random(1)
for i in range(3000):
    b = bytearray(r.randbytes(r.randrange(0, 1500)))
    if i % 2 and len(b) >= 4: b[0:4] = b"\xda\x1a\x01\x01"
    s.sendto(bytes(b), ("10.77.0.2", 5140))'
	# garbage on the TCP port, then an oversized frame, then good frames
	ip netns exec "$ns_tx" python3 -c '
import socket
s = socket.create_connection(("127.0.0.1", 1514)); s.sendall(b"12abc garbage\n\x00\xff"); s.shutdown(1); s.recv(1); s.close()
s = socket.create_connection(("127.0.0.1", 1514))
s.sendall(b"5000 " + b"y" * 5000 + b"5 hello"); s.shutdown(1); s.recv(1); s.close()'
	send tcp 127.0.0.1 1514 g 1000
	settle
	expect_eq "collector (g and one hello)" "1001 1000 0 0 0 0 1" \
		"$(python3 "$tool" check "$work/out" g:1000)"
	expect_eq "tx too_large" 1 "$(stat tx too_large)"
	expect_eq "tx garbage" 1 "$(stat tx garbage)"
	expect_eq "rx dropped too-large" 1 "$(stat rx dropped_too-large)"
	expect_eq "rx lost" 0 "$(stat rx lost)"
	[ "$(stat rx malformed)" -ge 1500 ] || fail "malformed $(stat rx malformed)"
}

replay() { ip netns exec "$ns_tx" "$agent" replay "$work/tx.conf" "$@"; }

# At 5 % loss the collector names the gaps; a replay of each closes them,
# across a tx killed and restarted and an rx restarted (both keep their
# state on disk); a replay of what was delivered delivers nothing.
test_replay_closes_gaps() {
	setup || fail "setup"
	loss 5
	send tcp 127.0.0.1 1514 p 5000
	sleep 0.6
	ip netns exec "$ns_rx" nft delete table inet loss
	local total once missing twice gaps gapsum other out
	read -r total once missing twice gaps gapsum other < <(python3 "$tool" check "$work/out" p:5000)
	[ "$missing" -gt 0 ] || fail "nothing was lost"
	expect_eq "gap counts == missing" "$missing" "$gapsum"
	kill -9 "$tx_pid"; wait "$tx_pid" 2>/dev/null || true
	stop "$rx_pid"
	expect_eq "rx lost" "$missing" "$(stat rx lost)"
	start_rx; start_tx; rx_up
	wait_for 'ip netns exec "$ns_tx" ss -ltn | grep -q 127.0.0.1:1514' || fail "tx restart"
	out=$(replay $(python3 "$tool" gaps "$work/out")) || fail "replay of the gaps failed"
	expect_eq "replay of the gaps" "replayed $missing messages in $missing datagrams from $gaps ranges; 0 numbers have no record (dropped at source); 0 send errors retried" "$out"
	out=$(replay 1-2000) || fail "replay 1-2000 failed"
	expect_eq "replay 1-2000" "replayed 2000 messages in 2000 datagrams from 1 ranges; 0 numbers have no record (dropped at source); 0 send errors retried" "$out"
	out=$(replay 4990-5010 2>&1) && fail "a replay past the journal succeeded"
	[[ "$out" == *"4990-5010 is not in the journal (it holds 1-5000)"*"nothing replayed"* ]] || fail "message: $out"
	replay 0-5 2>/dev/null && fail "replay 0-5 accepted" || expect_eq "replay 0-5 exit" 2 $?
	settle
	expect_eq "collector: every message once" "$((5000 + gaps)) 5000 0 0 $gaps $missing 0" \
		"$(python3 "$tool" check "$work/out" p:5000)"
	expect_eq "rx late" "$missing" "$(stat rx late)"
	expect_eq "rx delivered (after the restart)" "$missing" "$(stat rx delivered)"
	expect_eq "rx duplicates" 2000 "$(stat rx duplicates)"
	expect_eq "rx lost (after the restart)" 0 "$(stat rx lost)"
	echo "# $missing lost in $gaps gaps, all replayed"
}

# A journal of 1 MiB keeps the newest records only and says which; a
# damaged segment is set aside, a torn tail cut, and the tx keeps working.
test_journal_bounded_and_checked() {
	JOURNAL=1048576 setup || fail "setup"
	send tcp 127.0.0.1 1514 j 6000
	sleep 0.4
	stop "$tx_pid"
	local first bytes out segs
	first=$(stat tx journal_first) bytes=$(stat tx journal_bytes)
	expect_eq "journal_last" 6000 "$(stat tx journal_last)"
	[ "$bytes" -le 1048576 ] && [ "$bytes" -ge $((1048576 * 3 / 4)) ] || fail "journal_bytes $bytes"
	[ "$(du -cb "$work/state-tx/tx1.journal/"*.seg | tail -1 | cut -f1)" = "$bytes" ] || fail "files != journal_bytes"
	out=$(replay 1-10 2>&1) && fail "replay 1-10 succeeded" || expect_eq "replay 1-10 exit" 3 $?
	[[ "$out" == *"1-10 is not in the journal (it holds $first-6000)"* ]] || fail "message: $out"
	# damage: a byte of the oldest segment's first record, and a torn tail
	segs=("$work"/state-tx/tx1.journal/*.seg)
	printf '\xff' | dd of="${segs[0]}" bs=1 seek=60 conv=notrunc 2>/dev/null
	printf '\0\0\1\0garbage' >>"${segs[-1]}"
	start_tx
	wait_for 'ip netns exec "$ns_tx" ss -ltn | grep -q 127.0.0.1:1514' || fail "tx restart"
	sleep 0.2
	expect_eq "journal_set_aside" 1 "$(stat tx journal_set_aside)"
	[ -f "${segs[0]%.seg}.corrupt" ] || fail "no .corrupt file"
	grep -q "bytes of a torn tail cut" "$work/tx.log" || fail "torn tail not reported"
	local first2; first2=$(stat tx journal_first)
	[ "$first2" -gt "$first" ] || fail "journal_first $first2"
	out=$(replay "$first2-6000") || fail "replay $first2-6000"
	[[ "$out" == "replayed $((6000 - first2 + 1)) messages"* ]] || fail "replay: $out"
	send tcp 127.0.0.1 1514 k 100
	settle
	expect_eq "collector" "6100 6100 0 0 0 0 0" "$(python3 "$tool" check "$work/out" j:6000 k:100)"
	expect_eq "rx duplicates" $((6000 - first2 + 1)) "$(stat rx duplicates)"
}

# The collector away for 5 s while 10 000 messages flow, the rx restarted
# meanwhile: the spool on disk keeps them, in order, each delivered once.
test_collector_down_spooled() {
	setup || fail "setup"
	send tcp 127.0.0.1 1514 a 1000
	sleep 0.3
	kill "$coll_pid"; wait "$coll_pid" 2>/dev/null || true
	sleep 0.2
	local t0=$SECONDS
	send tcp 127.0.0.1 1514 b 5000
	sleep 0.5
	stop "$rx_pid"
	[ "$(stat rx spool_bytes)" -gt $((5000 * 200)) ] || fail "spool_bytes $(stat rx spool_bytes)"
	start_rx; rx_up
	send tcp 127.0.0.1 1514 c 4000
	local left=$((5 - (SECONDS - t0)))
	[ "$left" -gt 0 ] && sleep "$left"
	collector_up
	sleep 0.5
	settle
	expect_eq "collector" "10000 10000 0 0 0 0 0" "$(python3 "$tool" check "$work/out" a:1000 b:5000 c:4000)"
	expect_eq "in order" 1 "$(python3 -c '
import sys; sys.path.insert(0, sys.argv[1]); import syslogtool as t
n = [int(m.split(b" ")[8]) + {b"a": 0, b"b": 1000, b"c": 6000}[m.split(b" ")[7]]
     for m in t.frames(sys.argv[2]) if b"diode-" not in m]
print(int(n == list(range(10000))))' "$here" "$work/out")"
	expect_eq "spool_dropped" 0 "$(stat rx spool_dropped)"
}

# A spool of 64 KiB with the collector away: what does not fit is counted
# and announced as one gap with its count, never dropped silently.
test_spool_full_announced() {
	SPOOL=65536 setup || fail "setup"
	kill "$coll_pid"; wait "$coll_pid" 2>/dev/null || true
	sleep 0.2
	send tcp 127.0.0.1 1514 f 1000
	sleep 0.5
	collector_up
	sleep 0.5
	settle
	local total once missing twice gaps gapsum other
	read -r total once missing twice gaps gapsum other < <(python3 "$tool" check "$work/out" f:1000)
	[ "$missing" -gt 500 ] || fail "missing $missing"
	expect_eq "twice" 0 "$twice"
	expect_eq "one gap message" 1 "$gaps"
	expect_eq "its count == missing" "$missing" "$gapsum"
	expect_eq "spool_dropped" "$missing" "$(stat rx spool_dropped)"
	expect_eq "rx lost" 0 "$(stat rx lost)"
	echo "# $once spooled, $missing dropped and announced"
}

# Real peers: logger (util-linux) over TCP octet counted and over UDP
# into the tx; rsyslogd, as nobody with its own configuration, work folder
# and output file, as the rx's collector (imtcp, omfile). Every message is
# in rsyslog's file exactly once, and no gap is reported.
test_rsyslog_peers() {
	if ! command -v rsyslogd >/dev/null || ! command -v logger >/dev/null; then
		echo "# SKIP: no rsyslogd or logger (scripts/install-deps installs them)"
		return 0
	fi
	rm -rf "$work"/*
	link || fail "link"
	conf_tx; conf_rx
	local rs=$work/rsyslog
	mkdir "$rs"
	cat >"$rs/rsyslog.conf" <<-EOF
	global(workDirectory="$rs")
	module(load="imtcp")
	template(name="raw" type="string" string="%rawmsg%\n")
	input(type="imtcp" address="127.0.0.1" port="10514")
	action(type="omfile" file="$rs/out" template="raw")
	EOF
	chmod 711 "$base" "$work"; chown -R nobody "$rs"
	ip netns exec "$ns_rx" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		rsyslogd -n -f "$rs/rsyslog.conf" -i "$rs/rsyslog.pid" 2>>"$work/rx.log" &
	local rs_pid=$!
	start_rx; start_tx
	wait_for 'ip netns exec "$ns_tx" ss -ltn | grep -q 127.0.0.1:1514' || fail "tx"
	wait_for 'ip netns exec "$ns_rx" ss -ltn | grep -q 127.0.0.1:10514' || fail "rsyslogd"
	rx_up
	seq 1 5000 | sed 's/^/ltcp-/' | ip netns exec "$ns_tx" logger --tcp --octet-count -n 127.0.0.1 -P 1514 -t lt
	seq 1 2000 | sed 's/^/ludp-/' | ip netns exec "$ns_tx" logger --udp -n 127.0.0.1 -P 1514 -t lu
	settle
	kill "$rs_pid"; wait "$rs_pid" 2>/dev/null || true
	expect_eq "rsyslog's file: once missing twice (tcp, udp), gaps" "5000 0 0 2000 0 0 0" "$(python3 -c '
import re, sys
n = {"ltcp": [0] * 5001, "ludp": [0] * 2001}
gaps = 0
for l in open(sys.argv[1], "rb").read().decode().splitlines():
    m = re.search(r" (ltcp|ludp)-([0-9]+)$", l)
    if m and int(m.group(2)) < len(n[m.group(1)]):
        n[m.group(1)][int(m.group(2))] += 1
    gaps += "[diode-gap@32473 " in l
out = []
for k in ("ltcp", "ludp"):
    c = n[k][1:]
    out += [sum(x == 1 for x in c), sum(x == 0 for x in c), sum(x > 1 for x in c)]
print(*out, gaps)' "$rs/out")"
	expect_eq "rx delivered" 7000 "$(stat rx delivered)"
	expect_eq "tx received_udp" 2000 "$(stat tx received_udp)"
}

# Two tx channels share a link's budget (LinkRate = 8mbit): a bulk one
# (Priority 7) and an urgent one (Priority 0) started 0.3 s later, each to
# its own rx and collector. Each delivers everything exactly once; the two
# together go no faster than the link's rate; the urgent one is done
# first and the bulk one waited for it.
test_link_priority_shared() {
	rm -rf "$work"/*
	link || fail "link"
	local ch prio t0 t1 ms
	for ch in 7 8; do
		prio=$([ $ch = 7 ] && echo 7 || echo 0)
		printf '[Channel]\nName = l%s\nRole = tx\nProtocol = syslog\nId = %s\nStateDir = %s\n[Transport]\nRemote = 10.77.0.2:510%s\nHeartbeatInterval = 200ms\nLink = dat\nLinkRate = 8mbit\nPriority = %s\n[Syslog]\nListenTCP = 127.0.0.1:150%s\n' \
			$ch $ch "$work/state-tx" $ch $prio $ch >"$work/tx$ch.conf"
		printf '[Channel]\nName = r%s\nRole = rx\nProtocol = syslog\nId = %s\nStateDir = %s\n[Transport]\nLocal = 10.77.0.2:510%s\nReorderWait = 100ms\n[Syslog]\nCollector = tcp:127.0.0.1:1050%s\n' \
			$ch $ch "$work/state-rx" $ch $ch >"$work/rx$ch.conf"
		collect "$ns_rx" tcp 1050$ch "$work/out$ch" &
		ip netns exec "$ns_rx" "$agent" run "$work/rx$ch.conf" 2>>"$work/rx.log" &
		ip netns exec "$ns_tx" "$agent" run "$work/tx$ch.conf" 2>>"$work/tx.log" &
	done
	for ch in 7 8; do
		wait_for "ip netns exec $ns_tx ss -ltn | grep -q 127.0.0.1:150$ch" || fail "tx $ch"
		wait_for "ip netns exec $ns_rx ss -ltn | grep -q 127.0.0.1:1050$ch" || fail "collector $ch"
		wait_for "ip netns exec $ns_rx ss -lun | grep -q 10.77.0.2:510$ch" || fail "rx $ch"
	done
	t0=${EPOCHREALTIME/./}
	send tcp 127.0.0.1 1507 bulk 2000 1000 &
	sleep 0.3
	send tcp 127.0.0.1 1508 urgent 300 1000
	wait_for '[ "$(statf "$work/state-tx/l8.status" sent_messages)" = 300 ]' || fail "urgent not sent"
	expect_eq "bulk still sending when urgent is done" 1 \
		"$(( $(statf "$work/state-tx/l7.status" sent_messages) < 2000 ))"
	wait_for '[ "$(statf "$work/state-tx/l7.status" sent_messages)" = 2000 ]' || fail "bulk not sent"
	t1=${EPOCHREALTIME/./}
	ms=$(( (t1 - t0) / 1000 ))
	# 2300 messages of 1088 bytes on the wire at 1 MB/s: 2502 ms, less a
	# burst of 131 ms
	[ "$ms" -ge 2300 ] || fail "2300 messages in $ms ms: faster than the link's rate"
	[ "$(statf "$work/state-tx/l7.status" link_waits)" -gt 0 ] || fail "bulk never waited"
	sleep 0.5
	ns_end "$ns_tx" "$ns_rx"
	expect_eq "bulk" "2000 2000 0 0 0 0 0" "$(python3 "$tool" check "$work/out7" bulk:2000:1000)"
	expect_eq "urgent" "300 300 0 0 0 0 0" "$(python3 "$tool" check "$work/out8" urgent:300:1000)"
	echo "# 2300 messages in $ms ms through a shared 8mbit"
}

if [ "$(id -u)" != 0 ] || ! command -v nft >/dev/null || ! ip netns add "dat-probe-$$" 2>/dev/null; then
	echo "TAP version 13"; echo "1..0 # SKIP needs root, nft and network namespaces"
	exit 0
fi
ip netns del "dat-probe-$$"

[ -n "${AGENT_TESTS:-}" ] && read -ra tests <<<"$AGENT_TESTS"
# Each test has namespaces and a folder of its own, so that AGENT_JOBS of
# them (2 by default) run at once; their output comes in order.
base=$work
# ---------------------------------------------------------------- MQTT
# An OT broker in the tx namespace, an IT broker in the rx namespace (both
# Debian's mosquitto on 127.0.0.1:1883), the agents between them.

# broker NS NAME: (re)start a broker without persistence; NAME_pid is its pid.
broker() {
	# no queue limit: mosquitto drops QoS 1 messages for a client beyond
	# 1000 queued by default, and a loaded host makes any client slow
	printf 'listener 1883 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n' >"$work/$2.conf"
	ip netns exec "$1" mosquitto -c "$work/$2.conf" 2>>"$work/$2.log" &
	eval "$2_pid=$!"
	wait_for "ip netns exec $1 ss -ltn | grep -q 127.0.0.1:1883" || fail "$2 broker"
}
conf_mqtt() {
	cat >"$work/tx.conf" <<-EOF
	[Channel]
	Name = tx1
	Role = tx
	Protocol = mqtt
	Id = 9
	StateDir = $work/state-tx
	[Transport]
	Remote = 10.77.0.2:5140
	HeartbeatInterval = 200ms
	Rate = ${RATE:-200mbit}
	[MQTT]
	Broker = 127.0.0.1
	Version = ${VERSION:-5}
	Topic = plant/#
	CarouselPeriod = ${CAROUSEL:-60s}
	EOF
	cat >"$work/rx.conf" <<-EOF
	[Channel]
	Name = rx1
	Role = rx
	Protocol = mqtt
	Id = 9
	StateDir = $work/state-rx
	[Transport]
	Local = 10.77.0.2:5140
	ReorderWait = 100ms
	[MQTT]
	Broker = 127.0.0.1
	Version = ${VERSION:-5}
	Prefix = ot/
	StatusTopic = diode/rx1/status
	EOF
}
# mqtt_setup: link, brokers, agents connected to both.
mqtt_setup() {
	rm -rf "$work"/*
	link || return 1
	conf_mqtt
	broker "$ns_tx" ot; broker "$ns_rx" it
	start_rx; start_tx
	rx_up
	wait_for '[ "$(stat tx broker 2>/dev/null)" = connected ]' || fail "tx not connected to its broker"
	wait_for '[ "$(stat rx broker 2>/dev/null)" = connected ]' || fail "rx not connected to its broker"
}
# pub ARGS...: mosquitto_pub on the OT broker, MQTT 5
pub() { ip netns exec "$ns_tx" mosquitto_pub -V mqttv5 -h 127.0.0.1 "$@"; }
# retained_it FILTER: the IT broker's retained messages under FILTER, as
# "topic content-type user-properties payload" lines, sorted (2 s for
# mosquitto_sub to connect and read them, on a loaded host)
retained_it() {
	ip netns exec "$ns_rx" mosquitto_sub -V mqttv5 -h 127.0.0.1 -t "$1" --retained-only \
		-W 2 -F '%t %C %P %p' 2>/dev/null | sort
}
retained_ot() {
	ip netns exec "$ns_tx" mosquitto_sub -V mqttv5 -h 127.0.0.1 -t "$1" --retained-only \
		-W 2 -F '%t %C %P %p' 2>/dev/null | sed 's|^|ot/|' | sort
}
# it_sub FILE FILTER: a live IT subscriber writing "retain qos topic
# content-type user-properties payload" lines until killed; sub_pid
it_sub() {
	ip netns exec "$ns_rx" mosquitto_sub -V mqttv5 -h 127.0.0.1 -t "$2" -q 1 \
		-F '%r %q %t %C %P %p' >"$1" 2>/dev/null &
	sub_pid=$!
	sleep 0.3
}

# Events and retained state cross with what MQTT 5 gives them: retain flag,
# content type, user properties; each event once, in order; the IT
# broker's retained set equal to the OT broker's, properties included.
test_mqtt_events_and_state() {
	mqtt_setup
	it_sub "$work/live" 'ot/#'
	local i
	for i in $(seq 1 500); do
		pub -t "plant/state/s$i" -r -m "v$i" -q 1 -D publish content-type text/x-v$i \
			-D publish user-property unit "u$i"
	done
	local t0=$SECONDS
	seq 1 10000 | pub -t plant/events -q 1 -l -D publish content-type text/plain \
		-D publish user-property line A1
	wait_for_s 60 '[ "$(stat rx published)" -ge 10500 ]' ||
		fail "published $(stat rx published) of 10500: $(cat "$work"/state-*/*.status)"
	echo "# 10 000 events through in $((SECONDS - t0)) s"
	sleep 0.3
	kill "$sub_pid"
	expect_eq "events at the IT subscriber, in order (diff)" "" \
		"$(diff <(seq 1 10000) <(awk '$3 == "ot/plant/events" { print $NF }' "$work/live") | head -5)"
	expect_eq "events with retain 0, QoS 1, content type, user property" 10000 \
		"$(grep -c '^0 1 ot/plant/events text/plain line:A1 ' "$work/live")"
	expect_eq "retained changes seen live, once each, with their properties" 500 \
		"$(grep -cE '^0 1 ot/plant/state/s([0-9]+) text/x-v\1 unit:u\1 v\1$' "$work/live")"
	expect_eq "retained topics on the IT broker" "$(retained_ot 'plant/#')" "$(retained_it 'ot/plant/#')"
	expect_eq "rx lost" 0 "$(stat rx lost)"
	expect_eq "rx events" 10000 "$(stat rx events)"
	expect_eq "tx retained changes" 500 "$(stat tx retained_changes)"
	# the message expiry interval crosses, less the time on the way
	local left
	left=$(ip netns exec "$ns_rx" mosquitto_sub -V mqttv5 -h 127.0.0.1 -t ot/plant/expiring \
		-C 1 -W 10 -F '%E' 2>/dev/null & sleep 0.5
		pub -t plant/expiring -m x -q 1 -D publish message-expiry-interval 3600; wait)
	[ -n "$left" ] && [ "$left" -le 3600 ] && [ "$left" -ge 3590 ] ||
		fail "message expiry interval at the IT subscriber: '$left' (3600 at the OT broker)"
	local st; st=$(retained_it diode/rx1/status)
	[[ $st == *'"link":"up"'*'"lost":0,"dropped_at_source":0,"topics":500'* ]] ||
		fail "status topic: $st"
}

# 10 % of the link lost (no FEC on this link) while retained topics
# change: the rx's lost counter equals the events that did not arrive
# (state goes unnumbered and is never counted lost), none arrives twice,
# and within a carousel period of the end the IT broker holds exactly the
# OT broker's state, a deletion included; its subscribers never see a
# carousel copy.
test_mqtt_loss_converges() {
	CAROUSEL=2s mqtt_setup
	it_sub "$work/live" 'ot/#'
	loss 10
	local i r
	for r in 1 2 3; do
		for i in $(seq 1 30); do pub -t "plant/state/$i" -r -m "r$r-$i"; done
	done
	pub -t plant/state/7 -r -n		# deleted
	seq 1 2000 | pub -t plant/events -q 1 -l
	sleep 1
	ip netns exec "$ns_rx" nft delete table inet loss
	wait_for '[ "$(retained_ot "plant/#")" = "$(retained_it "ot/plant/#")" ]' ||
		fail "the IT broker's state did not converge: $(diff <(retained_ot 'plant/#') <(retained_it 'ot/plant/#') | head -5)"
	sleep 2.5			# a whole carousel pass more
	kill "$sub_pid"
	local got lost
	got=$(awk '$3 == "ot/plant/events"' "$work/live" | wc -l)
	lost=$(stat rx lost)
	[ "$got" -lt 2000 ] || fail "nothing lost"
	expect_eq "events at the IT subscriber once each" "$got" \
		"$(awk '$3 == "ot/plant/events" { print $NF }' "$work/live" | sort -u | wc -l)"
	expect_eq "rx lost = events that did not arrive" $((2000 - got)) "$lost"
	expect_eq "a retained value seen twice in a row" "" \
		"$(awk '$3 ~ /state/ { if (last[$3] == $NF) print; last[$3] = $NF }' "$work/live")"
	expect_eq "plant/state/7 deleted" "" "$(retained_it ot/plant/state/7)"
	[ "$(stat tx carousel_sent)" -gt 0 ] || fail "no carousel copy sent"
	echo "# $lost of 2000 events lost and counted; $(stat tx carousel_sent) carousel copies," \
		"$(stat rx retained_unchanged) unchanged at the rx"
}

# The tx stopped: the OT broker keeps its QoS 1 messages in the session
# and hands them over when the tx is back; a retained topic deleted
# meanwhile with QoS 0 (not queued for the session) is found missing from
# the broker's retained messages at the new subscription and deleted on
# the IT side too.
test_mqtt_tx_down_broker_queues() {
	mqtt_setup
	pub -t plant/state/kept -r -m k
	pub -t plant/state/gone -r -m g
	wait_for '[ "$(stat rx retained_changes)" = 2 ]' || fail "retained changes $(stat rx retained_changes)"
	stop "$tx_pid"
	seq 1 200 | pub -t plant/events -q 1 -l -i probe
	pub -t plant/state/gone -r -n -q 0
	start_tx
	wait_for '[ "$(stat rx events 2>/dev/null)" = 200 ]' || fail "rx events $(stat rx events) of 200"
	expect_eq "rx lost" 0 "$(stat rx lost)"
	wait_for_s 20 '[ "$(retained_it "ot/plant/#")" = "ot/plant/state/kept   k" ]' ||
		fail "IT retained: $(retained_it 'ot/plant/#')"
	expect_eq "tx swept" 1 "$(stat tx swept)"
}

# The rx restarted keeps its state: nothing republished to a broker that
# kept its own. The IT broker restarted empty: the rx asserts every
# retained topic again.
test_mqtt_restarts() {
	mqtt_setup
	local i
	for i in $(seq 1 25); do pub -t "plant/state/s$i" -r -m "v$i"; done
	wait_for '[ "$(stat rx retained_changes)" = 25 ]' || fail "rx retained changes $(stat rx retained_changes)"
	it_sub "$work/live" 'ot/#'
	stop "$rx_pid"; start_rx; rx_up
	wait_for '[ "$(stat rx broker 2>/dev/null)" = connected ]' || fail "rx not connected again"
	sleep 1
	kill "$sub_pid"
	# (retain 1: what the broker held when the subscriber came)
	expect_eq "messages republished after an rx restart" "" "$(grep '^0 .* ot/plant/' "$work/live")"
	kill "$it_pid"; wait "$it_pid" 2>/dev/null
	broker "$ns_rx" it
	wait_for '[ "$(retained_ot "plant/#")" = "$(retained_it "ot/plant/#")" ]' ||
		fail "not re-asserted: $(retained_it 'ot/plant/#' | wc -l) of 25 topics"
	expect_eq "rx reasserted" 25 "$(stat rx reasserted)"
}

# Events and retained changes flowing while the tx and then the rx
# restart: the OT broker keeps the tx's events in its session, so none is
# lost to the tx's restart; what the link carried while the rx was down
# is lost; nothing reaches the IT subscriber twice and the retained sets
# end equal.
test_mqtt_restarts_mid_stream() {
	CAROUSEL=2s mqtt_setup
	it_sub "$work/live" 'ot/#'
	(for i in $(seq 1 800); do echo "$i"; sleep 0.01; done) | pub -t plant/events -q 1 -l &
	local events=$! i
	(for i in $(seq 1 80); do pub -t "plant/state/s$((i % 20))" -r -m "v$i"; sleep 0.05; done) &
	local states=$!
	sleep 1.5
	stop "$tx_pid"; start_tx
	sleep 1.5
	stop "$rx_pid"; start_rx; rx_up
	wait "$events" "$states"
	wait_for '[ "$(retained_ot "plant/#")" = "$(retained_it "ot/plant/#")" ]' ||
		fail "not converged: $(diff <(retained_ot 'plant/#') <(retained_it 'ot/plant/#') | head -5)"
	sleep 1
	kill "$sub_pid"
	expect_eq "events delivered twice" "" \
		"$(awk '$3 == "ot/plant/events" { print $NF }' "$work/live" | sort | uniq -d | head -3)"
	expect_eq "a retained value published twice in a row" "" \
		"$(awk '$3 ~ /state/ { if (last[$3] == $NF) print; last[$3] = $NF }' "$work/live")"
	echo "# $(awk '$3 == "ot/plant/events"' "$work/live" | wc -l) of 800 events through two restarts"
}

# MQTT 3.1.1 at both ends; and nothing an IT client publishes on a
# mirrored topic reaches the OT side. 3.1.1 forwards a live message
# without its retain flag: the tx knows retained messages from those the
# broker sends when it subscribes, here after a restart.
test_mqtt_v311_and_one_way() {
	VERSION=3.1.1 mqtt_setup
	local i
	stop "$tx_pid"
	for i in $(seq 1 20); do pub -V mqttv311 -t "plant/state/s$i" -r -m "v$i"; done
	seq 1 500 | pub -V mqttv311 -t plant/events -q 1 -l
	start_tx
	wait_for_s 30 '[ "$(stat rx published)" -ge 520 ]' || fail "published $(stat rx published) of 520"
	expect_eq "retained topics on the IT broker" "$(retained_ot 'plant/#')" "$(retained_it 'ot/plant/#')"
	expect_eq "rx events" 500 "$(stat rx events)"
	ip netns exec "$ns_tx" mosquitto_sub -h 127.0.0.1 -t '#' -R -v >"$work/ot-live" 2>/dev/null &
	local ot_sub=$! received
	received=$(stat tx received)
	sleep 0.3
	ip netns exec "$ns_rx" mosquitto_pub -h 127.0.0.1 -t ot/plant/state/s1 -r -m forged
	ip netns exec "$ns_rx" mosquitto_pub -h 127.0.0.1 -t plant/state/s1 -r -m forged
	ip netns exec "$ns_rx" mosquitto_pub -h 127.0.0.1 -t plant/events -m forged
	sleep 2
	kill "$ot_sub"
	expect_eq "messages on the OT broker after IT clients published" "" "$(cat "$work/ot-live")"
	expect_eq "OT retained plant/state/s1" "ot/plant/state/s1   v1" "$(retained_ot plant/state/s1)"
	expect_eq "tx received" "$received" "$(stat tx received)"
}

# ------------------------------------------------------------ files
# The files channel (docs/files.md): an outbox, a sent folder and an inbox
# per test; chunks of 1421 bytes on the 1500-byte link.
conf_files() {
	mkdir -p "$work/outbox" "$work/sent" "$work/inbox" "$work/stage"
	cat >"$work/tx.conf" <<-EOF
	[Channel]
	Name = tx1
	Role = tx
	Protocol = files
	Id = 7
	StateDir = $work/state-tx
	[Transport]
	Remote = 10.77.0.2:5140
	HeartbeatInterval = 200ms
	$([ -n "${RATE:-}" ] && echo "Rate = $RATE")
	[Files]
	Outbox = $work/outbox
	Sent = $work/sent
	Settle = 300ms
	Passes = ${PASSES:-2}
	PassDelay = ${PASS_DELAY:-1s}
	History = ${HISTORY:-2s}
	HistoryFiles = ${HISTORY_FILES:-64}
	EOF
	cat >"$work/rx.conf" <<-EOF
	[Channel]
	Name = rx1
	Role = rx
	Protocol = files
	Id = 7
	StateDir = $work/state-rx
	[Transport]
	Local = 10.77.0.2:5140
	[Files]
	Inbox = ${INBOX:-$work/inbox}
	Deadline = ${DEADLINE:-60s}
	EOF
}
files_setup() {
	rm -rf "$work"/*
	link || return 1
	conf_files
	start_rx; rx_up; start_tx
}
# NAME and SHA-256 of every file under a folder, the rx's areas left out
tree_sums() { (cd "$1" && find . -name '.diode-*' -prune -o -type f -print0 | sort -z | xargs -0r sha256sum); }
rnd() { head -c "$1" /dev/urandom; }	# rnd BYTES
# mkset DIR N BIG: N files, odd names, nested folders, sizes around the
# chunk's (1421) and up to BIG bytes
mkset() {
	local d=$1 n=$2 i s sizes
	sizes=(0 1 1420 1421 1422 2841 2842 2843 65536 1048576 "$3")
	mkdir -p "$d/a b/ünï cödé/deep/er" "$d/x"
	for i in $(seq 1 "$n"); do
		if [ "$i" -le ${#sizes[@]} ]; then s=${sizes[i-1]}
		elif [ $((i % 40)) = 0 ]; then s=$((RANDOM * 64))
		else s=$((RANDOM * 3 % 60000)); fi
		case $((i % 4)) in
		0) rnd "$s" >"$d/file $i.bin" ;;
		1) rnd "$s" >"$d/a b/ünï cödé/名前 $i" ;;
		2) rnd "$s" >"$d/a b/ünï cödé/deep/er/$i.tar.gz" ;;
		3) rnd "$s" >"$d/x/ $i with  spaces " ;;
		esac
	done
}
blackout() {	# blackout on|off: everything to the rx dropped
	if [ "$1" = on ]; then
		ip netns exec "$ns_rx" nft -f - <<-NFT
		table inet black {
			counter dropped {}
			chain in { type filter hook input priority -20; iifname "dat1" counter name dropped drop; }
		}
		NFT
	else ip netns exec "$ns_rx" nft delete table inet black; fi
}
# files_through N BIG SECONDS: a set made, moved into the outbox, every
# file delivered byte-exact under its name; exact counters at both ends
files_through() {
	local n=$1 bytes
	mkset "$work/stage" "$n" "$2"
	tree_sums "$work/stage" >"$work/expected"
	bytes=$(find "$work/stage" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
	mv "$work/stage"/* "$work/outbox/"
	wait_for_s "$3" '[ "$(stat tx files_sent)" = "$n" ] && [ "$(stat rx files_delivered)" = "$n" ]' ||
		fail "tx sent $(stat tx files_sent), rx delivered $(stat rx files_delivered) of $n;" \
			"$(stat rx in_progress) in progress at $(stat rx in_progress_percent) %;" \
			"$(stat rx lost) METAs lost; failed: $(grep -h '^name' "$work"/inbox/.diode-failed/*.report)"
	expect_eq "inbox (name, sha256)" "$(cat "$work/expected")" "$(tree_sums "$work/inbox")"
	expect_eq "sent (name, sha256)" "$(cat "$work/expected")" "$(tree_sums "$work/sent")"
	expect_eq "files left in the outbox" "" "$(find "$work/outbox" -type f)"
	expect_eq "rx bytes_delivered" "$bytes" "$(stat rx bytes_delivered)"
	expect_eq "tx bytes_sent" "$bytes" "$(stat tx bytes_sent)"
	expect_eq "rx files_failed" 0 "$(stat rx files_failed)"
	expect_eq "rx in_progress" 0 "$(stat rx in_progress)"
	expect_eq "rx bad_records" 0 "$(stat rx bad_records)"
	expect_eq "partial data left" "" "$(find "$work/inbox/.diode-partial" -name '*.data')"
}

# 200 files, 0 to 64 MB, at 0 % loss, two passes: each file delivered
# once (the second pass's chunks are duplicates, counted). At a Rate the
# rx keeps up with while other tests run (without one, its socket
# overflows: that is loss too).
test_files_200_mixed() {
	RATE=300mbit files_setup
	files_through 200 $((64 << 20)) 120
	expect_eq "rx chunks written once" "$(stat tx chunks)" "$(($(stat rx chunks) * 2))"
}

# The same at 5 % loss (nft, each datagram at random) with 6 passes, up
# to 32 MB: a chunk is then missing with a probability of 0.05^6 (2e-8).
# Every numbered META accounted for: delivered + lost = numbers sent.
test_files_loss_5_percent() {
	RATE=300mbit PASSES=6 PASS_DELAY=300ms files_setup
	loss 5
	files_through 200 $((32 << 20)) 120
	sleep 0.5
	expect_eq "rx delivered + lost (numbered METAs)" "$(($(stat tx next_seq) - 1))" \
		"$(($(stat rx delivered) + $(stat rx lost)))"
	[ "$(stat rx lost)" -gt 0 ] || fail "no META lost at 5 %"
	echo "# rx: $(stat rx chunks) chunks written, $(stat rx chunks_duplicate) duplicates, $(stat rx lost) METAs lost"
}

# nchunks FILE: its chunks on the 1500-byte link
nchunks() { echo $((($(wc -c <"$1") + 1420) / 1421)); }

# A 2-second blackout in the middle of the first pass of a 48 MB file
# (160 mbit/s: 2.5 s a pass): incomplete after it, complete and exact
# after the second.
test_files_blackout_second_pass() {
	RATE=160mbit PASS_DELAY=1s files_setup
	rnd $((48 << 20)) >"$work/stage/big.bin"
	local sum n; sum=$(sha256sum <"$work/stage/big.bin"); n=$(nchunks "$work/stage/big.bin")
	mv "$work/stage/big.bin" "$work/outbox/"
	wait_for_s 10 '[ "$(stat rx in_progress_percent)" -ge 10 ]' || fail "no progress"
	blackout on; sleep 2; blackout off
	wait_for_s 10 '[ "$(stat tx passes)" = 1 ]' || fail "first pass not done"
	local after1; after1=$(stat rx chunks)
	[ "$after1" -lt "$n" ] || fail "complete after the blackout: $after1 of $n chunks"
	wait_for_s 20 '[ "$(stat rx files_delivered)" = 1 ]' || fail "not delivered"
	expect_eq "sha256" "$sum" "$(sha256sum <"$work/inbox/big.bin")"
	expect_eq "rx chunks" "$n" "$(stat rx chunks)"
	expect_eq "rx files_failed" 0 "$(stat rx files_failed)"
	echo "# $after1 of $n chunks after the first pass"
}

# The rx killed (-9) in the middle of a 48 MB file and started again: it
# resumes from its chunk map and writes only the chunks it lacked.
test_files_rx_killed_resumes() {
	RATE=160mbit PASS_DELAY=2s files_setup
	rnd $((48 << 20)) >"$work/stage/big.bin"
	local sum n had; sum=$(sha256sum <"$work/stage/big.bin"); n=$(nchunks "$work/stage/big.bin")
	mv "$work/stage/big.bin" "$work/outbox/"
	wait_for_s 10 '[ "$(stat rx in_progress_percent)" -ge 40 ]' || fail "no progress"
	kill -9 "$rx_pid"; wait "$rx_pid" 2>/dev/null || true
	sleep 0.5
	start_rx; rx_up
	wait_for_s 30 '[ "$(stat rx files_delivered)" = 1 ]' || fail "not delivered"
	expect_eq "sha256" "$sum" "$(sha256sum <"$work/inbox/big.bin")"
	expect_eq "rx resumed" 1 "$(stat rx resumed)"
	had=$(sed -n 's/.*resuming big.bin: \([0-9]*\) of .*/\1/p' "$work/rx.log")
	[ -n "$had" ] && [ "$had" -gt 0 ] || fail "nothing resumed: $(tail -3 "$work/rx.log")"
	expect_eq "chunks written after the restart" $((n - had)) "$(stat rx chunks)"
	echo "# resumed with $had of $n chunks"
}

# Every packet of one file dropped (the link black while the tx sends it
# all its passes): the history names it, the rx reports it missing.
test_files_history_reports_missing() {
	HISTORY=1s PASS_DELAY=200ms files_setup
	wait_for_s 5 '[ "$(stat rx heartbeats)" -gt 0 ]' || fail "no heartbeat"
	blackout on
	rnd 100000 >"$work/outbox/lost one.bin"
	wait_for_s 10 '[ "$(stat tx files_sent)" = 1 ]' || fail "not sent"
	blackout off
	rnd 5000 >"$work/stage/ok.bin"; mv "$work/stage/ok.bin" "$work/outbox/"
	wait_for_s 10 '[ "$(stat rx files_delivered)" = 1 ] && [ "$(stat rx missing)" = 1 ]' ||
		fail "delivered $(stat rx files_delivered), missing $(stat rx missing)"
	grep -q '^name: lost one.bin$' "$work"/inbox/.diode-failed/*.report || fail "no report naming it"
	grep -q '^reason: missing' "$work"/inbox/.diode-failed/*.report || fail "report: $(cat "$work"/inbox/.diode-failed/*.report)"
	expect_eq "in the inbox" "./ok.bin" "$(cd "$work/inbox" && find . -name '.diode-*' -prune -o -type f -print)"
	sleep 1.5
	expect_eq "rx missing (once, the history repeating)" 1 "$(stat rx missing)"
	expect_eq "rx files_failed" 1 "$(stat rx files_failed)"
}

# 150 files sent whole while the link is black, with HistoryFiles = 200:
# the history names them all, over several of its periods (the state
# queue takes part of it at a time), and the rx reports each missing once.
test_files_history_names_many() {
	HISTORY=500ms HISTORY_FILES=200 PASSES=1 PASS_DELAY=0 files_setup
	wait_for_s 5 '[ "$(stat rx heartbeats)" -gt 0 ]' || fail "no heartbeat"
	blackout on
	mkdir -p "$work/stage/lost"
	(cd "$work/stage/lost" && seq 1 150 | split -l 1 -a 3 - f)
	mv "$work/stage/lost" "$work/outbox/"
	wait_for_s 20 '[ "$(stat tx files_sent)" = 150 ]' || fail "tx sent $(stat tx files_sent)"
	blackout off
	wait_for_s 20 '[ "$(stat rx missing)" = 150 ]' || fail "rx missing $(stat rx missing)"
	sleep 1.5
	expect_eq "rx missing (once each)" 150 "$(stat rx missing)"
	expect_eq "reports" 150 "$(ls "$work"/inbox/.diode-failed/*.report | wc -l)"
	expect_eq "rx files_delivered" 0 "$(stat rx files_delivered)"
}

# Records an attacker on the rx's network could send (through diode0 only
# the tx could): absolute names, .., the rx's own areas, device names,
# control characters, a folder that is a symlink out of the inbox. Each
# refused and counted; nothing written outside the inbox.
test_files_names_refused() {
	rm -rf "$work"/*
	link
	conf_files
	mkdir -p "$work/outside"
	ln -s "$work/outside" "$work/inbox/evil"
	start_rx; rx_up
	ip netns exec "$ns_tx" python3 - "$work" <<-'PY'
	import hashlib, socket, struct, sys
	work = sys.argv[1]
	s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
	seq = 0
	def send(rec):
	    global seq
	    seq += 1
	    h = struct.pack('>HBBHHIHHHHQQ', 0xda1a, 1, 1, 7, 0, len(rec), 0, 1, 0, 0, 0x5eed, seq)
	    s.sendto(h + rec, ('10.77.0.2', 5140))
	def file(name, data, chunk=1000):
	    sha = hashlib.sha256(data).digest()
	    key = hashlib.sha256(b'diode-file-key-2\0' + struct.pack('>HQIqQ', len(name), len(data), chunk, 0, 1)
	                         + name).digest()[:8]
	    send(struct.pack('>BBBB8sQIIq', 1, 0, 1, 1, key, len(data), chunk, 0o644, 0) + sha
	         + struct.pack('>QH', 1, len(name)) + name)
	    for i in range(0, max(len(data), 1), chunk):
	        if data:
	            send(b'\2' + key + struct.pack('>I', i // chunk) + data[i:i + chunk])
	for n in [b'../escape.txt', work.encode() + b'/outside/abs.txt', b'a/../../up.txt',
	          b'.diode-partial/x', b'CON', b'lpt1.txt', b'ctl\1.txt', b'back\\slash',
	          b'a//b', b'./dot']:
	    file(n, b'evil' * 300)
	file(b'', b'x')				# no name: malformed
	file(b'evil/through-symlink.txt', b'evil' * 300)
	file(b'ok dir/ok.txt', b'good' * 600)
	PY
	wait_for_s 10 '[ "$(stat rx files_delivered)" = 1 ] && [ "$(stat rx failed_path)" = 1 ]' ||
		fail "delivered $(stat rx files_delivered), failed_path $(stat rx failed_path)"
	expect_eq "rx refused_names" 10 "$(stat rx refused_names)"
	expect_eq "rx bad_records" 1 "$(stat rx bad_records)"
	expect_eq "ok.txt" "$(printf 'good%.0s' $(seq 600) | sha256sum)" "$(sha256sum <"$work/inbox/ok dir/ok.txt")"
	expect_eq "outside the inbox" "" "$(ls -A "$work/outside")"
	expect_eq "files in $work besides the inbox's and the state" "" \
		"$(find "$work" -path "$work/inbox" -prune -o -path "$work/state-rx" -prune -o -type f \
			! -name '*.conf' ! -name '*.log' -print)"
	expect_eq "files in the inbox" "./ok dir/ok.txt" \
		"$(cd "$work/inbox" && find . -name '.diode-*' -prune -o -type f -print)"
}

# The rx's disk full (a 4 MB tmpfs): a 6 MB file fails at once, cleanly
# (reported, nothing left in the partial area); files that fit before and
# after it are delivered.
test_files_full_disk() {
	rm -rf "$work"/*
	link
	mkdir -p "$work/small"
	mount -t tmpfs -o size=4m tmpfs "$work/small"
	trap 'umount -l "$work/small"' EXIT
	mkdir "$work/small/inbox"
	INBOX=$work/small/inbox conf_files
	start_rx; rx_up; start_tx
	rnd 1000000 >"$work/stage/a.bin"; mv "$work/stage/a.bin" "$work/outbox/"
	wait_for_s 10 '[ "$(stat rx files_delivered)" = 1 ]' || fail "a.bin not delivered"
	rnd $((6 << 20)) >"$work/stage/big.bin"; mv "$work/stage/big.bin" "$work/outbox/"
	wait_for_s 10 '[ "$(stat rx failed_disk)" = 1 ]' || fail "big.bin: failed_disk $(stat rx failed_disk)"
	rnd 1000000 >"$work/stage/b.bin"; mv "$work/stage/b.bin" "$work/outbox/"
	wait_for_s 10 '[ "$(stat rx files_delivered)" = 2 ]' || fail "b.bin not delivered"
	wait_for_s 10 '[ "$(stat tx files_sent)" = 3 ]' || fail "tx sent $(stat tx files_sent)"
	sleep 1
	expect_eq "inbox" "$(tree_sums "$work/sent" | grep -v big.bin)" "$(tree_sums "$work/small/inbox")"
	expect_eq "rx failed_disk (once, both passes)" 1 "$(stat rx failed_disk)"
	expect_eq "rx files_failed" 1 "$(stat rx files_failed)"
	grep -q '^reason: disk full' "$work"/small/inbox/.diode-failed/*.report || fail "no report"
	expect_eq "partial data left" "" "$(find "$work/small/inbox/.diode-partial" -name '*.data')"
}

# The tx killed (-9) in the middle of the first pass of a 24 MB file and
# started again: it takes the file again from the outbox under the same
# transfer key (its "sending" line in StateDir/NAME.files), and the rx
# completes what it has: every chunk written once. Killed again
# between the passes, the next tx sends the second pass only. The file
# byte-exact, then in Sent.
test_files_tx_killed_completes() {
	RATE=80mbit PASS_DELAY=8s files_setup
	rnd $((24 << 20)) >"$work/stage/big.bin"
	local sum n; sum=$(sha256sum <"$work/stage/big.bin"); n=$(nchunks "$work/stage/big.bin")
	mv "$work/stage/big.bin" "$work/outbox/"
	# in its first pass (2.6 s) by the tx's own count, a second old at most
	wait_for_s 10 '[ "$(stat tx chunks)" -ge $((n / 4)) ]' || fail "no progress"
	expect_eq "tx passes before the first kill" 0 "$(stat tx passes)"
	kill -9 "$tx_pid"; wait "$tx_pid" 2>/dev/null || true
	rm "$work/state-tx/tx1.status"
	start_tx
	wait_for_s 30 '[ "$(stat tx passes 2>/dev/null)" = 1 ]' || fail "first pass not done"
	expect_eq "tx resumed (the same transfer)" 1 "$(stat tx resumed)"
	sleep 1.5	# NAME.files is saved a second after a pass at most
	kill -9 "$tx_pid"; wait "$tx_pid" 2>/dev/null || true
	rm "$work/state-tx/tx1.status"
	start_tx
	wait_for_s 20 '[ -f "$work/sent/big.bin" ]' || fail "not moved to Sent"
	wait_for_s 5 '[ "$(stat rx files_delivered)" = 1 ]' || fail "not delivered"
	sleep 1.2
	expect_eq "tx passes, chunks, resumed after the second restart" "1 $n 1" \
		"$(stat tx passes) $(stat tx chunks) $(stat tx resumed)"
	expect_eq "sha256" "$sum" "$(sha256sum <"$work/inbox/big.bin")"
	expect_eq "rx chunks (each written once)" "$n" "$(stat rx chunks)"
	expect_eq "rx files_failed" 0 "$(stat rx files_failed)"
}

# A file delivered, moved from Sent back into the outbox: the rx knows its
# name, size and hash from the new transfer's first pass, and does not
# deliver it twice.
test_files_sent_again_not_twice() {
	PASSES=1 files_setup
	rnd 300000 >"$work/stage/once.bin"; mv "$work/stage/once.bin" "$work/outbox/"
	wait_for_s 10 '[ "$(stat rx files_delivered)" = 1 ] && [ -f "$work/sent/once.bin" ]' ||
		fail "not delivered"
	mv "$work/sent/once.bin" "$work/outbox/"
	# The rx knows the content from the transfer's META; the tx counts the
	# file sent only when its pass ends.
	wait_for_s 10 '[ "$(stat rx already_delivered)" = 1 ] && [ "$(stat tx files_sent)" = 2 ]' ||
		fail "already_delivered $(stat rx already_delivered), files_sent $(stat tx files_sent)"
	expect_eq "rx files_delivered" 1 "$(stat rx files_delivered)"
	expect_eq "in the inbox" "./once.bin" "$(cd "$work/inbox" && find . -name '.diode-*' -prune -o -type f -print)"
	expect_eq "partial data left" "" "$(find "$work/inbox/.diode-partial" -name '*.data')"
}

# One pass cut by a blackout, so the rx lacks chunks and the hash (it
# comes at the pass's end); the file moved from Sent back into the outbox
# goes whole in a new transfer, and the first one's partial file is
# dropped as superseded, not failed at its deadline.
test_files_partial_superseded() {
	RATE=40mbit PASSES=1 DEADLINE=3s files_setup
	rnd $((8 << 20)) >"$work/stage/again.bin"
	local sum; sum=$(sha256sum <"$work/stage/again.bin")
	mv "$work/stage/again.bin" "$work/outbox/"
	wait_for_s 10 '[ "$(stat rx in_progress_percent)" -ge 20 ]' || fail "no progress"
	blackout on
	wait_for_s 10 '[ -f "$work/sent/again.bin" ]' || fail "first transfer not sent"
	blackout off
	mv "$work/sent/again.bin" "$work/outbox/"
	wait_for_s 10 '[ "$(stat rx files_delivered)" = 1 ]' || fail "not delivered"
	expect_eq "rx superseded" 1 "$(stat rx superseded)"
	sleep 4
	expect_eq "sha256" "$sum" "$(sha256sum <"$work/inbox/again.bin")"
	expect_eq "rx files_failed (after the deadline)" 0 "$(stat rx files_failed)"
	expect_eq "rx in_progress" 0 "$(stat rx in_progress)"
	expect_eq "partial data left" "" "$(find "$work/inbox/.diode-partial" -name '*.data')"
}

# 10 000 small files moved into the outbox at once, one pass: every one
# delivered, byte-exact. The tx and rx find names and marks in hash maps;
# with lists, a scan compared each of the outbox's names with every file
# in flight, and 10 000 files went across at one a second.
test_files_ten_thousand() {
	RATE=300mbit PASSES=1 files_setup
	local n=10000
	mkdir -p "$work/stage/many/sub"
	(cd "$work/stage/many/sub" && seq 1 $n | split -l 1 -a 5 - f)
	tree_sums "$work/stage" >"$work/expected"
	mv "$work/stage/many" "$work/outbox/"
	wait_for_s 180 '[ "$(stat rx files_delivered)" = $n ]' ||
		fail "delivered $(stat rx files_delivered) of $n, tx sent $(stat tx files_sent)"
	expect_eq "inbox (name, sha256)" "$(cat "$work/expected")" "$(tree_sums "$work/inbox")"
	expect_eq "rx files_failed" 0 "$(stat rx files_failed)"
}

# One pass, the link black from the middle of it on: the file cannot be
# completed, and after Deadline (2 s) with nothing of it, it goes to
# Failed: a report naming it and its partial data, of its full size.
test_files_deadline_failed() {
	RATE=40mbit PASSES=1 DEADLINE=2s files_setup
	rnd $((10 << 20)) >"$work/stage/late.bin"; mv "$work/stage/late.bin" "$work/outbox/"
	wait_for_s 10 '[ "$(stat rx in_progress_percent)" -ge 20 ]' || fail "no progress"
	blackout on
	wait_for_s 10 '[ "$(stat rx failed_deadline)" = 1 ]' || fail "failed_deadline $(stat rx failed_deadline)"
	grep -q '^name: late.bin$' "$work"/inbox/.diode-failed/*.report || fail "no report naming it"
	grep -q '^reason: deadline' "$work"/inbox/.diode-failed/*.report || fail "reason"
	expect_eq "partial data kept, its size" $((10 << 20)) "$(cat "$work"/inbox/.diode-failed/*.partial | wc -c)"
	expect_eq "in the inbox" "" "$(cd "$work/inbox" && find . -name '.diode-*' -prune -o -type f -print)"
	expect_eq "rx files_failed" 1 "$(stat rx files_failed)"
	expect_eq "rx in_progress" 0 "$(stat rx in_progress)"
}

# ---------------------------------------------------------------- OPC UA
# opcua_testsrv (1000 variables, 1029 nodes) on 127.0.0.1:4840 in the tx
# namespace, the mirror on 127.0.0.1:4841 in the rx namespace; opcua_check
# reads each side in its own namespace (nothing crosses back), and the
# dumps are compared.
opcua_src=opc.tcp://127.0.0.1:4840 opcua_mir=opc.tcp://127.0.0.1:4841
opcua_flip='urn:diode:test:plant|s=Plant/Flip'
conf_opcua() {
	cat >"$work/tx.conf" <<-EOF
	[Channel]
	Name = tx1
	Role = tx
	Protocol = opcua
	Id = 11
	StateDir = $work/state-tx
	[Transport]
	Remote = 10.77.0.2:5140
	HeartbeatInterval = ${HB:-200ms}
	${TX_TRANSPORT:-}
	[OPCUA]
	Endpoint = $opcua_src
	Carousel = ${CAROUSEL:-60s}
	Rebrowse = ${REBROWSE:-10m}
	${TX_OPCUA:-}
	EOF
	cat >"$work/rx.conf" <<-EOF
	[Channel]
	Name = rx1
	Role = rx
	Protocol = opcua
	Id = 11
	StateDir = $work/state-rx
	[Transport]
	Local = 10.77.0.2:5140
	ReorderWait = 100ms
	[OPCUA]
	Port = 4841
	${RX_OPCUA:-}
	EOF
}
# srv_opts: opcua_testsrv's security; src_opts, mir_opts: opcua_check's on
# the source and on the mirror (all empty: None, anonymous)
srv_opts=() src_opts=() mir_opts=()
opcua_setup() {
	[ -n "${KEEP_WORK:-}" ] || rm -rf "$work"/*
	link || return 1
	conf_opcua
	ip netns exec "$ns_tx" "$here/opcua_testsrv" "${srv_opts[@]}" ${SRV_RATE:+-r "$SRV_RATE"} \
		4840 1000 >"$work/src.log" 2>&1 &
	src_pid=$!
	wait_for 'ip netns exec "$ns_tx" ss -ltn | grep -q ":4840 "' || fail "source server"
	start_rx; rx_up; start_tx
	wait_for 'ip netns exec "$ns_rx" ss -ltn | grep -q ":4841 "' || fail "mirror server"
}
# opcua_same: the mirror's nodes are the source's, node for node.
opcua_same() {
	ip netns exec "$ns_tx" "$here/opcua_check" "${src_opts[@]}" dump $opcua_src >"$work/src.dump" &&
	ip netns exec "$ns_rx" "$here/opcua_check" "${mir_opts[@]}" dump $opcua_mir >"$work/mir.dump" &&
	cmp -s "$work/src.dump" "$work/mir.dump"
}
opcua_values() { ip netns exec "$ns_rx" "$here/opcua_check" "${mir_opts[@]}" values $opcua_mir >/dev/null; }

test_opcua_mirror_across() {
	opcua_setup
	wait_for_s 20 opcua_same || { diff "$work/src.dump" "$work/mir.dump" | head -5 >&2; fail "mirror differs"; }
	expect_eq "nodes" 1029 "$(wc -l <"$work/mir.dump")"
	wait_for_s 10 opcua_values || fail "variables still waiting: $(ip netns exec "$ns_rx" "$here/opcua_check" values $opcua_mir)"
	# Plant/Flip turns Bad and Good every 500 ms: the mirror shows both,
	# each with a source timestamp the source gave it
	local seen= i r
	for i in $(seq 40); do
		r=$(ip netns exec "$ns_rx" "$here/opcua_check" read $opcua_mir "$opcua_flip")
		seen="$seen ${r% *}"
		[[ $seen == *Good* && $seen == *BadSensorFailure* ]] && break
		sleep 0.1
	done
	[[ $seen == *Good* && $seen == *BadSensorFailure* ]] || fail "Flip on the mirror:$seen"
	[ "${r#* }" -gt 0 ] || fail "no source timestamp: $r"
	expect_eq "write to the mirror" BadNotWritable \
		"$(ip netns exec "$ns_rx" "$here/opcua_check" write $opcua_mir 'urn:diode:test:plant|s=Plant/Line0/Cell0/V5')"
	expect_eq "rx refused" 0 "$(stat rx refused)"
	expect_eq "rx malformed records" 0 "$(stat rx records_malformed)"
}

# 10 % of the datagrams lost: the carousel (3 s) brings the rest. A
# blackout of the link: the mirror's values turn Uncertain within twice
# the heartbeat (200 ms), and Good again after it. Without loss, an rx
# restarted serves its saved model and values at once, Uncertain, and
# fresh values again within a period or two (the time said includes the
# checks' own, a second or two each). With the tx stopped, an rx
# restarted serves the model and values from its file, Uncertain.
test_opcua_loss_and_rx_restart() {
	local v5='urn:diode:test:plant|s=Plant/Line0/Cell0/V5'
	CAROUSEL=3s opcua_setup
	loss 10
	wait_for_s 20 opcua_same || { diff "$work/src.dump" "$work/mir.dump" | head -5 >&2; fail "mirror differs after loss"; }
	wait_for_s 10 opcua_values || fail "variables still waiting after loss"
	# (a loaded host can hold the tx past 400 ms: silences counted before)
	local before; before=$(stat rx silences)
	ip netns exec "$ns_rx" nft add table inet blackout
	ip netns exec "$ns_rx" nft add chain inet blackout in '{ type filter hook input priority -20; }'
	ip netns exec "$ns_rx" nft add rule inet blackout in iifname dat1 drop
	sleep 0.6
	wait_for_s 3 '[ "$(stat rx silences)" -gt "$before" ]' || fail "no silence in the blackout"
	expect_eq "V5 in the blackout" UncertainLastUsableValue \
		"$(ip netns exec "$ns_rx" "$here/opcua_check" read $opcua_mir "$v5" | cut -d' ' -f1)"
	ip netns exec "$ns_rx" nft delete table inet blackout
	wait_for_s 10 '[ "$(ip netns exec "$ns_rx" "$here/opcua_check" read $opcua_mir "$v5" | cut -d" " -f1)" = Good ]' ||
		fail "V5 not Good again after the blackout"
	ip netns exec "$ns_rx" nft delete table inet loss
	stop "$rx_pid"
	start_rx; rx_up
	wait_for 'ip netns exec "$ns_rx" ss -ltn | grep -q ":4841 "' || fail "mirror server again"
	local t0=$SECONDS
	opcua_same || fail "mirror differs after the rx restarted"
	opcua_values || fail "variables waiting after the rx restarted"
	wait_for_s 15 '[ "$(ip netns exec "$ns_rx" "$here/opcua_check" read $opcua_mir "$v5" | cut -d" " -f1)" = Good ]' ||
		fail "V5 not Good again after the rx restarted"
	echo "# V5 fresh again $((SECONDS - t0)) s after the rx restarted" >&2
	# the tx stopped, the rx restarted: the model and the last values come
	# from the rx's file at once, Uncertain (nothing has refreshed them)
	stop "$tx_pid"
	stop "$rx_pid"
	start_rx; rx_up
	wait_for 'ip netns exec "$ns_rx" ss -ltn | grep -q ":4841 "' || fail "mirror server, third start"
	opcua_same || fail "the saved model differs"
	opcua_values || fail "saved values missing"
	expect_eq "V5 from the file" UncertainLastUsableValue \
		"$(ip netns exec "$ns_rx" "$here/opcua_check" read $opcua_mir "$v5" | cut -d' ' -f1)"
}

# The source's model changed (SIGUSR1: Plant/Extra added, V1 removed): the
# tx's next browse (every 2 s) sends the new node and a tombstone, and
# the mirror follows, node for node.
test_opcua_model_changes() {
	REBROWSE=2s opcua_setup
	wait_for_s 20 opcua_same || fail "mirror differs"
	kill -USR1 "$src_pid"
	wait_for_s 15 'opcua_same && grep -q "s=Plant/Extra " "$work/mir.dump"' ||
		{ diff "$work/src.dump" "$work/mir.dump" | head -5 >&2; fail "mirror differs after the change"; }
	grep -q "s=Plant/Line0/Cell0/V1 " "$work/mir.dump" && fail "V1 still on the mirror"
	expect_eq "nodes" 1029 "$(wc -l <"$work/mir.dump")"
	# counted when the browse is done, after it began (the status a second apart)
	wait_for_s 3 '[ "$(stat tx nodes_gone)" = 1 ]' || fail "tx nodes_gone $(stat tx nodes_gone)"
	# browsed again every 2 s, the same nodes encode to the same records
	wait_for_s 10 '[ "$(stat tx rebrowses)" -ge 3 ]' || fail "tx rebrowses $(stat tx rebrowses)"
	expect_eq "tx nodes_changed" 0 "$(stat tx nodes_changed)"
	# the status file is written every second
	wait_for_s 3 '[ "$(stat rx gone)" = 1 ]' || fail "rx gone: $(stat rx gone)"
	wait_for_s 10 opcua_values || fail "variables waiting after the change"
}

# rx_bytes: the bytes of IP packets that reached the rx from the link
# (counted by nftables, before any loss rule), and the time, in ms.
rx_meter() {
	ip netns exec "$ns_rx" nft -f - <<-NFT
	table inet wire {
		counter arrived {}
		chain input { type filter hook input priority -30; iifname "dat1" counter name arrived; }
	}
	NFT
}
rx_bytes() {
	local b; b=$(ip netns exec "$ns_rx" nft list counter inet wire arrived | grep -o 'bytes [0-9]*')
	echo "${b#bytes } $(( ${EPOCHREALTIME/./} / 1000 ))"
}
mir_uncertain() {
	local r; r=$(ip netns exec "$ns_rx" "$here/opcua_check" values $opcua_mir) || return 1
	r=${r%% uncertain}; echo "${r##* }"
}

# The carousel within its share of Rate: a source whose values never
# change (-r 0), so that once the model and first values are across, the
# link carries the carousel and heartbeats alone. Rate 4 Mbit/s and
# CarouselShare 10 %: 50 000 bytes a second, far less than the state
# (about 260 kB in 2 030 records) needs to go round in its 2 s: the share
# binds, and a pass takes longer (about 8 s). Measured on the wire at the rx (nftables) over 8 s, and as
# the tx charged it. Then the rx restarted (from its file, every value
# Uncertain) is refreshed whole within one pass, as long as the share
# makes it.
test_opcua_carousel_share() {
	local share=50000
	HB=1s SRV_RATE=0 CAROUSEL=2s TX_TRANSPORT="Rate = 4mbit" TX_OPCUA="CarouselShare = 10%" opcua_setup
	rx_meter
	wait_for_s 30 opcua_same || { diff "$work/src.dump" "$work/mir.dump" | head -5 >&2; fail "mirror differs"; }
	wait_for_s 20 opcua_values || fail "variables still waiting"
	expect_eq "tx share" $share "$(stat tx carousel_share_bytes_s)"
	# a pass done (the first is counted when the second begins)
	wait_for_s 60 '[ "$(stat tx carousel_passes)" -ge 1 ]' || fail "no pass done"
	local sb; sb=$(stat tx state_bytes)
	[ "$sb" -gt $((share * 2)) ] || fail "state $sb bytes: the share would not bind"
	local w0 w1 c0 c1 dt wire charged
	read -r -a w0 <<<"$(rx_bytes)"; c0=$(stat tx carousel_bytes)
	sleep 8
	read -r -a w1 <<<"$(rx_bytes)"; c1=$(stat tx carousel_bytes)
	dt=$((w1[1] - w0[1]))
	wire=$(( (w1[0] - w0[0]) * 1000 / dt )) charged=$(( (c1 - c0) * 1000 / dt ))
	echo "# carousel: $wire bytes/s on the wire, $charged charged, share $share, state $sb bytes," \
		"pass $(stat tx carousel_last_pass_ms) ms" >&2
	# heartbeats (5 a second, 68 bytes) and a status written a second
	# apart; the lower bounds loose: a tx held by a busy host loses credit
	[ "$wire" -le $((share * 110 / 100)) ] || fail "$wire bytes/s on the wire, above the share $share"
	[ "$wire" -ge $((share * 20 / 100)) ] || fail "$wire bytes/s on the wire: the carousel is not using its share"
	[ "$charged" -le $((share * 115 / 100)) ] && [ "$charged" -ge $((share * 30 / 100)) ] ||
		fail "$charged bytes/s charged, not the share $share: $(cat "$work/state-tx/tx1.status")"
	# a pass as long as the state takes at the share, more than the 2 s
	local pass; pass=$(stat tx carousel_last_pass_ms)
	[ "$pass" -gt 4000 ] || fail "a pass of $pass ms: the share did not bind"
	# the rx restarted: every value Uncertain, then refreshed within a pass
	stop "$rx_pid"
	start_rx; rx_up
	wait_for 'ip netns exec "$ns_rx" ss -ltn | grep -q ":4841 "' || fail "mirror server again"
	local t0=${EPOCHREALTIME/./} u
	u=$(mir_uncertain)
	[ "$u" -gt 900 ] || fail "$u values Uncertain after the restart, not nearly all"
	wait_for_s $(( pass / 1000 + 10 )) '[ "$(mir_uncertain)" = 0 ]' || fail "values still Uncertain: $(mir_uncertain); $(cat "$work/state-tx/tx1.status"); $(cat "$work/state-rx/rx1.status")"
	local took=$(( (${EPOCHREALTIME/./} - t0) / 1000 )) p2
	# (a host busy enough stretches a pass: the longer of the two)
	p2=$(stat tx carousel_last_pass_ms); [ "$p2" -gt "$pass" ] && pass=$p2
	echo "# every value fresh $took ms after the restart, a pass $pass ms" >&2
	[ "$took" -le $((pass + 3000)) ] || fail "fresh after $took ms, more than a pass ($pass ms)"
	opcua_same || fail "mirror differs after the rx restarted"
}

# The two paths of a value in order: the source changes 1 000 values a
# second (each variable once a second), Rate 1.6 Mbit/s (200 000 bytes a
# second) and CarouselShare 60 %: the changes (about 100 000 bytes a
# second, numbered) and the carousel (about 130 000 wanted in its 2 s,
# 120 000 allowed) are more than the link carries, the state queue backs
# up, and a carousel copy waits there while the changes after it go
# ahead. An IT client subscribed to every variable of the mirror for 10 s
# never sees a value go back (a source timestamp below the one before);
# the rx ignored the copies older than a change (older). Told by their
# bytes alone, such copies were applied over the changes.
test_opcua_copies_in_order() {
	SRV_RATE=1000 CAROUSEL=2s TX_TRANSPORT="Rate = 1600kbit" TX_OPCUA="CarouselShare = 60%" opcua_setup
	wait_for_s 30 opcua_same || { diff "$work/src.dump" "$work/mir.dump" | head -5 >&2; fail "mirror differs"; }
	wait_for_s 30 opcua_values || fail "variables still waiting"
	wait_for_s 30 '[ "$(stat tx carousel_passes)" -ge 1 ]' || fail "no pass done"
	ip netns exec "$ns_rx" "$here/opcua_check" watch $opcua_mir 10 >"$work/watch" 2>"$work/watch.err" ||
		fail "the mirror's subscriber: $(cat "$work/watch") $(head -3 "$work/watch.err")"
	echo "# $(cat "$work/watch"); rx older $(stat rx older), copies $(stat rx copies);" \
		"tx state_queued $(stat tx state_queued)" >&2
	[ "$(stat rx older)" -gt 0 ] || fail "no copy older than a change: nothing was tested"
}

# The tx restarted (its stamps from 1 again, under a new link table id)
# while the rx holds records stamped higher than the new tx reaches in
# the test (the first ran 15 s more, at about 200 stamps a second, the
# source's changes): the rx takes the new tx's records, and within 10 s
# the mirror follows the source again (Plant/Flip, which turns every
# 500 ms, with a source timestamp newer than before the restart; no
# value Uncertain), node for node. An rx that compared the stamps of two
# runs of the tx ignored the new one's records: 60 values still
# Uncertain after 10 s with 3 s more of the first run, all of them with
# 15 s.
test_opcua_tx_restart() {
	opcua_setup
	wait_for_s 20 opcua_same || fail "mirror differs"
	wait_for_s 10 opcua_values || fail "variables still waiting"
	sleep 15
	stop "$tx_pid"
	sleep 1
	local r0 r t0; r0=$(ip netns exec "$ns_rx" "$here/opcua_check" read $opcua_mir "$opcua_flip")
	start_tx
	t0=$SECONDS
	wait_for_s 10 'r=$(ip netns exec "$ns_rx" "$here/opcua_check" read $opcua_mir "$opcua_flip") &&
		[ "${r#* }" -gt "${r0#* }" ] && [ "${r% *}" != UncertainLastUsableValue ]' ||
		fail "Flip on the mirror not refreshed after the tx restarted: before $r0, now $r; $(cat "$work/state-rx/rx1.status")"
	wait_for_s $((t0 + 10 - SECONDS > 1 ? t0 + 10 - SECONDS : 1)) '[ "$(mir_uncertain)" = 0 ]' ||
		fail "values still Uncertain 10 s after the tx restarted: $(mir_uncertain)"
	echo "# the mirror refreshed $((SECONDS - t0)) s after the tx restarted" >&2
	wait_for_s 20 opcua_same || fail "mirror differs after the tx restarted"
	grep -c "1029 nodes, 4 namespaces" "$work/tx.log" | grep -qx 2 || fail "the tx did not connect twice"
}

# A browse asked for (SIGUSR1 to the tx) with the periodic one 10 min
# away: the source's model changed is on the mirror within seconds.
test_opcua_rebrowse_asked() {
	opcua_setup
	wait_for_s 20 opcua_same || fail "mirror differs"
	kill -USR1 "$src_pid"
	wait_for_s 5 'ip netns exec "$ns_tx" "$here/opcua_check" dump $opcua_src | grep -q "s=Plant/Extra "' ||
		fail "the source did not change"
	# not browsed again by itself
	sleep 2
	opcua_same && fail "the mirror followed without a request"
	grep -q "s=Plant/Extra " "$work/mir.dump" && fail "Extra on the mirror before the request"
	expect_eq "tx rebrowses before" 0 "$(stat tx rebrowses)"
	kill -USR1 "$tx_pid"
	wait_for_s 10 'opcua_same && grep -q "s=Plant/Extra " "$work/mir.dump"' ||
		{ diff "$work/src.dump" "$work/mir.dump" | head -5 >&2; fail "mirror differs after the request"; }
	grep -q "s=Plant/Line0/Cell0/V1 " "$work/mir.dump" && fail "V1 still on the mirror"
	grep -q "tx1: $opcua_src: browsing again, as asked (SIGUSR1)" "$work/tx.log" || fail "not said"
	wait_for_s 3 '[ "$(stat tx rebrowses_asked)" = 1 ]' || fail "tx rebrowses_asked $(stat tx rebrowses_asked)"
	expect_eq "tx rebrowses" 1 "$(stat tx rebrowses)"
	# counted when the browse is done, after it began (the status a second apart)
	wait_for_s 3 '[ "$(stat tx nodes_gone)" = 1 ]' || fail "tx nodes_gone $(stat tx nodes_gone)"
	expect_eq "tx connects" 1 "$(stat tx connects)"
}

# An rx down while a node was removed, for longer than the tx sends the
# tombstone (at once, then three carousel passes of 2 s): restarted, its
# mirror has the node from its file, and the sweep removes it within
# three passes heard whole, four or five passes in all (the first one
# heard begins no whole pass, and a pass is heard whole only at its end).
test_opcua_sweep_missed_tombstone() {
	local v1='s=Plant/Line0/Cell0/V1 '
	CAROUSEL=2s opcua_setup
	wait_for_s 20 opcua_same || fail "mirror differs"
	wait_for_s 10 '[ "$(stat rx passes_whole)" -ge 1 ]' || fail "rx passes_whole $(stat rx passes_whole)"
	stop "$rx_pid"
	kill -USR1 "$src_pid"
	wait_for_s 5 'ip netns exec "$ns_tx" "$here/opcua_check" dump $opcua_src | grep -q "s=Plant/Extra "' ||
		fail "the source did not change"
	kill -USR1 "$tx_pid"
	wait_for_s 5 '[ "$(stat tx nodes_gone)" = 1 ]' || fail "tx nodes_gone $(stat tx nodes_gone)"
	# the tombstone forgotten: three passes, and the status written
	wait_for_s 20 '[ "$(stat tx tombstones_forgotten)" = 1 ]' ||
		fail "tx kept its tombstone: $(cat "$work/state-tx/tx1.status")"
	expect_eq "tx tombstones" 0 "$(stat tx tombstones)"
	start_rx; rx_up
	wait_for 'ip netns exec "$ns_rx" ss -ltn | grep -q ":4841 "' || fail "mirror server again"
	ip netns exec "$ns_rx" "$here/opcua_check" dump $opcua_mir >"$work/mir.dump" || fail "mirror dump"
	grep -q "$v1" "$work/mir.dump" || fail "V1 not in the restarted mirror's file: nothing to sweep"
	local t0=$SECONDS pass; pass=$(stat tx carousel_last_pass_ms)
	wait_for_s $(( pass * 6 / 1000 + 5 )) 'opcua_same && ! grep -q "$v1" "$work/mir.dump"' ||
		fail "V1 still on the mirror after $((SECONDS - t0)) s (passes of $pass ms): $(cat "$work/state-rx/rx1.status")"
	echo "# V1 swept $((SECONDS - t0)) s after the rx restarted, passes of $pass ms" >&2
	grep -q "s=Plant/Extra " "$work/mir.dump" || fail "Extra not on the mirror"
	wait_for_s 3 '[ "$(stat rx swept_nodes)" -ge 1 ]' || fail "rx swept_nodes $(stat rx swept_nodes)"
	expect_eq "rx gone (no tombstone heard)" 0 "$(stat rx gone)"
	expect_eq "nodes" 1029 "$(wc -l <"$work/mir.dump")"
	wait_for_s 10 opcua_values || fail "variables waiting after the sweep"
}

# A source that takes the TCP connection and never answers (a listening
# socket nobody accepts from): the tx's connection waits for the client's
# timeout (5 s) and is tried again, but its loop goes on meanwhile: the
# rx hears every heartbeat (200 ms), the link never falls silent. A tx
# that connected in its loop held heartbeats for the whole timeout.
test_opcua_silent_source() {
	local opcua_src=opc.tcp://127.0.0.1:4850
	rm -rf "$work"/*
	link || fail "link"
	conf_opcua
	ip netns exec "$ns_tx" python3 -c 'import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 4850)); s.listen(64); time.sleep(3600)' &
	wait_for 'ip netns exec "$ns_tx" ss -ltn | grep -q ":4850 "' || fail "silent source"
	start_rx; rx_up; start_tx
	wait_for_s 5 '[ "$(stat rx heartbeats 2>/dev/null)" -ge 1 ]' || fail "no heartbeat"
	local h0; h0=$(stat rx heartbeats)
	# two connection timeouts and more
	sleep 12
	wait_for_s 5 'grep -q "tx1: $opcua_src: BadTimeout; trying again every 2 s" "$work/tx.log"' ||
		fail "no timeout said: $(cat "$work/tx.log")"
	local h1; h1=$(stat rx heartbeats)
	echo "# $((h1 - h0)) heartbeats in 12 s" >&2
	[ $((h1 - h0)) -ge 40 ] || fail "$((h1 - h0)) heartbeats in 12 s, not about 60"
	expect_eq "rx silences" 0 "$(stat rx silences)"
	expect_eq "rx link" up "$(stat rx link)"
	expect_eq "tx source" down "$(stat tx source)"
	expect_eq "tx connects" 0 "$(stat tx connects)"
	[ "$(grep -c "BadTimeout" "$work/tx.log")" = 1 ] || fail "the timeout said more than once"
}

# The source stopped and started again: the tx says it went away, closes
# its session without waiting on it, connects again and browses; the
# link hears its heartbeats throughout, and the mirror is the source's.
test_opcua_source_restart() {
	opcua_setup
	wait_for_s 20 opcua_same || fail "mirror differs"
	stop "$src_pid"
	wait_for_s 10 'grep -q "tx1: $opcua_src went away" "$work/tx.log"' || fail "not said: $(cat "$work/tx.log")"
	sleep 3
	expect_eq "tx source" down "$(stat tx source)"
	ip netns exec "$ns_tx" "$here/opcua_testsrv" 4840 1000 >>"$work/src.log" 2>&1 &
	src_pid=$!
	wait_for_s 20 '[ "$(stat tx connects)" = 2 ]' || fail "tx connects $(stat tx connects): $(cat "$work/tx.log")"
	wait_for_s 20 opcua_same || fail "mirror differs after the source restarted"
	expect_eq "rx silences" 0 "$(stat rx silences)"
}

# The source stopped (SIGSTOP) while mirrored, and the tx asked to browse
# it again: the browse waits for its answers (the client's 5 s timeout),
# the tx's loop does not; the rx hears the heartbeats throughout. The
# source continued, the mirror is still the source's.
test_opcua_stalled_source() {
	opcua_setup
	wait_for_s 20 opcua_same || fail "mirror differs"
	local s0; s0=$(stat rx silences)
	kill -STOP "$src_pid"
	kill -USR1 "$tx_pid"
	wait_for_s 3 '[ "$(stat tx rebrowses_asked)" = 1 ]' || { kill -CONT "$src_pid"; fail "tx rebrowses_asked $(stat tx rebrowses_asked)"; }
	sleep 7
	local s1; s1=$(stat rx silences)
	kill -CONT "$src_pid"
	expect_eq "rx silences while the source was stopped" "$s0" "$s1"
	wait_for_s 20 opcua_same || fail "mirror differs after the source continued"
	wait_for_s 10 opcua_values || fail "variables waiting"
}

# ---------------------------------------------------------------- OPC UA security
# pki NAME...: a self-signed RSA certificate for each, its subjectAltName
# URI urn:diode:test:NAME (the application URI open62541 checks), in
# $work/pki: NAME.pem and NAME.key (PEM, the key 0600), NAME.der and
# NAME.key.der (DER, for opcua_testsrv).
pki() {
	local n d=$work/pki
	mkdir -p "$d"
	for n in "$@"; do
		openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=diode test $n" \
			-keyout "$d/$n.key" -out "$d/$n.pem" \
			-addext "subjectAltName=URI:urn:diode:test:$n,DNS:localhost" \
			-addext "basicConstraints=critical,CA:FALSE" \
			-addext "keyUsage=critical,digitalSignature,nonRepudiation,keyEncipherment,dataEncipherment" \
			-addext "extendedKeyUsage=serverAuth,clientAuth" 2>/dev/null || return 1
		chmod 600 "$d/$n.key"
		openssl x509 -in "$d/$n.pem" -outform der -out "$d/$n.der" &&
		openssl pkey -in "$d/$n.key" -outform der -out "$d/$n.key.der" || return 1
	done
}
# opcua_secure_setup TX-TRUSTS PASSWORD: the source (its certificate
# "source") requires SignAndEncrypt with a secure policy, the tx's
# certificate and the user operator with password "plant-pw-1"; the tx
# connects with SignAndEncrypt and Basic256Sha256 as operator with
# PASSWORD, trusting the certificate TX-TRUSTS (in a folder); the mirror
# offers Basic256Sha256 and Aes128_Sha256_RsaOaep, not None, and trusts
# the IT client's ("it").
opcua_secure_setup() {
	local d=$work/pki
	rm -rf "$work"/*
	pki source tx mirror it || fail "openssl"
	mkdir "$d/tx-trusts"; cp "$d/$1.pem" "$d/tx-trusts/"
	printf '%s\n' "$2" >"$d/tx.pw"; chmod 600 "$d/tx.pw"
	srv_opts=(-c "$d/source.der" -k "$d/source.key.der" -t "$d/tx.der" -a urn:diode:test:source
		  -u operator -w plant-pw-1)
	# the source's checker is an operator's tool with the tx's certificate
	src_opts=(-m SignAndEncrypt -p Basic256Sha256 -c "$d/tx.pem" -k "$d/tx.key"
		  -a urn:diode:test:tx -t "$d/source.pem" -u operator -w plant-pw-1)
	mir_opts=(-m SignAndEncrypt -p Basic256Sha256 -c "$d/it.pem" -k "$d/it.key"
		  -a urn:diode:test:it -t "$d/mirror.pem")
	TX_OPCUA="SecurityMode = SignAndEncrypt
SecurityPolicy = Basic256Sha256
Certificate = $d/tx.pem
PrivateKey = $d/tx.key
TrustList = $d/tx-trusts
Username = operator
PasswordFile = $d/tx.pw" RX_OPCUA="SecurityPolicy = Basic256Sha256, Aes128_Sha256_RsaOaep
Certificate = $d/mirror.pem
PrivateKey = $d/mirror.key
TrustList = $d/it.pem" KEEP_WORK=1 opcua_setup
}
# mir_check ARGS...: opcua_check against the mirror, in the rx namespace
mir_check() { ip netns exec "$ns_rx" "$here/opcua_check" "$@"; }

# The source requires SignAndEncrypt and a user: the mirror goes across,
# node for node, and serves encrypted IT clients (SignAndEncrypt and Sign,
# both policies) whose certificate it trusts; not one without security,
# nor one whose certificate is not in its TrustList.
test_opcua_secure_across() {
	local d
	opcua_secure_setup source plant-pw-1
	d=$work/pki
	wait_for_s 30 opcua_same || { diff "$work/src.dump" "$work/mir.dump" | head -5 >&2; fail "mirror differs"; }
	expect_eq "nodes" 1029 "$(wc -l <"$work/mir.dump")"
	wait_for_s 10 opcua_values || fail "variables still waiting"
	grep -q "1029 nodes, 4 namespaces (security SignAndEncrypt, policy http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256, user operator)" "$work/tx.log" ||
		fail "the tx's connection: $(grep nodes "$work/tx.log")"
	expect_eq "IT client, SignAndEncrypt" "SignAndEncrypt http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256" \
		"$(mir_check "${mir_opts[@]}" security $opcua_mir)"
	expect_eq "IT client, Sign, Aes128_Sha256_RsaOaep" "Sign http://opcfoundation.org/UA/SecurityPolicy#Aes128_Sha256_RsaOaep" \
		"$(mir_check -m Sign -p Aes128_Sha256_RsaOaep -c "$d/it.pem" -k "$d/it.key" -a urn:diode:test:it -t "$d/mirror.pem" security $opcua_mir)"
	expect_eq "Flip read encrypted" 0 "$(mir_check "${mir_opts[@]}" read $opcua_mir "$opcua_flip" >/dev/null; echo $?)"
	mir_check security $opcua_mir 2>"$work/none.err" && fail "the mirror took a client without security"
	grep -q "cannot connect" "$work/none.err" || fail "no security: $(cat "$work/none.err")"
	mir_check -m SignAndEncrypt -p Basic256Sha256 -c "$d/tx.pem" -k "$d/tx.key" -a urn:diode:test:tx \
		-t "$d/mirror.pem" security $opcua_mir 2>"$work/untrusted.err" &&
		fail "the mirror took a client certificate not in its TrustList"
	grep -q "BadSecurityChecksFailed" "$work/untrusted.err" || fail "untrusted client: $(cat "$work/untrusted.err")"
	expect_eq "rx refused" 0 "$(stat rx refused)"
	expect_eq "tx connects" 1 "$(stat tx connects)"
	! grep -rqF plant-pw-1 "$work/tx.log" "$work/rx.log" "$work/state-tx" || fail "the password was written"
}

# The tx does not trust the source's certificate (its TrustList has
# another): refused, said once with why, tried again; nothing mirrored.
test_opcua_untrusted_server() {
	opcua_secure_setup it plant-pw-1
	wait_for_s 15 'grep -q "is not trusted" "$work/tx.log"' || fail "no refusal: $(cat "$work/tx.log")"
	grep -q "tx1: $opcua_src: the server's certificate (CN=diode test source) is not trusted (BadCertificateUntrusted): it is not in TrustList; trying again every 2 s" "$work/tx.log" ||
		fail "the refusal: $(cat "$work/tx.log")"
	sleep 5		# two more attempts at least
	expect_eq "said" 1 "$(grep -c "not trusted" "$work/tx.log")"
	expect_eq "tx source" down "$(stat tx source)"
	expect_eq "tx connects" 0 "$(stat tx connects)"
	expect_eq "tx nodes" 0 "$(stat tx nodes)"
	expect_eq "rx records" 0 "$(stat rx records)"
	ip netns exec "$ns_rx" "$here/opcua_check" "${mir_opts[@]}" dump $opcua_mir >"$work/mir.dump" || fail "mirror dump"
	expect_eq "mirror nodes" 0 "$(grep -c Plant "$work/mir.dump")"
}

# A wrong password: refused by the source, said once with the user and
# why; the password itself is written nowhere.
test_opcua_wrong_password() {
	opcua_secure_setup source not-the-pw
	wait_for_s 15 'grep -q "refused the identity" "$work/tx.log"' || fail "no refusal: $(cat "$work/tx.log")"
	grep -q "tx1: $opcua_src: the server refused the identity of Username operator (BadUserAccessDenied): the user, or the password of PasswordFile, is not the server's; trying again every 2 s" "$work/tx.log" ||
		fail "the refusal: $(cat "$work/tx.log")"
	sleep 5
	expect_eq "said" 1 "$(grep -c "refused the identity" "$work/tx.log")"
	expect_eq "tx connects" 0 "$(stat tx connects)"
	expect_eq "rx records" 0 "$(stat rx records)"
	! grep -rqF not-the-pw "$work/tx.log" "$work/rx.log" "$work/state-tx" || fail "the password was written"
}

# The mirror with Users and Anonymous = no (None offered too): its user
# with the password connects, encrypted; an anonymous client does not,
# with security or without, nor the user with another password.
test_opcua_mirror_users() {
	local d=$work/pki it
	rm -rf "$work"/*
	link || fail "link"
	pki mirror it || fail "openssl"
	printf '# the IT side\nreader:it-pw-1\n' >"$d/users"; chmod 600 "$d/users"
	RX_OPCUA="SecurityPolicy = None Basic256Sha256
Certificate = $d/mirror.pem
PrivateKey = $d/mirror.key
TrustList = $d/it.pem
Users = $d/users
Anonymous = no" conf_opcua
	start_rx; rx_up
	wait_for 'ip netns exec "$ns_rx" ss -ltn | grep -q ":4841 "' || fail "mirror server"
	it=(-m SignAndEncrypt -p Basic256Sha256 -c "$d/it.pem" -k "$d/it.key" -a urn:diode:test:it -t "$d/mirror.pem")
	expect_eq "the user" "SignAndEncrypt http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256" \
		"$(mir_check "${it[@]}" -u reader -w it-pw-1 security $opcua_mir)"
	mir_check "${it[@]}" -u reader -w it-pw-2 security $opcua_mir 2>"$work/pw.err" && fail "another password taken"
	grep -q BadUserAccessDenied "$work/pw.err" || fail "another password: $(cat "$work/pw.err")"
	mir_check "${it[@]}" security $opcua_mir 2>"$work/anon.err" && fail "an anonymous session taken"
	grep -q "cannot connect" "$work/anon.err" || fail "anonymous: $(cat "$work/anon.err")"
	mir_check security $opcua_mir 2>"$work/none.err" && fail "an anonymous session without security taken"
	grep -q "cannot connect" "$work/none.err" || fail "anonymous, None: $(cat "$work/none.err")"
	! grep -qF it-pw "$work/rx.log" || fail "a password was written"
}

run_test() {	# run_test I NAME
	local i=$1 t=$2 t0=$SECONDS rc l
	work=$base/t$i ns_tx=dat-tx-$$-$i ns_rx=dat-rx-$$-$i
	mkdir -p "$work"
	(set -e; [ -n "${AGENT_TRACE:-}" ] && { PS4='+ $SECONDS.${EPOCHREALTIME#*.} '; set -x; }; "test_$t")
	rc=$?
	echo "# $t: $((SECONDS - t0)) s"
	ns_end "$ns_tx" "$ns_rx"
	if [ $rc = 0 ]; then echo "ok $i $t"
	else echo "not ok $i $t"
		for l in "$work"/tx.log "$work"/rx.log; do [ -f "$l" ] && sed 's/^/# /' "$l" | tail -5; done
	fi
	return $rc
}
echo "TAP version 13"
echo "1..${#tests[@]}"
failed=0 i=0 pids=()
for t in "${tests[@]}"; do
	i=$((i + 1))
	run_test "$i" "$t" >"$base/result$i" 2>&1 &
	pids[i]=$!
	while [ "$(jobs -rp | wc -l)" -ge "${AGENT_JOBS:-2}" ]; do wait -n; done
done
for i in "${!pids[@]}"; do
	wait "${pids[i]}" || failed=1
	cat "$base/result$i"
done
exit $failed
