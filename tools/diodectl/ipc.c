// SPDX-License-Identifier: GPL-2.0
/*
 * diodectl and the kernel; see ipc.h. The settings are sent and read by
 * the table of settings.c: an attribute whose payload is a plain value
 * goes as the model keeps it, and only the few that are not (addresses,
 * FEC's pair of counts, the receiver's mark) are encoded here by hand.
 * Every reply is checked attribute by attribute before it is believed.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sodium.h>

#include "ipc.h"
#include "settings.h"

static int __attribute__((format(printf, 3, 4)))
ipc_fail(struct ipc *ipc, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ipc->error, sizeof(ipc->error), fmt, ap);
	va_end(ap);
	return err;
}

/* The kernel's errno, with its own message when it adds something. */
static int request_failed(struct ipc *ipc, int err)
{
	const char *reason = strerror(-err);

	if (err == -EPERM && !ipc->extack[0])
		return ipc_fail(ipc, err, "%s (CAP_NET_ADMIN is needed)",
				reason);
	if (ipc->extack[0] && strcasecmp(ipc->extack, reason))
		return ipc_fail(ipc, err, "%s: %s", reason, ipc->extack);
	return ipc_fail(ipc, err, "%s", reason);
}

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

struct nlmsghdr *ipc_msg_start(void *buf, uint16_t family, uint8_t cmd,
			       uint16_t flags)
{
	return msg_start(buf, family, cmd, DIODE_GENL_VERSION, flags);
}

struct nlmsghdr *ipc_build_request(void *buf, uint16_t family, uint8_t cmd,
				   uint16_t flags, const char *ifname)
{
	struct nlmsghdr *nlh = ipc_msg_start(buf, family, cmd, flags);

	mnl_attr_put_strz(nlh, DIODE_A_IFNAME, ifname);
	return nlh;
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

int ipc_msg_status(const struct nlmsghdr *nlh, char *extack_msg,
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

	req->status = ipc_msg_status(nlh, req->extack, req->extack_size);
	return req->status ? MNL_CB_ERROR : MNL_CB_STOP;
}

/*
 * Sends nlh and feeds every reply message to data_cb, until the ack or the
 * end of the dump. Returns 0 or a negative errno, with ipc->extack filled.
 */
static int request(struct ipc *ipc, struct nlmsghdr *nlh, mnl_cb_t data_cb,
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
		.extack = ipc->extack,
		.extack_size = sizeof(ipc->extack),
	};
	char buf[IPC_RECV_SIZE];
	uint32_t seq = ++ipc->seq;
	ssize_t len;
	int ret;

	ipc->extack[0] = '\0';
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(ipc->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	do {
		len = mnl_socket_recvfrom(ipc->nl, buf, sizeof(buf));
		if (len < 0) {
			ret = -errno;
			goto out;
		}
		errno = 0;
		ret = mnl_cb_run2(buf, len, seq, ipc->portid, request_data_cb,
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

/* As request(), with ipc->error telling a failure. */
static int request_or_fail(struct ipc *ipc, struct nlmsghdr *nlh,
			   mnl_cb_t data_cb, void *data)
{
	int ret = request(ipc, nlh, data_cb, data);

	return ret ? request_failed(ipc, ret) : 0;
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
	struct ipc *ipc = data;

	switch (mnl_attr_get_type(attr)) {
	case CTRL_ATTR_FAMILY_ID:
		if (!mnl_attr_validate(attr, MNL_TYPE_U16))
			ipc->family = mnl_attr_get_u16(attr);
		break;
	case CTRL_ATTR_MCAST_GROUPS:
		if (!mnl_attr_validate(attr, MNL_TYPE_NESTED))
			mnl_attr_parse_nested(attr, mcast_groups_attr_cb,
					      &ipc->monitor_group);
		break;
	}
	return MNL_CB_OK;
}

int ipc_parse_family(const struct nlmsghdr *nlh, struct ipc *ipc)
{
	return mnl_attr_parse(nlh, sizeof(struct genlmsghdr), family_attr_cb,
			      ipc);
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	return ipc_parse_family(nlh, data);
}

static int resolve_family(struct ipc *ipc)
{
	char buf[IPC_REQUEST_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	nlh = msg_start(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, DIODE_GENL_NAME);
	ret = request(ipc, nlh, family_cb, ipc);
	if (ret == -ENOENT)
		return ipc_fail(ipc, ret, "the diode kernel module is not loaded (modprobe diode)");
	if (ret)
		return request_failed(ipc, ret);
	if (!ipc->family)
		return ipc_fail(ipc, -EPROTO, "the kernel did not report the id of the diode netlink family");
	return 0;
}

int ipc_open(struct ipc *ipc)
{
	int one = 1, ret;

	memset(ipc, 0, sizeof(*ipc));
	ipc->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!ipc->nl)
		return ipc_fail(ipc, -errno, "cannot open a netlink socket: %s",
				strerror(errno));
	if (mnl_socket_bind(ipc->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = ipc_fail(ipc, -errno, "cannot bind a netlink socket: %s",
			       strerror(errno));
		ipc_close(ipc);
		return ret;
	}
	/*
	 * Ask for the kernel's error messages, without the echo of our own
	 * request. A kernel too old for these options still answers, only
	 * without messages, so their failure is no reason to stop.
	 */
	mnl_socket_setsockopt(ipc->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(ipc->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	ipc->portid = mnl_socket_get_portid(ipc->nl);
	ipc->seq = time(NULL);
	ret = resolve_family(ipc);
	if (ret)
		ipc_close(ipc);
	return ret;
}

void ipc_close(struct ipc *ipc)
{
	if (ipc->nl)
		mnl_socket_close(ipc->nl);
	ipc->nl = NULL;
}

static void put_addr(struct nlmsghdr *nlh, uint16_t type,
		     const struct diode_addr *addr)
{
	mnl_attr_put(nlh, type, addr->len, &addr->sa);
}

/* FEC off is DIODE_A_FEC_DATA 0 alone: the kernel keeps the parity count. */
static void put_fec(struct nlmsghdr *nlh, const struct device *dev)
{
	mnl_attr_put_u8(nlh, DIODE_A_FEC_DATA, dev->fec_data);
	if (dev->fec_data)
		mnl_attr_put_u8(nlh, DIODE_A_FEC_PARITY, dev->fec_parity);
}

/* A nest, flagged as such: the kernel's strict policy wants NLA_F_NESTED. */
static void put_rx_mark(struct nlmsghdr *nlh, const struct device *dev)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, DIODE_A_RX_MARK);

	nest->nla_type |= NLA_F_NESTED;
	mnl_attr_put_u64(nlh, DIODE_RX_MARK_A_CREATED, dev->rx_mark_created);
	mnl_attr_put_u64(nlh, DIODE_RX_MARK_A_COUNTER, dev->rx_mark_counter);
	mnl_attr_nest_end(nlh, nest);
}

static void put_setting(struct nlmsghdr *nlh, const struct device *dev,
			const struct setting *s)
{
	switch (s->attr) {
	case DIODE_A_LOCAL:
		put_addr(nlh, DIODE_A_LOCAL, &dev->local);
		break;
	case DIODE_A_REMOTE:
		put_addr(nlh, DIODE_A_REMOTE, &dev->remote);
		break;
	case DIODE_A_FEC_DATA:
		put_fec(nlh, dev);
		break;
	case DIODE_A_RX_MARK:
		put_rx_mark(nlh, dev);
		break;
	default:
		mnl_attr_put(nlh, s->attr, s->size,
			     (const char *)dev + s->offset);
	}
}

struct nlmsghdr *ipc_build_set(void *buf, uint16_t family,
			       const struct device *dev)
{
	struct nlmsghdr *nlh;
	size_t i;

	nlh = ipc_build_request(buf, family, DIODE_CMD_SET_DEVICE, NLM_F_ACK,
				dev->ifname);
	if (dev->replace)
		mnl_attr_put(nlh, DIODE_A_REPLACE, 0, NULL);
	/* What only the kernel sets has no parse, and is never sent. */
	for (i = 0; i < settings_count; i++) {
		if (settings[i].parse && device_has(dev, settings[i].attr))
			put_setting(nlh, dev, &settings[i]);
	}
	return nlh;
}

static int malformed(void)
{
	errno = EBADMSG;
	return MNL_CB_ERROR;
}

static bool attr_len_is(const struct nlattr *attr, size_t len)
{
	return mnl_attr_get_payload_len(attr) == len;
}

static int session_attr_cb(const struct nlattr *attr, void *data)
{
	struct device_session *session = data;
	uint16_t type = mnl_attr_get_type(attr);

	switch (type) {
	case DIODE_SESSION_A_SLOT:
		if (!attr_len_is(attr, sizeof(uint8_t)))
			return malformed();
		session->slot = mnl_attr_get_u8(attr);
		break;
	case DIODE_SESSION_A_TAG:
		if (!attr_len_is(attr, sizeof(uint16_t)))
			return malformed();
		session->tag = mnl_attr_get_u16(attr);
		break;
	case DIODE_SESSION_A_CREATED:
		if (!attr_len_is(attr, sizeof(uint64_t)))
			return malformed();
		session->created = mnl_attr_get_u64(attr);
		break;
	case DIODE_SESSION_A_EPHEMERAL:
		if (!attr_len_is(attr, DIODE_KEY_LEN))
			return malformed();
		memcpy(session->ephemeral, mnl_attr_get_payload(attr),
		       DIODE_KEY_LEN);
		break;
	case DIODE_SESSION_A_COUNTER:
		if (!attr_len_is(attr, sizeof(uint64_t)))
			return malformed();
		session->counter = mnl_attr_get_u64(attr);
		break;
	default:
		/* Padding, or an attribute of a newer kernel. */
		return MNL_CB_OK;
	}
	session->present |= 1u << type;
	return MNL_CB_OK;
}

/* Each session is a nest of its own; the type of that nest carries nothing. */
static int sessions_attr_cb(const struct nlattr *attr, void *data)
{
	struct device *dev = data;
	struct device_session *session;

	if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0 ||
	    dev->n_sessions == DEVICE_SESSIONS_MAX)
		return malformed();
	session = &dev->sessions[dev->n_sessions++];
	return mnl_attr_parse_nested(attr, session_attr_cb, session);
}

static int stats_attr_cb(const struct nlattr *attr, void *data)
{
	struct device *dev = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type == DIODE_STAT_UNSPEC || type == DIODE_STAT_PAD)
		return MNL_CB_OK;
	if (!attr_len_is(attr, sizeof(uint64_t)) ||
	    dev->n_stats == DEVICE_STATS_MAX)
		return malformed();
	dev->stats[dev->n_stats].type = type;
	dev->stats[dev->n_stats].value = mnl_attr_get_u64(attr);
	dev->n_stats++;
	return MNL_CB_OK;
}

/* Returns 1 for an address, 0 for none (AF_UNSPEC), -1 when malformed. */
static int addr_from_attr(const struct nlattr *attr, struct diode_addr *addr)
{
	const void *payload = mnl_attr_get_payload(attr);
	size_t len = mnl_attr_get_payload_len(attr);
	sa_family_t family;

	if (len < sizeof(family))
		return -1;
	memcpy(&family, payload, sizeof(family));
	if (family == AF_UNSPEC)
		return 0;
	if (!(family == AF_INET && len == sizeof(addr->in)) &&
	    !(family == AF_INET6 && len == sizeof(addr->in6)))
		return -1;
	memcpy(&addr->sa, payload, len);
	addr->len = len;
	return 1;
}

struct rx_mark_parser {
	struct device *dev;
	unsigned int present;	/* 1 << DIODE_RX_MARK_A_* */
};

static int rx_mark_attr_cb(const struct nlattr *attr, void *data)
{
	struct rx_mark_parser *p = data;
	uint16_t type = mnl_attr_get_type(attr);
	uint64_t *value;

	switch (type) {
	case DIODE_RX_MARK_A_CREATED:
		value = &p->dev->rx_mark_created;
		break;
	case DIODE_RX_MARK_A_COUNTER:
		value = &p->dev->rx_mark_counter;
		break;
	default:
		/* Padding, or an attribute of a newer kernel. */
		return MNL_CB_OK;
	}
	if (!attr_len_is(attr, sizeof(uint64_t)))
		return malformed();
	*value = mnl_attr_get_u64(attr);
	p->present |= 1u << type;
	return MNL_CB_OK;
}

/* Both values, or the mark is malformed: half a mark would mislead. */
static int rx_mark_from_attr(const struct nlattr *attr, struct device *dev)
{
	const unsigned int needed = 1u << DIODE_RX_MARK_A_CREATED |
				    1u << DIODE_RX_MARK_A_COUNTER;
	struct rx_mark_parser p = { .dev = dev };

	if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0 ||
	    mnl_attr_parse_nested(attr, rx_mark_attr_cb, &p) < 0 ||
	    (p.present & needed) != needed)
		return -1;
	return 1;
}

static int ifname_from_attr(const struct nlattr *attr, char ifname[IFNAMSIZ])
{
	if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0 ||
	    mnl_attr_get_payload_len(attr) > IFNAMSIZ)
		return -1;
	strcpy(ifname, mnl_attr_get_str(attr));
	return 1;
}

/* A value kept as its attribute carries it, of exactly that length. */
static int setting_from_attr(const struct nlattr *attr, struct device *dev,
			     const struct setting *s)
{
	if (!attr_len_is(attr, s->size))
		return -1;
	memcpy((char *)dev + s->offset, mnl_attr_get_payload(attr), s->size);
	return 1;
}

/* Parses one attribute; returns 1 when kept, 0 when ignored, -1 if bad. */
static int device_attr(const struct nlattr *attr, struct device *dev)
{
	uint16_t type = mnl_attr_get_type(attr);
	const struct setting *s;

	switch (type) {
	case DIODE_A_IFINDEX:
		if (!attr_len_is(attr, sizeof(uint32_t)))
			return -1;
		dev->ifindex = mnl_attr_get_u32(attr);
		return 1;
	case DIODE_A_IFNAME:
		return ifname_from_attr(attr, dev->ifname);
	/* Secret keys come from DIODE_CMD_GET_SECRETS alone. */
	case DIODE_A_PRIVATE_KEY:
	case DIODE_A_PRESHARED_KEY:
		return 0;
	case DIODE_A_LOCAL:
		return addr_from_attr(attr, &dev->local);
	case DIODE_A_REMOTE:
		return addr_from_attr(attr, &dev->remote);
	case DIODE_A_FEC_PARITY:
		if (!attr_len_is(attr, sizeof(uint8_t)))
			return -1;
		dev->fec_parity = mnl_attr_get_u8(attr);
		return 1;
	case DIODE_A_RX_MARK:
		return rx_mark_from_attr(attr, dev);
	case DIODE_A_SESSIONS:
		return mnl_attr_parse_nested(attr, sessions_attr_cb, dev) < 0 ?
		       -1 : 1;
	case DIODE_A_STATS:
		return mnl_attr_parse_nested(attr, stats_attr_cb, dev) < 0 ?
		       -1 : 1;
	}
	s = setting_by_attr(type);
	/* Padding, or an attribute of a newer kernel. */
	if (!s)
		return 0;
	return setting_from_attr(attr, dev, s);
}

static int device_attr_cb(const struct nlattr *attr, void *data)
{
	struct device *dev = data;
	int ret = device_attr(attr, dev);

	if (ret < 0)
		return malformed();
	if (ret)
		device_mark(dev, mnl_attr_get_type(attr));
	return MNL_CB_OK;
}

int ipc_parse_device(const struct nlmsghdr *nlh, struct device *dev)
{
	memset(dev, 0, sizeof(*dev));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr) ||
	    mnl_attr_parse(nlh, sizeof(struct genlmsghdr), device_attr_cb,
			   dev) != MNL_CB_OK ||
	    !device_has(dev, DIODE_A_IFNAME)) {
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

static int secrets_attr_cb(const struct nlattr *attr, void *data)
{
	struct device *dev = data;
	uint16_t type = mnl_attr_get_type(attr);

	/* The device's name and index are known; a newer kernel's, unknown. */
	if (type != DIODE_A_PRIVATE_KEY && type != DIODE_A_PRESHARED_KEY)
		return MNL_CB_OK;
	if (setting_from_attr(attr, dev, setting_by_attr(type)) < 0)
		return malformed();
	device_mark(dev, type);
	return MNL_CB_OK;
}

static void forget_secrets(struct device *dev)
{
	sodium_memzero(dev->private_key, sizeof(dev->private_key));
	sodium_memzero(dev->preshared_key, sizeof(dev->preshared_key));
	device_unmark(dev, DIODE_A_PRIVATE_KEY);
	device_unmark(dev, DIODE_A_PRESHARED_KEY);
}

int ipc_parse_secrets(const struct nlmsghdr *nlh, struct device *dev)
{
	forget_secrets(dev);
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr) ||
	    mnl_attr_parse(nlh, sizeof(struct genlmsghdr), secrets_attr_cb,
			   dev) != MNL_CB_OK) {
		forget_secrets(dev);
		errno = EBADMSG;
		return -1;
	}
	return 0;
}

struct devices {
	int (*cb)(const struct device *dev, void *data);
	void *data;
};

static int device_cb(const struct nlmsghdr *nlh, void *data)
{
	struct devices *devices = data;
	struct device dev;

	if (ipc_parse_device(nlh, &dev))
		return MNL_CB_ERROR;
	return devices->cb(&dev, devices->data);
}

int ipc_get_devices(struct ipc *ipc, const char *ifname,
		    int (*cb)(const struct device *dev, void *data),
		    void *data)
{
	struct devices devices = { cb, data };
	char buf[IPC_REQUEST_SIZE];
	struct nlmsghdr *nlh;

	nlh = ipc_msg_start(buf, ipc->family, DIODE_CMD_GET_DEVICE,
			    ifname ? NLM_F_ACK : NLM_F_DUMP);
	if (ifname)
		mnl_attr_put_strz(nlh, DIODE_A_IFNAME, ifname);
	return request_or_fail(ipc, nlh, cb ? device_cb : NULL, &devices);
}

static int copy_device_cb(const struct device *dev, void *data)
{
	memcpy(data, dev, sizeof(*dev));
	return MNL_CB_OK;
}

int ipc_get_device(struct ipc *ipc, const char *ifname, struct device *dev)
{
	return ipc_get_devices(ipc, ifname, copy_device_cb, dev);
}

static int secrets_cb(const struct nlmsghdr *nlh, void *data)
{
	return ipc_parse_secrets(nlh, data) ? MNL_CB_ERROR : MNL_CB_OK;
}

int ipc_get_secrets(struct ipc *ipc, struct device *dev)
{
	char buf[IPC_REQUEST_SIZE];
	struct nlmsghdr *nlh;

	nlh = ipc_build_request(buf, ipc->family, DIODE_CMD_GET_SECRETS,
				NLM_F_ACK, dev->ifname);
	return request_or_fail(ipc, nlh, secrets_cb, dev);
}

int ipc_set_device(struct ipc *ipc, const struct device *dev)
{
	char buf[IPC_SET_REQUEST_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	nlh = ipc_build_set(buf, ipc->family, dev);
	ret = request_or_fail(ipc, nlh, NULL, NULL);
	sodium_memzero(buf, sizeof(buf));
	return ret;
}

int ipc_reset_sessions(struct ipc *ipc, const char *ifname)
{
	char buf[IPC_REQUEST_SIZE];

	return request_or_fail(ipc, ipc_build_request(buf, ipc->family,
						      DIODE_CMD_RESET_SESSIONS,
						      NLM_F_ACK, ifname),
			       NULL, NULL);
}

struct link_event_parser {
	struct link_event *event;
	unsigned int present;	/* 1 << DIODE_A_* */
};

static int link_event_attr_cb(const struct nlattr *attr, void *data)
{
	struct link_event_parser *p = data;
	struct link_event *event = p->event;
	uint16_t type = mnl_attr_get_type(attr);

	switch (type) {
	case DIODE_A_IFNAME:
		if (ifname_from_attr(attr, event->ifname) < 0)
			return malformed();
		break;
	case DIODE_A_CARRIER:
		if (!attr_len_is(attr, sizeof(uint8_t)))
			return malformed();
		event->carrier = mnl_attr_get_u8(attr);
		break;
	default:
		/* The index, which the name makes redundant, or what is new. */
		return MNL_CB_OK;
	}
	p->present |= 1u << type;
	return MNL_CB_OK;
}

int ipc_parse_link_event(const struct nlmsghdr *nlh, struct link_event *event)
{
	const unsigned int needed = 1u << DIODE_A_IFNAME |
				    1u << DIODE_A_CARRIER;
	struct link_event_parser p = { .event = event };
	const struct genlmsghdr *genl;

	memset(event, 0, sizeof(*event));
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*genl))
		goto bad;
	genl = mnl_nlmsg_get_payload(nlh);
	if (genl->cmd != DIODE_CMD_LINK_EVENT)
		return 0;
	if (mnl_attr_parse(nlh, sizeof(*genl), link_event_attr_cb, &p) !=
	    MNL_CB_OK || (p.present & needed) != needed)
		goto bad;
	return 1;

bad:
	errno = EBADMSG;
	return -1;
}

int ipc_monitor_join(struct ipc *ipc)
{
	if (mnl_socket_setsockopt(ipc->nl, NETLINK_ADD_MEMBERSHIP,
				  &ipc->monitor_group,
				  sizeof(ipc->monitor_group)) < 0)
		return ipc_fail(ipc, -errno,
				"cannot join the '%s' multicast group: %s",
				DIODE_MCGRP_MONITOR, strerror(errno));
	return 0;
}

int ipc_fd(const struct ipc *ipc)
{
	return mnl_socket_get_fd(ipc->nl);
}

struct events {
	uint16_t family;
	int (*cb)(const struct link_event *event, void *data);
	void *data;
};

static int event_cb(const struct nlmsghdr *nlh, void *data)
{
	struct events *events = data;
	struct link_event event;
	int ret;

	if (nlh->nlmsg_type != events->family)
		return MNL_CB_OK;
	ret = ipc_parse_link_event(nlh, &event);
	if (!ret)
		return MNL_CB_OK;
	return events->cb(ret < 0 ? NULL : &event, events->data);
}

int ipc_read_events(struct ipc *ipc,
		    int (*cb)(const struct link_event *event, void *data),
		    void *data)
{
	struct events events = { ipc->family, cb, data };
	char buf[IPC_RECV_SIZE];
	ssize_t len;
	int ret;

	len = mnl_socket_recvfrom(ipc->nl, buf, sizeof(buf));
	if (len < 0 && errno == ENOBUFS)
		return -ENOBUFS;
	if (len < 0)
		return ipc_fail(ipc, -errno, "cannot receive: %s",
				strerror(errno));
	/* Notifications have no sequence number nor port to match. */
	ret = mnl_cb_run(buf, len, 0, 0, event_cb, &events);
	if (ret == MNL_CB_STOP)
		return 1;
	if (ret == MNL_CB_ERROR)
		return ipc_fail(ipc, -errno, "%s", strerror(errno));
	return 0;
}
