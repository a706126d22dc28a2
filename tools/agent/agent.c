// SPDX-License-Identifier: GPL-2.0
/*
 * diode-agent: one channel of a unidirectional gateway. A tx agent takes a
 * protocol on the OT side and sends it through diode0 with the one-way
 * transport; an rx agent rebuilds it on the IT side. chan.c is the channel;
 * syslog.c, mqtt_tx.c and mqtt_rx.c the protocols. See docs/agents.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "conf.h"
#include "file.h"
#include "mqtt.h"
#include "opcua.h"
#include "syslog.h"

int replay_cmd(const char *file, int nranges, char **ranges);

static int status_cmd(const char *file, bool json)
{
	char p[512], b[65536], *s, *e;
	size_t n;
	FILE *f;

	if (conf_load(&chan_cf, file))
		return 1;
	chan_path(&chan_cf, p, sizeof(p), "status");
	f = fopen(p, "r");
	if (!f) {
		fprintf(stderr, "diode-agent: %s: %s\n", p, strerror(errno));
		return 1;
	}
	n = fread(b, 1, sizeof(b) - 1, f);
	fclose(f);
	b[n] = 0;
	/* an agent that died while writing it leaves it empty or cut */
	if (n < 2 || b[0] != '{' || b[n - 2] != '}') {
		fprintf(stderr, "diode-agent: %s: not a whole status (agent not running?)\n", p);
		return 1;
	}
	if (json) {
		fputs(b, stdout);
		return 0;
	}
	/* {"k":v,...} as "k: v" lines */
	for (s = b + 1; *s && *s != '}';) {
		char *colon = strchr(s, ':');

		if (!colon)
			break;
		e = colon + 1;
		if (*e == '"') {
			e = strchr(e + 1, '"');
			if (!e)
				break;
			e++;
		} else
			e += strcspn(e, ",}");
		printf("%.*s: %.*s\n", (int)(colon - s - 2), s + 1,
		       (int)(e - colon - 1 - (colon[1] == '"') * 2), colon + 1 + (colon[1] == '"'));
		s = *e == ',' ? e + 1 : e;
	}
	return 0;
}

static int run(const char *file)
{
	if (conf_load(&chan_cf, file))
		return 1;
	if (chan_cf.protocol == CONF_MQTT)
		return chan_run(chan_cf.tx ? &mqtt_tx_proto : &mqtt_rx_proto);
	if (chan_cf.protocol == CONF_OPCUA)
		return chan_run(chan_cf.tx ? &opcua_tx_proto : &opcua_rx_proto);
	if (chan_cf.protocol == CONF_FILES)
		return chan_run(chan_cf.tx ? &file_tx_proto : &file_rx_proto);
	return chan_run(&syslog_proto);
}

static int usage(void)
{
	fprintf(stderr, "usage: diode-agent run FILE\n"
		"       diode-agent check FILE\n"
		"       diode-agent status [--json] FILE\n"
		"       diode-agent replay FILE FIRST[-LAST]...\n");
	return 2;
}

int main(int argc, char **argv)
{
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "run"))
		return run(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "check"))
		return conf_load(&chan_cf, argv[2]) ? 1 : 0;
	if (argc == 3 && !strcmp(argv[1], "status"))
		return status_cmd(argv[2], false);
	if (argc == 4 && !strcmp(argv[1], "status") && !strcmp(argv[2], "--json"))
		return status_cmd(argv[3], true);
	if (argc >= 4 && !strcmp(argv[1], "replay"))
		return replay_cmd(argv[2], argc - 3, argv + 3);
	return usage();
}

