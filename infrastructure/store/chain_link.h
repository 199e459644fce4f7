/* One link of the hash chain, the canonical encoding of domain/audit/chain.py, shared by the two
 * C modules that link events (_chain.c: a batch given by Python; _loader.c: a batch it inserts).
 *
 * h_n = SHA-256(h_{n-1} || id (8) || originator (16) || version (8) || len(topic) (2) || topic ||
 *               len(state) (4) || state), all big-endian. A link in a block is
 * id (8) || originator (16) || version (8) || h_n (32) (chain_blocks.py).
 */
#ifndef MEMESNIPE_CHAIN_LINK_H
#define MEMESNIPE_CHAIN_LINK_H

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LINK_SIZE 64

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

/* Link one event after ``head`` (updated in place to the event's hash) and write its link.
 * The caller has checked topic_length <= 0xFFFF and state_length <= 0xFFFFFFFF. */
static void chain_link(unsigned char head[32], uint64_t id, const unsigned char originator[16],
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
    SHA256_CTX context;
    SHA256_Init(&context);
    SHA256_Update(&context, head, 32);
    SHA256_Update(&context, fixed, sizeof fixed);
    SHA256_Update(&context, topic, topic_length);
    SHA256_Update(&context, length, sizeof length);
    if (state_length) SHA256_Update(&context, state, state_length);
    SHA256_Final(head, &context);
    memcpy(link, fixed, 32); /* id, originator, version: the link's first 32 bytes */
    memcpy(link + 32, head, 32);
}

#endif
