// SPDX-License-Identifier: GPL-2.0
/*
 * libxt_DIODE: the iptables and ip6tables extension of the DIODE target
 * (xt_DIODE.ko), which sends matched packets, or copies of them, into a
 * diode device.
 */
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <xtables.h>

#include <linux/netfilter/xt_DIODE.h>

enum {
	O_DEV,
	O_COPY,
};

static const struct xt_option_entry diode_tg_opts[] = {
	{ .name = "dev", .id = O_DEV, .type = XTTYPE_STRING, .flags = XTOPT_MAND },
	{ .name = "copy", .id = O_COPY, .type = XTTYPE_NONE },
	XTOPT_TABLEEND,
};

static void diode_tg_help(void)
{
	printf("DIODE target options:\n"
	       "  --dev NAME    send the packet into the diode device NAME instead\n"
	       "                of along its route (dropped while NAME is absent,\n"
	       "                down or not a diode)\n"
	       "  --copy        send a copy and let the original continue\n");
}

/*
 * The kernel's rules for interface names, checked here so that a bad name is
 * reported with its reason rather than as the kernel's EINVAL.
 */
static void diode_check_name(const char *name)
{
	size_t len = strlen(name);
	const char *c;

	if (len == 0)
		xtables_error(PARAMETER_PROBLEM, "DIODE: --dev needs a device name");
	if (len >= IFNAMSIZ)
		xtables_error(PARAMETER_PROBLEM,
			      "DIODE: device name \"%s\" is longer than %u characters",
			      name, IFNAMSIZ - 1);
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		xtables_error(PARAMETER_PROBLEM,
			      "DIODE: \"%s\" is not a valid device name", name);
	for (c = name; *c; c++) {
		if (*c == '/' || *c == ':' || *c == ' ' ||
		    (*c >= '\t' && *c <= '\r'))
			xtables_error(PARAMETER_PROBLEM,
				      "DIODE: device name \"%s\" contains '%c', which device names cannot",
				      name, *c == '/' || *c == ':' ? *c : ' ');
	}
}

static void diode_tg_parse(struct xt_option_call *cb)
{
	struct xt_diode_tginfo *info = cb->data;

	xtables_option_parse(cb);
	switch (cb->entry->id) {
	case O_DEV:
		diode_check_name(cb->arg);
		/* Fits: diode_check_name() bounded it below IFNAMSIZ. */
		strcpy(info->dev, cb->arg);
		break;
	case O_COPY:
		info->flags |= XT_DIODE_COPY;
		break;
	}
}

static void diode_tg_print(const void *ip, const struct xt_entry_target *target,
			   int numeric)
{
	const struct xt_diode_tginfo *info = (const void *)target->data;

	printf(" DIODE dev %.*s", IFNAMSIZ, info->dev);
	if (info->flags & XT_DIODE_COPY)
		printf(" copy");
}

static void diode_tg_save(const void *ip, const struct xt_entry_target *target)
{
	const struct xt_diode_tginfo *info = (const void *)target->data;
	char name[IFNAMSIZ + 1];

	/* The kernel checked the name is NUL-terminated; do not trust a dump. */
	snprintf(name, sizeof(name), "%.*s", IFNAMSIZ, info->dev);
	printf(" --dev");
	xtables_save_string(name);
	if (info->flags & XT_DIODE_COPY)
		printf(" --copy");
}

static struct xtables_target diode_tg_reg = {
	.name		= "DIODE",
	.revision	= 0,
	/* One target for iptables and ip6tables. */
	.family		= NFPROTO_UNSPEC,
	.version	= XTABLES_VERSION,
	.size		= XT_ALIGN(sizeof(struct xt_diode_tginfo)),
	.userspacesize	= XT_ALIGN(sizeof(struct xt_diode_tginfo)),
	.help		= diode_tg_help,
	.print		= diode_tg_print,
	.save		= diode_tg_save,
	.x6_parse	= diode_tg_parse,
	.x6_options	= diode_tg_opts,
};

/* iptables registers an extension as it is loaded (dlopen). */
static void __attribute__((constructor)) diode_tg_ldinit(void)
{
	xtables_register_target(&diode_tg_reg);
}
