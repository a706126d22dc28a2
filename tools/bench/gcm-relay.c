// SPDX-License-Identifier: GPL-2.0
/*
 * gcm-relay: the user-space baseline of the benchmark, the emitter/receiver
 * proxy pair that data diode installations commonly run today. The emitter
 * receives plain UDP datagrams, seals each with AES-256-GCM under a static
 * key and sends it on; the receiver opens, checks replay and forwards the
 * plain datagram to its destination.
 *
 *   gcm-relay emit    LISTEN_ADDR PORT PEER_ADDR PORT --key FILE
 *   gcm-relay receive LISTEN_ADDR PORT DEST_ADDR PORT --key FILE
 *
 * FILE holds the key as 64 hex digits. A frame is a 4-byte random emitter
 * id, a 64-bit big-endian counter (together the 96-bit nonce, and the
 * associated data), the ciphertext and a 16-byte tag: the same 28 bytes of
 * overhead as a diode frame. Both ends run until SIGTERM/SIGINT and then
 * print their counters as one JSON object.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "args.h"

#define BATCH 64
#define KEY_LEN 32
#define HDR_LEN 12
#define TAG_LEN 16
#define MAX_FRAME 65507
#define MAX_PLAIN (MAX_FRAME - HDR_LEN - TAG_LEN)

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "gcm-relay: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void die_crypto(const char *what)
{
	fprintf(stderr, "gcm-relay: OpenSSL failed: %s\n", what);
	exit(1);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: gcm-relay emit LISTEN_ADDR PORT PEER_ADDR PORT --key FILE\n"
		"       gcm-relay receive LISTEN_ADDR PORT DEST_ADDR PORT --key FILE\n");
	exit(2);
}

static void read_key(const char *path, unsigned char key[KEY_LEN])
{
	char hex[2 * KEY_LEN + 2];
	size_t len;
	FILE *f;
	int i;

	f = fopen(path, "r");
	if (!f)
		die(path);
	if (!fgets(hex, sizeof(hex), f))
		hex[0] = 0;
	fclose(f);
	len = strcspn(hex, "\n");
	if (len != 2 * KEY_LEN)
		goto bad;
	for (i = 0; i < KEY_LEN; i++) {
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			goto bad;
		key[i] = b;
	}
	return;
bad:
	fprintf(stderr, "gcm-relay: %s must hold 64 hex digits\n", path);
	exit(2);
}

/* One socket bound to the listening address, one connected to the next hop. */
static void open_sockets(char **addrs, int *in, int *out)
{
	struct sockaddr_storage local, peer;
	socklen_t llen, plen;
	int rcvbuf = 32 << 20;

	llen = bench_parse_addr("gcm-relay", addrs[0], addrs[1], &local);
	plen = bench_parse_addr("gcm-relay", addrs[2], addrs[3], &peer);
	*in = socket(local.ss_family, SOCK_DGRAM, 0);
	*out = socket(peer.ss_family, SOCK_DGRAM, 0);
	if (*in < 0 || *out < 0)
		die("socket");
	/* As deep as the benchmark's sink, so that a relay loses no more
	 * than the kernel paths it is compared with.
	 */
	if (setsockopt(*in, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) &&
	    setsockopt(*in, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)))
		die("SO_RCVBUF");
	if (bind(*in, (struct sockaddr *)&local, llen))
		die("bind");
	if (connect(*out, (struct sockaddr *)&peer, plen))
		die("connect");
}

struct batch {
	struct mmsghdr msgs[BATCH];
	struct iovec iovs[BATCH];
	unsigned char bufs[BATCH][MAX_FRAME];
};

/* Frames to send point into a received batch: nothing is copied. */
struct out_batch {
	struct mmsghdr msgs[BATCH];
	struct iovec iovs[BATCH];
};

static void batch_init(struct batch *b, size_t offset, size_t len)
{
	int i;

	memset(b->msgs, 0, sizeof(b->msgs));
	for (i = 0; i < BATCH; i++) {
		b->iovs[i].iov_base = b->bufs[i] + offset;
		b->iovs[i].iov_len = len;
		b->msgs[i].msg_hdr.msg_iov = &b->iovs[i];
		b->msgs[i].msg_hdr.msg_iovlen = 1;
	}
}

/* Send what is ready; a full queue downstream loses datagrams, as the
 * kernel paths would.
 */
static unsigned long long send_batch(int fd, struct mmsghdr *msgs, int n)
{
	unsigned long long sent = 0;
	int r;

	while (n > 0) {
		r = sendmmsg(fd, msgs, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED) {
				msgs++, n--;
				continue;
			}
			die("sendmmsg");
		}
		sent += r;
		msgs += r;
		n -= r;
	}
	return sent;
}

static void put_be64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = v & 0xff;
}

static uint64_t get_be64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int emit(int in, int out, EVP_CIPHER_CTX *ctx)
{
	static struct batch rx;
	static struct out_batch tx;
	unsigned long long received = 0, sent = 0;
	uint64_t counter = 0;
	unsigned char id[4];
	int n, i, len;

	if (getrandom(id, sizeof(id), 0) != sizeof(id))
		die("getrandom");
	/* Plain datagrams land where their ciphertext goes, after the header. */
	batch_init(&rx, HDR_LEN, MAX_PLAIN);
	while (!stop) {
		n = recvmmsg(in, rx.msgs, BATCH, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("recvmmsg");
		}
		received += n;
		for (i = 0; i < n; i++) {
			unsigned char *frame = rx.bufs[i], *text = frame + HDR_LEN;
			int plain_len = rx.msgs[i].msg_len;

			memcpy(frame, id, sizeof(id));
			put_be64(frame + 4, ++counter);
			if (!EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, frame) ||
			    !EVP_EncryptUpdate(ctx, NULL, &len, frame, HDR_LEN) ||
			    !EVP_EncryptUpdate(ctx, text, &len, text, plain_len) ||
			    !EVP_EncryptFinal_ex(ctx, text + len, &len) ||
			    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
						 text + plain_len))
				die_crypto("seal");
			tx.iovs[i].iov_base = frame;
			tx.iovs[i].iov_len = HDR_LEN + plain_len + TAG_LEN;
			memset(&tx.msgs[i].msg_hdr, 0, sizeof(tx.msgs[i].msg_hdr));
			tx.msgs[i].msg_hdr.msg_iov = &tx.iovs[i];
			tx.msgs[i].msg_hdr.msg_iovlen = 1;
		}
		sent += send_batch(out, tx.msgs, n);
	}
	printf("{\"received\": %llu, \"sent\": %llu}\n", received, sent);
	return 0;
}

/* A 64-frame sliding window per emitter id; a new id starts a new window. */
struct replay {
	unsigned char id[4];
	uint64_t top, bits;
};

static int replay_accept(struct replay *r, const unsigned char *id, uint64_t counter)
{
	if (memcmp(r->id, id, sizeof(r->id))) {
		memcpy(r->id, id, sizeof(r->id));
		r->top = counter;
		r->bits = 1;
		return 1;
	}
	if (counter > r->top) {
		uint64_t shift = counter - r->top;

		r->bits = shift >= 64 ? 1 : r->bits << shift | 1;
		r->top = counter;
		return 1;
	}
	if (r->top - counter >= 64 || r->bits & (1ULL << (r->top - counter)))
		return 0;
	r->bits |= 1ULL << (r->top - counter);
	return 1;
}

static int receive(int in, int out, EVP_CIPHER_CTX *ctx)
{
	static struct batch rx;
	static struct out_batch tx;
	unsigned long long received = 0, sent = 0, bad = 0, replayed = 0;
	struct replay replay = { .top = 0 };
	int n, i, ok, len;

	batch_init(&rx, 0, MAX_FRAME);
	while (!stop) {
		n = recvmmsg(in, rx.msgs, BATCH, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("recvmmsg");
		}
		received += n;
		ok = 0;
		for (i = 0; i < n; i++) {
			unsigned char *frame = rx.bufs[i], *text = frame + HDR_LEN;
			int text_len = (int)rx.msgs[i].msg_len - HDR_LEN - TAG_LEN;

			if (text_len < 0) {
				bad++;
				continue;
			}
			if (!EVP_DecryptInit_ex(ctx, NULL, NULL, NULL, frame) ||
			    !EVP_DecryptUpdate(ctx, NULL, &len, frame, HDR_LEN) ||
			    !EVP_DecryptUpdate(ctx, text, &len, text, text_len) ||
			    !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
						 text + text_len) ||
			    EVP_DecryptFinal_ex(ctx, text + len, &len) <= 0) {
				bad++;
				continue;
			}
			/* Only an authentic counter may move the window. */
			if (!replay_accept(&replay, frame, get_be64(frame + 4))) {
				replayed++;
				continue;
			}
			tx.iovs[ok].iov_base = text;
			tx.iovs[ok].iov_len = text_len;
			memset(&tx.msgs[ok].msg_hdr, 0, sizeof(tx.msgs[ok].msg_hdr));
			tx.msgs[ok].msg_hdr.msg_iov = &tx.iovs[ok];
			tx.msgs[ok].msg_hdr.msg_iovlen = 1;
			ok++;
		}
		sent += send_batch(out, tx.msgs, ok);
	}
	printf("{\"received\": %llu, \"sent\": %llu, \"unauthentic\": %llu, \"replayed\": %llu}\n",
	       received, sent, bad, replayed);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ 0 }
	};
	unsigned char key[KEY_LEN];
	const char *key_file = NULL, *mode;
	struct sigaction sa = { .sa_handler = on_signal };
	EVP_CIPHER_CTX *ctx;
	int in, out, c, encrypt, ret;

	if (argc < 2)
		usage();
	mode = argv[1];
	argc--, argv++;
	while ((c = getopt_long(argc, argv, "k:", opts, NULL)) != -1) {
		if (c != 'k')
			usage();
		key_file = optarg;
	}
	if (argc - optind != 4 || !key_file)
		usage();
	if (!strcmp(mode, "emit"))
		encrypt = 1;
	else if (!strcmp(mode, "receive"))
		encrypt = 0;
	else
		usage();

	read_key(key_file, key);
	open_sockets(argv + optind, &in, &out);
	ctx = EVP_CIPHER_CTX_new();
	/* The key schedule once; each frame then sets only its nonce. */
	if (!ctx || !(encrypt ? EVP_EncryptInit_ex : EVP_DecryptInit_ex)(ctx,
			EVP_aes_256_gcm(), NULL, key, NULL))
		die_crypto("key setup");
	OPENSSL_cleanse(key, sizeof(key));
	/* No SA_RESTART: a signal must interrupt the blocking receive. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	ret = encrypt ? emit(in, out, ctx) : receive(in, out, ctx);
	EVP_CIPHER_CTX_free(ctx);
	return ret;
}
