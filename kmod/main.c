// SPDX-License-Identifier: GPL-2.0
/*
 * diode: an encrypted one-way network link. See docs/ in the source tree.
 */
#include <linux/module.h>
#include <net/rtnetlink.h>

#include "device.h"
#include "version.h"

static int __init diode_mod_init(void)
{
	int ret;

	ret = diode_device_init();
	if (ret)
		return ret;

	pr_info("diode " DIODE_VERSION " loaded\n");
	return 0;
}

static void __exit diode_mod_exit(void)
{
	diode_device_uninit();
}

module_init(diode_mod_init);
module_exit(diode_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Encrypted one-way network link for data diodes");
MODULE_VERSION(DIODE_VERSION);
MODULE_ALIAS_RTNL_LINK(KBUILD_MODNAME);
