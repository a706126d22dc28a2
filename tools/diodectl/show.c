// SPDX-License-Identifier: GPL-2.0
/*
 * diodectl show: asks the kernel for one device or for all of them and
 * prints them as text or as JSON, a line or a member for each setting of
 * settings.c that the kernel reported. Only public values come back from
 * the kernel; the output cannot leak a secret.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "diodectl.h"
#include "ipc.h"
#include "settings.h"
#include "show.h"

static const char *const stat_names[] = {
	[DIODE_STAT_TX_PACKETS] = "tx_packets",
	[DIODE_STAT_TX_BYTES] = "tx_bytes",
	[DIODE_STAT_TX_ANNOUNCES] = "tx_announces",
	[DIODE_STAT_TX_SESSIONS] = "tx_sessions",
	[DIODE_STAT_TX_DROPPED] = "tx_dropped",
	[DIODE_STAT_RX_PACKETS] = "rx_packets",
	[DIODE_STAT_RX_BYTES] = "rx_bytes",
	[DIODE_STAT_RX_ANNOUNCES] = "rx_announces",
	[DIODE_STAT_RX_SESSIONS] = "rx_sessions",
	[DIODE_STAT_RX_MALFORMED] = "rx_malformed",
	[DIODE_STAT_RX_UNKNOWN_SESSION] = "rx_unknown_session",
	[DIODE_STAT_RX_UNAUTHENTIC] = "rx_unauthentic",
	[DIODE_STAT_RX_REPLAYED] = "rx_replayed",
	[DIODE_STAT_RX_DUPLICATE] = "rx_duplicate",
	[DIODE_STAT_RX_BAD_INNER] = "rx_bad_inner",
	[DIODE_STAT_RX_STALE_SESSION] = "rx_stale_session",
	[DIODE_STAT_RX_DROPPED] = "rx_dropped",
	[DIODE_STAT_RX_RATE_LIMITED] = "rx_rate_limited",
	[DIODE_STAT_TX_HEARTBEATS] = "tx_heartbeats",
	[DIODE_STAT_TX_PARITY] = "tx_parity",
	[DIODE_STAT_TX_REPEATS] = "tx_repeats",
	[DIODE_STAT_TX_PACING_DROPPED] = "tx_pacing_dropped",
	[DIODE_STAT_RX_HEARTBEATS] = "rx_heartbeats",
	[DIODE_STAT_RX_PARITY] = "rx_parity",
	[DIODE_STAT_RX_RECOVERED] = "rx_recovered",
	[DIODE_STAT_RX_LOST] = "rx_lost",
	[DIODE_STAT_RX_CARRIER_CHANGES] = "rx_carrier_changes",
};

static const char *const slot_names[] = {
	[DIODE_SESSION_PREVIOUS] = "previous",
	[DIODE_SESSION_CURRENT] = "current",
	[DIODE_SESSION_NEXT] = "next",
};

static bool session_has(const struct device_session *session,
			enum diode_session_attr attr)
{
	return session->present & (1u << attr);
}

/* Names for values of a newer kernel than this tool knows: "slot9". */
static const char *name_or_number(const char *const *names, size_t n,
				  unsigned int value, const char *what,
				  char *buf, size_t size)
{
	if (value < n && names[value])
		return names[value];
	snprintf(buf, size, "%s%u", what, value);
	return buf;
}

static const char *slot_text(uint8_t slot, char *buf, size_t size)
{
	return name_or_number(slot_names, ARRAY_SIZE(slot_names), slot,
			      "slot", buf, size);
}

static const char *stat_key(uint16_t type, char *buf, size_t size)
{
	return name_or_number(stat_names, ARRAY_SIZE(stat_names), type,
			      "stat_", buf, size);
}

static void print_session_text(FILE *f, const struct device_session *session)
{
	char buf[FORMAT_TIME_SIZE], key[KEY_BASE64_SIZE];

	if (session_has(session, DIODE_SESSION_A_SLOT))
		fprintf(f, "  session %s:\n",
			slot_text(session->slot, buf, sizeof(buf)));
	else
		fputs("  session:\n", f);
	if (session_has(session, DIODE_SESSION_A_TAG))
		fprintf(f, "    tag: 0x%04x\n", session->tag);
	if (session_has(session, DIODE_SESSION_A_CREATED)) {
		format_time_ns(session->created, buf);
		fprintf(f, "    created: %s\n", buf);
	}
	if (session_has(session, DIODE_SESSION_A_EPHEMERAL)) {
		key_to_base64(session->ephemeral, key);
		fprintf(f, "    ephemeral key: %s\n", key);
	}
	if (session_has(session, DIODE_SESSION_A_COUNTER))
		fprintf(f, "    counter: %" PRIu64 "\n", session->counter);
}

/* The JSON key of a counter, with spaces: "rx unknown session: 3". */
static void print_stat_text(FILE *f, const struct device_stat *stat)
{
	char buf[32];
	const char *c;

	fputs("    ", f);
	for (c = stat_key(stat->type, buf, sizeof(buf)); *c; c++)
		fputc(*c == '_' ? ' ' : *c, f);
	fprintf(f, ": %" PRIu64 "\n", stat->value);
}

void show_device_text(FILE *f, const struct device *dev)
{
	char text[SETTING_TEXT_SIZE];
	setting_format_t format;
	unsigned int i;

	fputs("interface: ", f);
	text_write_safe(f, dev->ifname);
	fputc('\n', f);
	for (i = 0; i < settings_count; i++) {
		const struct setting *s = &settings[i];

		format = s->show_format ? s->show_format : s->format;
		if (s->label && device_has(dev, s->attr) &&
		    format(dev, s, text))
			fprintf(f, "  %s: %s\n", s->label, text);
	}
	for (i = 0; i < dev->n_sessions; i++)
		print_session_text(f, &dev->sessions[i]);
	if (dev->n_stats)
		fputs("  statistics:\n", f);
	for (i = 0; i < dev->n_stats; i++)
		print_stat_text(f, &dev->stats[i]);
}

static void json_optional_u64(struct json_writer *j, const char *name,
			      bool present, uint64_t value)
{
	if (present)
		json_u64(j, name, value);
	else
		json_null(j, name);
}

static void print_session_json(struct json_writer *j,
			       const struct device_session *session)
{
	bool has_created = session_has(session, DIODE_SESSION_A_CREATED);
	char buf[FORMAT_TIME_SIZE], key[KEY_BASE64_SIZE];

	json_open(j, NULL, '{');
	json_string(j, "slot", session_has(session, DIODE_SESSION_A_SLOT) ?
		    slot_text(session->slot, buf, sizeof(buf)) : NULL);
	json_optional_u64(j, "tag", session_has(session, DIODE_SESSION_A_TAG),
			  session->tag);
	if (has_created)
		format_time_ns(session->created, buf);
	json_string(j, "created", has_created ? buf : NULL);
	json_optional_u64(j, "created_ns", has_created, session->created);
	if (session_has(session, DIODE_SESSION_A_EPHEMERAL))
		key_to_base64(session->ephemeral, key);
	json_string(j, "ephemeral_key",
		    session_has(session, DIODE_SESSION_A_EPHEMERAL) ?
		    key : NULL);
	json_optional_u64(j, "counter",
			  session_has(session, DIODE_SESSION_A_COUNTER),
			  session->counter);
	json_close(j, '}');
}

void show_device_json(struct json_writer *j, const struct device *dev)
{
	unsigned int i;
	char buf[32];

	json_open(j, NULL, '{');
	json_string(j, "interface", dev->ifname);
	json_optional_u64(j, "ifindex", device_has(dev, DIODE_A_IFINDEX),
			  dev->ifindex);
	for (i = 0; i < settings_count; i++) {
		if (settings[i].json)
			settings[i].json(j, dev, &settings[i]);
	}
	json_open(j, "sessions", '[');
	for (i = 0; i < dev->n_sessions; i++)
		print_session_json(j, &dev->sessions[i]);
	json_close(j, ']');
	json_open(j, "stats", '{');
	for (i = 0; i < dev->n_stats; i++)
		json_u64(j, stat_key(dev->stats[i].type, buf, sizeof(buf)),
			 dev->stats[i].value);
	json_close(j, '}');
	json_close(j, '}');
}

static const char *const show_fields[] = { "mode", "rx-mark", "statistics" };

bool show_field_known(const char *field)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(show_fields); i++) {
		if (!strcmp(field, show_fields[i]))
			return true;
	}
	return false;
}

int show_device_field(FILE *f, const struct device *dev, const char *field,
		      struct parse_error *e)
{
	const struct setting *mode = setting_by_attr(DIODE_A_MODE);
	char buf[SETTING_TEXT_SIZE];
	unsigned int i;

	if (!strcmp(field, "mode")) {
		if (!device_has(dev, DIODE_A_MODE))
			return parse_fail(e, "the diode module did not report the mode");
		mode->show_format(dev, mode, buf);
		fprintf(f, "%s\n", buf);
		return 0;
	}
	if (!strcmp(field, "statistics")) {
		for (i = 0; i < dev->n_stats; i++)
			fprintf(f, "%s %" PRIu64 "\n",
				stat_key(dev->stats[i].type, buf, sizeof(buf)),
				dev->stats[i].value);
		return 0;
	}
	if (strcmp(field, "rx-mark"))
		return parse_fail(e, "unknown field '%s'", field);
	if (!device_has(dev, DIODE_A_RX_MARK)) {
		if (device_has(dev, DIODE_A_MODE) && dev->mode != DIODE_MODE_RX) {
			mode->show_format(dev, mode, buf);
			return parse_fail(e, "no rx-mark: only a receiver (mode rx) has one, and this device is in mode %s",
					  buf);
		}
		return parse_fail(e, "the diode module does not report an rx-mark (it is older than this diodectl)");
	}
	format_rx_mark(dev->rx_mark_created, dev->rx_mark_counter, buf);
	fprintf(f, "%s\n", buf);
	return 0;
}

struct show {
	FILE *out;
	bool json;
	const char *field;	/* show DEV FIELD: that value alone */
	bool field_failed;
	struct parse_error e;
	struct json_writer writer;
	unsigned int devices;
};

static int show_device_cb(const struct device *dev, void *data)
{
	struct show *show = data;

	if (show->field) {
		if (show_device_field(show->out, dev, show->field, &show->e))
			show->field_failed = true;
	} else if (show->json) {
		show_device_json(&show->writer, dev);
	} else {
		if (show->devices)
			fputc('\n', show->out);
		show_device_text(show->out, dev);
	}
	show->devices++;
	return MNL_CB_OK;
}

/*
 * The output is collected in memory and printed only once the kernel has
 * answered in full, so that a failure never leaves half a JSON document.
 * Returns 0, 1 when the field failed (e says why), or a negative errno,
 * with ipc->error saying why.
 */
static int show_collect(struct ipc *ipc, const char *ifname, bool json,
			const char *field, struct parse_error *e, char **text,
			size_t *size)
{
	struct show show = { .json = json, .field = field };
	int ret;

	show.out = open_memstream(text, size);
	if (!show.out) {
		snprintf(ipc->error, sizeof(ipc->error), "%s", strerror(errno));
		return -errno;
	}
	json_init(&show.writer, show.out);
	if (json)
		json_open(&show.writer, NULL, '[');
	ret = ipc_get_devices(ipc, ifname, show_device_cb, &show);
	if (json)
		json_close(&show.writer, ']');
	if (fclose(show.out) && !ret) {
		ret = -errno;
		snprintf(ipc->error, sizeof(ipc->error), "%s", strerror(errno));
	}
	if (!ret && show.field_failed) {
		*e = show.e;
		ret = 1;
	}
	if (ret) {
		free(*text);
		*text = NULL;
	}
	return ret;
}

#define SHOW_USAGE "usage: diodectl show [DEV] [--json], or diodectl show DEV mode|rx-mark|statistics"

static int show_args(int argc, char *argv[], const char **ifname, bool *json,
		     const char **field)
{
	struct parse_error e;
	int i;

	*ifname = NULL;
	*json = false;
	*field = NULL;
	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			*json = true;
		} else if (argv[i][0] == '-') {
			print_error("show: unknown option '%s' (" SHOW_USAGE ")",
				    argv[i]);
			return -1;
		} else if (!*ifname) {
			if (parse_ifname(argv[i], &e)) {
				print_error("show: %s", e.msg);
				return -1;
			}
			*ifname = argv[i];
		} else if (!*field && show_field_known(argv[i])) {
			*field = argv[i];
		} else {
			print_error("show: unexpected word '%s' (" SHOW_USAGE ")",
				    argv[i]);
			return -1;
		}
	}
	if (*field && *json) {
		print_error("show: --json prints every field; %s alone is plain text (" SHOW_USAGE ")",
			    *field);
		return -1;
	}
	return 0;
}

int cmd_show(int argc, char *argv[])
{
	char context[sizeof("show ") + IFNAMSIZ];
	const char *ifname, *field;
	struct parse_error e;
	char *text = NULL;
	struct ipc ipc;
	size_t size = 0;
	int ret;
	bool json;

	if (show_args(argc, argv, &ifname, &json, &field))
		return 1;
	snprintf(context, sizeof(context), "show%s%s", ifname ? " " : "",
		 ifname ? ifname : "");
	if (ipc_open(&ipc)) {
		print_error("%s: %s", context, ipc.error);
		return 1;
	}
	ret = show_collect(&ipc, ifname, json, field, &e, &text, &size);
	if (ret > 0)
		print_error("%s: %s", context, e.msg);
	else if (ret)
		print_error("%s: %s", context, ipc.error);
	else
		fwrite(text, 1, size, stdout);
	free(text);
	ipc_close(&ipc);
	return ret ? 1 : 0;
}
