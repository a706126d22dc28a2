// SPDX-License-Identifier: GPL-2.0
/*
 * The key schedule of docs/protocol.md: X25519 from the kernel's curve25519
 * library, HKDF-SHA256 on the crypto API's hmac(sha256).
 */
#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <crypto/sha2.h>
#include <linux/string.h>

#include "keys.h"

static const char diode_salt_label[] = "diode v1";
static const char diode_info_label[] = "diode v1 session";

/*
 * Recompute the public key, the static DH result and the salt after the
 * private or the peer key changed. A peer key that yields an all-zero DH
 * result (a low-order point) is refused.
 */
int diode_keys_prepare(struct diode_static_keys *keys, bool sender)
{
	u8 material[sizeof(diode_salt_label) - 1 + 2 * DIODE_KEY_LEN];
	const u8 *tx_pub, *rx_pub;
	size_t off = sizeof(diode_salt_label) - 1;

	keys->ready = false;
	memzero_explicit(keys->static_dh, sizeof(keys->static_dh));
	if (keys->has_private &&
	    !curve25519_generate_public(keys->public_key, keys->private_key))
		return -EINVAL;
	if (!keys->has_private || !keys->has_peer)
		return 0;
	if (!curve25519(keys->static_dh, keys->private_key, keys->peer_key))
		return -EINVAL;

	tx_pub = sender ? keys->public_key : keys->peer_key;
	rx_pub = sender ? keys->peer_key : keys->public_key;
	memcpy(material, diode_salt_label, off);
	memcpy(material + off, tx_pub, DIODE_KEY_LEN);
	memcpy(material + off + DIODE_KEY_LEN, rx_pub, DIODE_KEY_LEN);
	sha256(material, sizeof(material), keys->salt);
	keys->ready = true;
	return 0;
}

/*
 * Whether two sets hold the same configured keys, what is derived from them
 * aside; in constant time, since setting the same key again is no change.
 */
bool diode_keys_equal(const struct diode_static_keys *a,
		      const struct diode_static_keys *b)
{
	return a->has_private == b->has_private && a->has_peer == b->has_peer &&
	       a->has_psk == b->has_psk &&
	       !crypto_memneq(a->private_key, b->private_key, DIODE_KEY_LEN) &&
	       !crypto_memneq(a->peer_key, b->peer_key, DIODE_KEY_LEN) &&
	       !crypto_memneq(a->psk, b->psk, DIODE_KEY_LEN);
}

static int diode_hmac(struct crypto_shash *hmac, const u8 *key,
		      unsigned int key_len, const u8 *const parts[],
		      const unsigned int lens[], unsigned int n, u8 *out)
{
	SHASH_DESC_ON_STACK(desc, hmac);
	unsigned int i;
	int ret;

	ret = crypto_shash_setkey(hmac, key, key_len);
	if (ret)
		return ret;
	desc->tfm = hmac;
	ret = crypto_shash_init(desc);
	for (i = 0; !ret && i < n; i++)
		ret = crypto_shash_update(desc, parts[i], lens[i]);
	if (!ret)
		ret = crypto_shash_final(desc, out);
	shash_desc_zero(desc);
	return ret;
}

/*
 * prk = HKDF-Extract(salt, es || ss || psk)
 * okm = HKDF-Expand(prk, "diode v1 session" || E || tag || created, 36)
 */
int diode_keys_derive(const struct diode_static_keys *keys,
		      const u8 ephemeral_dh[DIODE_KEY_LEN],
		      const u8 ephemeral_pub[DIODE_KEY_LEN], u16 tag, u64 created,
		      struct diode_session_keys *out)
{
	u8 prk[SHA256_DIGEST_SIZE], t1[SHA256_DIGEST_SIZE], t2[SHA256_DIGEST_SIZE];
	__be16 tag_be = cpu_to_be16(tag);
	__be64 created_be = cpu_to_be64(created);
	static const u8 one = 1, two = 2;
	struct crypto_shash *hmac;
	int ret;

	if (!keys->ready)
		return -ENOKEY;
	hmac = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(hmac))
		return PTR_ERR(hmac);

	{
		const u8 *ikm[] = { ephemeral_dh, keys->static_dh, keys->psk };
		const unsigned int ikm_len[] = { DIODE_KEY_LEN, DIODE_KEY_LEN,
						 DIODE_KEY_LEN };

		ret = diode_hmac(hmac, keys->salt, sizeof(keys->salt), ikm,
				 ikm_len, 3, prk);
	}
	if (!ret) {
		const u8 *info[] = { (const u8 *)diode_info_label, ephemeral_pub,
				     (const u8 *)&tag_be, (const u8 *)&created_be,
				     &one };
		const unsigned int info_len[] = { sizeof(diode_info_label) - 1,
						  DIODE_KEY_LEN, sizeof(tag_be),
						  sizeof(created_be), 1 };

		ret = diode_hmac(hmac, prk, sizeof(prk), info, info_len, 5, t1);
	}
	if (!ret) {
		const u8 *info[] = { t1, (const u8 *)diode_info_label,
				     ephemeral_pub, (const u8 *)&tag_be,
				     (const u8 *)&created_be, &two };
		const unsigned int info_len[] = { sizeof(t1),
						  sizeof(diode_info_label) - 1,
						  DIODE_KEY_LEN, sizeof(tag_be),
						  sizeof(created_be), 1 };

		ret = diode_hmac(hmac, prk, sizeof(prk), info, info_len, 6, t2);
	}
	if (!ret) {
		memcpy(out->key, t1, DIODE_KEY_LEN);
		memcpy(out->salt4, t2, DIODE_SALT4_LEN);
	}
	memzero_explicit(prk, sizeof(prk));
	memzero_explicit(t1, sizeof(t1));
	memzero_explicit(t2, sizeof(t2));
	crypto_free_shash(hmac);
	return ret;
}
