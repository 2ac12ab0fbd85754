/* proxy.h - remote objects (docs/protocol.md section 9) for C kernels: an object model, the
 * exports (allow-list), the object table with per-session reference counts and leases, and the
 * reserved mesh.* endpoints.
 *
 * A kernel describes each kind of object it hands out with a mesh_class (methods, attributes,
 * items, constructor, destructor) and exports roots by name: types (mesh.call constructs an
 * instance) and instances. Nothing else is reachable: a member is found in its class's tables
 * only, so there is no reflection to refuse beyond names starting with '_' and the names of
 * .NET's System.Object members, which are refused in every kernel (section 9.2).
 *
 * Objects are reference counted (mesh_object_ref/unref). The table holds one reference to each
 * object some session holds; a MESH_OBJECT value holds one through its arena (mesh_v_object),
 * so an argument stays alive while its task is queued or running, and an object another object
 * keeps (a Calculator's Policy) lives as long as the keeper holds its reference.
 *
 * Threads: the kernel runtime resolves references when a submit arrives (I/O thread), renews
 * leases for every message (I/O and health threads), sweeps leases (I/O thread), and runs the
 * operations as tasks on the lane of the target's class (mesh_class.lane). An object whose
 * class is thread_bound is destroyed on a thread of its lane - GLPK problem objects live in one
 * thread's GLPK environment - whichever thread dropped its last reference.
 */
#ifndef MESH_PROXY_H
#define MESH_PROXY_H

#include "mesh/dispatch.h"
#include "mesh/envelope.h"

typedef struct mesh_object mesh_object;
typedef struct mesh_proxy mesh_proxy;

/* A method. args holds one value per declared parameter, bound like an endpoint's
 * (positional first, then named; MESH_NIL for an optional parameter not given). */
typedef struct {
    const char *name;
    const mesh_param *params;
    size_t nparams;
    int (*fn)(mesh_object *self, const mesh_value *args, mesh_ctx *ctx, mesh_value **result);
    const char *doc;
} mesh_method;

/* An attribute; set == NULL: read-only. */
typedef struct {
    const char *name;
    int (*get)(mesh_object *self, mesh_ctx *ctx, mesh_value **result);
    int (*set)(mesh_object *self, const mesh_value *value, mesh_ctx *ctx);
} mesh_attribute;

typedef struct mesh_class {
    const char *name; /* the type_name of references (informative) */
    int lane;         /* the lane whose workers run every operation on these objects */
    bool thread_bound; /* destroy on a worker of `lane` (per-thread resources) */
    const mesh_method *methods;
    size_t nmethods;
    const mesh_attribute *attrs;
    size_t nattrs;
    /* An exported type constructs instances through mesh.call (NULL: not constructible). */
    const mesh_param *ctor_params;
    size_t nctor_params;
    int (*construct)(const mesh_value *args, mesh_ctx *ctx, mesh_object **out);
    /* Items (mesh.get_item / mesh.set_item); NULL: none. */
    int (*get_item)(mesh_object *self, const mesh_value *key, mesh_ctx *ctx, mesh_value **result);
    int (*set_item)(mesh_object *self, const mesh_value *key, const mesh_value *value, mesh_ctx *ctx);
    /* The object's value as plain data (mesh.deref); NULL: not plain data. */
    int (*deref)(mesh_object *self, mesh_ctx *ctx, mesh_value **result);
    /* Frees self. worker_data is the lane worker's data (kernel.h thread_init) when called on a
     * thread of the lane, NULL when those threads are gone (kernel exit: the lane's per-thread
     * resources are already freed; free only what self owns). May be NULL. */
    void (*destroy)(void *self, void *worker_data);
} mesh_class;

/* ---- objects ------------------------------------------------------------------------------ */

/* A new object of class c around self, with one reference (the caller's). NULL on OOM. */
mesh_object *mesh_object_new(const mesh_class *c, void *self);
mesh_object *mesh_object_ref(mesh_object *o);
void mesh_object_unref(mesh_object *o);
void *mesh_object_self(const mesh_object *o);
const mesh_class *mesh_object_class(const mesh_object *o);
/* Destroys o now (refcount already 0), with the given worker data: for the kernel runtime. */
void mesh_object_destroy(mesh_object *o, void *worker_data);

/* Where the kernel runtime wants thread-bound objects whose last reference went: it destroys
 * them on their lane. NULL: destroyed at once, with worker_data NULL. */
typedef void (*mesh_graveyard_fn)(void *arg, mesh_object *o, int lane);
void mesh_object_set_graveyard(mesh_graveyard_fn fn, void *arg);

/* A value for o; the arena keeps a reference until it is freed. */
mesh_value *mesh_v_object(mesh_arena *a, mesh_object *o);
/* Same, handing the caller's reference to the arena (for objects just created). */
mesh_value *mesh_v_object_take(mesh_arena *a, mesh_object *o);

/* The object of class c in argument v, or NULL after failing the task with BAD_ARGUMENTS
 * naming `what` (e.g. "Calculator() argument 'policy'"). */
mesh_object *mesh_proxy_arg(mesh_ctx *ctx, const mesh_value *v, const mesh_class *c, const char *what);

/* Fails the task with a reserved error code (type = the code's name). */
int mesh_ctx_fail_code_at(mesh_ctx *ctx, const char *file, int line, const char *func, int code,
                          const char *fmt, ...) __attribute__((format(printf, 6, 7)));
#define mesh_ctx_fail_code(ctx, code, ...) \
    mesh_ctx_fail_code_at((ctx), __FILE__, __LINE__, __func__, (code), __VA_ARGS__)

/* ---- exports and the object table -------------------------------------------------------- */

/* The lease comes from MESH_PROXY_LEASE (seconds > 0), default 30. */
mesh_proxy *mesh_proxy_new(const char *kernel_id);
/* Drops the exports and whatever the table still holds. */
void mesh_proxy_free(mesh_proxy *p);
double mesh_proxy_lease(const mesh_proxy *p);
void mesh_proxy_set_lease(mesh_proxy *p, double seconds);

/* Exports a type (mesh.call on it constructs) or an instance (takes a reference). 0 on
 * success, -1 for a duplicate name or OOM. */
int mesh_proxy_export_type(mesh_proxy *p, const char *name, const mesh_class *c);
int mesh_proxy_export_object(mesh_proxy *p, const char *name, mesh_object *o);
/* A new reference to the exported root `name`, NULL if there is none. */
mesh_object *mesh_proxy_root(mesh_proxy *p, const char *name);

/* Registers mesh.root, mesh.call, mesh.call_method, mesh.get_attr, mesh.set_attr,
 * mesh.get_item, mesh.set_item, mesh.deref, mesh.release and mesh.objects. */
int mesh_proxy_register(mesh_proxy *p, mesh_dispatch *d);

/* ---- for the kernel runtime ----------------------------------------------------------------- */

/* Replaces every ext 3 reference in v (arrays and maps, keys included, in place) by its object
 * (MESH_OBJECT, held by arena a). On failure returns the error code (PROXY_UNKNOWN_OBJECT for an
 * unknown id or another kernel's reference, BAD_ARGUMENTS for a malformed one) and a message. */
int mesh_proxy_resolve(mesh_proxy *p, mesh_arena *a, mesh_value *v, char *err, size_t errlen);

/* Turns every MESH_OBJECT in a task's result into an ext 3 reference held by `session` (in
 * place; payloads allocated in a). The ids handed out are appended to *ids (malloc'd) so that a
 * result that is never delivered can give them back (mesh_proxy_release). 0 or -1 (OOM). */
int mesh_proxy_externalize(mesh_proxy *p, mesh_arena *a, mesh_value *v, const char *session,
                           uint64_t **ids, size_t *nids, size_t *capids);

/* Takes back one of session's references per id; unknown ids are ignored. */
void mesh_proxy_release(mesh_proxy *p, const char *session, const uint64_t *ids, size_t n);
/* Renews session's lease if it holds references (every message received). */
void mesh_proxy_touch(mesh_proxy *p, const char *session);
/* Releases everything held by sessions silent for longer than the lease; returns how many
 * sessions expired. */
int mesh_proxy_sweep(mesh_proxy *p);
/* Releases everything every session holds (kernel exit). */
void mesh_proxy_clear(mesh_proxy *p);
void mesh_proxy_counts(mesh_proxy *p, size_t *objects, size_t *sessions);

#endif
