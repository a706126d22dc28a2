#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The DIODE xtables target under iptables-legacy: steering, copies, rule
# removal, the device deleted and re-created, the recursion guard, bad options.
source "$(dirname "$0")/routing.lib"

test_steer_legacy() { steer legacy; }
test_copy_legacy() { copy legacy; }
test_rule_removed_legacy() { rule_removed legacy; }
test_device_recreated_legacy() { device_recreated legacy; }
test_recursion_guard_legacy() { recursion_guard 4 legacy; }
test_bad_options_legacy() { bad_options legacy; }

ktap_run steer_legacy copy_legacy rule_removed_legacy device_recreated_legacy recursion_guard_legacy bad_options_legacy
