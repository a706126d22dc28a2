#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The modules DKMS built from dkms.conf (scripts/dkms-build, in make check):
# what a machine that installed the sources with DKMS loads. They load in
# place of the staged build and carry a stream through a tunnel.
source "$(dirname "$0")/lib.sh"

dir=${DIODE_DKMS_DIR:-}/$(uname -r)
if [ -z "${DIODE_DKMS_DIR:-}" ]; then
	echo "1..0 # SKIP DIODE_DKMS_DIR is not set (make check sets it)"
	exit $KSFT_SKIP
fi

test_dkms_modules_carry_a_stream() {
	[ -e "$dir/diode.ko" ] || fail "no module built by DKMS in $dir"
	modprobe -r xt_DIODE diode 2>/dev/null || true
	local m dep
	for m in diode xt_DIODE; do
		# insmod, unlike modprobe, loads no dependency
		for dep in $(modinfo -F depends "$dir/$m.ko" | tr , ' '); do
			[ "$dep" = diode ] || modprobe "$dep"
		done
		insmod "$dir/$m.ko"
	done
	expect_eq "srcversion of the loaded diode" \
		"$(modinfo -F srcversion "$dir/diode.ko")" "$(cat /sys/module/diode/srcversion)"
	diode_link 4
	stream 4 1000
	# The next script must find the staged build: unloaded once the
	# namespaces, and the devices with them, are gone.
	ktap_cleanup
	local i
	for i in $(seq $((50 * DIODE_SLOWDOWN))); do
		rmmod xt_DIODE diode 2>/dev/null && return 0
		sleep 0.1
	done
	fail "the modules built by DKMS did not unload"
}

ktap_run dkms_modules_carry_a_stream
