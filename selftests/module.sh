#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Loading and unloading the module, with and without devices present.
source "$(dirname "$0")/lib.sh"

diode_install_module || exit $KSFT_FAIL

unload() {
	modprobe -r diode
	if grep -q '^diode ' /proc/modules; then fail "diode still loaded"; fi
}

test_autoload() {
	local ns; ns=$(netns_add mod)
	modprobe -r diode 2>/dev/null || true
	ip -n "$ns" link add diode0 type diode
	grep -q '^diode ' /proc/modules || fail "creating a device did not load the module"
}

test_load_unload_repeatedly() {
	local i
	for i in $(seq 20); do
		modprobe diode
		unload
	done
}

test_unload_with_devices() {
	local a b i; a=$(netns_add mod) b=$(netns_add mod2)
	for i in 1 2 3; do
		modprobe diode
		ip -n "$a" link add diode0 type diode
		ip -n "$a" link set diode0 up
		ip -n "$b" link add diode0 type diode
		ip -n "$b" link add diode1 type diode
		unload
		expect_eq "devices left in $a" 0 "$(ip -n "$a" -o link show type diode | wc -l)"
		expect_eq "devices left in $b" 0 "$(ip -n "$b" -o link show type diode | wc -l)"
	done
}

ktap_run autoload load_unload_repeatedly unload_with_devices
