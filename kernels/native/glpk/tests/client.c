/* client.c - test manager and client built on the protocol core. */
#define _GNU_SOURCE
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "mesh/transport.h"
#include "testutil.h"

void tk_id(char out[33])
{
    mesh_new_id(out);
}

static void *dealer(tk *k, const char *addr)
{
    void *s = mesh_socket(k->zctx, ZMQ_DEALER, 0);
    char id[33];
    mesh_new_id(id);
    zmq_setsockopt(s, ZMQ_ROUTING_ID, id, 16);
    int sndtimeo = 10000; /* a dead kernel makes tests fail, not hang */
    zmq_setsockopt(s, ZMQ_SNDTIMEO, &sndtimeo, sizeof sndtimeo);
    if (zmq_connect(s, addr) != 0) {
        zmq_close(s);
        return NULL;
    }
    return s;
}

static int recv_msg(tk *k, void *sock, double timeout, mesh_message *msg)
{
    double end = test_now() + timeout;
    mesh_frames fr = {0};
    for (;;) {
        double left = end - test_now();
        if (left <= 0)
            break;
        zmq_pollitem_t it = {.socket = sock, .events = ZMQ_POLLIN};
        if (zmq_poll(&it, 1, (long)(left * 1000) + 1) <= 0)
            continue;
        if (mesh_recv(sock, &fr, ZMQ_DONTWAIT) != 1)
            continue;
        mesh_rx_error err;
        mesh_rx_status st = mesh_envelope_decode(&k->key, &fr, 0, msg, &err);
        mesh_frames_free(&fr);
        if (st == MESH_RX_OK)
            return 0;
        fprintf(stderr, "client: dropped a reply (%d: %s)\n", st, err.message);
        mesh_message_free(msg);
    }
    mesh_frames_free(&fr);
    return -1;
}

static void record_progress(tk *k, mesh_message *m)
{
    if (k->nprogress == k->capprogress) {
        k->capprogress = k->capprogress ? k->capprogress * 2 : 64;
        k->progress = realloc(k->progress, k->capprogress * sizeof *k->progress);
    }
    tk_progress *p = &k->progress[k->nprogress++];
    p->task_id = strdup(mstr(m->content, "task_id") ? mstr(m->content, "task_id") : "");
    const char *msgtext = mstr(m->content, "message");
    p->message = msgtext ? strdup(msgtext) : NULL;
    p->arena = m->arena; /* keep the value: take over the arena */
    p->value = (mesh_value *)mget(m->content, "value");
    m->arena = NULL;
}

int tk_send_frames(void *sock, mesh_frames *fr)
{
    return mesh_send(sock, fr->f, fr->n, 0);
}

int tk_recv(tk *k, void *sock, double timeout, mesh_message *msg)
{
    return recv_msg(k, sock, timeout, msg);
}

int tk_send(tk *k, void *sock, const char *type, const mesh_value *content, char req_id[33])
{
    mesh_new_id(req_id);
    mesh_header h = {.id = req_id, .type = type, .session = k->session};
    mesh_frames fr = {0};
    int rc = mesh_envelope_encode(&k->key, &h, content, &fr) == 0 && mesh_send(sock, fr.f, fr.n, 0) == 0 ? 0 : -1;
    mesh_frames_free(&fr);
    return rc;
}

int tk_request(tk *k, void *sock, const char *type, const mesh_value *content, double timeout,
               mesh_message *reply)
{
    char id[33];
    mesh_new_id(id);
    mesh_header h = {.id = id, .type = type, .session = k->session};
    mesh_frames fr = {0};
    if (mesh_envelope_encode(&k->key, &h, content, &fr) != 0 || mesh_send(sock, fr.f, fr.n, 0) != 0) {
        mesh_frames_free(&fr);
        return -1;
    }
    mesh_frames_free(&fr);
    double end = test_now() + timeout * k->scale;
    for (;;) {
        double left = end - test_now();
        if (left <= 0)
            return -1;
        if (recv_msg(k, sock, left, reply) != 0)
            return -1;
        if (reply->parent_id && strcmp(reply->parent_id, id) == 0)
            return 0;
        if (strcmp(reply->type, "progress") == 0)
            record_progress(k, reply);
        mesh_message_free(reply);
    }
}

void tk_poll_progress(tk *k, double wait)
{
    mesh_message m;
    double end = test_now() + wait;
    for (;;) {
        double left = end - test_now();
        if (recv_msg(k, k->submit, left > 0 ? left : 0.001, &m) != 0)
            return;
        if (strcmp(m.type, "progress") == 0)
            record_progress(k, &m);
        mesh_message_free(&m);
    }
}

void tk_clear_progress(tk *k)
{
    for (size_t i = 0; i < k->nprogress; i++) {
        free(k->progress[i].task_id);
        free(k->progress[i].message);
        mesh_arena_free(k->progress[i].arena);
    }
    k->nprogress = 0;
}

int tk_submit(tk *k, const char *task_id, const char *endpoint, const mesh_value *args,
              const mesh_value *kwargs, int priority, double timeout, mesh_message *reply)
{
    mesh_arena *a = mesh_arena_new();
    mesh_value *c = mesh_v_map(a, 8);
    mesh_map_put(a, c, "task_id", mesh_v_str(a, task_id));
    mesh_map_put(a, c, "endpoint", mesh_v_str(a, endpoint));
    mesh_map_put(a, c, "args", args ? args : mesh_v_array(a, 0));
    mesh_map_put(a, c, "kwargs", kwargs ? kwargs : mesh_v_map(a, 0));
    mesh_map_put(a, c, "priority", mesh_v_int(a, priority));
    mesh_map_put(a, c, "timeout", timeout >= 0 ? mesh_v_f64(a, timeout) : mesh_v_nil(a));
    mesh_map_put(a, c, "retries", mesh_v_int(a, 0));
    mesh_map_put(a, c, "metadata", mesh_v_map(a, 0));
    int rc = tk_request(k, k->submit, "submit_request", c, 10, reply);
    mesh_arena_free(a);
    return rc;
}

int tk_get(tk *k, const char *task_id, double wait, bool keep, mesh_message *reply)
{
    mesh_arena *a = mesh_arena_new();
    mesh_value *c = mesh_v_map(a, 3);
    mesh_map_put(a, c, "task_id", mesh_v_str(a, task_id));
    mesh_map_put(a, c, "timeout", mesh_v_f64(a, wait));
    mesh_map_put(a, c, "keep", mesh_v_bool(a, keep));
    int rc = tk_request(k, k->get, "get_request", c, wait + 10, reply);
    mesh_arena_free(a);
    return rc;
}

int tk_call(tk *k, const char *endpoint, const mesh_value *args, const mesh_value *kwargs, double wait,
            mesh_message *reply)
{
    char id[33];
    tk_id(id);
    mesh_message ack;
    if (tk_submit(k, id, endpoint, args, kwargs, 5, -1, &ack) != 0)
        return -1;
    const mesh_value *acc = mget(ack.content, "accepted");
    if (!acc || acc->kind != MESH_BOOL || !acc->u.b) {
        /* hand the rejection back as the reply */
        *reply = ack;
        return 0;
    }
    mesh_message_free(&ack);
    double end = test_now() + wait * k->scale;
    for (;;) {
        double left = end - test_now();
        if (left <= 0)
            return -1;
        if (tk_get(k, id, left > 5 ? 5 : left, false, reply) != 0)
            return -1;
        const mesh_value *done = mget(reply->content, "done");
        if (done && done->kind == MESH_BOOL && done->u.b)
            return 0;
        mesh_message_free(reply);
    }
}

int tk_health(tk *k, mesh_message *reply)
{
    mesh_arena *a = mesh_arena_new();
    int rc = tk_request(k, k->health, "health_request", mesh_v_map(a, 0), 5, reply);
    mesh_arena_free(a);
    return rc;
}

const mesh_value *mget(const mesh_value *v, const char *path)
{
    char key[128];
    while (v && *path) {
        const char *dot = strchr(path, '.');
        size_t n = dot ? (size_t)(dot - path) : strlen(path);
        if (n >= sizeof key)
            return NULL;
        memcpy(key, path, n);
        key[n] = 0;
        v = mesh_map_get(v, key);
        path += n + (dot ? 1 : 0);
    }
    return v;
}

const char *mstr(const mesh_value *v, const char *path)
{
    const mesh_value *x = mget(v, path);
    return x && x->kind == MESH_STR ? x->u.s.ptr : NULL;
}

int64_t mint(const mesh_value *v, const char *path, int64_t def)
{
    const mesh_value *x = mget(v, path);
    return x && x->kind == MESH_INT ? x->u.i : def;
}

static int write_connection_file(tk *k, const tk_options *o)
{
    int fd = open(k->conn_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    bool ipc = o && o->ipc;
    char ipc_dir[300];
    snprintf(ipc_dir, sizeof ipc_dir, ipc ? "\"%s\"" : "null", k->dir);
    fprintf(f,
            "{\n  \"protocol\": \"MESH/1\",\n  \"kernel_id\": \"%s\",\n  \"key\": \"%s\",\n"
            "  \"signature_scheme\": \"hmac-sha256\",\n  \"transport\": \"%s\",\n  \"ip\": \"127.0.0.1\",\n"
            "  \"ipc_dir\": %s,\n  \"registration\": \"%s\",\n  \"parent_pid\": %ld,\n"
            "  \"max_message_bytes\": 2147483647,\n  \"heartbeat_ms\": 1000\n}\n",
            k->kernel_id, k->keystr, ipc ? "ipc" : "tcp", ipc_dir, k->reg_addr,
            o && o->parent_pid ? o->parent_pid : (long)getpid());
    fclose(f);
    return 0;
}

static int handle_registration(tk *k, const tk_options *o, double timeout)
{
    mesh_frames fr = {0};
    double end = test_now() + timeout;
    while (test_now() < end) {
        zmq_pollitem_t it = {.socket = k->reg, .events = ZMQ_POLLIN};
        if (zmq_poll(&it, 1, 100) <= 0) {
            if (tk_wait_exit(k, 0) >= 0)
                return -1; /* the kernel died */
            continue;
        }
        if (mesh_recv(k->reg, &fr, ZMQ_DONTWAIT) != 1 || fr.n < 2)
            continue;
        mesh_buf *identity = mesh_buf_ref(fr.f[0]);
        mesh_frames rest = {0};
        for (size_t i = 1; i < fr.n; i++)
            mesh_frames_push(&rest, mesh_buf_ref(fr.f[i]));
        mesh_frames_clear(&fr);
        mesh_message m;
        mesh_rx_error err;
        if (mesh_envelope_decode(&k->key, &rest, 0, &m, &err) != MESH_RX_OK || strcmp(m.type, "register_request") != 0) {
            mesh_message_free(&m);
            mesh_buf_unref(identity);
            mesh_frames_free(&rest);
            continue;
        }
        mesh_frames_free(&rest);
        snprintf(k->addr_health, sizeof k->addr_health, "%s", mstr(m.content, "addresses.health"));
        snprintf(k->addr_submit, sizeof k->addr_submit, "%s", mstr(m.content, "addresses.submit"));
        snprintf(k->addr_get, sizeof k->addr_get, "%s", mstr(m.content, "addresses.get"));
        const char *kid = mstr(m.content, "kernel_id");
        bool ok = kid && strcmp(kid, k->kernel_id) == 0 && !(o && o->refuse);
        if (!(o && o->no_register_reply)) {
            mesh_arena *a = mesh_arena_new();
            mesh_value *c = mesh_v_map(a, 2);
            mesh_map_put(a, c, "accepted", mesh_v_bool(a, ok));
            if (!ok)
                mesh_map_put(a, c, "error", mesh_error_value(a, "UnknownKernel", "unknown kernel id", 0, NULL));
            char id[33];
            mesh_new_id(id);
            mesh_header h = {.id = id, .type = "register_reply", .session = k->session, .parent_id = m.id};
            mesh_frames out = {0};
            mesh_frames_push(&out, mesh_buf_ref(identity));
            mesh_envelope_encode(&k->key, &h, c, &out);
            mesh_send(k->reg, out.f, out.n, 0);
            mesh_frames_free(&out);
            mesh_arena_free(a);
        }
        mesh_message_free(&m);
        mesh_buf_unref(identity);
        mesh_frames_free(&fr);
        return ok && !(o && o->no_register_reply) ? 0 : 1;
    }
    mesh_frames_free(&fr);
    return -1;
}

int tk_start(tk *k, const tk_options *o)
{
    memset(k, 0, sizeof *k);
    k->pid = -1;
    const char *wrapper = getenv("MESH_KERNEL_WRAPPER");
    k->scale = wrapper && *wrapper ? 20 : 1;
    k->zctx = zmq_ctx_new();
    mesh_new_id(k->session);
    char rnd[33];
    mesh_new_id(rnd);
    if (o && o->key) {
        snprintf(k->keystr, sizeof k->keystr, "%s", o->key);
    } else {
        char r2[33];
        mesh_new_id(r2);
        snprintf(k->keystr, sizeof k->keystr, "%s%s", rnd, r2);
    }
    mesh_key_set(&k->key, k->keystr);
    snprintf(k->kernel_id, sizeof k->kernel_id, "glpk-test-%.8s", rnd);
    snprintf(k->dir, sizeof k->dir, "/tmp/mesh-test-XXXXXX");
    if (!mkdtemp(k->dir))
        return -1;
    snprintf(k->conn_path, sizeof k->conn_path, "%s/connection.json", k->dir);
    k->reg = mesh_socket(k->zctx, ZMQ_ROUTER, 0);
    if (mesh_bind(k->reg, "tcp", "127.0.0.1", NULL, "reg", k->reg_addr, sizeof k->reg_addr) != 0)
        return -1;
    if (write_connection_file(k, o) != 0)
        return -1;

    k->pid = fork();
    if (k->pid < 0)
        return -1;
    if (k->pid == 0) {
        setpgid(0, 0);
        setenv("MESH_CONNECTION_FILE", k->conn_path, 1);
        for (size_t i = 0; o && o->env && o->env[i]; i++)
            putenv((char *)o->env[i]);
        char *argv[64];
        int n = 0;
        char *w = wrapper && *wrapper ? strdup(wrapper) : NULL;
        for (char *tok = w ? strtok(w, " ") : NULL; tok && n < 60; tok = strtok(NULL, " "))
            argv[n++] = tok;
        argv[n++] = (char *)MESH_KERNEL_BIN;
        argv[n] = NULL;
        execvp(argv[0], argv);
        _exit(127);
    }
    setpgid(k->pid, k->pid);
    int r = handle_registration(k, o, 15 * k->scale);
    if (r != 0)
        return r;
    k->health = dealer(k, k->addr_health);
    k->submit = dealer(k, k->addr_submit);
    k->get = dealer(k, k->addr_get);
    if (!k->health || !k->submit || !k->get)
        return -1;
    mesh_message h;
    if (tk_health(k, &h) != 0)
        return -1;
    mesh_message_free(&h);
    return 0;
}

int tk_wait_exit(tk *k, double timeout)
{
    if (k->exited)
        return k->exit_code;
    if (k->pid <= 0)
        return -1;
    double end = test_now() + timeout;
    for (;;) {
        int st;
        pid_t r = waitpid(k->pid, &st, WNOHANG);
        if (r == k->pid) {
            k->exited = true;
            k->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            return k->exit_code;
        }
        if (test_now() >= end)
            return -1;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

int tk_shutdown(tk *k, double grace, double wait)
{
    mesh_arena *a = mesh_arena_new();
    mesh_value *c = mesh_v_map(a, 1);
    mesh_map_put(a, c, "grace", mesh_v_f64(a, grace));
    mesh_message reply;
    if (tk_request(k, k->submit, "shutdown_request", c, 10, &reply) == 0)
        mesh_message_free(&reply);
    mesh_arena_free(a);
    return tk_wait_exit(k, wait * k->scale);
}

void tk_close(tk *k)
{
    if (k->pid > 0 && !k->exited) {
        kill(-k->pid, SIGKILL);
        tk_wait_exit(k, 5);
    }
    tk_clear_progress(k);
    free(k->progress);
    if (k->health)
        zmq_close(k->health);
    if (k->submit)
        zmq_close(k->submit);
    if (k->get)
        zmq_close(k->get);
    if (k->reg)
        zmq_close(k->reg);
    if (k->zctx)
        zmq_ctx_term(k->zctx);
    mesh_key_clear(&k->key);
    if (k->dir[0]) { /* the connection file, and ipc sockets of a kernel that was killed */
        char cmd[400];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", k->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "cannot remove %s\n", k->dir);
    }
    memset(k, 0, sizeof *k);
}
