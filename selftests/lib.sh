# SPDX-License-Identifier: GPL-2.0
# Shared helpers of the selftests: KTAP output, namespaces, assertions.
# A test script sources this, defines test_* functions and calls ktap_run.

DIODE_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export DIODE_TOP
PATH=$DIODE_TOP/tools/diodectl:$PATH

KSFT_PASS=0 KSFT_FAIL=1 KSFT_SKIP=4
ktap_index=0 ktap_failed=0 ktap_skipped=0

# netns_add NAME: create a namespace for the current test and print its full
# name. Names carry the script's pid, so that tests never touch each other's
# state; all are removed after each test and when the script exits.
netns_add() {
	local name="$1-$$"
	ip netns add "$name" || return 1
	ip -n "$name" link set lo up
	echo "$name"
}

ktap_cleanup() {
	local ns
	for ns in $(ip netns list | awk '{ print $1 }' | grep -- "-$$\$"); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
}
trap ktap_cleanup EXIT

# fail MESSAGE: the current test fails with MESSAGE (call it as `fail ...`
# inside a test function; tests run under `set -e` in a subshell).
fail() {
	echo "# FAIL: $*" >&2
	exit 1
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# expect_fail CMD...: the command must fail.
expect_fail() {
	if "$@" >/dev/null 2>&1; then fail "expected failure: $*"; fi
}

# The module built for the running kernel must be the one `make modules-all`
# staged into the guest's module tree, so that modprobe and rtnetlink
# autoloading find it.
diode_install_module() {
	local ko=$DIODE_TOP/build/$(uname -r)/kmod/diode.ko
	local staged=/lib/modules/$(uname -r)/updates/diode.ko
	if ! cmp -s "$ko" "$staged"; then
		echo "# $staged is not $ko: run make modules-all" >&2
		return 1
	fi
}

# ktap_run NAME...: run test_NAME for each NAME, each in its own subshell
# under `set -e`, and report KTAP lines.
ktap_run() {
	local name rc
	echo "TAP version 13"
	echo "1..$#"
	for name in "$@"; do
		ktap_index=$((ktap_index + 1))
		(set -e; "test_$name")
		rc=$?
		ktap_cleanup
		if [ $rc = 0 ]; then
			echo "ok $ktap_index $name"
		elif [ $rc = $KSFT_SKIP ]; then
			echo "ok $ktap_index $name # SKIP"
			ktap_skipped=$((ktap_skipped + 1))
		else
			echo "not ok $ktap_index $name"
			ktap_failed=$((ktap_failed + 1))
		fi
	done
	[ $ktap_failed = 0 ] || exit $KSFT_FAIL
	[ $ktap_skipped -lt $# ] || exit $KSFT_SKIP
	exit $KSFT_PASS
}
