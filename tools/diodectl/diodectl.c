// SPDX-License-Identifier: GPL-2.0
/*
 * diodectl: configure and inspect diode devices, and make their keys.
 */
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "../../kmod/version.h"
#include "diodectl.h"
#include "keys.h"

static const char usage_text[] =
"Usage: diodectl COMMAND [ARGUMENTS]\n"
"\n"
"Commands:\n"
"  show [DEV] [--json]   show one diode device, or all of them\n"
"  show DEV mode|rx-mark|statistics\n"
"                        print that value alone (rx-mark: a receiver's mark,\n"
"                        as set DEV rx-mark takes it; statistics: NAME VALUE\n"
"                        lines)\n"
"  set DEV [mode tx|rx|none] [private-key FILE|none] [peer PUBKEY|none]\n"
"          [preshared-key FILE|none] [local ADDR[:PORT]|none]\n"
"          [remote ADDR[:PORT]|none] [replay-window N]\n"
"          [rekey-after-time SECONDS]\n"
"          [rekey-after-frames N] [max-session-age SECONDS]\n"
"          [heartbeat-interval MS] [redundancy N] [fec K/M|off]\n"
"          [interleave D] [rate RATE|none] [encap udp|eth]\n"
"          [lower DEV|none] [ethertype N] [dest-mac MAC]\n"
"          [rx-mark CREATED:COUNTER]\n"
"                        change the given settings of DEV, all or nothing\n"
"  setconf DEV FILE      replace the configuration of DEV with a file's\n"
"  addconf DEV FILE      change the settings a file gives, keep the others\n"
"  showconf DEV          print the configuration of DEV as a file, keys\n"
"                        included (needs root)\n"
"  reset-sessions DEV    a receiver forgets its sessions, a sender starts a\n"
"                        new one\n"
"  monitor [DEV]         print \"DEV: carrier on\" or \"off\" as carrier changes\n"
"  genkey                print a new private key (base64)\n"
"  pubkey                read a private key on stdin, print its public key\n"
"  genpsk                print a new preshared key (base64)\n"
"  help                  print this help\n"
"\n"
"FILE is a path, or - for stdin: secret keys never go on the command line;\n"
"none removes a key. ADDR is 192.0.2.1, [2001:db8::1] (a bare IPv6 address\n"
"takes no port), any (0.0.0.0) or [::]; PORT defaults to 51555.\n"
"replay-window: a multiple of 64 from 64 to 65536 (default 8192).\n"
"rekey-after-time: 1 to 604800 seconds (default 120). rekey-after-frames:\n"
"1024 to 4294967296 (default 1073741824). max-session-age: seconds, 0 for\n"
"no limit (default 86400). heartbeat-interval: 100 to 60000 ms, or 500ms,\n"
"2s (default 1000). redundancy: 1 to 8 (default 1). fec: 1 to 32 data and\n"
"1 to 16 parity frames per group, as 16/4, or off (the default).\n"
"interleave: 1 to 16 (default 1). rate: bit/s, with kbit, mbit, gbit or\n"
"tbit (x1000 each), as 100mbit; 0 or none (the default) for no limit.\n"
"encap: udp (the default) or eth, on the lower device; ethertype: 0x0600\n"
"to 0xffff but not IP's, ARP's, VLAN's and others the kernel handles\n"
"(default 0x88b5); dest-mac: default ff:ff:ff:ff:ff:ff. rx-mark: raises a\n"
"receiver's mark, never lowers it: the value show DEV rx-mark printed before\n"
"the receiver restarted, so that it refuses what it delivered then.\n"
"Without a command, diodectl shows all devices.\n"
"Configuration files and everything else: see diodectl(8).\n";

static void print_key(const uint8_t key[DIODE_KEY_LEN])
{
	char text[KEY_BASE64_SIZE];

	key_to_base64(key, text);
	puts(text);
	sodium_memzero(text, sizeof(text));
}

/* As umask 077 would avoid: a new secret in a file others may read. */
static void warn_if_stdout_world_readable(void)
{
	if (file_others_can_read(STDOUT_FILENO))
		print_error("warning: writing a secret key to a file others can read; set umask 077 first");
}

static int cmd_genkey(void)
{
	uint8_t key[DIODE_KEY_LEN];

	warn_if_stdout_world_readable();
	key_generate_private(key);
	print_key(key);
	sodium_memzero(key, sizeof(key));
	return 0;
}

static int cmd_genpsk(void)
{
	uint8_t key[DIODE_KEY_LEN];

	warn_if_stdout_world_readable();
	key_generate_preshared(key);
	print_key(key);
	sodium_memzero(key, sizeof(key));
	return 0;
}

static int cmd_pubkey(void)
{
	uint8_t private_key[DIODE_KEY_LEN], public_key[DIODE_KEY_LEN];
	struct parse_error e;
	int ret;

	ret = key_read_file("pubkey", "-", private_key, &e);
	if (ret)
		print_error("%s", e.msg);
	else if (key_public_from_private(public_key, private_key))
		print_error("pubkey: this private key has no public key");
	else
		print_key(public_key);
	sodium_memzero(private_key, sizeof(private_key));
	return ret ? 1 : 0;
}

static int cmd_help(void)
{
	fputs(usage_text, stdout);
	return 0;
}

static int cmd_version(void)
{
	puts("diodectl " DIODE_VERSION);
	return 0;
}

/* A command has either run (it takes words) or run_alone (it takes none). */
static const struct command {
	const char *name;
	int (*run)(int argc, char *argv[]);
	int (*run_alone)(void);
} commands[] = {
	{ "show", cmd_show, NULL },
	{ "set", cmd_set, NULL },
	{ "setconf", cmd_setconf, NULL },
	{ "addconf", cmd_addconf, NULL },
	{ "showconf", cmd_showconf, NULL },
	{ "reset-sessions", cmd_reset_sessions, NULL },
	{ "monitor", cmd_monitor, NULL },
	{ "genkey", NULL, cmd_genkey },
	{ "pubkey", NULL, cmd_pubkey },
	{ "genpsk", NULL, cmd_genpsk },
	{ "help", NULL, cmd_help },
	{ "--help", NULL, cmd_help },
	{ "-h", NULL, cmd_help },
	{ "--version", NULL, cmd_version },
};

static int run_command(int argc, char *argv[])
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(commands); i++) {
		if (strcmp(argv[0], commands[i].name))
			continue;
		if (commands[i].run)
			return commands[i].run(argc - 1, argv + 1);
		if (argc > 1) {
			print_error("%s: unexpected word '%s' (%s takes no arguments)",
				    argv[0], argv[1], argv[0]);
			return 1;
		}
		return commands[i].run_alone();
	}
	print_error("unknown command '%s' (see diodectl help)", argv[0]);
	return 1;
}

int main(int argc, char *argv[])
{
	int ret;

	if (sodium_init() < 0) {
		print_error("cannot initialise libsodium");
		return 1;
	}
	/* Like wg: no command shows everything. */
	ret = argc > 1 ? run_command(argc - 1, argv + 1) : cmd_show(0, argv);
	if (fflush(stdout) || ferror(stdout)) {
		print_error("cannot write the output: %m");
		return 1;
	}
	return ret;
}
