/* client.h - a test manager + client for a real kernel process.
 *
 * Plays the manager (binds the registration ROUTER, writes the connection file, starts the
 * kernel binary, answers register_request, waits for the first health reply) and the client
 * (three DEALER sockets; messages built and checked with the protocol core: envelope + codec). */
#ifndef TEST_CLIENT_H
#define TEST_CLIENT_H

#include <stdbool.h>
#include <sys/types.h>

#include "mesh/envelope.h"

typedef struct {
    char *task_id;
    mesh_arena *arena;
    mesh_value *value;
    char *message;
} tk_progress;

typedef struct {
    void *zctx;
    void *reg, *health, *submit, *get;
    char reg_addr[256], addr_health[256], addr_submit[256], addr_get[256];
    char dir[256], conn_path[300];
    char keystr[65];
    mesh_key key;
    char kernel_id[64];
    char session[33];
    pid_t pid;
    bool exited;
    int exit_code; /* exit status, or 128 + signal */
    double scale;  /* timeouts are multiplied by this (valgrind) */
    tk_progress *progress;
    size_t nprogress, capprogress;
} tk;

typedef struct {
    const char *const *env;  /* extra "NAME=value" entries for the kernel */
    long parent_pid;         /* 0: this process */
    bool no_register_reply;  /* do not answer register_request */
    bool refuse;             /* answer accepted: false */
    const char *key;         /* NULL: random 64 hex digits; "" : unsigned */
    bool ipc;                /* transport "ipc" with ipc_dir = the test's temp directory */
} tk_options;

/* Starts the kernel (MESH_KERNEL_WRAPPER, e.g. valgrind, is put in front when set) and waits
 * until it is ready. 0 on success. */
int tk_start(tk *k, const tk_options *o);
/* Sends shutdown_request and waits for the exit; returns the exit code (-1 on timeout). */
int tk_shutdown(tk *k, double grace, double wait);
int tk_wait_exit(tk *k, double timeout);
/* Kills the process group if still running, closes sockets, removes files. */
void tk_close(tk *k);

/* Sends `type` with content on sock and waits for the message whose parent_id is this request's
 * id (progress messages meanwhile are recorded). 0 on success, -1 on timeout. */
int tk_request(tk *k, void *sock, const char *type, const mesh_value *content, double timeout, mesh_message *reply);
/* Receives the next message on sock, whatever it is (progress included, nothing recorded).
 * 0 on success, -1 on timeout. */
int tk_recv(tk *k, void *sock, double timeout, mesh_message *msg);
/* Sends `type` with content on sock without waiting for anything; req_id receives the header id. */
int tk_send(tk *k, void *sock, const char *type, const mesh_value *content, char req_id[33]);
/* Sends raw frames on sock (no identity; DEALER). */
int tk_send_frames(void *sock, mesh_frames *fr);

int tk_submit(tk *k, const char *task_id, const char *endpoint, const mesh_value *args,
              const mesh_value *kwargs, int priority, double timeout, mesh_message *reply);
int tk_get(tk *k, const char *task_id, double wait, bool keep, mesh_message *reply);
/* submit + get until done; on success reply holds the final get_reply. */
int tk_call(tk *k, const char *endpoint, const mesh_value *args, const mesh_value *kwargs, double wait,
            mesh_message *reply);
int tk_health(tk *k, mesh_message *reply);

/* Progress messages received so far (drains pending ones on the submit socket first). */
void tk_poll_progress(tk *k, double wait);
void tk_clear_progress(tk *k);

/* "a.b.c" lookup in nested maps. */
const mesh_value *mget(const mesh_value *v, const char *path);
const char *mstr(const mesh_value *v, const char *path);
int64_t mint(const mesh_value *v, const char *path, int64_t def);

/* Writes a unique id. */
void tk_id(char out[33]);

#endif
