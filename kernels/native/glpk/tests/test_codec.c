/* test_codec.c - the shared vectors (msgpack.json, values.json, invalid.json) byte for byte, and
 * a decoder fuzz. Usage: test_codec [fuzz_iterations] */
#define _GNU_SOURCE
#include <string.h>

#include "mesh/codec.h"
#include "testutil.h"

#ifndef MESH_VECTORS_DIR
#error "MESH_VECTORS_DIR must point at tests/vectors"
#endif

static jval *load(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", MESH_VECTORS_DIR, name);
    jval *v = json_load(path);
    if (!v)
        fprintf(stderr, "cannot read %s\n", path);
    return v;
}

/* collected inputs for the fuzzer */
static unsigned char **corpus;
static size_t *corpus_len, ncorpus, capcorpus;

static void add_corpus(const unsigned char *p, size_t n)
{
    if (ncorpus == capcorpus) {
        capcorpus = capcorpus ? capcorpus * 2 : 256;
        corpus = realloc(corpus, capcorpus * sizeof *corpus);
        corpus_len = realloc(corpus_len, capcorpus * sizeof *corpus_len);
    }
    corpus[ncorpus] = malloc(n ? n : 1);
    memcpy(corpus[ncorpus], p, n);
    corpus_len[ncorpus++] = n;
}

static void test_msgpack(void)
{
    jval *doc = load("msgpack.json");
    REQUIRE(doc, "msgpack.json");
    const jval *cases = json_get(doc, "cases");
    int n = 0;
    for (size_t i = 0; i < cases->n; i++) {
        const jval *c = &cases->items[i];
        const char *name = json_get(c, "name")->s;
        const char *hex = json_get(c, "hex")->s;
        mesh_arena *a = mesh_arena_new();
        mesh_value *v = notation_value(a, json_get(c, "value"));
        CHECK(v, "%s: notation", name);
        if (v) {
            mesh_encoder e;
            mesh_encoder_init(&e);
            CHECK(mesh_encode(&e, v) == 0, "%s: encode", name);
            char *got = hex_encode(e.data, e.size);
            CHECK(strcmp(got, hex) == 0, "%s: encoded %.80s%s, expected %.80s", name, got,
                  strlen(got) > 80 ? "..." : "", hex);
            free(got);
            mesh_encoder_destroy(&e);
        }
        size_t len;
        unsigned char *bytes = hex_decode(hex, &len);
        if (len < 100000)
            add_corpus(bytes, len);
        mesh_value *d = NULL;
        mesh_decode_error err;
        CHECK(mesh_decode(a, bytes, len, NULL, &d, &err) == MESH_DECODE_OK, "%s: decode: %s", name, err.message);
        if (d && v) {
            char x[200], y[200];
            value_dump(d, x, sizeof x);
            value_dump(v, y, sizeof y);
            CHECK(mesh_value_equal(d, v), "%s: decoded %s, expected %s", name, x, y);
        }
        free(bytes);
        mesh_arena_free(a);
        n++;
    }
    printf("msgpack.json: %d cases\n", n);
    json_free(doc);
}

static void test_values(void)
{
    jval *doc = load("values.json");
    REQUIRE(doc, "values.json");
    const jval *cases = json_get(doc, "cases");
    for (size_t i = 0; i < cases->n; i++) {
        const jval *c = &cases->items[i];
        const char *name = json_get(c, "name")->s;
        const char *chex = json_get(c, "content_hex")->s;
        const jval *bufs = json_get(c, "buffers");
        mesh_arena *a = mesh_arena_new();
        mesh_value *v = notation_value(a, json_get(c, "value"));
        CHECK(v, "%s: notation", name);
        if (v) {
            mesh_encoder e;
            mesh_encoder_init(&e);
            CHECK(mesh_encode(&e, v) == 0, "%s: encode", name);
            char *got = hex_encode(e.data, e.size);
            CHECK(strcmp(got, chex) == 0, "%s: content %.80s, expected %.80s", name, got, chex);
            free(got);
            CHECK(e.nbuffers == bufs->n, "%s: %zu buffers, expected %zu", name, e.nbuffers, bufs->n);
            for (size_t b = 0; b < e.nbuffers && b < bufs->n; b++) {
                char *bh = hex_encode(e.buffers[b]->data, e.buffers[b]->size);
                CHECK(strcmp(bh, bufs->items[b].s) == 0, "%s: buffer %zu differs", name, b);
                free(bh);
            }
            mesh_encoder_destroy(&e);
        }
        /* decode content + buffer frames */
        size_t clen;
        unsigned char *content = hex_decode(chex, &clen);
        add_corpus(content, clen);
        mesh_buf **frames = calloc(bufs->n + 1, sizeof *frames);
        for (size_t b = 0; b < bufs->n; b++) {
            size_t bl;
            unsigned char *bb = hex_decode(bufs->items[b].s, &bl);
            frames[b] = mesh_buf_copy(bb, bl);
            free(bb);
        }
        mesh_decode_options opt = {.buffers = frames, .nbuffers = bufs->n};
        mesh_value *d = NULL;
        mesh_decode_error err;
        CHECK(mesh_decode(a, content, clen, &opt, &d, &err) == MESH_DECODE_OK, "%s: decode: %s", name, err.message);
        if (d && v)
            CHECK(mesh_value_equal(d, v), "%s: decoded value differs", name);
        if (bufs->n > 0) {
            /* a missing buffer frame must be rejected */
            mesh_decode_options fewer = {.buffers = frames, .nbuffers = bufs->n - 1};
            CHECK(mesh_decode(a, content, clen, &fewer, &d, &err) != MESH_DECODE_OK, "%s: missing buffer accepted", name);
            /* a surplus one too */
            mesh_buf **more = calloc(bufs->n + 1, sizeof *more);
            memcpy(more, frames, bufs->n * sizeof *more);
            more[bufs->n] = mesh_buf_copy("x", 1);
            mesh_decode_options extra = {.buffers = more, .nbuffers = bufs->n + 1};
            CHECK(mesh_decode(a, content, clen, &extra, &d, &err) == MESH_DECODE_BAD_BUFFERS, "%s: surplus buffer accepted", name);
            mesh_buf_unref(more[bufs->n]);
            free(more);
        }
        mesh_arena_free(a); /* drops the arena's references to the frames */
        for (size_t b = 0; b < bufs->n; b++)
            mesh_buf_unref(frames[b]);
        free(frames);
        free(content);
    }
    printf("values.json: %zu cases\n", cases->n);
    json_free(doc);
}

static void test_invalid(void)
{
    jval *doc = load("invalid.json");
    REQUIRE(doc, "invalid.json");
    const jval *cases = json_get(doc, "cases");
    for (size_t i = 0; i < cases->n; i++) {
        const jval *c = &cases->items[i];
        const char *name = json_get(c, "name")->s;
        size_t len;
        unsigned char *bytes = hex_decode(json_get(c, "hex")->s, &len);
        add_corpus(bytes, len);
        mesh_arena *a = mesh_arena_new();
        mesh_value *d = NULL;
        mesh_decode_error err;
        mesh_decode_status st = mesh_decode(a, bytes, len, NULL, &d, &err);
        CHECK(st != MESH_DECODE_OK, "%s: accepted (%s)", name, json_get(c, "reason")->s);
        mesh_arena_free(a);
        free(bytes);
    }
    printf("invalid.json: %zu cases\n", cases->n);
    json_free(doc);
}

static void test_builders(void)
{
    /* constructors sanitize invalid UTF-8 so the kernel never sends a bad str */
    mesh_arena *a = mesh_arena_new();
    mesh_value *s = mesh_v_strn(a, "a\xff" "b", 3);
    CHECK(s && strcmp(s->u.s.ptr, "a?b") == 0, "sanitized: %s", s ? s->u.s.ptr : "(null)");
    mesh_value *b = mesh_v_bin(a, "a\xff" "b", 3);
    CHECK(b && (unsigned char)b->u.s.ptr[1] == 0xff, "bin is untouched");
    /* a big ndarray is carried by a blob and becomes a buffer frame without a copy */
    uint64_t shape[1] = {1000};
    mesh_value *nd = mesh_v_ndarray(a, MESH_DT_FLOAT64, 1, shape);
    CHECK(nd && nd->u.nd.owner, "big ndarray has an owner blob");
    mesh_encoder e;
    mesh_encoder_init(&e);
    CHECK(mesh_encode(&e, nd) == 0 && e.nbuffers == 1 && e.buffers[0] == nd->u.nd.owner, "zero-copy buffer");
    mesh_encoder_destroy(&e);
    /* section 4.2: a bool element other than 0 or 1 is an error */
    static const uint8_t bad_bool[] = {0xc7, 0x0c, 0x01, 0x93, 0xa4, 'b', 'o', 'o', 'l', 0x91, 0x02, 0xc4, 0x02, 0x01, 0x02};
    mesh_value *out;
    CHECK(mesh_decode(a, bad_bool, sizeof bad_bool, NULL, &out, NULL) == MESH_DECODE_BAD_VALUE, "bool byte 2 rejected");
    static const uint8_t good_bool[] = {0xc7, 0x0c, 0x01, 0x93, 0xa4, 'b', 'o', 'o', 'l', 0x91, 0x02, 0xc4, 0x02, 0x01, 0x00};
    CHECK(mesh_decode(a, good_bool, sizeof good_bool, NULL, &out, NULL) == MESH_DECODE_OK, "bool 0/1 accepted");
    mesh_arena_free(a);
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void fuzz(long iterations)
{
    unsigned char buf[4096];
    long accepted = 0;
    double t0 = test_now();
    for (long it = 0; it < iterations; it++) {
        size_t n;
        int mode = (int)(rnd() % 4);
        if (mode == 0 || ncorpus == 0) {
            n = rnd() % 64;
            for (size_t i = 0; i < n; i++)
                buf[i] = (unsigned char)rnd();
        } else {
            size_t k = rnd() % ncorpus;
            n = corpus_len[k] < sizeof buf ? corpus_len[k] : sizeof buf;
            memcpy(buf, corpus[k], n);
            int flips = 1 + (int)(rnd() % 4);
            for (int f = 0; f < flips && n; f++) {
                size_t pos = rnd() % n;
                if (mode == 1)
                    buf[pos] ^= (unsigned char)(1u << (rnd() % 8));
                else if (mode == 2)
                    buf[pos] = (unsigned char)rnd();
                else
                    n = pos; /* truncate */
            }
        }
        mesh_arena *a = mesh_arena_new();
        mesh_value *v;
        if (mesh_decode(a, buf, n, NULL, &v, NULL) == MESH_DECODE_OK) {
            accepted++;
            /* whatever decodes must re-encode */
            mesh_encoder e;
            mesh_encoder_init(&e);
            CHECK(mesh_encode(&e, v) == 0, "re-encode of a decoded fuzz value");
            mesh_encoder_destroy(&e);
        }
        mesh_arena_free(a);
    }
    printf("fuzz: %ld inputs (%ld decodable) in %.2f s\n", iterations, accepted, test_now() - t0);
}

int main(int argc, char **argv)
{
    long iterations = argc > 1 ? atol(argv[1]) : 200000;
    test_msgpack();
    test_values();
    test_invalid();
    test_builders();
    fuzz(iterations);
    for (size_t i = 0; i < ncorpus; i++)
        free(corpus[i]);
    free(corpus);
    free(corpus_len);
    return test_summary("test_codec");
}
