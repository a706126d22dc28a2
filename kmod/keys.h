/* SPDX-License-Identifier: GPL-2.0 */
/* Static X25519 keys of a device and the session key schedule. */
#ifndef _DIODE_KEYS_H
#define _DIODE_KEYS_H

#include <crypto/curve25519.h>
#include <linux/diode.h>
#include <linux/types.h>

#define DIODE_SALT4_LEN 4

/*
 * The long-term keys of a device and what is derived from them once, when
 * they are configured: the static-static DH result and the HKDF salt.
 */
struct diode_static_keys {
	u8 private_key[DIODE_KEY_LEN];
	u8 public_key[DIODE_KEY_LEN];
	u8 peer_key[DIODE_KEY_LEN];
	u8 psk[DIODE_KEY_LEN];		/* zeros when no PSK is set */
	u8 static_dh[DIODE_KEY_LEN];	/* X25519(private, peer) */
	u8 salt[DIODE_KEY_LEN];		/* SHA-256("diode v1" || P_tx || P_rx) */
	bool has_private, has_peer, has_psk;
	bool ready;			/* static_dh and salt are valid */
};

struct diode_session_keys {
	u8 key[DIODE_KEY_LEN];
	u8 salt4[DIODE_SALT4_LEN];
};

int diode_keys_prepare(struct diode_static_keys *keys, bool sender);
bool diode_keys_equal(const struct diode_static_keys *a,
		      const struct diode_static_keys *b);
int diode_keys_derive(const struct diode_static_keys *keys,
		      const u8 ephemeral_dh[DIODE_KEY_LEN],
		      const u8 ephemeral_pub[DIODE_KEY_LEN], u16 tag, u64 created,
		      struct diode_session_keys *out);

#endif /* _DIODE_KEYS_H */
