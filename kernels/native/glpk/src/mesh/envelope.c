/* envelope.c - frames, header, HMAC-SHA256 signing and constant-time verification. */
#include "mesh/envelope.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void mesh_key_set(mesh_key *k, const char *key)
{
    size_t n = key ? strlen(key) : 0;
    k->bytes = malloc(n ? n : 1);
    if (!k->bytes)
        abort();
    if (n)
        memcpy(k->bytes, key, n);
    k->len = n;
}

void mesh_key_clear(mesh_key *k)
{
    if (k->bytes)
        OPENSSL_cleanse(k->bytes, k->len);
    free(k->bytes);
    k->bytes = NULL;
    k->len = 0;
}

static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;
static EVP_MAC *hmac_alg;

static void hmac_fetch(void)
{
    hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

void mesh_sign(const mesh_key *k, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen,
               uint8_t out[MESH_SIG_LEN])
{
    /* HMAC over two parts without concatenating them. The algorithm is fetched once. */
    pthread_once(&hmac_once, hmac_fetch);
    EVP_MAC_CTX *ctx = hmac_alg ? EVP_MAC_CTX_new(hmac_alg) : NULL;
    OSSL_PARAM params[2] = {
        OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
        OSSL_PARAM_construct_end(),
    };
    size_t outl = 0;
    static const uint8_t empty = 0;
    if (!ctx || !EVP_MAC_init(ctx, k->len ? k->bytes : &empty, k->len, params) ||
        !EVP_MAC_update(ctx, a, alen) || !EVP_MAC_update(ctx, b, blen) ||
        !EVP_MAC_final(ctx, out, &outl, MESH_SIG_LEN) || outl != MESH_SIG_LEN) {
        /* cannot happen with a working libcrypto; never produce a valid-looking signature */
        memset(out, 0, MESH_SIG_LEN);
    }
    EVP_MAC_CTX_free(ctx);
}

bool mesh_verify(const mesh_key *k, const uint8_t *sig, size_t siglen, const uint8_t *a,
                 size_t alen, const uint8_t *b, size_t blen)
{
    if (k->len == 0)
        return true; /* unsigned mode: the signature frame is not checked */
    if (siglen != MESH_SIG_LEN)
        return false;
    uint8_t expect[MESH_SIG_LEN];
    mesh_sign(k, a, alen, b, blen, expect);
    return CRYPTO_memcmp(expect, sig, MESH_SIG_LEN) == 0;
}

void mesh_new_id(char out[33])
{
    uint8_t r[16];
    if (RAND_bytes(r, sizeof r) != 1) {
        /* fall back to time + counter; ids only need to be unique */
        static atomic_uint ctr;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t x = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
        unsigned c = atomic_fetch_add(&ctr, 1);
        memcpy(r, &x, 8);
        memcpy(r + 8, &c, sizeof c);
    }
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[r[i] >> 4];
        out[2 * i + 1] = hex[r[i] & 15];
    }
    out[32] = 0;
}

int mesh_frames_push(mesh_frames *fr, mesh_buf *b)
{
    if (!b)
        return -1;
    if (fr->n == fr->cap) {
        size_t nc = fr->cap ? fr->cap * 2 : 8;
        mesh_buf **nf = realloc(fr->f, nc * sizeof *nf);
        if (!nf) {
            mesh_buf_unref(b);
            return -1;
        }
        fr->f = nf;
        fr->cap = nc;
    }
    fr->f[fr->n++] = b;
    return 0;
}

void mesh_frames_clear(mesh_frames *fr)
{
    for (size_t i = 0; i < fr->n; i++)
        mesh_buf_unref(fr->f[i]);
    fr->n = 0;
}

void mesh_frames_free(mesh_frames *fr)
{
    mesh_frames_clear(fr);
    free(fr->f);
    fr->f = NULL;
    fr->cap = 0;
}

int mesh_envelope_encode_bytes(const mesh_key *k, const mesh_header *h, const uint8_t *content,
                               size_t clen, mesh_buf *const *buffers, size_t nbuffers,
                               mesh_frames *out)
{
    mesh_arena *a = mesh_arena_new();
    if (!a)
        return -1;
    int rc = -1;
    mesh_encoder he;
    mesh_encoder_init(&he);
    he.inline_all = true;

    mesh_value *hv = mesh_v_map(a, 5);
    mesh_value *date = (h->date_sec || h->date_nsec) ? mesh_v_timestamp(a, h->date_sec, h->date_nsec)
                                                     : mesh_v_now(a);
    if (!hv || !date || mesh_map_put(a, hv, "id", mesh_v_str(a, h->id)) ||
        mesh_map_put(a, hv, "type", mesh_v_str(a, h->type)) ||
        mesh_map_put(a, hv, "session", mesh_v_str(a, h->session)) ||
        mesh_map_put(a, hv, "date", date) ||
        mesh_map_put(a, hv, "parent_id", mesh_v_str(a, h->parent_id)))
        goto done;
    if (mesh_encode(&he, hv) != 0)
        goto done;

    uint8_t sig[MESH_SIG_LEN];
    size_t siglen = 0;
    if (k->len) {
        mesh_sign(k, he.data, he.size, content, clen, sig);
        siglen = MESH_SIG_LEN;
    }
    if (mesh_frames_push(out, mesh_buf_copy(MESH_TAG, MESH_TAG_LEN)) ||
        mesh_frames_push(out, mesh_buf_copy(sig, siglen)) ||
        mesh_frames_push(out, mesh_buf_copy(he.data, he.size)) ||
        mesh_frames_push(out, mesh_buf_copy(content, clen)))
        goto done;
    for (size_t i = 0; i < nbuffers; i++)
        if (mesh_frames_push(out, mesh_buf_ref(buffers[i])))
            goto done;
    rc = 0;
done:
    mesh_encoder_destroy(&he);
    mesh_arena_free(a);
    return rc;
}

int mesh_envelope_encode(const mesh_key *k, const mesh_header *h, const mesh_value *content,
                         mesh_frames *out)
{
    mesh_encoder ce;
    mesh_encoder_init(&ce);
    int rc = mesh_encode(&ce, content);
    if (rc == 0)
        rc = mesh_envelope_encode_bytes(k, h, ce.data, ce.size, ce.buffers, ce.nbuffers, out);
    mesh_encoder_destroy(&ce);
    return rc;
}

static const char *str_field(const mesh_value *map, const char *key)
{
    const mesh_value *v = mesh_map_get(map, key);
    return v && v->kind == MESH_STR ? v->u.s.ptr : NULL;
}

mesh_rx_status mesh_envelope_decode(const mesh_key *k, mesh_frames *fr, uint64_t max_frame_bytes,
                                    mesh_message *msg, mesh_rx_error *err)
{
    memset(msg, 0, sizeof *msg);
    msg->frames = *fr;
    memset(fr, 0, sizeof *fr);
    err->code = 0;
    err->message[0] = 0;
    mesh_buf **f = msg->frames.f;
    size_t n = msg->frames.n;

    msg->arena = mesh_arena_new();
    if (!msg->arena)
        return MESH_RX_DROP;

    /* 1. frame count and tag */
    if (n > MESH_MAX_MESSAGE_FRAMES)
        return MESH_RX_DROP;
    bool tag_ok = n >= 1 && f[0]->size == MESH_TAG_LEN && memcmp(f[0]->data, MESH_TAG, MESH_TAG_LEN) == 0;
    bool tag_mesh = n >= 1 && f[0]->size >= 5 && memcmp(f[0]->data, "MESH/", 5) == 0;
    if (n < 4 || !tag_ok) {
        if (n >= 4 && tag_mesh &&
            mesh_verify(k, f[1]->data, f[1]->size, f[2]->data, f[2]->size, f[3]->data, f[3]->size)) {
            mesh_value *hv;
            if (mesh_decode(msg->arena, f[2]->data, f[2]->size, &(mesh_decode_options){.raw_ext = true},
                            &hv, NULL) == MESH_DECODE_OK &&
                (msg->id = str_field(hv, "id")) != NULL && str_field(hv, "type") != NULL) {
                msg->header = hv;
                msg->type = str_field(hv, "type");
                err->code = MESH_UNSUPPORTED_VERSION;
                snprintf(err->message, sizeof err->message,
                         "unsupported protocol version '%.*s'; this kernel speaks MESH/1",
                         (int)(f[0]->size > 32 ? 32 : f[0]->size), (const char *)f[0]->data);
                return MESH_RX_ERROR_REPLY;
            }
        }
        return MESH_RX_DROP;
    }
    /* 2. signature */
    if (!mesh_verify(k, f[1]->data, f[1]->size, f[2]->data, f[2]->size, f[3]->data, f[3]->size))
        return MESH_RX_DROP;
    /* 3. header */
    mesh_value *hv = NULL;
    mesh_decode_error de;
    if (mesh_decode(msg->arena, f[2]->data, f[2]->size, NULL, &hv, &de) != MESH_DECODE_OK ||
        hv->kind != MESH_MAP || !str_field(hv, "id") || !str_field(hv, "type")) {
        /* salvage the id when the header is at least a map with a string id */
        mesh_value *raw;
        if (mesh_decode(msg->arena, f[2]->data, f[2]->size, &(mesh_decode_options){.raw_ext = true},
                        &raw, NULL) == MESH_DECODE_OK &&
            (msg->id = str_field(raw, "id")) != NULL) {
            err->code = MESH_MALFORMED_MESSAGE;
            snprintf(err->message, sizeof err->message, "header must be a map with str id and type");
            return MESH_RX_ERROR_REPLY;
        }
        return MESH_RX_DROP;
    }
    msg->header = hv;
    msg->id = str_field(hv, "id");
    msg->type = str_field(hv, "type");
    msg->session = str_field(hv, "session");
    msg->parent_id = str_field(hv, "parent_id");
    /* 4. sizes (libzmq drops oversized messages already when ZMQ_MAXMSGSIZE is set) */
    for (size_t i = 0; i < n; i++) {
        if (max_frame_bytes && f[i]->size > max_frame_bytes) {
            err->code = MESH_MESSAGE_TOO_LARGE;
            snprintf(err->message, sizeof err->message, "frame %zu has %zu bytes, above max_message_bytes %llu",
                     i, f[i]->size, (unsigned long long)max_frame_bytes);
            return MESH_RX_ERROR_REPLY;
        }
    }
    /* content */
    mesh_decode_options opt = {.buffers = f + 4, .nbuffers = n - 4};
    mesh_value *cv = NULL;
    mesh_decode_status st = mesh_decode(msg->arena, f[3]->data, f[3]->size, &opt, &cv, &de);
    if (st == MESH_DECODE_OK && cv->kind != MESH_MAP) {
        err->code = MESH_MALFORMED_MESSAGE;
        snprintf(err->message, sizeof err->message, "content must be a map");
        return MESH_RX_ERROR_REPLY;
    }
    if (st == MESH_DECODE_OK) {
        msg->content = cv;
        return MESH_RX_OK;
    }
    if (st == MESH_DECODE_BAD_VALUE) {
        mesh_value *raw;
        if (mesh_decode(msg->arena, f[3]->data, f[3]->size, &(mesh_decode_options){.raw_ext = true},
                        &raw, NULL) == MESH_DECODE_OK && raw->kind == MESH_MAP) {
            msg->content = raw;
            err->code = MESH_BAD_ARGUMENTS;
            snprintf(err->message, sizeof err->message, "%s", de.message);
            return MESH_RX_BAD_VALUE;
        }
    }
    err->code = MESH_MALFORMED_MESSAGE;
    snprintf(err->message, sizeof err->message, "content: %s", de.message);
    return MESH_RX_ERROR_REPLY;
}

void mesh_message_free(mesh_message *msg)
{
    mesh_arena_free(msg->arena);
    mesh_frames_free(&msg->frames);
    memset(msg, 0, sizeof *msg);
}

mesh_value *mesh_error_value(mesh_arena *a, const char *type, const char *message, int code,
                             const mesh_value *traceback)
{
    mesh_value *m = mesh_v_map(a, 4);
    mesh_value *tb = traceback ? (mesh_value *)traceback : mesh_v_array(a, 0);
    if (!m || !tb || mesh_map_put(a, m, "type", mesh_v_str(a, type)) ||
        mesh_map_put(a, m, "message", mesh_v_str(a, message ? message : "")) ||
        mesh_map_put(a, m, "traceback", tb) || mesh_map_put(a, m, "code", mesh_v_int(a, code)))
        return NULL;
    return m;
}

const char *mesh_error_name(int code)
{
    switch (code) {
    case MESH_APPLICATION_ERROR: return "APPLICATION_ERROR";
    case MESH_BAD_SIGNATURE: return "BAD_SIGNATURE";
    case MESH_UNSUPPORTED_VERSION: return "UNSUPPORTED_VERSION";
    case MESH_MALFORMED_MESSAGE: return "MALFORMED_MESSAGE";
    case MESH_MESSAGE_TOO_LARGE: return "MESSAGE_TOO_LARGE";
    case MESH_UNKNOWN_MESSAGE_TYPE: return "UNKNOWN_MESSAGE_TYPE";
    case MESH_UNKNOWN_ENDPOINT: return "UNKNOWN_ENDPOINT";
    case MESH_BAD_ARGUMENTS: return "BAD_ARGUMENTS";
    case MESH_UNKNOWN_TASK: return "UNKNOWN_TASK";
    case MESH_TASK_CANCELLED: return "TASK_CANCELLED";
    case MESH_TASK_TIMEOUT: return "TASK_TIMEOUT";
    case MESH_KERNEL_SHUTTING_DOWN: return "KERNEL_SHUTTING_DOWN";
    case MESH_QUEUE_FULL: return "QUEUE_FULL";
    case MESH_DUPLICATE_TASK: return "DUPLICATE_TASK";
    case MESH_KERNEL_LOST: return "KERNEL_LOST";
    case MESH_INTERNAL_ERROR: return "INTERNAL_ERROR";
    case MESH_PROXY_UNKNOWN_OBJECT: return "PROXY_UNKNOWN_OBJECT";
    case MESH_PROXY_FORBIDDEN: return "PROXY_FORBIDDEN";
    case MESH_PROXY_NOT_DATA: return "PROXY_NOT_DATA";
    case MESH_PROXY_UNKNOWN_MEMBER: return "PROXY_UNKNOWN_MEMBER";
    case MESH_PROXY_NOT_EXPORTED: return "PROXY_NOT_EXPORTED";
    default: return "ERROR";
    }
}
