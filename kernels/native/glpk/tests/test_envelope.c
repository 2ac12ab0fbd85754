/* test_envelope.c - envelope.json frames byte for byte, signature checks, the receiving rules
 * of section 2.3, and the connection-file parser. */
#define _GNU_SOURCE
#include <string.h>

#include "mesh/envelope.h"
#include "mesh/kernel.h"
#include "testutil.h"

static const char *hstr(const mesh_value *h, const char *k)
{
    const mesh_value *v = mesh_map_get(h, k);
    return v && v->kind == MESH_STR ? v->u.s.ptr : NULL;
}

static void frames_from_hex(const jval *frames, mesh_frames *out)
{
    for (size_t i = 0; i < frames->n; i++) {
        size_t n;
        unsigned char *p = hex_decode(frames->items[i].s, &n);
        mesh_frames_push(out, mesh_buf_copy(p, n));
        free(p);
    }
}

static void test_vectors(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/envelope.json", MESH_VECTORS_DIR);
    jval *doc = json_load(path);
    REQUIRE(doc, "cannot read %s", path);
    const jval *cases = json_get(doc, "cases");
    for (size_t i = 0; i < cases->n; i++) {
        const jval *c = &cases->items[i];
        const char *name = json_get(c, "name")->s;
        mesh_arena *a = mesh_arena_new();
        mesh_value *hv = notation_value(a, json_get(c, "header"));
        mesh_value *cv = notation_value(a, json_get(c, "content"));
        const jval *frames = json_get(c, "frames");
        mesh_key key;
        mesh_key_set(&key, json_get(c, "key")->s);
        const mesh_value *date = mesh_map_get(hv, "date");
        mesh_header h = {.id = hstr(hv, "id"), .type = hstr(hv, "type"), .session = hstr(hv, "session"),
                         .date_sec = date->u.ts.sec, .date_nsec = date->u.ts.nsec,
                         .parent_id = hstr(hv, "parent_id")};
        mesh_frames fr = {0};
        CHECK(mesh_envelope_encode(&key, &h, cv, &fr) == 0, "%s: encode", name);
        CHECK(fr.n == frames->n, "%s: %zu frames, expected %zu", name, fr.n, frames->n);
        for (size_t f = 0; f < fr.n && f < frames->n; f++) {
            char *got = hex_encode(fr.f[f]->data, fr.f[f]->size);
            CHECK(strcmp(got, frames->items[f].s) == 0, "%s: frame %zu is %.72s, expected %.72s", name, f, got,
                  frames->items[f].s);
            free(got);
        }
        mesh_frames_free(&fr);

        /* decode the expected frames */
        mesh_frames in = {0};
        frames_from_hex(frames, &in);
        mesh_message msg;
        mesh_rx_error err;
        mesh_rx_status st = mesh_envelope_decode(&key, &in, 0, &msg, &err);
        CHECK(st == MESH_RX_OK, "%s: decode status %d (%s)", name, st, err.message);
        if (st == MESH_RX_OK) {
            CHECK(mesh_value_equal(msg.header, hv), "%s: header differs", name);
            CHECK(mesh_value_equal(msg.content, cv), "%s: content differs", name);
        }
        mesh_message_free(&msg);

        /* tampered content: dropped (unless unsigned) */
        mesh_frames_free(&in);
        frames_from_hex(frames, &in);
        in.f[3]->data[in.f[3]->size - 1] ^= 1;
        st = mesh_envelope_decode(&key, &in, 0, &msg, &err);
        if (key.len)
            CHECK(st == MESH_RX_DROP, "%s: tampered content not dropped (%d)", name, st);
        mesh_message_free(&msg);

        /* wrong key: dropped */
        if (key.len) {
            mesh_key other;
            mesh_key_set(&other, "another key");
            frames_from_hex(frames, &in);
            st = mesh_envelope_decode(&other, &in, 0, &msg, &err);
            CHECK(st == MESH_RX_DROP, "%s: wrong key not dropped", name);
            mesh_message_free(&msg);
            mesh_key_clear(&other);
        }
        mesh_frames_free(&in);
        mesh_key_clear(&key);
        mesh_arena_free(a);
    }
    printf("envelope.json: %zu cases\n", cases->n);
    json_free(doc);
}

static void make(const mesh_key *k, const char *tag, const char *type, const mesh_value *content,
                 mesh_frames *out)
{
    mesh_header h = {.id = "0123456789abcdef0123456789abcdef", .type = type, .session = "s"};
    mesh_envelope_encode(k, &h, content, out);
    if (tag) {
        mesh_buf_unref(out->f[0]);
        out->f[0] = mesh_buf_copy(tag, strlen(tag));
    }
}

static void test_rules(void)
{
    mesh_key k;
    mesh_key_set(&k, "secret");
    mesh_arena *a = mesh_arena_new();
    mesh_value *empty = mesh_v_map(a, 0);
    mesh_message msg;
    mesh_rx_error err;
    mesh_frames fr = {0};

    /* a signed MESH/2 message: UNSUPPORTED_VERSION */
    make(&k, "MESH/2", "health_request", empty, &fr);
    CHECK(mesh_envelope_decode(&k, &fr, 0, &msg, &err) == MESH_RX_ERROR_REPLY && err.code == MESH_UNSUPPORTED_VERSION &&
              msg.id && strcmp(msg.id, "0123456789abcdef0123456789abcdef") == 0,
          "MESH/2 -> UNSUPPORTED_VERSION (code %d)", err.code);
    mesh_message_free(&msg);
    /* another tag: dropped */
    make(&k, "HTTP/1", "health_request", empty, &fr);
    CHECK(mesh_envelope_decode(&k, &fr, 0, &msg, &err) == MESH_RX_DROP, "foreign tag dropped");
    mesh_message_free(&msg);
    /* 3 frames: dropped */
    make(&k, NULL, "health_request", empty, &fr);
    mesh_buf_unref(fr.f[3]);
    fr.n = 3;
    CHECK(mesh_envelope_decode(&k, &fr, 0, &msg, &err) == MESH_RX_DROP, "3 frames dropped");
    mesh_message_free(&msg);
    /* content not a map: MALFORMED with id */
    make(&k, NULL, "health_request", mesh_v_int(a, 5), &fr);
    CHECK(mesh_envelope_decode(&k, &fr, 0, &msg, &err) == MESH_RX_ERROR_REPLY && err.code == MESH_MALFORMED_MESSAGE,
          "content not a map");
    mesh_message_free(&msg);
    /* frame above max_message_bytes */
    make(&k, NULL, "health_request", empty, &fr);
    CHECK(mesh_envelope_decode(&k, &fr, 8, &msg, &err) == MESH_RX_ERROR_REPLY && err.code == MESH_MESSAGE_TOO_LARGE,
          "too large");
    mesh_message_free(&msg);
    /* an invalid ndarray in the content: BAD_VALUE, content salvaged with raw ext */
    mesh_value *c = mesh_v_map(a, 2);
    mesh_map_put(a, c, "task_id", mesh_v_str(a, "t1"));
    mesh_value *bad = mesh_v_nil(a);
    static const uint8_t payload[] = {0x93, 0xa7, 'f', 'l', 'o', 'a', 't', '6', '4', 0x91, 0x03, 0xc4, 0x01, 0x00};
    bad->kind = MESH_EXT;
    bad->u.ext.type = 1;
    bad->u.ext.data = payload;
    bad->u.ext.len = sizeof payload;
    mesh_map_put(a, c, "args", bad);
    make(&k, NULL, "submit_request", c, &fr);
    CHECK(mesh_envelope_decode(&k, &fr, 0, &msg, &err) == MESH_RX_BAD_VALUE && msg.content &&
              strcmp(mesh_map_get(msg.content, "task_id")->u.s.ptr, "t1") == 0,
          "bad ndarray -> BAD_VALUE with salvaged task_id");
    mesh_message_free(&msg);
    /* an unreferenced buffer frame: MALFORMED */
    make(&k, NULL, "health_request", empty, &fr);
    mesh_frames_push(&fr, mesh_buf_copy("abc", 3));
    CHECK(mesh_envelope_decode(&k, &fr, 0, &msg, &err) == MESH_RX_ERROR_REPLY && err.code == MESH_MALFORMED_MESSAGE,
          "surplus buffer frame");
    mesh_message_free(&msg);
    /* header without type: MALFORMED (id readable) */
    make(&k, NULL, "x", empty, &fr);
    {
        mesh_arena *b = mesh_arena_new();
        mesh_value *h = mesh_v_map(b, 1);
        mesh_map_put(b, h, "id", mesh_v_str(b, "abc"));
        mesh_encoder e;
        mesh_encoder_init(&e);
        mesh_encode(&e, h);
        uint8_t sig[32];
        mesh_sign(&k, e.data, e.size, fr.f[3]->data, fr.f[3]->size, sig);
        mesh_buf_unref(fr.f[1]);
        mesh_buf_unref(fr.f[2]);
        fr.f[1] = mesh_buf_copy(sig, 32);
        fr.f[2] = mesh_buf_copy(e.data, e.size);
        mesh_encoder_destroy(&e);
        mesh_arena_free(b);
    }
    CHECK(mesh_envelope_decode(&k, &fr, 0, &msg, &err) == MESH_RX_ERROR_REPLY && err.code == MESH_MALFORMED_MESSAGE &&
              msg.id && strcmp(msg.id, "abc") == 0,
          "header without type");
    mesh_message_free(&msg);
    mesh_frames_free(&fr);
    mesh_arena_free(a);
    mesh_key_clear(&k);
}

static void test_config(void)
{
    mesh_config cfg;
    char err[256];
    const char *good =
        "{\n \"protocol\": \"MESH/1\", \"kernel_id\": \"solver-1\", \"key\": \"ab\\u00e9\\ud83d\\ude00\",\n"
        " \"signature_scheme\": \"hmac-sha256\", \"transport\": \"tcp\", \"ip\": \"127.0.0.1\", \"ipc_dir\": null,\n"
        " \"registration\": \"tcp://127.0.0.1:41234\", \"parent_pid\": 4242, \"max_message_bytes\": 2147483647,\n"
        " \"heartbeat_ms\": 1000, \"extra\": true }\n";
    CHECK(mesh_config_parse(good, strlen(good), &cfg, err, sizeof err) == 0, "good file: %s", err);
    CHECK(cfg.parent_pid == 4242 && cfg.max_message_bytes == 2147483647 && cfg.heartbeat_ms == 1000, "numbers");
    CHECK(strcmp(cfg.key, "ab\xc3\xa9\xf0\x9f\x98\x80") == 0, "unicode escapes");
    CHECK(cfg.ipc_dir == NULL && strcmp(cfg.transport, "tcp") == 0, "null and strings");
    mesh_config_free(&cfg);
    const char *bad[] = {
        "",
        "[]",
        "{\"protocol\": \"MESH/2\", \"kernel_id\": \"k\", \"key\": \"\", \"registration\": \"r\"}",
        "{\"protocol\": \"MESH/1\", \"kernel_id\": \"k\", \"key\": \"\"}",
        "{\"protocol\": \"MESH/1\", \"kernel_id\": \"k\", \"key\": \"\", \"registration\": \"r\",}",
        "{\"protocol\": \"MESH/1\", \"kernel_id\": \"k\", \"key\": \"\", \"registration\": \"r\"} x",
        "{\"protocol\": \"MESH/1\", \"kernel_id\": \"k\", \"kernel_id\": \"k\", \"key\": \"\", \"registration\": \"r\"}",
        "{\"protocol\": \"MESH/1\", \"kernel_id\": {\"a\": 1}, \"key\": \"\", \"registration\": \"r\"}",
        "{\"protocol\": \"MESH/1\", \"kernel_id\": \"k\", \"key\": \"\", \"registration\": \"r\", \"parent_pid\": 1.5}",
        "{\"protocol\": \"MESH/1\", \"kernel_id\": \"k\", \"key\": \"x\", \"signature_scheme\": \"md5\", \"registration\": \"r\"}",
        "{\"protocol\": \"MESH/1\", \"kernel_id\": \"k\", \"key\": \"\", \"registration\": \"r\", \"heartbeat_ms\": 01}",
        "{\"protocol\": \"MESH/1\", \"kernel_id\": \"k\\q\", \"key\": \"\", \"registration\": \"r\"}",
        "{\"protocol\": \"MESH/1\", \"kernel_id\": \"k\", \"key\": \"\", \"registration\": \"r\", \"transport\": \"ipc\"}",
        "{\"protocol\": \"MESH/1\", \"kernel_id\": \"k\", \"key\": \"\", \"registration\": \"r\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = mesh_config_parse(bad[i], strlen(bad[i]), &cfg, err, sizeof err);
        CHECK(rc != 0, "bad file %zu accepted", i);
        if (rc == 0)
            mesh_config_free(&cfg);
    }
}

int main(void)
{
    test_vectors();
    test_rules();
    test_config();
    return test_summary("test_envelope");
}
