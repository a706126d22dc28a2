#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# test_libxt_DIODE.sh DIR: host tests of the extension in DIR, in KTAP. They
# run iptables-legacy in a user and network namespace of their own, so that
# nothing touches this machine's firewall; everything checked here is
# decided by the extension before iptables talks to the kernel.
dir=$1
export XTABLES_LIBDIR=$dir:$(pkg-config --variable=xtlibdir xtables)

if ! unshare -rn true 2>/dev/null || ! command -v iptables-legacy >/dev/null; then
	echo "1..0 # SKIP needs iptables-legacy and unshare -rn"
	exit 0
fi

n=0 failed=0
result() {
	n=$((n + 1))
	if [ "$1" = 0 ]; then echo "ok $n $2"; else echo "not ok $n $2"; failed=1; fi
}

# rejects NAME MESSAGE ARGS...: iptables exits 2 and says MESSAGE.
rejects() {
	local name=$1 message=$2 out rc
	shift 2
	out=$(unshare -rn iptables-legacy -t mangle -A PREROUTING -j DIODE "$@" 2>&1)
	rc=$?
	if [ $rc = 2 ] && grep -qF -- "$message" <<<"$out"; then
		result 0 "$name"
	else
		echo "# exit $rc: $out"
		result 1 "$name"
	fi
}

echo "TAP version 13"
echo "1..9"
out=$(unshare -rn iptables-legacy -j DIODE --help 2>&1)
grep -q -- '--dev NAME' <<<"$out" && grep -q -- '--copy' <<<"$out"
result $? "help"
rejects "dev_required" 'option "--dev" must be specified'
rejects "dev_required_with_copy" 'option "--dev" must be specified' --copy
rejects "empty_name" '--dev needs a device name' --dev ''
rejects "name_too_long" 'is longer than 15 characters' --dev 0123456789abcdef
rejects "name_with_slash" "contains '/'" --dev a/b
rejects "name_dot" '"." is not a valid device name' --dev .
rejects "dev_twice" 'option "--dev" can only be used once' --dev a --dev b
rejects "unknown_option" 'unknown option "--bogus"' --dev a --bogus
exit $failed
