// SPDX-License-Identifier: GPL-2.0
/*
 * diode: an encrypted one-way network link. See docs/ in the source tree.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include <net/rtnetlink.h>

#include "device.h"
#include "netlink.h"
#include "version.h"

/*
 * The family comes first and goes last: a device may send notifications
 * (carrier changes) as long as it exists, and devices go in
 * diode_device_uninit(). Exit undoes init in the reverse order.
 */
static int __init diode_mod_init(void)
{
	int ret;

	ret = diode_genetlink_init();
	if (ret)
		return ret;
	ret = diode_device_init();
	if (ret)
		goto err_genetlink;

	pr_info("diode " DIODE_VERSION " loaded\n");
	return 0;

err_genetlink:
	diode_genetlink_uninit();
	return ret;
}

static void __exit diode_mod_exit(void)
{
	diode_device_uninit();
	diode_genetlink_uninit();
}

module_init(diode_mod_init);
module_exit(diode_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Encrypted one-way network link for data diodes");
MODULE_VERSION(DIODE_VERSION);
MODULE_ALIAS_RTNL_LINK(KBUILD_MODNAME);
MODULE_ALIAS_GENL_FAMILY(DIODE_GENL_NAME);
