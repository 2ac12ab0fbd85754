/* dispatch.h - the endpoint table: name -> handler(args, kwargs, ctx) -> result or error.
 *
 * A kernel registers endpoints with typed parameters; the runtime binds a submit_request's
 * positional and named arguments to them before the task is queued (section 6.2), so a handler
 * receives exactly one value per declared parameter, in declaration order (MESH_NIL for an
 * optional parameter that was not given). */
#ifndef MESH_DISPATCH_H
#define MESH_DISPATCH_H

#include "mesh/codec.h"

typedef enum {
    MESH_T_ANY,
    MESH_T_BOOL,
    MESH_T_INT,
    MESH_T_F64,           /* int or float, handler reads it with mesh_value_as_double */
    MESH_T_STR,
    MESH_T_ARRAY,
    MESH_T_MAP,
    MESH_T_NDARRAY,       /* any dtype */
    MESH_T_NDARRAY_F64,   /* ndarray of dtype float64 */
    MESH_T_TABLE,
    MESH_T_STR_OR_ARRAY,  /* a str, or an array of str */
    MESH_T_F64_VECTOR,    /* a 1-D float64 ndarray, or an array of numbers */
    MESH_T_OBJECT         /* a remote object reference, resolved to the object (proxy.h) */
} mesh_type;

typedef struct {
    const char *name;
    mesh_type type;
    bool required;
    const char *type_name; /* for kernel_info (free-form); NULL: derived from type */
} mesh_param;

typedef struct mesh_ctx mesh_ctx;

/* Returns 0 and sets *result (allocated in mesh_ctx_arena) on success; returns -1 after
 * mesh_ctx_fail on error. args is a MESH_ARRAY with one item per declared parameter. */
typedef int (*mesh_handler)(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx,
                            mesh_value **result);

typedef struct {
    const char *name;
    const mesh_param *params;
    size_t nparams;
    const char *doc;
    mesh_handler fn;
    int lane; /* worker lane (see kernel.h); 0 = general pool */
    /* Optional: the lane for one task, chosen from its bound arguments when it is submitted
     * (proxy operations run on the lane of their target object); < 0 keeps `lane`. */
    int (*route)(const mesh_value *bound);
    void *data; /* for the handler: mesh_ctx_endpoint_data */
} mesh_endpoint;

typedef struct {
    mesh_endpoint *eps;
    size_t n, cap;
} mesh_dispatch;

void mesh_dispatch_init(mesh_dispatch *d);
void mesh_dispatch_free(mesh_dispatch *d);
int mesh_dispatch_add(mesh_dispatch *d, const mesh_endpoint *ep);
const mesh_endpoint *mesh_dispatch_find(const mesh_dispatch *d, const char *name);

/* Binds args (array) and kwargs (map) to ep's parameters; on failure returns -1 with a message
 * naming the parameter. */
int mesh_dispatch_bind(const mesh_endpoint *ep, mesh_arena *a, const mesh_value *args,
                       const mesh_value *kwargs, mesh_value **bound, char *err, size_t errlen);

/* kernel_info endpoint descriptions. */
mesh_value *mesh_dispatch_describe(const mesh_dispatch *d, mesh_arena *a);

/* ---- task context (implemented by the kernel runtime) ----------------------------------- */

mesh_arena *mesh_ctx_arena(mesh_ctx *ctx);
const char *mesh_ctx_task_id(mesh_ctx *ctx);
const mesh_value *mesh_ctx_metadata(mesh_ctx *ctx);
/* True once the task was cancelled, interrupted or timed out (cooperative cancellation). */
bool mesh_ctx_cancelled(mesh_ctx *ctx);
/* Sleeps up to seconds; returns false early when cancelled. */
bool mesh_ctx_sleep(mesh_ctx *ctx, double seconds);
/* Appends one line to the task log (section 6.1). */
void mesh_ctx_log(mesh_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mesh_ctx_log_line(mesh_ctx *ctx, const char *line, size_t len);
/* Sends a progress message {task_id, value, message} to the submitting client. */
void mesh_ctx_progress(mesh_ctx *ctx, const mesh_value *value, const char *message);
/* Records the handler's error; returns -1 so handlers can `return mesh_ctx_fail(...)`. */
int mesh_ctx_fail_at(mesh_ctx *ctx, const char *file, int line, const char *func, const char *type,
                     int code, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
#define mesh_ctx_fail(ctx, type, ...) \
    mesh_ctx_fail_at((ctx), __FILE__, __LINE__, __func__, (type), 0, __VA_ARGS__)
/* Adds a traceback line (outermost first) to the error being raised. */
void mesh_ctx_traceback(mesh_ctx *ctx, const char *line);
/* Per-lane, per-worker user data set by the lane's thread hook. */
void *mesh_ctx_worker_data(mesh_ctx *ctx);
/* The `data` of the task's endpoint. */
void *mesh_ctx_endpoint_data(mesh_ctx *ctx);
/* The header `session` of the submit_request ("" when absent): who owns references the task
 * hands out (protocol section 9.4). */
const char *mesh_ctx_session(mesh_ctx *ctx);

#endif
