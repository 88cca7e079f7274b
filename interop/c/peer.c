/*
 * Interop peer around libsignal-protocol-c 2.3.3 (GPL-3.0, Debian package
 * libsignal-protocol-c-dev). A thin driver: it supplies the crypto provider
 * (OpenSSL 3 EVP), in-memory stores, and speaks the JSON-lines peer protocol
 * of interop/peer on stdin/stdout. Logs go to stderr only.
 *
 * Build: gcc -O2 -o peer peer.c $(pkg-config --cflags --libs libsignal-protocol-c libcjson libcrypto)
 *
 * Randomness: OpenSSL's RAND_bytes, or with init {"seed":hex} a deterministic
 * stream: block i = SHA-256(seed || be64(i)), consumed as one byte stream.
 * Bytes given to the queue_random op are drawn first.
 * Private keys given in requests are clamped on load (the library itself
 * never clamps inside X25519).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/params.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>

#include <cJSON.h>

#include "signal_protocol.h"
#include "curve.h"
#include "key_helper.h"
#include "ratchet.h"
#include "session_builder.h"
#include "session_cipher.h"
#include "session_pre_key.h"
#include "protocol.h"

/* Exported by the library but not declared in its public headers. */
int curve25519_sign(unsigned char *signature_out, const unsigned char *curve25519_privkey,
                    const unsigned char *msg, const unsigned long msg_len,
                    const unsigned char *random);
int generalized_xveddsa_25519_sign(unsigned char *signature_out, const unsigned char *x25519_privkey_scalar,
                                   const unsigned char *msg, const unsigned long msg_len,
                                   const unsigned char *random, const unsigned char *customization_label,
                                   const unsigned long customization_label_len);
int generalized_xveddsa_25519_verify(unsigned char *vrf_out, const unsigned char *signature,
                                     const unsigned char *x25519_pubkey_bytes,
                                     const unsigned char *msg, const unsigned long msg_len,
                                     const unsigned char *customization_label,
                                     const unsigned long customization_label_len);

/* ---------- randomness ---------- */

static int seeded = 0;
static unsigned char seed_buf[256];
static size_t seed_len = 0;
static uint64_t seed_counter = 0;
static unsigned char seed_block[32];
static size_t seed_avail = 0;

/* Bytes queued by the queue_random op, served before any other source. */
static unsigned char *queued = NULL;
static size_t queued_len = 0, queued_off = 0;

static int peer_random(uint8_t *data, size_t len, void *user_data) {
    (void)user_data;
    while (len > 0 && queued_off < queued_len) {
        size_t n = queued_len - queued_off < len ? queued_len - queued_off : len;
        memcpy(data, queued + queued_off, n);
        queued_off += n;
        data += n;
        len -= n;
    }
    if (len == 0) return 0;
    if (!seeded) {
        return RAND_bytes(data, (int)len) == 1 ? 0 : SG_ERR_UNKNOWN;
    }
    while (len > 0) {
        if (seed_avail == 0) {
            unsigned char ctr[8];
            for (int i = 0; i < 8; i++) ctr[i] = (unsigned char)(seed_counter >> (56 - 8 * i));
            seed_counter++;
            EVP_MD_CTX *c = EVP_MD_CTX_new();
            unsigned int outl = 0;
            EVP_DigestInit_ex(c, EVP_sha256(), NULL);
            EVP_DigestUpdate(c, seed_buf, seed_len);
            EVP_DigestUpdate(c, ctr, 8);
            EVP_DigestFinal_ex(c, seed_block, &outl);
            EVP_MD_CTX_free(c);
            seed_avail = 32;
        }
        size_t n = len < seed_avail ? len : seed_avail;
        memcpy(data, seed_block + (32 - seed_avail), n);
        seed_avail -= n;
        data += n;
        len -= n;
    }
    return 0;
}

/* ---------- crypto provider (OpenSSL 3 EVP) ---------- */

static EVP_MAC *hmac_alg = NULL;

static int hmac_init(void **ctx, const uint8_t *key, size_t key_len, void *ud) {
    (void)ud;
    EVP_MAC_CTX *c = EVP_MAC_CTX_new(hmac_alg);
    if (!c) return SG_ERR_NOMEM;
    OSSL_PARAM params[2];
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0);
    params[1] = OSSL_PARAM_construct_end();
    if (EVP_MAC_init(c, key, key_len, params) != 1) {
        EVP_MAC_CTX_free(c);
        return SG_ERR_UNKNOWN;
    }
    *ctx = c;
    return 0;
}

static int hmac_update(void *ctx, const uint8_t *data, size_t len, void *ud) {
    (void)ud;
    return EVP_MAC_update((EVP_MAC_CTX *)ctx, data, len) == 1 ? 0 : SG_ERR_UNKNOWN;
}

static int hmac_final(void *ctx, signal_buffer **out, void *ud) {
    (void)ud;
    unsigned char md[32];
    size_t outl = 0;
    if (EVP_MAC_final((EVP_MAC_CTX *)ctx, md, &outl, sizeof md) != 1) return SG_ERR_UNKNOWN;
    *out = signal_buffer_create(md, outl);
    return *out ? 0 : SG_ERR_NOMEM;
}

static void hmac_cleanup(void *ctx, void *ud) {
    (void)ud;
    EVP_MAC_CTX_free((EVP_MAC_CTX *)ctx);
}

static int sha512_init(void **ctx, void *ud) {
    (void)ud;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c) return SG_ERR_NOMEM;
    if (EVP_DigestInit_ex(c, EVP_sha512(), NULL) != 1) {
        EVP_MD_CTX_free(c);
        return SG_ERR_UNKNOWN;
    }
    *ctx = c;
    return 0;
}

static int sha512_update(void *ctx, const uint8_t *data, size_t len, void *ud) {
    (void)ud;
    return EVP_DigestUpdate((EVP_MD_CTX *)ctx, data, len) == 1 ? 0 : SG_ERR_UNKNOWN;
}

static int sha512_final(void *ctx, signal_buffer **out, void *ud) {
    (void)ud;
    unsigned char md[64];
    unsigned int outl = 0;
    EVP_MD_CTX *c = (EVP_MD_CTX *)ctx;
    if (EVP_DigestFinal_ex(c, md, &outl) != 1) return SG_ERR_UNKNOWN;
    /* the library reuses the context after final */
    if (EVP_DigestInit_ex(c, EVP_sha512(), NULL) != 1) return SG_ERR_UNKNOWN;
    *out = signal_buffer_create(md, outl);
    return *out ? 0 : SG_ERR_NOMEM;
}

static void sha512_cleanup(void *ctx, void *ud) {
    (void)ud;
    EVP_MD_CTX_free((EVP_MD_CTX *)ctx);
}

static const EVP_CIPHER *pick_cipher(int cipher, size_t key_len) {
    if (cipher == SG_CIPHER_AES_CBC_PKCS5) {
        switch (key_len) {
        case 16: return EVP_aes_128_cbc();
        case 24: return EVP_aes_192_cbc();
        case 32: return EVP_aes_256_cbc();
        }
    } else if (cipher == SG_CIPHER_AES_CTR_NOPADDING) {
        switch (key_len) {
        case 16: return EVP_aes_128_ctr();
        case 24: return EVP_aes_192_ctr();
        case 32: return EVP_aes_256_ctr();
        }
    }
    return NULL;
}

static int do_cipher(int enc, signal_buffer **output, int cipher, const uint8_t *key, size_t key_len,
                     const uint8_t *iv, size_t iv_len, const uint8_t *in, size_t in_len) {
    const EVP_CIPHER *evp = pick_cipher(cipher, key_len);
    if (!evp || iv_len != 16) return SG_ERR_INVAL;
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    if (!c) return SG_ERR_NOMEM;
    int rc = SG_ERR_UNKNOWN;
    unsigned char *out = malloc(in_len + 32);
    int l1 = 0, l2 = 0;
    if (!out) { rc = SG_ERR_NOMEM; goto done; }
    if (EVP_CipherInit_ex(c, evp, NULL, key, iv, enc) != 1) goto done;
    EVP_CIPHER_CTX_set_padding(c, cipher == SG_CIPHER_AES_CBC_PKCS5 ? 1 : 0);
    if (EVP_CipherUpdate(c, out, &l1, in, (int)in_len) != 1) goto done;
    if (EVP_CipherFinal_ex(c, out + l1, &l2) != 1) goto done;
    *output = signal_buffer_create(out, (size_t)(l1 + l2));
    rc = *output ? 0 : SG_ERR_NOMEM;
done:
    free(out);
    EVP_CIPHER_CTX_free(c);
    return rc;
}

static int aes_encrypt(signal_buffer **output, int cipher, const uint8_t *key, size_t key_len,
                       const uint8_t *iv, size_t iv_len, const uint8_t *pt, size_t pt_len, void *ud) {
    (void)ud;
    return do_cipher(1, output, cipher, key, key_len, iv, iv_len, pt, pt_len);
}

static int aes_decrypt(signal_buffer **output, int cipher, const uint8_t *key, size_t key_len,
                       const uint8_t *iv, size_t iv_len, const uint8_t *ct, size_t ct_len, void *ud) {
    (void)ud;
    return do_cipher(0, output, cipher, key, key_len, iv, iv_len, ct, ct_len);
}

/* ---------- in-memory stores ---------- */

typedef struct addr_entry {
    char *name;
    size_t name_len;
    int32_t device_id;
    signal_buffer *rec;
    signal_buffer *user;
    struct addr_entry *next;
} addr_entry;

typedef struct id_entry {
    uint32_t id;
    signal_buffer *rec;
    struct id_entry *next;
} id_entry;

static addr_entry *sessions = NULL;
static addr_entry *identities = NULL;
static id_entry *prekeys = NULL;
static id_entry *signed_prekeys = NULL;
static ratchet_identity_key_pair *identity = NULL;
static uint32_t registration_id = 0;
static uint32_t local_device_id = 0;
static signal_context *gctx = NULL;
static signal_protocol_store_context *store = NULL;

static addr_entry **addr_find(addr_entry **head, const signal_protocol_address *a) {
    for (addr_entry **e = head; *e; e = &(*e)->next) {
        if ((*e)->device_id == a->device_id && (*e)->name_len == a->name_len &&
            memcmp((*e)->name, a->name, a->name_len) == 0)
            return e;
    }
    return NULL;
}

static void addr_put(addr_entry **head, const signal_protocol_address *a, const uint8_t *rec, size_t rec_len,
                     const uint8_t *user, size_t user_len) {
    addr_entry **f = addr_find(head, a);
    addr_entry *e;
    if (f) {
        e = *f;
        signal_buffer_free(e->rec);
        signal_buffer_free(e->user);
    } else {
        e = calloc(1, sizeof *e);
        e->name = malloc(a->name_len + 1);
        memcpy(e->name, a->name, a->name_len);
        e->name[a->name_len] = 0;
        e->name_len = a->name_len;
        e->device_id = a->device_id;
        e->next = *head;
        *head = e;
    }
    e->rec = signal_buffer_create(rec, rec_len);
    e->user = user && user_len ? signal_buffer_create(user, user_len) : NULL;
}

static void addr_del(addr_entry **head, const signal_protocol_address *a) {
    addr_entry **f = addr_find(head, a);
    if (!f) return;
    addr_entry *e = *f;
    *f = e->next;
    signal_buffer_free(e->rec);
    signal_buffer_free(e->user);
    free(e->name);
    free(e);
}

static id_entry **id_find(id_entry **head, uint32_t id) {
    for (id_entry **e = head; *e; e = &(*e)->next)
        if ((*e)->id == id) return e;
    return NULL;
}

static void id_put(id_entry **head, uint32_t id, const uint8_t *rec, size_t len) {
    id_entry **f = id_find(head, id);
    id_entry *e;
    if (f) {
        e = *f;
        signal_buffer_free(e->rec);
    } else {
        e = calloc(1, sizeof *e);
        e->id = id;
        e->next = *head;
        *head = e;
    }
    e->rec = signal_buffer_create(rec, len);
}

static void id_del(id_entry **head, uint32_t id) {
    id_entry **f = id_find(head, id);
    if (!f) return;
    id_entry *e = *f;
    *f = e->next;
    signal_buffer_free(e->rec);
    free(e);
}

static int s_load(signal_buffer **record, signal_buffer **user_record, const signal_protocol_address *a, void *ud) {
    (void)ud;
    addr_entry **f = addr_find(&sessions, a);
    if (!f) return 0;
    *record = signal_buffer_copy((*f)->rec);
    if (user_record) *user_record = (*f)->user ? signal_buffer_copy((*f)->user) : NULL;
    return 1;
}

static int s_subdevices(signal_int_list **list, const char *name, size_t name_len, void *ud) {
    (void)ud;
    signal_int_list *l = signal_int_list_alloc();
    for (addr_entry *e = sessions; e; e = e->next)
        if (e->name_len == name_len && memcmp(e->name, name, name_len) == 0)
            signal_int_list_push_back(l, e->device_id);
    *list = l;
    return (int)signal_int_list_size(l);
}

static int s_store(const signal_protocol_address *a, uint8_t *rec, size_t len, uint8_t *user, size_t user_len,
                   void *ud) {
    (void)ud;
    addr_put(&sessions, a, rec, len, user, user_len);
    return 0;
}

static int s_contains(const signal_protocol_address *a, void *ud) {
    (void)ud;
    return addr_find(&sessions, a) ? 1 : 0;
}

static int s_delete(const signal_protocol_address *a, void *ud) {
    (void)ud;
    int had = addr_find(&sessions, a) != NULL;
    addr_del(&sessions, a);
    return had;
}

static int s_delete_all(const char *name, size_t name_len, void *ud) {
    (void)ud;
    int n = 0;
    for (addr_entry **e = &sessions; *e;) {
        if ((*e)->name_len == name_len && memcmp((*e)->name, name, name_len) == 0) {
            addr_entry *d = *e;
            *e = d->next;
            signal_buffer_free(d->rec);
            signal_buffer_free(d->user);
            free(d->name);
            free(d);
            n++;
        } else {
            e = &(*e)->next;
        }
    }
    return n;
}

static int pk_load(signal_buffer **record, uint32_t id, void *ud) {
    (void)ud;
    id_entry **f = id_find(&prekeys, id);
    if (!f) return SG_ERR_INVALID_KEY_ID;
    *record = signal_buffer_copy((*f)->rec);
    return SG_SUCCESS;
}
static int pk_store(uint32_t id, uint8_t *rec, size_t len, void *ud) {
    (void)ud;
    id_put(&prekeys, id, rec, len);
    return 0;
}
static int pk_contains(uint32_t id, void *ud) {
    (void)ud;
    return id_find(&prekeys, id) ? 1 : 0;
}
static int pk_remove(uint32_t id, void *ud) {
    (void)ud;
    id_del(&prekeys, id);
    return 0;
}

static int spk_load(signal_buffer **record, uint32_t id, void *ud) {
    (void)ud;
    id_entry **f = id_find(&signed_prekeys, id);
    if (!f) return SG_ERR_INVALID_KEY_ID;
    *record = signal_buffer_copy((*f)->rec);
    return SG_SUCCESS;
}
static int spk_store(uint32_t id, uint8_t *rec, size_t len, void *ud) {
    (void)ud;
    id_put(&signed_prekeys, id, rec, len);
    return 0;
}
static int spk_contains(uint32_t id, void *ud) {
    (void)ud;
    return id_find(&signed_prekeys, id) ? 1 : 0;
}
static int spk_remove(uint32_t id, void *ud) {
    (void)ud;
    id_del(&signed_prekeys, id);
    return 0;
}

static int ik_get_pair(signal_buffer **pub, signal_buffer **priv, void *ud) {
    (void)ud;
    if (!identity) return SG_ERR_UNKNOWN;
    int rc = ec_public_key_serialize(pub, ratchet_identity_key_pair_get_public(identity));
    if (rc < 0) return rc;
    return ec_private_key_serialize(priv, ratchet_identity_key_pair_get_private(identity));
}
static int ik_get_regid(void *ud, uint32_t *id) {
    (void)ud;
    *id = registration_id;
    return 0;
}
static int ik_save(const signal_protocol_address *a, uint8_t *key, size_t len, void *ud) {
    (void)ud;
    if (key) addr_put(&identities, a, key, len, NULL, 0);
    else addr_del(&identities, a);
    return 0;
}
/* Trust on first use, then only the stored key. */
static int ik_trusted(const signal_protocol_address *a, uint8_t *key, size_t len, void *ud) {
    (void)ud;
    addr_entry **f = addr_find(&identities, a);
    if (!f) return 1;
    signal_buffer *b = (*f)->rec;
    return signal_buffer_len(b) == len && memcmp(signal_buffer_data(b), key, len) == 0;
}

static void log_fn(int level, const char *msg, size_t len, void *ud) {
    (void)ud;
    fprintf(stderr, "c-peer log[%d]: %.*s\n", level, (int)len, msg);
}

/* ---------- helpers ---------- */

static char err_buf[512];

static const char *sg_err_name(int rc) {
    switch (rc) {
    case SG_ERR_NOMEM: return "SG_ERR_NOMEM";
    case SG_ERR_INVAL: return "SG_ERR_INVAL";
    case SG_ERR_UNKNOWN: return "SG_ERR_UNKNOWN";
    case SG_ERR_DUPLICATE_MESSAGE: return "SG_ERR_DUPLICATE_MESSAGE";
    case SG_ERR_INVALID_KEY: return "SG_ERR_INVALID_KEY";
    case SG_ERR_INVALID_KEY_ID: return "SG_ERR_INVALID_KEY_ID";
    case SG_ERR_INVALID_MAC: return "SG_ERR_INVALID_MAC";
    case SG_ERR_INVALID_MESSAGE: return "SG_ERR_INVALID_MESSAGE";
    case SG_ERR_INVALID_VERSION: return "SG_ERR_INVALID_VERSION";
    case SG_ERR_LEGACY_MESSAGE: return "SG_ERR_LEGACY_MESSAGE";
    case SG_ERR_NO_SESSION: return "SG_ERR_NO_SESSION";
    case SG_ERR_STALE_KEY_EXCHANGE: return "SG_ERR_STALE_KEY_EXCHANGE";
    case SG_ERR_UNTRUSTED_IDENTITY: return "SG_ERR_UNTRUSTED_IDENTITY";
    case SG_ERR_VRF_SIG_VERIF_FAILED: return "SG_ERR_VRF_SIG_VERIF_FAILED";
    case SG_ERR_INVALID_PROTO_BUF: return "SG_ERR_INVALID_PROTO_BUF";
    }
    return "error";
}

static const char *fail(const char *what, int rc) {
    snprintf(err_buf, sizeof err_buf, "%s: %s (%d)", what, sg_err_name(rc), rc);
    return err_buf;
}

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* get_hex decodes field name of obj. Returns 1 if present (and valid), 0 if
 * absent/null, -1 if malformed. *out is malloc'd (at least 1 byte). */
static int get_hex(const cJSON *obj, const char *name, unsigned char **out, size_t *out_len) {
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, name);
    *out = NULL;
    *out_len = 0;
    if (!f || cJSON_IsNull(f)) return 0;
    if (!cJSON_IsString(f)) return -1;
    const char *s = f->valuestring;
    size_t n = strlen(s);
    if (n % 2) return -1;
    unsigned char *b = malloc(n / 2 + 1);
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(b);
            return -1;
        }
        b[i] = (unsigned char)(hi << 4 | lo);
    }
    *out = b;
    *out_len = n / 2;
    return 1;
}

static void put_hex(cJSON *obj, const char *name, const unsigned char *b, size_t n) {
    char *s = malloc(2 * n + 1);
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = digits[b[i] >> 4];
        s[2 * i + 1] = digits[b[i] & 15];
    }
    s[2 * n] = 0;
    cJSON_AddStringToObject(obj, name, s);
    free(s);
}

static void put_buf(cJSON *obj, const char *name, signal_buffer *b) {
    put_hex(obj, name, signal_buffer_data(b), signal_buffer_len(b));
}

static int get_u32(const cJSON *obj, const char *name, uint32_t *out) {
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!f || !cJSON_IsNumber(f)) return 0;
    *out = (uint32_t)f->valuedouble;
    return 1;
}

static int get_bool(const cJSON *obj, const char *name) {
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, name));
}

static void clamp(unsigned char *k) {
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
}

/* make_key_pair: from a 32-byte private key (clamped) or freshly generated. */
static int make_key_pair(const unsigned char *priv32, ec_key_pair **kp) {
    if (!priv32) return curve_generate_key_pair(gctx, kp);
    unsigned char k[32];
    memcpy(k, priv32, 32);
    clamp(k);
    ec_private_key *priv = NULL;
    ec_public_key *pub = NULL;
    int rc = curve_decode_private_point(&priv, k, 32, gctx);
    if (rc < 0) return rc;
    rc = curve_generate_public_key(&pub, priv);
    if (rc < 0) {
        SIGNAL_UNREF(priv);
        return rc;
    }
    rc = ec_key_pair_create(kp, pub, priv);
    SIGNAL_UNREF(pub);
    SIGNAL_UNREF(priv);
    return rc;
}

static int decode_pub(const cJSON *obj, const char *name, ec_public_key **out, const char **err) {
    unsigned char *b;
    size_t n;
    if (get_hex(obj, name, &b, &n) != 1 || n != 33) {
        free(b);
        snprintf(err_buf, sizeof err_buf, "%s: missing or not a 33-byte hex key", name);
        *err = err_buf;
        return -1;
    }
    int rc = curve_decode_point(out, b, n, gctx);
    free(b);
    if (rc < 0) {
        *err = fail(name, rc);
        return -1;
    }
    return 0;
}

static int get_address(const cJSON *req, signal_protocol_address *a, const char **err) {
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(req, "name");
    uint32_t dev = 0;
    if (!cJSON_IsString(n) || !get_u32(req, "device_id", &dev)) {
        *err = "name and device_id required";
        return -1;
    }
    a->name = n->valuestring;
    a->name_len = strlen(n->valuestring);
    a->device_id = (int32_t)dev;
    return 0;
}

/* ---------- sender keys (group ops) ----------
 *
 * Sender-key records are kept per (group, sender address) in an addr_entry
 * list whose name is "group|sender name". The library speaks the legacy
 * sender-key layout (messages without a distribution id); "group" is any
 * string naming the group. These ops need no init (sender keys carry their
 * own signing keys).
 */
#include "group_session_builder.h"
#include "group_cipher.h"

static addr_entry *sender_keys = NULL;

static int skn_addr(const signal_protocol_sender_key_name *n, signal_protocol_address *a, char *buf, size_t cap) {
    if (n->group_id_len + 1 + n->sender.name_len > cap) return -1;
    memcpy(buf, n->group_id, n->group_id_len);
    buf[n->group_id_len] = '|';
    memcpy(buf + n->group_id_len + 1, n->sender.name, n->sender.name_len);
    a->name = buf;
    a->name_len = n->group_id_len + 1 + n->sender.name_len;
    a->device_id = n->sender.device_id;
    return 0;
}

static int sk_store(const signal_protocol_sender_key_name *n, uint8_t *rec, size_t len, uint8_t *user,
                    size_t user_len, void *ud) {
    (void)ud;
    char buf[1024];
    signal_protocol_address a;
    if (skn_addr(n, &a, buf, sizeof buf) < 0) return SG_ERR_INVAL;
    addr_put(&sender_keys, &a, rec, len, user, user_len);
    return 0;
}

static int sk_load(signal_buffer **record, signal_buffer **user_record, const signal_protocol_sender_key_name *n,
                   void *ud) {
    (void)ud;
    char buf[1024];
    signal_protocol_address a;
    if (skn_addr(n, &a, buf, sizeof buf) < 0) return SG_ERR_INVAL;
    addr_entry **f = addr_find(&sender_keys, &a);
    if (!f) return 0;
    *record = signal_buffer_copy((*f)->rec);
    if (user_record) *user_record = (*f)->user ? signal_buffer_copy((*f)->user) : NULL;
    return 1;
}

static int get_sender_key_name(const cJSON *req, signal_protocol_sender_key_name *n, const char **err) {
    const cJSON *g = cJSON_GetObjectItemCaseSensitive(req, "group");
    if (!cJSON_IsString(g) || g->valuestring[0] == 0) {
        *err = "group required";
        return -1;
    }
    if (get_address(req, &n->sender, err) < 0) return -1;
    n->group_id = g->valuestring;
    n->group_id_len = strlen(g->valuestring);
    return 0;
}

/* group_create {group, name, device_id}: the distribution message of our
 * own sender key (name, device_id) for group, created if needed. */
static const char *op_group_create(const cJSON *req, cJSON *res) {
    signal_protocol_sender_key_name n;
    const char *err = NULL;
    if (get_sender_key_name(req, &n, &err) < 0) return err;
    group_session_builder *b = NULL;
    sender_key_distribution_message *m = NULL;
    int rc = group_session_builder_create(&b, store, gctx);
    if (rc >= 0) rc = group_session_builder_create_session(b, &m, &n);
    if (rc < 0) err = fail("group_session_builder_create_session", rc);
    else put_buf(res, "skdm", ciphertext_message_get_serialized((ciphertext_message *)m));
    SIGNAL_UNREF(m);
    if (b) group_session_builder_free(b);
    return err;
}

/* group_process {group, name, device_id, skdm}: store the sender key of
 * (name, device_id) for group. */
static const char *op_group_process(const cJSON *req, cJSON *res) {
    (void)res;
    signal_protocol_sender_key_name n;
    const char *err = NULL;
    if (get_sender_key_name(req, &n, &err) < 0) return err;
    unsigned char *d = NULL;
    size_t dn = 0;
    if (get_hex(req, "skdm", &d, &dn) != 1) return "skdm required";
    sender_key_distribution_message *m = NULL;
    group_session_builder *b = NULL;
    int rc = sender_key_distribution_message_deserialize(&m, d, dn, gctx);
    free(d);
    if (rc >= 0) rc = group_session_builder_create(&b, store, gctx);
    if (rc >= 0) rc = group_session_builder_process_session(b, &n, m);
    if (rc < 0) err = fail("group_session_builder_process_session", rc);
    SIGNAL_UNREF(m);
    if (b) group_session_builder_free(b);
    return err;
}

/* group_encrypt {group, name, device_id, plaintext}: a SenderKeyMessage
 * from our own sender key (name, device_id). */
static const char *op_group_encrypt(const cJSON *req, cJSON *res) {
    signal_protocol_sender_key_name n;
    const char *err = NULL;
    if (get_sender_key_name(req, &n, &err) < 0) return err;
    unsigned char *pt = NULL;
    size_t pn = 0;
    if (get_hex(req, "plaintext", &pt, &pn) < 0) return "plaintext: bad hex";
    group_cipher *c = NULL;
    ciphertext_message *m = NULL;
    int rc = group_cipher_create(&c, store, &n, gctx);
    if (rc >= 0) rc = group_cipher_encrypt(c, pt ? pt : (unsigned char *)"", pn, &m);
    free(pt);
    if (rc < 0) err = fail("group_cipher_encrypt", rc);
    else put_buf(res, "body", ciphertext_message_get_serialized(m));
    SIGNAL_UNREF(m);
    if (c) group_cipher_free(c);
    return err;
}

/* group_decrypt {group, name, device_id, body}: decrypt a SenderKeyMessage
 * from (name, device_id). */
static const char *op_group_decrypt(const cJSON *req, cJSON *res) {
    signal_protocol_sender_key_name n;
    const char *err = NULL;
    if (get_sender_key_name(req, &n, &err) < 0) return err;
    unsigned char *d = NULL;
    size_t dn = 0;
    if (get_hex(req, "body", &d, &dn) != 1) return "body required";
    sender_key_message *m = NULL;
    group_cipher *c = NULL;
    signal_buffer *pt = NULL;
    int rc = sender_key_message_deserialize(&m, d, dn, gctx);
    free(d);
    if (rc >= 0) rc = group_cipher_create(&c, store, &n, gctx);
    if (rc >= 0) rc = group_cipher_decrypt(c, m, NULL, &pt);
    if (rc < 0) err = fail("group_cipher_decrypt", rc);
    else put_buf(res, "plaintext", pt);
    signal_buffer_free(pt);
    SIGNAL_UNREF(m);
    if (c) group_cipher_free(c);
    return err;
}

/* ---------- continuation: export_state (issue #19) ----------
 *
 * export_state -> {identity_key_pair, registration_id, device_id, sessions,
 * identities: [{name, device_id, record}], prekeys, signed_prekeys: [{id,
 * record}], kyber_prekeys: [], sender_keys: [{group, name, device_id,
 * record}]}: the bytes the library handed the store callbacks (sessions in
 * its legacy session layout, the rest in libsignal's), and the identity key
 * pair as ratchet_identity_key_pair_serialize writes it. See
 * interop/peer/records.go.
 */
static void put_addr_list(cJSON *res, const char *field, addr_entry *head, int sender_keys_list) {
    cJSON *arr = cJSON_AddArrayToObject(res, field);
    for (addr_entry *e = head; e; e = e->next) {
        cJSON *o = cJSON_CreateObject();
        const char *name = e->name;
        if (sender_keys_list) {
            /* name is "group|sender name" (skn_addr) */
            const char *bar = strchr(e->name, '|');
            if (!bar) {
                cJSON_Delete(o);
                continue;
            }
            char *g = malloc((size_t)(bar - e->name) + 1);
            memcpy(g, e->name, (size_t)(bar - e->name));
            g[bar - e->name] = 0;
            cJSON_AddStringToObject(o, "group", g);
            free(g);
            name = bar + 1;
        }
        cJSON_AddStringToObject(o, "name", name);
        cJSON_AddNumberToObject(o, "device_id", e->device_id);
        put_buf(o, "record", e->rec);
        cJSON_AddItemToArray(arr, o);
    }
}

static void put_id_list(cJSON *res, const char *field, id_entry *head) {
    cJSON *arr = cJSON_AddArrayToObject(res, field);
    for (id_entry *e = head; e; e = e->next) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", e->id);
        put_buf(o, "record", e->rec);
        cJSON_AddItemToArray(arr, o);
    }
}

static const char *op_export_state(const cJSON *req, cJSON *res) {
    (void)req;
    signal_buffer *b = NULL;
    int rc = ratchet_identity_key_pair_serialize(&b, identity);
    if (rc < 0) return fail("ratchet_identity_key_pair_serialize", rc);
    put_buf(res, "identity_key_pair", b);
    signal_buffer_free(b);
    cJSON_AddNumberToObject(res, "registration_id", registration_id);
    cJSON_AddNumberToObject(res, "device_id", local_device_id);
    put_addr_list(res, "sessions", sessions, 0);
    put_addr_list(res, "identities", identities, 0);
    put_id_list(res, "prekeys", prekeys);
    put_id_list(res, "signed_prekeys", signed_prekeys);
    cJSON_AddArrayToObject(res, "kyber_prekeys");
    put_addr_list(res, "sender_keys", sender_keys, 1);
    return NULL;
}

/* ---------- ops ---------- */

static uint32_t next_prekey_id = 0;

static const char *op_init(const cJSON *req, cJSON *res) {
    unsigned char *seed = NULL, *priv = NULL;
    size_t seed_n = 0, priv_n = 0;
    int rc;
    if (get_hex(req, "seed", &seed, &seed_n) == 1) {
        if (seed_n > sizeof seed_buf) seed_n = sizeof seed_buf;
        memcpy(seed_buf, seed, seed_n);
        seed_len = seed_n;
        seeded = 1;
        seed_counter = 0;
        seed_avail = 0;
    }
    free(seed);
    get_u32(req, "registration_id", &registration_id);
    get_u32(req, "device_id", &local_device_id);
    if (identity) SIGNAL_UNREF(identity);
    int hp = get_hex(req, "identity_private", &priv, &priv_n);
    if (hp < 0 || (hp == 1 && priv_n != 32)) {
        free(priv);
        return "identity_private must be 32 bytes hex";
    }
    if (hp == 1) {
        ec_key_pair *kp = NULL;
        rc = make_key_pair(priv, &kp);
        free(priv);
        if (rc < 0) return fail("identity key", rc);
        rc = ratchet_identity_key_pair_create(&identity, ec_key_pair_get_public(kp), ec_key_pair_get_private(kp));
        SIGNAL_UNREF(kp);
    } else {
        rc = signal_protocol_key_helper_generate_identity_key_pair(&identity, gctx);
    }
    if (rc < 0) return fail("identity key", rc);
    signal_buffer *pub = NULL;
    ec_public_key_serialize(&pub, ratchet_identity_key_pair_get_public(identity));
    put_buf(res, "identity_public", pub);
    signal_buffer_free(pub);
    return NULL;
}

static const char *op_bundle(const cJSON *req, cJSON *res) {
    uint32_t spk_id = 0, device_id = local_device_id;
    get_u32(req, "signed_prekey_id", &spk_id);
    unsigned char *priv = NULL;
    size_t priv_n = 0;
    int hp = get_hex(req, "signed_prekey_private", &priv, &priv_n);
    if (hp < 0 || (hp == 1 && priv_n != 32)) {
        free(priv);
        return "signed_prekey_private must be 32 bytes hex";
    }
    ec_key_pair *spk = NULL;
    int rc = make_key_pair(hp == 1 ? priv : NULL, &spk);
    free(priv);
    if (rc < 0) return fail("signed prekey", rc);
    signal_buffer *spk_pub = NULL, *sig = NULL, *ik = NULL;
    ec_public_key_serialize(&spk_pub, ec_key_pair_get_public(spk));
    rc = curve_calculate_signature(gctx, &sig, ratchet_identity_key_pair_get_private(identity),
                                   signal_buffer_data(spk_pub), signal_buffer_len(spk_pub));
    if (rc < 0) {
        signal_buffer_free(spk_pub);
        SIGNAL_UNREF(spk);
        return fail("sign signed prekey", rc);
    }
    session_signed_pre_key *rec = NULL;
    rc = session_signed_pre_key_create(&rec, spk_id, (uint64_t)time(NULL) * 1000, spk, signal_buffer_data(sig),
                                       signal_buffer_len(sig));
    if (rc >= 0) rc = signal_protocol_signed_pre_key_store_key(store, rec);
    SIGNAL_UNREF(rec);
    SIGNAL_UNREF(spk);
    if (rc < 0) {
        signal_buffer_free(spk_pub);
        signal_buffer_free(sig);
        return fail("store signed prekey", rc);
    }
    ec_public_key_serialize(&ik, ratchet_identity_key_pair_get_public(identity));
    cJSON_AddNumberToObject(res, "registration_id", registration_id);
    cJSON_AddNumberToObject(res, "device_id", device_id);
    put_buf(res, "identity_key", ik);
    cJSON_AddNumberToObject(res, "signed_prekey_id", spk_id);
    put_buf(res, "signed_prekey", spk_pub);
    put_buf(res, "signed_prekey_signature", sig);
    signal_buffer_free(ik);
    signal_buffer_free(spk_pub);
    signal_buffer_free(sig);
    if (get_bool(req, "one_time")) {
        uint32_t id = next_prekey_id + 1;
        get_u32(req, "prekey_id", &id);
        next_prekey_id = id;
        hp = get_hex(req, "prekey_private", &priv, &priv_n);
        if (hp < 0 || (hp == 1 && priv_n != 32)) {
            free(priv);
            return "prekey_private must be 32 bytes hex";
        }
        ec_key_pair *pk = NULL;
        rc = make_key_pair(hp == 1 ? priv : NULL, &pk);
        free(priv);
        if (rc < 0) return fail("prekey", rc);
        session_pre_key *prec = NULL;
        rc = session_pre_key_create(&prec, id, pk);
        if (rc >= 0) rc = signal_protocol_pre_key_store_key(store, prec);
        SIGNAL_UNREF(prec);
        if (rc < 0) {
            SIGNAL_UNREF(pk);
            return fail("store prekey", rc);
        }
        signal_buffer *pkb = NULL;
        ec_public_key_serialize(&pkb, ec_key_pair_get_public(pk));
        cJSON_AddNumberToObject(res, "prekey_id", id);
        put_buf(res, "prekey", pkb);
        signal_buffer_free(pkb);
        SIGNAL_UNREF(pk);
    }
    return NULL;
}

static const char *op_process_bundle(const cJSON *req, cJSON *res) {
    (void)res;
    signal_protocol_address addr;
    const char *err = NULL;
    if (get_address(req, &addr, &err) < 0) return err;
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(req, "bundle");
    if (!cJSON_IsObject(b)) return "bundle required";
    uint32_t reg = 0, dev = 0, spk_id = 0, pk_id = 0;
    get_u32(b, "registration_id", &reg);
    get_u32(b, "device_id", &dev);
    get_u32(b, "signed_prekey_id", &spk_id);
    int has_pk = get_u32(b, "prekey_id", &pk_id);
    ec_public_key *ik = NULL, *spk = NULL, *pk = NULL;
    unsigned char *sig = NULL;
    size_t sig_n = 0;
    session_pre_key_bundle *bundle = NULL;
    session_builder *builder = NULL;
    int rc;
    if (decode_pub(b, "identity_key", &ik, &err) < 0) goto out;
    if (decode_pub(b, "signed_prekey", &spk, &err) < 0) goto out;
    if (has_pk && decode_pub(b, "prekey", &pk, &err) < 0) goto out;
    if (get_hex(b, "signed_prekey_signature", &sig, &sig_n) != 1) {
        err = "signed_prekey_signature required";
        goto out;
    }
    rc = session_pre_key_bundle_create(&bundle, reg, (int)dev, has_pk ? pk_id : 0, pk, spk_id, spk, sig, sig_n, ik);
    if (rc < 0) {
        err = fail("session_pre_key_bundle_create", rc);
        goto out;
    }
    rc = session_builder_create(&builder, store, &addr, gctx);
    if (rc < 0) {
        err = fail("session_builder_create", rc);
        goto out;
    }
    rc = session_builder_process_pre_key_bundle(builder, bundle);
    if (rc < 0) err = fail("session_builder_process_pre_key_bundle", rc);
out:
    if (builder) session_builder_free(builder);
    SIGNAL_UNREF(bundle);
    SIGNAL_UNREF(ik);
    SIGNAL_UNREF(spk);
    SIGNAL_UNREF(pk);
    free(sig);
    return err;
}

static const char *op_encrypt(const cJSON *req, cJSON *res) {
    signal_protocol_address addr;
    const char *err = NULL;
    if (get_address(req, &addr, &err) < 0) return err;
    if (signal_protocol_session_contains_session(store, &addr) != 1) return "no session";
    unsigned char *pt = NULL;
    size_t pt_n = 0;
    if (get_hex(req, "plaintext", &pt, &pt_n) < 0) return "plaintext: bad hex";
    session_cipher *cipher = NULL;
    ciphertext_message *msg = NULL;
    int rc = session_cipher_create(&cipher, store, &addr, gctx);
    if (rc >= 0) rc = session_cipher_encrypt(cipher, pt ? pt : (unsigned char *)"", pt_n, &msg);
    free(pt);
    if (rc < 0) {
        err = fail("session_cipher_encrypt", rc);
    } else {
        cJSON_AddNumberToObject(res, "type", ciphertext_message_get_type(msg));
        put_buf(res, "body", ciphertext_message_get_serialized(msg));
    }
    SIGNAL_UNREF(msg);
    if (cipher) session_cipher_free(cipher);
    return err;
}

static const char *op_decrypt(const cJSON *req, cJSON *res) {
    signal_protocol_address addr;
    const char *err = NULL;
    if (get_address(req, &addr, &err) < 0) return err;
    uint32_t type = 0;
    get_u32(req, "type", &type);
    unsigned char *body = NULL;
    size_t body_n = 0;
    if (get_hex(req, "body", &body, &body_n) != 1) {
        free(body);
        return "body required";
    }
    session_cipher *cipher = NULL;
    signal_buffer *pt = NULL;
    int rc = session_cipher_create(&cipher, store, &addr, gctx);
    if (rc < 0) {
        err = fail("session_cipher_create", rc);
    } else if (type == CIPHERTEXT_PREKEY_TYPE) {
        pre_key_signal_message *m = NULL;
        rc = pre_key_signal_message_deserialize(&m, body, body_n, gctx);
        if (rc < 0) err = fail("pre_key_signal_message_deserialize", rc);
        else {
            rc = session_cipher_decrypt_pre_key_signal_message(cipher, m, NULL, &pt);
            if (rc < 0) err = fail("session_cipher_decrypt_pre_key_signal_message", rc);
        }
        SIGNAL_UNREF(m);
    } else if (type == CIPHERTEXT_SIGNAL_TYPE) {
        signal_message *m = NULL;
        rc = signal_message_deserialize(&m, body, body_n, gctx);
        if (rc < 0) err = fail("signal_message_deserialize", rc);
        else {
            rc = session_cipher_decrypt_signal_message(cipher, m, NULL, &pt);
            if (rc < 0) err = fail("session_cipher_decrypt_signal_message", rc);
        }
        SIGNAL_UNREF(m);
    } else {
        err = "unknown message type";
    }
    if (!err) put_buf(res, "plaintext", pt);
    signal_buffer_free(pt);
    free(body);
    if (cipher) session_cipher_free(cipher);
    return err;
}

static const char *op_has_session(const cJSON *req, cJSON *res) {
    signal_protocol_address addr;
    const char *err = NULL;
    if (get_address(req, &addr, &err) < 0) return err;
    cJSON_AddBoolToObject(res, "has", signal_protocol_session_contains_session(store, &addr) == 1);
    return NULL;
}

static const char *op_xeddsa_sign(const cJSON *req, cJSON *res) {
    unsigned char *priv = NULL, *msg = NULL, *rnd = NULL;
    size_t priv_n = 0, msg_n = 0, rnd_n = 0;
    const char *err = NULL;
    if (get_hex(req, "private", &priv, &priv_n) != 1 || priv_n != 32) {
        err = "private must be 32 bytes hex";
        goto out;
    }
    if (get_hex(req, "message", &msg, &msg_n) < 0) {
        err = "message: bad hex";
        goto out;
    }
    int hr = get_hex(req, "random", &rnd, &rnd_n);
    if (hr < 0 || (hr == 1 && rnd_n != 64)) {
        err = "random must be 64 bytes hex";
        goto out;
    }
    clamp(priv);
    unsigned char sig[64];
    unsigned char zr[64];
    if (hr != 1) {
        if (peer_random(zr, 64, NULL) != 0) {
            err = "random failed";
            goto out;
        }
    }
    if (curve25519_sign(sig, priv, msg ? msg : (unsigned char *)"", msg_n, hr == 1 ? rnd : zr) != 0) {
        err = "curve25519_sign failed";
        goto out;
    }
    put_hex(res, "signature", sig, 64);
out:
    if (priv) OPENSSL_cleanse(priv, priv_n);
    free(priv);
    free(msg);
    free(rnd);
    return err;
}

static const char *op_xeddsa_verify(const cJSON *req, cJSON *res) {
    unsigned char *msg = NULL, *sig = NULL;
    size_t msg_n = 0, sig_n = 0;
    ec_public_key *pub = NULL;
    const char *err = NULL;
    if (decode_pub(req, "public", &pub, &err) < 0) goto out;
    if (get_hex(req, "message", &msg, &msg_n) < 0 || get_hex(req, "signature", &sig, &sig_n) < 0) {
        err = "bad hex";
        goto out;
    }
    int v = sig_n == 64 ? curve_verify_signature(pub, msg ? msg : (unsigned char *)"", msg_n, sig, sig_n) : 0;
    cJSON_AddBoolToObject(res, "valid", v == 1);
out:
    SIGNAL_UNREF(pub);
    free(msg);
    free(sig);
    return err;
}

static const char *op_vxeddsa_sign(const cJSON *req, cJSON *res) {
    unsigned char *priv = NULL, *msg = NULL, *rnd = NULL;
    size_t priv_n = 0, msg_n = 0, rnd_n = 0;
    const char *err = NULL;
    if (get_hex(req, "private", &priv, &priv_n) != 1 || priv_n != 32) {
        err = "private must be 32 bytes hex";
        goto out;
    }
    if (get_hex(req, "message", &msg, &msg_n) < 0) {
        err = "message: bad hex";
        goto out;
    }
    int hr = get_hex(req, "random", &rnd, &rnd_n);
    if (hr < 0 || (hr == 1 && rnd_n != 32 && rnd_n != 64)) {
        err = "random must be 32 or 64 bytes hex (the first 32 are used)";
        goto out;
    }
    clamp(priv);
    unsigned char zr[32], sig[96], vrf[32], pub[32];
    if (hr != 1 && peer_random(zr, 32, NULL) != 0) {
        err = "random failed";
        goto out;
    }
    if (generalized_xveddsa_25519_sign(sig, priv, msg ? msg : (unsigned char *)"", msg_n, hr == 1 ? rnd : zr,
                                       NULL, 0) != 0) {
        err = "generalized_xveddsa_25519_sign failed";
        goto out;
    }
    /* compute the VRF output by verifying against our own public key */
    ec_private_key *pk = NULL;
    ec_public_key *pubk = NULL;
    signal_buffer *pb = NULL;
    if (curve_decode_private_point(&pk, priv, 32, gctx) < 0 || curve_generate_public_key(&pubk, pk) < 0 ||
        ec_public_key_serialize(&pb, pubk) < 0) {
        SIGNAL_UNREF(pk);
        SIGNAL_UNREF(pubk);
        err = "public key derivation failed";
        goto out;
    }
    memcpy(pub, signal_buffer_data(pb) + 1, 32);
    signal_buffer_free(pb);
    SIGNAL_UNREF(pk);
    SIGNAL_UNREF(pubk);
    if (generalized_xveddsa_25519_verify(vrf, sig, pub, msg ? msg : (unsigned char *)"", msg_n, NULL, 0) != 0) {
        err = "own VXEdDSA signature did not verify";
        goto out;
    }
    put_hex(res, "signature", sig, 96);
    put_hex(res, "vrf", vrf, 32);
out:
    if (priv) OPENSSL_cleanse(priv, priv_n);
    free(priv);
    free(msg);
    free(rnd);
    return err;
}

/* queue_random {bytes}: the next random draws come from bytes, in order,
 * before the usual source (for replaying transcripts with listed keys).
 * Answers the number of queued bytes not yet drawn. */
static const char *op_queue_random(const cJSON *req, cJSON *res) {
    unsigned char *b = NULL;
    size_t n = 0;
    if (get_hex(req, "bytes", &b, &n) < 0) return "bytes: bad hex";
    size_t left = queued_len - queued_off;
    unsigned char *q = malloc(left + n + 1);
    if (!q) {
        free(b);
        return "out of memory";
    }
    if (left) memcpy(q, queued + queued_off, left);
    if (n) memcpy(q + left, b, n);
    free(b);
    free(queued);
    queued = q;
    queued_len = left + n;
    queued_off = 0;
    cJSON_AddNumberToObject(res, "pending", (double)queued_len);
    return NULL;
}

static const char *op_vxeddsa_verify(const cJSON *req, cJSON *res) {
    unsigned char *pub = NULL, *msg = NULL, *sig = NULL;
    size_t pub_n = 0, msg_n = 0, sig_n = 0;
    const char *err = NULL;
    if (get_hex(req, "public", &pub, &pub_n) != 1 || pub_n != 33 || pub[0] != 0x05) {
        err = "public must be 33 bytes hex (0x05 form)";
        goto out;
    }
    if (get_hex(req, "message", &msg, &msg_n) < 0 || get_hex(req, "signature", &sig, &sig_n) < 0) {
        err = "bad hex";
        goto out;
    }
    unsigned char vrf[32];
    int ok = sig_n == 96 &&
             generalized_xveddsa_25519_verify(vrf, sig, pub + 1, msg ? msg : (unsigned char *)"", msg_n, NULL, 0) == 0;
    cJSON_AddBoolToObject(res, "valid", ok);
    if (ok) put_hex(res, "vrf", vrf, 32);
out:
    free(pub);
    free(msg);
    free(sig);
    return err;
}

/* ---------- main loop ---------- */

static int setup(void) {
    hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!hmac_alg) return -1;
    if (signal_context_create(&gctx, NULL) < 0) return -1;
    signal_crypto_provider provider = {
        .random_func = peer_random,
        .hmac_sha256_init_func = hmac_init,
        .hmac_sha256_update_func = hmac_update,
        .hmac_sha256_final_func = hmac_final,
        .hmac_sha256_cleanup_func = hmac_cleanup,
        .sha512_digest_init_func = sha512_init,
        .sha512_digest_update_func = sha512_update,
        .sha512_digest_final_func = sha512_final,
        .sha512_digest_cleanup_func = sha512_cleanup,
        .encrypt_func = aes_encrypt,
        .decrypt_func = aes_decrypt,
        .user_data = NULL,
    };
    if (signal_context_set_crypto_provider(gctx, &provider) < 0) return -1;
    signal_context_set_log_function(gctx, log_fn);
    if (signal_protocol_store_context_create(&store, gctx) < 0) return -1;
    signal_protocol_session_store ss = {
        .load_session_func = s_load,
        .get_sub_device_sessions_func = s_subdevices,
        .store_session_func = s_store,
        .contains_session_func = s_contains,
        .delete_session_func = s_delete,
        .delete_all_sessions_func = s_delete_all,
    };
    signal_protocol_pre_key_store ps = {
        .load_pre_key = pk_load,
        .store_pre_key = pk_store,
        .contains_pre_key = pk_contains,
        .remove_pre_key = pk_remove,
    };
    signal_protocol_signed_pre_key_store sps = {
        .load_signed_pre_key = spk_load,
        .store_signed_pre_key = spk_store,
        .contains_signed_pre_key = spk_contains,
        .remove_signed_pre_key = spk_remove,
    };
    signal_protocol_identity_key_store iks = {
        .get_identity_key_pair = ik_get_pair,
        .get_local_registration_id = ik_get_regid,
        .save_identity = ik_save,
        .is_trusted_identity = ik_trusted,
    };
    signal_protocol_store_context_set_session_store(store, &ss);
    signal_protocol_store_context_set_pre_key_store(store, &ps);
    signal_protocol_store_context_set_signed_pre_key_store(store, &sps);
    signal_protocol_store_context_set_identity_key_store(store, &iks);
    signal_protocol_sender_key_store sks = {
        .store_sender_key = sk_store,
        .load_sender_key = sk_load,
    };
    signal_protocol_store_context_set_sender_key_store(store, &sks);
    return 0;
}

int main(void) {
    if (setup() < 0) {
        fprintf(stderr, "c-peer: setup failed\n");
        return 1;
    }
    size_t cap = 1 << 16;
    char *line = malloc(cap);
    for (;;) {
        size_t len = 0;
        int c;
        while ((c = getchar()) != EOF && c != '\n') {
            if (len + 1 >= cap) {
                cap *= 2;
                line = realloc(line, cap);
            }
            line[len++] = (char)c;
        }
        if (c == EOF && len == 0) break;
        line[len] = 0;
        cJSON *req = cJSON_Parse(line);
        cJSON *res = cJSON_CreateObject();
        const char *err = NULL;
        int stop = 0;
        const cJSON *op = req ? cJSON_GetObjectItemCaseSensitive(req, "op") : NULL;
        if (!cJSON_IsString(op)) {
            err = "bad request: no op";
        } else {
            const char *o = op->valuestring;
            if (strcmp(o, "shutdown") == 0) stop = 1;
            else if (strcmp(o, "init") == 0) err = op_init(req, res);
            else if (strcmp(o, "xeddsa_sign") == 0) err = op_xeddsa_sign(req, res);
            else if (strcmp(o, "xeddsa_verify") == 0) err = op_xeddsa_verify(req, res);
            else if (strcmp(o, "vxeddsa_sign") == 0) err = op_vxeddsa_sign(req, res);
            else if (strcmp(o, "vxeddsa_verify") == 0) err = op_vxeddsa_verify(req, res);
            else if (strcmp(o, "queue_random") == 0) err = op_queue_random(req, res);
            else if (strcmp(o, "group_create") == 0) err = op_group_create(req, res);
            else if (strcmp(o, "group_process") == 0) err = op_group_process(req, res);
            else if (strcmp(o, "group_encrypt") == 0) err = op_group_encrypt(req, res);
            else if (strcmp(o, "group_decrypt") == 0) err = op_group_decrypt(req, res);
            else if (!identity) err = "not initialized";
            else if (strcmp(o, "bundle") == 0) err = op_bundle(req, res);
            else if (strcmp(o, "process_bundle") == 0) err = op_process_bundle(req, res);
            else if (strcmp(o, "encrypt") == 0) err = op_encrypt(req, res);
            else if (strcmp(o, "decrypt") == 0) err = op_decrypt(req, res);
            else if (strcmp(o, "has_session") == 0) err = op_has_session(req, res);
            else if (strcmp(o, "export_state") == 0) err = op_export_state(req, res);
            else {
                snprintf(err_buf, sizeof err_buf, "unknown op %s", o);
                err = err_buf;
            }
        }
        if (err) {
            cJSON_Delete(res);
            res = cJSON_CreateObject();
            cJSON_AddBoolToObject(res, "ok", 0);
            cJSON_AddStringToObject(res, "error", err);
        } else {
            cJSON_AddBoolToObject(res, "ok", 1);
        }
        char *out = cJSON_PrintUnformatted(res);
        fputs(out, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        free(out);
        cJSON_Delete(res);
        cJSON_Delete(req);
        if (stop) break;
    }
    free(line);
    return 0;
}
