/* kernel.h - the Mesh kernel runtime (docs/protocol.md sections 1, 3, 6).
 *
 * Threads:
 *   - the I/O thread (the caller of mesh_kernel_run) owns the submit and get sockets, the task
 *     table, long-poll waiters, retention, timeouts, shutdown and the parent-death watch;
 *   - the health thread owns the health socket and only reads atomic counters;
 *   - worker threads, grouped in lanes. A lane is a priority queue with its own threads; an
 *     endpoint names its lane. Lane 0 is the general pool (max_concurrency threads); a kernel may
 *     add lanes for work that must stay on one thread (GLPK problem objects, for instance).
 * Workers report completions and progress through an event list and a wake-up pipe, so only the
 * I/O thread ever touches the submit/get sockets.
 */
#ifndef MESH_KERNEL_H
#define MESH_KERNEL_H

#include "mesh/dispatch.h"
#include "mesh/envelope.h"

/* Exit codes of section 3. */
enum {
    MESH_EXIT_OK = 0,
    MESH_EXIT_BAD_CONNECTION_FILE = 2,
    MESH_EXIT_REGISTRATION_FAILED = 3,
    MESH_EXIT_PARENT_DIED = 4,
    MESH_EXIT_BAD_SETTING = 6, /* a kernel setting in the environment, e.g. MESH_IDLE_SPIN_US */
    MESH_EXIT_INTERNAL = 70
};

typedef struct {
    char *protocol;
    char *kernel_id;
    char *key;
    char *signature_scheme;
    char *transport; /* "tcp" or "ipc" */
    char *ip;
    char *ipc_dir;   /* NULL when null/absent */
    char *registration;
    long parent_pid; /* 0 when null/absent */
    int64_t max_message_bytes;
    int heartbeat_ms;
} mesh_config;

/* Strict parser for the flat JSON connection file. 0 on success, else -1 and a message. */
int mesh_config_parse(const char *json, size_t len, mesh_config *cfg, char *err, size_t errlen);
int mesh_config_load(const char *path, mesh_config *cfg, char *err, size_t errlen);
void mesh_config_free(mesh_config *cfg);

typedef struct {
    const char *name;
    int threads;
    /* Called on each worker thread of the lane at start and at exit (may be NULL). The value
     * returned by thread_init is available to handlers through mesh_ctx_worker_data. */
    void *(*thread_init)(int lane, int index);
    void (*thread_exit)(int lane, int index, void *data);
} mesh_lane;

typedef struct {
    const char *language;
    const char *implementation;
    const char *implementation_version;
    const mesh_lane *lanes; /* lanes[0] is the general pool; its thread count is max_concurrency */
    size_t nlanes;
    double result_ttl;       /* seconds, default 600 */
    size_t max_retained;     /* default 10000 */
    size_t max_queue;        /* default 10000 */
    double max_get_wait;     /* seconds, default 3600 */
    double registration_timeout; /* seconds, default 10 */
    /* Remote objects (proxy.h): the kernel resolves references in submits, renews leases for
     * every message, sweeps them, turns objects in results into references and destroys
     * thread-bound objects on their lane. NULL: no proxies. */
    struct mesh_proxy *proxy;
} mesh_kernel_options;

/* Binds, registers and serves until shutdown. Returns the process exit code. */
int mesh_kernel_run(const mesh_config *cfg, const mesh_dispatch *d, const mesh_kernel_options *opt);

#endif
