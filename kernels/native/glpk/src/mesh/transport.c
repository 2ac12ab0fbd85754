/* transport.c - ZeroMQ socket helpers. */
#include "mesh/transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

void *mesh_socket(void *zctx, int type, int64_t max_msg_bytes)
{
    void *s = zmq_socket(zctx, type);
    if (!s)
        return NULL;
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    /* unlimited high-water marks: a ROUTER at its HWM silently drops replies, and a dropped
     * get_reply would lose a result the kernel then forgets */
    zmq_setsockopt(s, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RCVHWM, &zero, sizeof zero);
    if (max_msg_bytes > 0)
        zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max_msg_bytes, sizeof max_msg_bytes);
    return s;
}

int mesh_bind(void *sock, const char *transport, const char *ip, const char *ipc_dir,
              const char *name, char *endpoint, size_t len)
{
    char want[512];
    if (transport && strcmp(transport, "ipc") == 0) {
        char id[33];
        mesh_new_id(id);
        id[12] = 0;
        snprintf(want, sizeof want, "ipc://%s/%s-%s", ipc_dir ? ipc_dir : "/tmp", name, id);
    } else {
        snprintf(want, sizeof want, "tcp://%s:*", ip && *ip ? ip : "127.0.0.1");
    }
    if (zmq_bind(sock, want) != 0)
        return -1;
    size_t n = len;
    if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, endpoint, &n) != 0)
        return -1;
    return 0;
}

static void buf_destroy_zmq(mesh_buf *b)
{
    zmq_msg_close((zmq_msg_t *)b->impl);
    free(b->impl);
    free(b);
}

static mesh_buf *buf_from_msg(zmq_msg_t *m)
{
    mesh_buf *b = calloc(1, sizeof *b);
    zmq_msg_t *held = malloc(sizeof *held);
    if (!b || !held) {
        free(b);
        free(held);
        return NULL;
    }
    zmq_msg_init(held);
    zmq_msg_move(held, m);
    atomic_init(&b->refs, 1);
    b->impl = held;
    b->data = zmq_msg_data(held);
    b->size = zmq_msg_size(held);
    b->destroy = buf_destroy_zmq;
    return b;
}

int mesh_recv(void *sock, mesh_frames *out, int flags)
{
    mesh_frames_clear(out);
    bool dropped = false;
    for (;;) {
        zmq_msg_t m;
        zmq_msg_init(&m);
        if (zmq_msg_recv(&m, sock, out->n == 0 && !dropped ? flags : 0) < 0) {
            zmq_msg_close(&m);
            if (out->n == 0 && !dropped)
                return 0; /* EAGAIN / EINTR / ETERM before any frame */
            mesh_frames_clear(out);
            return -1; /* cannot happen mid-message, but never return a partial message */
        }
        int more = zmq_msg_more(&m);
        if (!dropped && out->n < MESH_MAX_FRAMES) {
            mesh_buf *b = buf_from_msg(&m);
            if (!b || mesh_frames_push(out, b) != 0)
                dropped = true;
        } else {
            dropped = true;
        }
        zmq_msg_close(&m);
        if (!more)
            break;
    }
    if (dropped) {
        mesh_frames_clear(out);
        return -1;
    }
    return 1;
}

static void free_buf_hint(void *data, void *hint)
{
    (void)data;
    mesh_buf_unref((mesh_buf *)hint);
}

int mesh_send(void *sock, mesh_buf *const *frames, size_t n, int flags)
{
    for (size_t i = 0; i < n; i++) {
        mesh_buf *b = frames[i];
        zmq_msg_t m;
        if (b->size >= MESH_ZEROCOPY_MIN) {
            mesh_buf_ref(b);
            if (zmq_msg_init_data(&m, b->data, b->size, free_buf_hint, b) != 0) {
                mesh_buf_unref(b);
                return -1;
            }
        } else {
            if (zmq_msg_init_size(&m, b->size) != 0)
                return -1;
            if (b->size)
                memcpy(zmq_msg_data(&m), b->data, b->size);
        }
        int f = flags | (i + 1 < n ? ZMQ_SNDMORE : 0);
        if (zmq_msg_send(&m, sock, f) < 0) {
            zmq_msg_close(&m);
            return -1;
        }
    }
    return 0;
}
