#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The DIODE xtables target under iptables-nft (nftables' xtables
# compatibility): the scenarios of routing.sh.
source "$(dirname "$0")/routing.lib"

test_steer_nft() { steer nft; }
test_copy_nft() { copy nft; }
test_rule_removed_nft() { rule_removed nft; }
test_device_recreated_nft() { device_recreated nft; }
test_recursion_guard_nft() { recursion_guard 6 nft; }
test_bad_options_nft() { bad_options nft; }

ktap_run steer_nft copy_nft rule_removed_nft device_recreated_nft recursion_guard_nft bad_options_nft
