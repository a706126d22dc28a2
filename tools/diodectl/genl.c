// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink plumbing of diodectl: finding the diode family,
 * sending a request and collecting replies, and turning the kernel's error
 * (with its extended ack message) into something a person can read.
 */
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/diode.h>
#include <sodium.h>

#include "diodectl.h"
#include "genl.h"

static struct nlmsghdr *msg_start(void *buf, uint16_t type, uint8_t cmd,
				  uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *genl;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

struct nlmsghdr *genl_msg_start(void *buf, uint16_t family, uint8_t cmd,
				uint16_t flags)
{
	return msg_start(buf, family, cmd, DIODE_GENL_VERSION, flags);
}

struct extack {
	char *msg;
	size_t size;
};

static int extack_attr_cb(const struct nlattr *attr, void *data)
{
	struct extack *extack = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    !mnl_attr_validate(attr, MNL_TYPE_NUL_STRING))
		snprintf(extack->msg, extack->size, "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

int genl_msg_status(const struct nlmsghdr *nlh, char *extack_msg,
		    size_t extack_size)
{
	size_t payload_len = mnl_nlmsg_get_payload_len(nlh);
	const void *payload = mnl_nlmsg_get_payload(nlh);
	struct extack extack = { extack_msg, extack_size };
	const struct nlmsgerr *err;
	size_t tlv_offset;
	int status;

	extack_msg[0] = '\0';
	if (nlh->nlmsg_type == NLMSG_DONE) {
		/* Old kernels end a dump with an empty NLMSG_DONE. */
		if (payload_len < sizeof(status))
			return 0;
		memcpy(&status, payload, sizeof(status));
		tlv_offset = sizeof(status);
	} else {
		if (payload_len < sizeof(*err))
			return -EBADMSG;
		err = payload;
		status = err->error;
		tlv_offset = sizeof(*err);
		/* Unless capped, the request is echoed before the TLVs. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED) &&
		    err->msg.nlmsg_len >= sizeof(struct nlmsghdr))
			tlv_offset += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	}
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && tlv_offset <= payload_len)
		mnl_attr_parse(nlh, tlv_offset, extack_attr_cb, &extack);
	/* Some subsystems report positive error numbers. */
	return status > 0 ? -status : status;
}

struct request {
	mnl_cb_t data_cb;
	void *data;
	int status;
	char *extack;
	size_t extack_size;
};

static int request_data_cb(const struct nlmsghdr *nlh, void *data)
{
	struct request *req = data;
	int ret;

	ret = req->data_cb ? req->data_cb(nlh, req->data) : MNL_CB_OK;
	if (ret == MNL_CB_ERROR)
		req->status = errno ? -errno : -EBADMSG;
	return ret;
}

static int request_status_cb(const struct nlmsghdr *nlh, void *data)
{
	struct request *req = data;

	req->status = genl_msg_status(nlh, req->extack, req->extack_size);
	return req->status ? MNL_CB_ERROR : MNL_CB_STOP;
}

int genl_request(struct genl *g, struct nlmsghdr *nlh, mnl_cb_t data_cb,
		 void *data)
{
	/* Not const: mnl_cb_run2() of libmnl 1.0.4 takes a mutable array. */
	static mnl_cb_t status_cbs[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = request_status_cb,
		[NLMSG_DONE] = request_status_cb,
	};
	struct request req = {
		.data_cb = data_cb,
		.data = data,
		.extack = g->extack,
		.extack_size = sizeof(g->extack),
	};
	char buf[GENL_RECV_SIZE];
	uint32_t seq = ++g->seq;
	ssize_t len;
	int ret;

	g->extack[0] = '\0';
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(g->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		len = mnl_socket_recvfrom(g->nl, buf, sizeof(buf));
		if (len < 0) {
			ret = -errno;
			goto out;
		}
		errno = 0;
		ret = mnl_cb_run2(buf, len, seq, g->portid, request_data_cb,
				  &req, status_cbs, NLMSG_MIN_TYPE);
	} while (ret == MNL_CB_OK);
	if (ret != MNL_CB_ERROR)
		ret = 0;
	else if (req.status)
		ret = req.status;
	else
		/* libmnl's EINTR: the devices changed while the dump was taken. */
		ret = errno == EINTR ? -EAGAIN : -errno;
out:
	/* The replies of DIODE_CMD_GET_SECRETS carry keys. */
	sodium_memzero(buf, sizeof(buf));
	return ret;
}

struct mcast_group {
	const char *name;
	uint32_t id;
};

static int mcast_group_attr_cb(const struct nlattr *attr, void *data)
{
	struct mcast_group *group = data;

	switch (mnl_attr_get_type(attr)) {
	case CTRL_ATTR_MCAST_GRP_NAME:
		if (!mnl_attr_validate(attr, MNL_TYPE_NUL_STRING))
			group->name = mnl_attr_get_str(attr);
		break;
	case CTRL_ATTR_MCAST_GRP_ID:
		if (!mnl_attr_validate(attr, MNL_TYPE_U32))
			group->id = mnl_attr_get_u32(attr);
		break;
	}
	return MNL_CB_OK;
}

/* Each group is a nest of its own; the type of that nest carries nothing. */
static int mcast_groups_attr_cb(const struct nlattr *attr, void *data)
{
	uint32_t *monitor_group = data;
	struct mcast_group group = { NULL, 0 };

	if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
		return MNL_CB_OK;
	mnl_attr_parse_nested(attr, mcast_group_attr_cb, &group);
	if (group.name && !strcmp(group.name, DIODE_MCGRP_MONITOR))
		*monitor_group = group.id;
	return MNL_CB_OK;
}

static int family_attr_cb(const struct nlattr *attr, void *data)
{
	struct genl *g = data;

	switch (mnl_attr_get_type(attr)) {
	case CTRL_ATTR_FAMILY_ID:
		if (!mnl_attr_validate(attr, MNL_TYPE_U16))
			g->family = mnl_attr_get_u16(attr);
		break;
	case CTRL_ATTR_MCAST_GROUPS:
		if (!mnl_attr_validate(attr, MNL_TYPE_NESTED))
			mnl_attr_parse_nested(attr, mcast_groups_attr_cb,
					      &g->monitor_group);
		break;
	}
	return MNL_CB_OK;
}

int genl_parse_family(const struct nlmsghdr *nlh, struct genl *g)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb,
			      g);
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return genl_parse_family(nlh, data);
}

static int resolve_family(struct genl *g, const char *context)
{
	char buf[256];
	struct nlmsghdr *nlh;
	int ret;

	nlh = msg_start(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, DIODE_GENL_NAME);
	ret = genl_request(g, nlh, family_cb, g);
	if (ret == -ENOENT) {
		print_error("%s: the diode kernel module is not loaded (modprobe diode)",
			    context);
		return -1;
	}
	if (ret) {
		genl_print_error(context, ret, g->extack);
		return -1;
	}
	if (!g->family) {
		print_error("%s: the kernel did not report the id of the diode netlink family",
			    context);
		return -1;
	}
	return 0;
}

int genl_open(struct genl *g, const char *context)
{
	int one = 1;

	memset(g, 0, sizeof(*g));
	g->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!g->nl) {
		print_error("%s: cannot open a netlink socket: %s", context,
			    strerror(errno));
		return -1;
	}
	if (mnl_socket_bind(g->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		print_error("%s: cannot bind a netlink socket: %s", context,
			    strerror(errno));
		genl_close(g);
		return -1;
	}
	/*
	 * Ask for the kernel's error messages, without the echo of our own
	 * request. A kernel too old for these options still answers, only
	 * without messages, so their failure is no reason to stop.
	 */
	mnl_socket_setsockopt(g->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(g->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	g->portid = mnl_socket_get_portid(g->nl);
	g->seq = time(NULL);
	if (resolve_family(g, context)) {
		genl_close(g);
		return -1;
	}
	return 0;
}

void genl_close(struct genl *g)
{
	if (g->nl)
		mnl_socket_close(g->nl);
	g->nl = NULL;
}

void genl_print_error(const char *context, int err, const char *extack)
{
	const char *reason = strerror(-err);

	if (err == -EPERM && !*extack)
		print_error("%s: %s (CAP_NET_ADMIN is needed)", context, reason);
	else if (*extack && strcasecmp(extack, reason))
		print_error("%s: %s: %s", context, reason, extack);
	else
		print_error("%s: %s", context, reason);
}
