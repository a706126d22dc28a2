# SPDX-License-Identifier: GPL-2.0
# The runner of the host test scripts under tools/, which source it.

# ktap_main TEST...: each TEST function in a subshell, one KTAP line each
# (a test exiting 4 is skipped); exits 0 only when none failed.
ktap_main() {
	local i=0 name failed=0
	echo "TAP version 13"
	echo "1..$#"
	for name in "$@"; do
		i=$((i + 1))
		( "$name" )
		case $? in
		0) echo "ok $i ${name#test_}" ;;
		4) echo "ok $i ${name#test_} # SKIP" ;;
		*) echo "not ok $i ${name#test_}"; failed=1 ;;
		esac
	done
	exit $failed
}
