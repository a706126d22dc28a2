# SPDX-License-Identifier: GPL-2.0
#
#   make                 diode.ko and xt_DIODE.ko for the running kernel (KVER=,
#                        KDIR= select another)
#   make modules-all     both modules for the test kernels (6.1, 6.12, newest), staged
#                        into their module trees so that guests can modprobe it
#                        (TEST_KERNELS= another list, e.g. 6.12-debug)
#   make tools           diodectl and the other user-space tools
#   make unit            host unit tests of the pure logic
#   make check           everything: deps, builds, unit tests, selftests on each kernel
#   make check-debug     the same selftests on a 6.12 built with KASAN, lockdep,
#                        kmemleak and KFENCE (scripts/debug-kernel builds it once,
#                        into .cache); not part of check
#   make demo            the main job, in a guest
#   make bench           diode against veth, MACsec, WireGuard, IPsec and a
#                        user-space relay in guests; writes docs/benchmarks.md
#   make soak            an hour of traffic through restarts and rekeying in a
#                        guest (SOAK_SECONDS, SOAK_KERNELS); not part of check
#   make fuzz            10 million forged frames into a receiver on each test
#                        kernel (FUZZ_FRAMES, FUZZ_KERNELS); not part of check
#   make install         install the modules and the tools on this machine
#   make deb             the Debian packages diode-dkms and diode-tools, into
#                        build/deb (docs/install.md)
#   make netlink-gen     uapi/linux/diode.h and kmod/netlink-gen.[ch] made again
#                        from the netlink spec, uapi/diode.yaml (make check
#                        checks that they are what it makes)

TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
CACHE ?= $(TOP)/.cache
KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
BUILD := $(TOP)/build

KMOD_SRCS := $(wildcard $(TOP)/kmod/*.c $(TOP)/kmod/*.h $(TOP)/kmod/Kbuild) \
	$(wildcard $(TOP)/uapi/linux/*.h $(TOP)/uapi/linux/netfilter/*.h)

.PHONY: all module modules-all tools unit check check-debug demo bench soak fuzz install deb clean help \
	netlink-gen

all: module tools

help:
	@sed -n 's/^#   //p' $(TOP)/Makefile

# The module is built outside the source tree, one folder per kernel, so that
# builds for different kernels never mix their objects.
define build_module
	@if [ ! -e "$(2)/Makefile" ]; then \
		echo "error: no kernel headers for $(1) at $(2)" >&2; \
		echo "  install them: apt-get install linux-headers-$(1)" >&2; \
		echo "  or build for the test kernels: scripts/install-deps && make modules-all" >&2; \
		exit 1; \
	fi
	@mkdir -p $(BUILD)/$(1)/kmod
	@ln -sfn $(TOP)/uapi $(BUILD)/$(1)/uapi
	@ln -sf $(TOP)/Kbuild $(BUILD)/$(1)/Kbuild
	@find $(BUILD)/$(1)/kmod -maxdepth 1 -type l -delete
	@ln -sf $(TOP)/kmod/*.c $(TOP)/kmod/*.h $(TOP)/kmod/Kbuild $(BUILD)/$(1)/kmod/
	$(MAKE) -C $(2) M=$(BUILD)/$(1) modules
endef

module:
	$(call build_module,$(KVER),$(KDIR))

# A kernel built here (the debug kernel) has its build tree at
# $(CACHE)/kernels/VERSION/build; Debian's have their headers package, the
# newest in the Debian 13 root of scripts/newest-kernel. The test builds turn
# warnings into errors; a user's build with another compiler does not.
TEST_KERNELS ?= 6.1 6.12 newest

modules-all:
	@for s in $(TEST_KERNELS); do \
		v=$$(readlink $(CACHE)/kernels/$$s) || { echo "error: no test kernel $$s: run scripts/install-deps (6.12-debug: scripts/debug-kernel)" >&2; exit 1; }; \
		kd=/usr/src/linux-headers-$$v; \
		[ -e $(CACHE)/kernels/$$v/build/Makefile ] && kd=$(CACHE)/kernels/$$v/build; \
		if [ -e $(CACHE)/roots/trixie/usr/src/linux-headers-$$v/Makefile ]; then \
			DIODE_CACHE=$(CACHE) $(TOP)/scripts/build-in-root $$v DIODE_WERROR=1 || exit 1; \
		else \
			$(MAKE) --no-print-directory module KVER=$$v KDIR=$$kd DIODE_WERROR=1 || exit 1; \
		fi; \
		for m in diode xt_DIODE; do \
			install -D -m 0644 $(BUILD)/$$v/kmod/$$m.ko $(CACHE)/kernels/$$v/lib/modules/$$v/updates/$$m.ko || exit 1; \
		done; \
		depmod -b $(CACHE)/kernels/$$v $$v; \
	done

tools:
	$(MAKE) -C $(TOP)/tools

unit:
	$(MAKE) -C $(TOP)/selftests/unit run
	$(MAKE) -C $(TOP)/tools check

check:
	$(TOP)/scripts/check

netlink-gen:
	DIODE_CACHE=$(CACHE) $(TOP)/scripts/netlink-gen

# KASAN and lockdep make the guest several times slower and hungrier.
check-debug:
	$(TOP)/scripts/debug-kernel
	DIODE_CHECK_KERNELS=6.12-debug DIODE_CHECK_MEM=4G DIODE_CHECK_TIMEOUT=21600 \
		DIODE_CHECK_SCRIPT_TIMEOUT=3600 \
		$(TOP)/scripts/check

demo:
	$(TOP)/scripts/demo

bench:
	$(TOP)/scripts/bench

soak:
	$(TOP)/scripts/soak

fuzz:
	$(TOP)/scripts/fuzz

install: module tools
	$(MAKE) -C $(KDIR) M=$(BUILD)/$(KVER) modules_install
	depmod -a $(KVER)
	$(MAKE) -C $(TOP)/tools install

# Built from a copy of the committed tree (HEAD), so that the build never
# litters the working tree and neither untracked files nor changes under
# way get in.
DEB_VERSION = $(shell git -C $(TOP) show HEAD:dkms.conf | sed -n 's/^PACKAGE_VERSION="\(.*\)"$$/\1/p')
DEB_SRC = $(BUILD)/deb/diode-$(DEB_VERSION)

deb:
	rm -rf $(BUILD)/deb
	mkdir -p $(DEB_SRC)
	git -C $(TOP) archive HEAD | tar -x -C $(DEB_SRC)
	cd $(DEB_SRC) && dpkg-buildpackage -us -uc -b
	rm -rf $(DEB_SRC)

clean:
	rm -rf $(BUILD)
	$(MAKE) -C $(TOP)/tools clean
	$(MAKE) -C $(TOP)/selftests/unit clean
