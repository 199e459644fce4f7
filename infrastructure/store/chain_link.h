/* One link of the hash chain, the canonical encoding of domain/audit/chain.py, shared by the two
 * C modules that link events (_chain.c: a batch given by Python; _loader.c: a batch it inserts).
 *
 * h_n = SHA-256(h_{n-1} || id (8) || originator (16) || version (8) || len(topic) (2) || topic ||
 *               len(state) (4) || state), all big-endian. A link in a block is
 * id (8) || originator (16) || version (8) || h_n (32) (chain_blocks.py).
 *
 * Hashing goes through OpenSSL's EVP interface: SHA-256 is fetched once per module
 * (``chain_sha256_fetch`` at import; OpenSSL 3 would otherwise look it up at every init) and each
 * caller keeps one EVP_MD_CTX for a batch, initialised again for each link.
 */
#ifndef MEMESNIPE_CHAIN_LINK_H
#define MEMESNIPE_CHAIN_LINK_H

#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LINK_SIZE 64

/* The module's SHA-256, fetched once (never freed: the module stays loaded with the process). */
static EVP_MD *chain_sha256 = NULL;

/* Fetch SHA-256 for this module; 0, or -1 when OpenSSL has none (the module then fails to import
 * and Python does its work). */
static int chain_sha256_fetch(void) {
    if (chain_sha256 != NULL) return 0;
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
    chain_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
#else
    chain_sha256 = (EVP_MD *)EVP_sha256();
#endif
    return chain_sha256 != NULL ? 0 : -1;
}

static void put_u64(unsigned char *out, uint64_t value) {
    for (int i = 7; i >= 0; i--) {
        out[i] = (unsigned char)(value & 0xFF);
        value >>= 8;
    }
}

static int hex_digit(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* An originator's 32 hex digits as its 16 bytes; 0, or -1 when the text is not that. */
static int parse_originator_hex(const char *text, size_t length, unsigned char *out) {
    if (length != 32) return -1;
    for (int i = 0; i < 16; i++) {
        int high = hex_digit(text[2 * i]), low = hex_digit(text[2 * i + 1]);
        if (high < 0 || low < 0) return -1;
        out[i] = (unsigned char)(high * 16 + low);
    }
    return 0;
}

/* Link one event after ``head`` (updated in place to the event's hash) and write its link, the
 * LINK_SIZE bytes at ``link``; 0, or -1 when OpenSSL fails (``head`` is then undefined). The
 * caller has checked topic_length <= 0xFFFF and state_length <= 0xFFFFFFFF, and that ``link``
 * has LINK_SIZE bytes of room. */
static int chain_link(EVP_MD_CTX *context, unsigned char head[32], uint64_t id, const unsigned char originator[16],
                      uint64_t version, const char *topic, size_t topic_length, const void *state,
                      size_t state_length, unsigned char *link) {
    unsigned char fixed[34], length[4];
    put_u64(fixed, id);
    memcpy(fixed + 8, originator, 16);
    put_u64(fixed + 24, version);
    fixed[32] = (unsigned char)(topic_length >> 8);
    fixed[33] = (unsigned char)(topic_length & 0xFF);
    uint32_t state_size = (uint32_t)state_length;
    length[0] = (unsigned char)(state_size >> 24);
    length[1] = (unsigned char)(state_size >> 16);
    length[2] = (unsigned char)(state_size >> 8);
    length[3] = (unsigned char)state_size;
    unsigned int size = 0;
    if (EVP_DigestInit_ex(context, chain_sha256, NULL) != 1 || EVP_DigestUpdate(context, head, 32) != 1 ||
        EVP_DigestUpdate(context, fixed, sizeof fixed) != 1 ||
        (topic_length && EVP_DigestUpdate(context, topic, topic_length) != 1) ||
        EVP_DigestUpdate(context, length, sizeof length) != 1 ||
        (state_length && EVP_DigestUpdate(context, state, state_length) != 1) ||
        EVP_DigestFinal_ex(context, head, &size) != 1 || size != 32)
        return -1;
    memcpy(link, fixed, 32); /* id, originator, version: the link's first 32 bytes */
    memcpy(link + 32, head, 32);
    return 0;
}

#endif
