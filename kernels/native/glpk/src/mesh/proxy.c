/* proxy.c - remote objects: object model, exports, object table, leases, mesh.* endpoints. */
#define _GNU_SOURCE
#include "mesh/proxy.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DEFAULT_LEASE 30.0
#define SESSION_BUCKETS 256
#define REF_EXT_TYPE 3

/* ======================================================================================== */
/* objects                                                                                  */
/* ======================================================================================== */

struct mesh_object {
    atomic_long refs;
    const mesh_class *cls;
    void *self;
    bool is_type;  /* an exported type: mesh.call constructs, nothing else is reachable */
    uint64_t id;   /* table id while some session holds it, else 0 (mesh_proxy.lock) */
    uint64_t held; /* references the sessions hold, all sessions together (mesh_proxy.lock) */
};

static _Atomic(mesh_graveyard_fn) g_graveyard;
static void *_Atomic g_graveyard_arg;

void mesh_object_set_graveyard(mesh_graveyard_fn fn, void *arg)
{
    atomic_store(&g_graveyard_arg, arg);
    atomic_store(&g_graveyard, fn);
}

static mesh_object *object_alloc(const mesh_class *c, void *self, bool is_type)
{
    mesh_object *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    atomic_init(&o->refs, 1);
    o->cls = c;
    o->self = self;
    o->is_type = is_type;
    return o;
}

mesh_object *mesh_object_new(const mesh_class *c, void *self)
{
    return object_alloc(c, self, false);
}

mesh_object *mesh_object_ref(mesh_object *o)
{
    if (o)
        atomic_fetch_add_explicit(&o->refs, 1, memory_order_relaxed);
    return o;
}

void mesh_object_destroy(mesh_object *o, void *worker_data)
{
    if (!o->is_type && o->cls->destroy)
        o->cls->destroy(o->self, worker_data);
    free(o);
}

void mesh_object_unref(mesh_object *o)
{
    if (!o || atomic_fetch_sub_explicit(&o->refs, 1, memory_order_acq_rel) != 1)
        return;
    mesh_graveyard_fn gy = atomic_load(&g_graveyard);
    if (gy && !o->is_type && o->cls->thread_bound) {
        gy(atomic_load(&g_graveyard_arg), o, o->cls->lane);
        return;
    }
    mesh_object_destroy(o, NULL);
}

void *mesh_object_self(const mesh_object *o) { return o->self; }
const mesh_class *mesh_object_class(const mesh_object *o) { return o->cls; }

static void unref_deferred(void *o)
{
    mesh_object_unref(o);
}

mesh_value *mesh_v_object_take(mesh_arena *a, mesh_object *o)
{
    mesh_value *v = o ? mesh_arena_alloc(a, sizeof *v) : NULL;
    if (!v || mesh_arena_defer(a, unref_deferred, o) != 0) {
        mesh_object_unref(o);
        return NULL;
    }
    v->kind = MESH_OBJECT;
    v->u.obj = o;
    return v;
}

mesh_value *mesh_v_object(mesh_arena *a, mesh_object *o)
{
    return mesh_v_object_take(a, mesh_object_ref(o));
}

int mesh_ctx_fail_code_at(mesh_ctx *ctx, const char *file, int line, const char *func, int code,
                          const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return mesh_ctx_fail_at(ctx, file, line, func, mesh_error_name(code), code, "%s", msg);
}

static const char *describe(const mesh_object *o)
{
    return o->cls->name;
}

mesh_object *mesh_proxy_arg(mesh_ctx *ctx, const mesh_value *v, const mesh_class *c, const char *what)
{
    if (v && v->kind == MESH_OBJECT && !v->u.obj->is_type && v->u.obj->cls == c)
        return v->u.obj;
    const char *got = !v ? "nothing"
                      : v->kind != MESH_OBJECT ? "a value (not a reference)"
                      : v->u.obj->is_type ? "an exported type"
                                          : v->u.obj->cls->name;
    mesh_ctx_fail_code(ctx, MESH_BAD_ARGUMENTS, "%s must be a reference to a %s, got %s", what, c->name, got);
    return NULL;
}

/* ======================================================================================== */
/* a map from uint64 (never 0) to uintptr_t: open addressing, linear probing                */
/* ======================================================================================== */

typedef struct {
    uint64_t *keys; /* 0: empty */
    uintptr_t *vals;
    size_t cap, n;  /* cap: 0 or a power of two */
} u64map;

static size_t slot_of(uint64_t k, size_t cap)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k & (cap - 1);
}

static uintptr_t *u64map_get(const u64map *m, uint64_t k)
{
    if (!m->cap || k == 0) /* 0 marks empty slots; no id is 0 (a client may still send it) */
        return NULL;
    for (size_t i = slot_of(k, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == k)
            return &m->vals[i];
        if (m->keys[i] == 0)
            return NULL;
    }
}

static int u64map_put(u64map *m, uint64_t k, uintptr_t v);

static int u64map_grow(u64map *m)
{
    u64map bigger = {0};
    bigger.cap = m->cap ? m->cap * 2 : 16;
    bigger.keys = calloc(bigger.cap, sizeof *bigger.keys);
    bigger.vals = calloc(bigger.cap, sizeof *bigger.vals);
    if (!bigger.keys || !bigger.vals) {
        free(bigger.keys);
        free(bigger.vals);
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->keys[i])
            u64map_put(&bigger, m->keys[i], m->vals[i]); /* cannot grow again */
    free(m->keys);
    free(m->vals);
    *m = bigger;
    return 0;
}

static int u64map_put(u64map *m, uint64_t k, uintptr_t v)
{
    if ((m->n + 1) * 4 > m->cap * 3 && u64map_grow(m) != 0)
        return -1;
    size_t i = slot_of(k, m->cap);
    while (m->keys[i] && m->keys[i] != k)
        i = (i + 1) & (m->cap - 1);
    if (!m->keys[i])
        m->n++;
    m->keys[i] = k;
    m->vals[i] = v;
    return 0;
}

/* Deletion by backward shift, so that lookups never need tombstones. */
static void u64map_del(u64map *m, uint64_t k)
{
    if (!m->cap || k == 0)
        return;
    size_t mask = m->cap - 1, i = slot_of(k, m->cap);
    while (m->keys[i] != k) {
        if (m->keys[i] == 0)
            return;
        i = (i + 1) & mask;
    }
    for (size_t j = i;;) {
        j = (j + 1) & mask;
        if (m->keys[j] == 0)
            break;
        size_t h = slot_of(m->keys[j], m->cap);
        /* the entry at j may move to i unless its home slot lies cyclically in (i, j] */
        bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
        if (stays)
            continue;
        m->keys[i] = m->keys[j];
        m->vals[i] = m->vals[j];
        i = j;
    }
    m->keys[i] = 0;
    m->vals[i] = 0;
    m->n--;
}

static void u64map_free(u64map *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ======================================================================================== */
/* the table                                                                                */
/* ======================================================================================== */

typedef struct session {
    struct session *next;
    char *name;
    double last_seen; /* monotonic seconds */
    u64map counts;    /* object id -> references this session holds */
} session;

typedef struct {
    char *name;
    mesh_object *obj;
} export_entry;

struct mesh_proxy {
    char *kernel_id;
    double lease;
    pthread_mutex_t lock;
    uint64_t next_id;
    u64map objects; /* id -> mesh_object * (one table reference each) */
    session *sessions[SESSION_BUCKETS];
    size_t nsessions;
    export_entry *exports;
    size_t nexports, capexports;
};

/* Objects whose last table reference went while the lock was held: unreferenced after it is
 * released, because destroying one runs class code. */
typedef struct {
    mesh_object **o;
    size_t n, cap;
} droplist;

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static unsigned hash_str(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % SESSION_BUCKETS;
}

static session *session_find(mesh_proxy *p, const char *name, bool create)
{
    unsigned b = hash_str(name);
    for (session *s = p->sessions[b]; s; s = s->next)
        if (strcmp(s->name, name) == 0)
            return s;
    if (!create)
        return NULL;
    session *s = calloc(1, sizeof *s);
    if (!s || !(s->name = strdup(name))) {
        free(s);
        return NULL;
    }
    s->last_seen = now_mono();
    s->next = p->sessions[b];
    p->sessions[b] = s;
    p->nsessions++;
    return s;
}

static void session_unlink(mesh_proxy *p, session *s)
{
    session **pp = &p->sessions[hash_str(s->name)];
    while (*pp != s)
        pp = &(*pp)->next;
    *pp = s->next;
    p->nsessions--;
    u64map_free(&s->counts);
    free(s->name);
    free(s);
}

/* Lock held. */
static void drop(mesh_proxy *p, mesh_object *o, uint64_t n, droplist *dl)
{
    o->held -= n;
    if (o->held)
        return;
    u64map_del(&p->objects, o->id);
    o->id = 0;
    if (dl->n == dl->cap) {
        size_t nc = dl->cap ? dl->cap * 2 : 16;
        mesh_object **no = realloc(dl->o, nc * sizeof *no);
        if (!no) {
            /* no room to defer: class destructors never call back into the table, so this is
             * safe, only slower under the lock */
            mesh_object_unref(o);
            return;
        }
        dl->o = no;
        dl->cap = nc;
    }
    dl->o[dl->n++] = o;
}

static void droplist_unref(droplist *dl)
{
    for (size_t i = 0; i < dl->n; i++)
        mesh_object_unref(dl->o[i]);
    free(dl->o);
    memset(dl, 0, sizeof *dl);
}

/* Lock held. All of a session's references go. */
static void session_release_all(mesh_proxy *p, session *s, droplist *dl)
{
    for (size_t i = 0; i < s->counts.cap; i++) {
        if (!s->counts.keys[i])
            continue;
        uintptr_t *op = u64map_get(&p->objects, s->counts.keys[i]);
        if (op)
            drop(p, (mesh_object *)*op, s->counts.vals[i], dl);
    }
    session_unlink(p, s);
}

/* Gives session one more reference to o; *id is o's table id. */
static int table_add(mesh_proxy *p, mesh_object *o, const char *session_name, uint64_t *id)
{
    int rc = -1;
    pthread_mutex_lock(&p->lock);
    session *s = session_find(p, session_name, true);
    if (!s)
        goto done;
    bool added = false;
    if (o->id == 0) {
        uint64_t nid = p->next_id + 1;
        if (u64map_put(&p->objects, nid, (uintptr_t)o) != 0)
            goto done;
        p->next_id = nid;
        o->id = nid;
        o->held = 0;
        mesh_object_ref(o);
        added = true;
    }
    uintptr_t *c = u64map_get(&s->counts, o->id);
    if (c) {
        (*c)++;
    } else if (u64map_put(&s->counts, o->id, 1) != 0) {
        if (added) {
            u64map_del(&p->objects, o->id);
            o->id = 0;
            atomic_fetch_sub(&o->refs, 1); /* the caller still holds one: never the last */
        }
        if (s->counts.n == 0)
            session_unlink(p, s);
        goto done;
    }
    o->held++;
    *id = o->id;
    rc = 0;
done:
    pthread_mutex_unlock(&p->lock);
    return rc;
}

void mesh_proxy_release(mesh_proxy *p, const char *session_name, const uint64_t *ids, size_t n)
{
    droplist dl = {0};
    pthread_mutex_lock(&p->lock);
    session *s = session_find(p, session_name ? session_name : "", false);
    for (size_t i = 0; s && i < n; i++) {
        uintptr_t *c = u64map_get(&s->counts, ids[i]);
        if (!c)
            continue;
        if (--*c == 0)
            u64map_del(&s->counts, ids[i]);
        uintptr_t *op = u64map_get(&p->objects, ids[i]);
        if (op)
            drop(p, (mesh_object *)*op, 1, &dl);
    }
    if (s && s->counts.n == 0)
        session_unlink(p, s);
    pthread_mutex_unlock(&p->lock);
    droplist_unref(&dl);
}

void mesh_proxy_touch(mesh_proxy *p, const char *session_name)
{
    if (!session_name)
        return;
    pthread_mutex_lock(&p->lock);
    if (p->nsessions) {
        session *s = session_find(p, session_name, false);
        if (s)
            s->last_seen = now_mono();
    }
    pthread_mutex_unlock(&p->lock);
}

int mesh_proxy_sweep(mesh_proxy *p)
{
    droplist dl = {0};
    int expired = 0;
    double now = now_mono();
    pthread_mutex_lock(&p->lock);
    for (size_t b = 0; b < SESSION_BUCKETS && p->nsessions; b++) {
        session *s = p->sessions[b];
        while (s) {
            session *next = s->next;
            if (now - s->last_seen > p->lease) {
                session_release_all(p, s, &dl);
                expired++;
            }
            s = next;
        }
    }
    pthread_mutex_unlock(&p->lock);
    droplist_unref(&dl);
    return expired;
}

void mesh_proxy_clear(mesh_proxy *p)
{
    droplist dl = {0};
    pthread_mutex_lock(&p->lock);
    for (size_t b = 0; b < SESSION_BUCKETS; b++)
        while (p->sessions[b])
            session_release_all(p, p->sessions[b], &dl);
    pthread_mutex_unlock(&p->lock);
    droplist_unref(&dl);
}

void mesh_proxy_counts(mesh_proxy *p, size_t *objects, size_t *sessions)
{
    pthread_mutex_lock(&p->lock);
    *objects = p->objects.n;
    *sessions = p->nsessions;
    pthread_mutex_unlock(&p->lock);
}

mesh_proxy *mesh_proxy_new(const char *kernel_id)
{
    mesh_proxy *p = calloc(1, sizeof *p);
    if (!p || !(p->kernel_id = strdup(kernel_id))) {
        free(p);
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    p->lease = DEFAULT_LEASE;
    const char *env = getenv("MESH_PROXY_LEASE");
    if (env && *env) {
        char *end;
        double x = strtod(env, &end);
        if (*end == 0 && x > 0 && isfinite(x))
            p->lease = x;
        else
            fprintf(stderr, "mesh kernel: ignoring MESH_PROXY_LEASE=%s (seconds > 0 expected)\n", env);
    }
    return p;
}

void mesh_proxy_free(mesh_proxy *p)
{
    if (!p)
        return;
    mesh_proxy_clear(p);
    for (size_t i = 0; i < p->nexports; i++) {
        free(p->exports[i].name);
        mesh_object_unref(p->exports[i].obj);
    }
    free(p->exports);
    u64map_free(&p->objects);
    pthread_mutex_destroy(&p->lock);
    free(p->kernel_id);
    free(p);
}

double mesh_proxy_lease(const mesh_proxy *p) { return p->lease; }
void mesh_proxy_set_lease(mesh_proxy *p, double seconds) { p->lease = seconds; }

static const export_entry *export_find(const mesh_proxy *p, const char *name)
{
    for (size_t i = 0; i < p->nexports; i++)
        if (strcmp(p->exports[i].name, name) == 0)
            return &p->exports[i];
    return NULL;
}

static int export_add(mesh_proxy *p, const char *name, mesh_object *o)
{
    if (!o || export_find(p, name) || strncmp(name, "mesh.", 5) == 0)
        return -1;
    if (p->nexports == p->capexports) {
        size_t nc = p->capexports ? p->capexports * 2 : 8;
        export_entry *ne = realloc(p->exports, nc * sizeof *ne);
        if (!ne)
            return -1;
        p->exports = ne;
        p->capexports = nc;
    }
    char *n = strdup(name);
    if (!n)
        return -1;
    p->exports[p->nexports].name = n;
    p->exports[p->nexports].obj = o;
    p->nexports++;
    return 0;
}

int mesh_proxy_export_type(mesh_proxy *p, const char *name, const mesh_class *c)
{
    mesh_object *o = object_alloc(c, NULL, true);
    if (export_add(p, name, o) != 0) {
        free(o);
        return -1;
    }
    return 0;
}

int mesh_proxy_export_object(mesh_proxy *p, const char *name, mesh_object *o)
{
    if (export_add(p, name, mesh_object_ref(o)) != 0) {
        mesh_object_unref(o);
        return -1;
    }
    return 0;
}

mesh_object *mesh_proxy_root(mesh_proxy *p, const char *name)
{
    const export_entry *e = export_find(p, name);
    return e ? mesh_object_ref(e->obj) : NULL;
}

/* ======================================================================================== */
/* references in messages                                                                   */
/* ======================================================================================== */

int mesh_proxy_resolve(mesh_proxy *p, mesh_arena *a, mesh_value *v, char *err, size_t errlen)
{
    switch (v->kind) {
    case MESH_ARRAY:
        for (uint32_t i = 0; i < v->u.a.n; i++) {
            int rc = mesh_proxy_resolve(p, a, &v->u.a.items[i], err, errlen);
            if (rc)
                return rc;
        }
        return 0;
    case MESH_MAP:
        for (uint32_t i = 0; i < v->u.m.n; i++) {
            int rc = mesh_proxy_resolve(p, a, &v->u.m.keys[i], err, errlen);
            if (!rc)
                rc = mesh_proxy_resolve(p, a, &v->u.m.vals[i], err, errlen);
            if (rc)
                return rc;
        }
        return 0;
    case MESH_EXT:
        break;
    default:
        return 0;
    }
    if (v->u.ext.type != REF_EXT_TYPE)
        return 0;
    mesh_value *r = NULL;
    mesh_decode_error derr;
    if (mesh_decode(a, v->u.ext.data, v->u.ext.len, NULL, &r, &derr) != MESH_DECODE_OK || r->kind != MESH_ARRAY ||
        r->u.a.n != 3 || !(r->u.a.items[0].kind == MESH_UINT || (r->u.a.items[0].kind == MESH_INT && r->u.a.items[0].u.i >= 0)) ||
        r->u.a.items[1].kind != MESH_STR || r->u.a.items[2].kind != MESH_STR) {
        snprintf(err, errlen, "malformed object reference (ext 3 must hold [object_id: uint, type_name: str, kernel_id: str])");
        return MESH_BAD_ARGUMENTS;
    }
    uint64_t id = r->u.a.items[0].kind == MESH_UINT ? r->u.a.items[0].u.u : (uint64_t)r->u.a.items[0].u.i;
    const char *type = r->u.a.items[1].u.s.ptr, *kernel = r->u.a.items[2].u.s.ptr;
    if (strcmp(kernel, p->kernel_id) != 0) {
        snprintf(err, errlen, "reference to object %llu (%.100s) belongs to kernel '%.100s', not to kernel '%.100s'",
                 (unsigned long long)id, type, kernel, p->kernel_id);
        return MESH_PROXY_UNKNOWN_OBJECT;
    }
    mesh_object *o = NULL;
    pthread_mutex_lock(&p->lock);
    uintptr_t *op = id ? u64map_get(&p->objects, id) : NULL;
    if (op)
        o = mesh_object_ref((mesh_object *)*op);
    pthread_mutex_unlock(&p->lock);
    if (!o) {
        snprintf(err, errlen, "kernel %.100s has no object %llu (%.100s): it was released, its session's lease "
                 "expired, or it never existed", p->kernel_id, (unsigned long long)id, *type ? type : "?");
        return MESH_PROXY_UNKNOWN_OBJECT;
    }
    if (mesh_arena_defer(a, unref_deferred, o) != 0) {
        mesh_object_unref(o);
        snprintf(err, errlen, "out of memory");
        return MESH_INTERNAL_ERROR;
    }
    v->kind = MESH_OBJECT;
    v->u.obj = o;
    return 0;
}

static int push_id(uint64_t **ids, size_t *n, size_t *cap, uint64_t id)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        uint64_t *ni = realloc(*ids, nc * sizeof *ni);
        if (!ni)
            return -1;
        *ids = ni;
        *cap = nc;
    }
    (*ids)[(*n)++] = id;
    return 0;
}

int mesh_proxy_externalize(mesh_proxy *p, mesh_arena *a, mesh_value *v, const char *session_name,
                           uint64_t **ids, size_t *nids, size_t *capids)
{
    switch (v->kind) {
    case MESH_ARRAY:
        for (uint32_t i = 0; i < v->u.a.n; i++)
            if (mesh_proxy_externalize(p, a, &v->u.a.items[i], session_name, ids, nids, capids))
                return -1;
        return 0;
    case MESH_MAP:
        for (uint32_t i = 0; i < v->u.m.n; i++)
            if (mesh_proxy_externalize(p, a, &v->u.m.keys[i], session_name, ids, nids, capids) ||
                mesh_proxy_externalize(p, a, &v->u.m.vals[i], session_name, ids, nids, capids))
                return -1;
        return 0;
    case MESH_OBJECT:
        break;
    default:
        return 0;
    }
    mesh_object *o = v->u.obj;
    uint64_t id;
    if (push_id(ids, nids, capids, 0) != 0)
        return -1;
    if (table_add(p, o, session_name ? session_name : "", &id) != 0) {
        (*nids)--;
        return -1;
    }
    (*ids)[*nids - 1] = id;
    mesh_arena *t = mesh_arena_new();
    mesh_value *ref = t ? mesh_v_array(t, 3) : NULL;
    mesh_encoder e;
    mesh_encoder_init(&e);
    e.inline_all = true;
    uint8_t *payload = NULL;
    if (ref && !mesh_array_push(t, ref, mesh_v_uint(t, id)) && !mesh_array_push(t, ref, mesh_v_str(t, describe(o))) &&
        !mesh_array_push(t, ref, mesh_v_str(t, p->kernel_id)) && mesh_encode(&e, ref) == 0 &&
        (payload = mesh_arena_alloc(a, e.size)) != NULL)
        memcpy(payload, e.data, e.size);
    size_t len = e.size;
    mesh_encoder_destroy(&e);
    mesh_arena_free(t);
    if (!payload)
        return -1; /* the id stays in *ids: the caller gives it back */
    v->kind = MESH_EXT;
    v->u.ext.type = REF_EXT_TYPE;
    v->u.ext.data = payload;
    v->u.ext.len = (uint32_t)len;
    return 0;
}

/* ======================================================================================== */
/* the mesh.* endpoints                                                                     */
/* ======================================================================================== */

/* Names compared ignoring case and underscores (section 9.2: set_row_bounds == SetRowBounds). */
static void normalize(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 1 < cap; s++)
        if (*s != '_')
            out[n++] = (char)tolower((unsigned char)*s);
    out[n] = 0;
}

static bool same_member(const char *member, const char *requested)
{
    if (strcmp(member, requested) == 0)
        return true;
    char a[128], b[128];
    normalize(member, a, sizeof a);
    normalize(requested, b, sizeof b);
    return strcmp(a, b) == 0;
}

/* The names of .NET System.Object's members: refused by every kernel, so that a probe means
 * the same thing everywhere (section 9.2). */
static const char *const OBJECT_MEMBERS[] = {"gettype", "tostring", "equals", "gethashcode",
                                             "memberwiseclone", "finalize", "referenceequals"};

static int check_name(mesh_ctx *ctx, const mesh_object *o, const char *name)
{
    if (!*name)
        return mesh_ctx_fail_code(ctx, MESH_BAD_ARGUMENTS, "member name must not be empty");
    if (name[0] == '_')
        return mesh_ctx_fail_code(ctx, MESH_PROXY_FORBIDDEN, "member '%s' of %s is not reachable: names starting "
                                  "with '_' are never reachable", name, describe(o));
    char n[128];
    normalize(name, n, sizeof n);
    for (size_t i = 0; i < sizeof OBJECT_MEMBERS / sizeof OBJECT_MEMBERS[0]; i++)
        if (strcmp(n, OBJECT_MEMBERS[i]) == 0)
            return mesh_ctx_fail_code(ctx, MESH_PROXY_FORBIDDEN, "'%s' is a member of .NET's System.Object "
                                      "(runtime machinery), not of %s", name, describe(o));
    if (o->is_type)
        return mesh_ctx_fail_code(ctx, MESH_PROXY_FORBIDDEN, "%s is an exported type: it is only called "
                                  "(mesh.call constructs an instance); its members are not reachable", describe(o));
    return 0;
}

static const mesh_method *find_method(const mesh_class *c, const char *name)
{
    for (size_t i = 0; i < c->nmethods; i++)
        if (strcmp(c->methods[i].name, name) == 0)
            return &c->methods[i];
    for (size_t i = 0; i < c->nmethods; i++)
        if (same_member(c->methods[i].name, name))
            return &c->methods[i];
    return NULL;
}

static const mesh_attribute *find_attr(const mesh_class *c, const char *name)
{
    for (size_t i = 0; i < c->nattrs; i++)
        if (strcmp(c->attrs[i].name, name) == 0)
            return &c->attrs[i];
    for (size_t i = 0; i < c->nattrs; i++)
        if (same_member(c->attrs[i].name, name))
            return &c->attrs[i];
    return NULL;
}

/* "add, snapshot" - for messages. */
static const char *member_list(mesh_arena *a, const mesh_class *c, bool methods)
{
    size_t n = methods ? c->nmethods : c->nattrs;
    if (n == 0)
        return "none";
    char *out = mesh_arena_strdup(a, "");
    for (size_t i = 0; i < n && out; i++)
        out = mesh_arena_printf(a, "%s%s%s", out, i ? ", " : "", methods ? c->methods[i].name : c->attrs[i].name);
    return out ? out : "";
}

/* Types are never results (section 9.2): an exported type is reached through mesh.root only. */
static int check_result(mesh_ctx *ctx, const mesh_value *v, const char *what)
{
    switch (v->kind) {
    case MESH_ARRAY:
        for (uint32_t i = 0; i < v->u.a.n; i++)
            if (check_result(ctx, &v->u.a.items[i], what))
                return -1;
        return 0;
    case MESH_MAP:
        for (uint32_t i = 0; i < v->u.m.n; i++)
            if (check_result(ctx, &v->u.m.keys[i], what) || check_result(ctx, &v->u.m.vals[i], what))
                return -1;
        return 0;
    case MESH_OBJECT:
        if (v->u.obj->is_type)
            return mesh_ctx_fail_code(ctx, MESH_PROXY_FORBIDDEN, "%s is the type %s: types are never handed out as "
                                      "results (an exported type is reached through mesh.root)", what, describe(v->u.obj));
        return 0;
    default:
        return 0;
    }
}

static int bind(mesh_ctx *ctx, const char *what, const mesh_param *params, size_t nparams, const mesh_value *args,
                const mesh_value *kwargs, mesh_value **bound)
{
    mesh_endpoint ep = {.name = what, .params = params, .nparams = nparams};
    char err[512];
    if (args && args->kind == MESH_NIL)
        args = NULL;
    if (kwargs && kwargs->kind == MESH_NIL)
        kwargs = NULL;
    if (mesh_dispatch_bind(&ep, mesh_ctx_arena(ctx), args, kwargs, bound, err, sizeof err) != 0)
        return mesh_ctx_fail_code(ctx, MESH_BAD_ARGUMENTS, "%s", err);
    return 0;
}

static mesh_proxy *proxy_of(mesh_ctx *ctx)
{
    return mesh_ctx_endpoint_data(ctx);
}

/* mesh.root(name) */
static int op_root(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    mesh_proxy *p = proxy_of(ctx);
    const char *name = args->u.a.items[0].u.s.ptr;
    const export_entry *e = export_find(p, name);
    if (!e) {
        mesh_arena *a = mesh_ctx_arena(ctx);
        char *names = mesh_arena_strdup(a, "");
        for (size_t i = 0; i < p->nexports && names; i++)
            names = mesh_arena_printf(a, "%s%s%s", names, i ? ", " : "", p->exports[i].name);
        return mesh_ctx_fail_code(ctx, MESH_PROXY_NOT_EXPORTED, "kernel %s exports no '%s' (exports: %s)", p->kernel_id,
                                  name, names && *names ? names : "none");
    }
    *result = mesh_v_object(mesh_ctx_arena(ctx), e->obj);
    return *result ? 0 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

/* mesh.call(target, args, kwargs): constructs an instance of an exported type */
static int op_call(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    mesh_object *t = args->u.a.items[0].u.obj;
    const mesh_class *c = t->cls;
    if (!t->is_type || !c->construct)
        return mesh_ctx_fail_code(ctx, MESH_PROXY_FORBIDDEN, "%s %s cannot be called; only exported types can (to construct "
                                  "an instance)", t->is_type ? "the type" : "a", describe(t));
    char what[160];
    snprintf(what, sizeof what, "%s", c->name);
    mesh_value *bound;
    if (bind(ctx, what, c->ctor_params, c->nctor_params, &args->u.a.items[1], &args->u.a.items[2], &bound) != 0)
        return -1;
    mesh_object *o = NULL;
    if (c->construct(bound, ctx, &o) != 0)
        return -1;
    *result = mesh_v_object_take(mesh_ctx_arena(ctx), o);
    return *result ? 0 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

/* mesh.call_method(target, name, args, kwargs) */
static int op_call_method(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    mesh_object *o = args->u.a.items[0].u.obj;
    const char *name = args->u.a.items[1].u.s.ptr;
    if (check_name(ctx, o, name) != 0)
        return -1;
    const mesh_method *m = find_method(o->cls, name);
    if (!m) {
        if (find_attr(o->cls, name))
            return mesh_ctx_fail_code(ctx, MESH_PROXY_UNKNOWN_MEMBER, "'%s' of %s is an attribute, not a method "
                                      "(read it with get_attr)", name, describe(o));
        return mesh_ctx_fail_code(ctx, MESH_PROXY_UNKNOWN_MEMBER, "%s has no public method '%s' (methods: %s)",
                                  describe(o), name, member_list(mesh_ctx_arena(ctx), o->cls, true));
    }
    char what[200];
    snprintf(what, sizeof what, "%s.%s", o->cls->name, m->name);
    mesh_value *bound;
    if (bind(ctx, what, m->params, m->nparams, &args->u.a.items[2], &args->u.a.items[3], &bound) != 0)
        return -1;
    mesh_value *r = NULL;
    if (m->fn(o, bound, ctx, &r) != 0)
        return -1;
    if (!r)
        r = mesh_v_nil(mesh_ctx_arena(ctx));
    snprintf(what, sizeof what, "the result of %s.%s", o->cls->name, m->name);
    if (!r || check_result(ctx, r, what) != 0)
        return r ? -1 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    *result = r;
    return 0;
}

/* mesh.get_attr(target, name) */
static int op_get_attr(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    mesh_object *o = args->u.a.items[0].u.obj;
    const char *name = args->u.a.items[1].u.s.ptr;
    if (check_name(ctx, o, name) != 0)
        return -1;
    const mesh_attribute *at = find_attr(o->cls, name);
    if (!at) {
        if (find_method(o->cls, name))
            return mesh_ctx_fail_code(ctx, MESH_PROXY_UNKNOWN_MEMBER, "'%s' of %s is a method, not an attribute "
                                      "(call it with call_method)", name, describe(o));
        return mesh_ctx_fail_code(ctx, MESH_PROXY_UNKNOWN_MEMBER, "%s has no public attribute '%s' (attributes: %s)",
                                  describe(o), name, member_list(mesh_ctx_arena(ctx), o->cls, false));
    }
    mesh_value *r = NULL;
    if (at->get(o, ctx, &r) != 0)
        return -1;
    char what[200];
    snprintf(what, sizeof what, "attribute '%s' of %s", at->name, describe(o));
    if (!r || check_result(ctx, r, what) != 0)
        return r ? -1 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    *result = r;
    return 0;
}

/* mesh.set_attr(target, name, value) */
static int op_set_attr(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    mesh_object *o = args->u.a.items[0].u.obj;
    const char *name = args->u.a.items[1].u.s.ptr;
    if (check_name(ctx, o, name) != 0)
        return -1;
    const mesh_attribute *at = find_attr(o->cls, name);
    if (!at || !at->set)
        return mesh_ctx_fail_code(ctx, MESH_PROXY_UNKNOWN_MEMBER, "%s has no public settable attribute '%s'%s",
                                  describe(o), name, at ? " (it is read-only)" : find_method(o->cls, name) ? " (it is a method)" : "");
    if (at->set(o, &args->u.a.items[2], ctx) != 0)
        return -1;
    *result = mesh_v_nil(mesh_ctx_arena(ctx));
    return *result ? 0 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

/* mesh.get_item(target, key) */
static int op_get_item(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    mesh_object *o = args->u.a.items[0].u.obj;
    if (o->is_type || !o->cls->get_item)
        return mesh_ctx_fail_code(ctx, MESH_PROXY_UNKNOWN_MEMBER, "%s%s has no items", o->is_type ? "the type " : "",
                                  describe(o));
    mesh_value *r = NULL;
    if (o->cls->get_item(o, &args->u.a.items[1], ctx, &r) != 0)
        return -1;
    char what[200];
    snprintf(what, sizeof what, "an item of %s", describe(o));
    if (!r || check_result(ctx, r, what) != 0)
        return r ? -1 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    *result = r;
    return 0;
}

/* mesh.set_item(target, key, value) */
static int op_set_item(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    mesh_object *o = args->u.a.items[0].u.obj;
    if (o->is_type || !o->cls->set_item)
        return mesh_ctx_fail_code(ctx, MESH_PROXY_UNKNOWN_MEMBER, "%s%s does not support item assignment",
                                  o->is_type ? "the type " : "", describe(o));
    if (o->cls->set_item(o, &args->u.a.items[1], &args->u.a.items[2], ctx) != 0)
        return -1;
    *result = mesh_v_nil(mesh_ctx_arena(ctx));
    return *result ? 0 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

/* mesh.deref(target) */
static int op_deref(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    mesh_object *o = args->u.a.items[0].u.obj;
    if (o->is_type || !o->cls->deref)
        return mesh_ctx_fail_code(ctx, MESH_PROXY_NOT_DATA, "%s%s is not plain data and cannot be copied; call its "
                                  "methods instead", o->is_type ? "the type " : "a ", describe(o));
    return o->cls->deref(o, ctx, result);
}

/* mesh.release(ids): an array of uint, or a 1-D integer ndarray (a .NET ulong[]) */
static int op_release(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    const mesh_value *v = &args->u.a.items[0];
    mesh_arena *a = mesh_ctx_arena(ctx);
    uint64_t *ids = NULL;
    size_t n = 0;
    if (v->kind == MESH_ARRAY) {
        n = v->u.a.n;
        ids = mesh_arena_alloc(a, (n + 1) * sizeof *ids);
        for (size_t i = 0; ids && i < n; i++) {
            const mesh_value *x = &v->u.a.items[i];
            if (x->kind == MESH_UINT)
                ids[i] = x->u.u;
            else if (x->kind == MESH_INT && x->u.i >= 0)
                ids[i] = (uint64_t)x->u.i;
            else
                return mesh_ctx_fail_code(ctx, MESH_BAD_ARGUMENTS, "mesh.release(): ids must be non-negative integers "
                                          "(item %zu is not)", i);
        }
    } else if (v->kind == MESH_NDARRAY && v->u.nd.ndim == 1 && v->u.nd.dtype >= MESH_DT_INT8 &&
               v->u.nd.dtype <= MESH_DT_UINT64) {
        const mesh_ndarray *nd = &v->u.nd;
        n = (size_t)nd->shape[0];
        ids = mesh_arena_alloc(a, (n + 1) * sizeof *ids);
        for (size_t i = 0; ids && i < n; i++) {
            int64_t s = 0;
            uint64_t u = 0;
            bool is_signed = true;
            switch (nd->dtype) {
            case MESH_DT_INT8: s = ((const int8_t *)nd->data)[i]; break;
            case MESH_DT_INT16: s = ((const int16_t *)nd->data)[i]; break;
            case MESH_DT_INT32: s = ((const int32_t *)nd->data)[i]; break;
            case MESH_DT_INT64: s = ((const int64_t *)nd->data)[i]; break;
            case MESH_DT_UINT8: u = ((const uint8_t *)nd->data)[i]; is_signed = false; break;
            case MESH_DT_UINT16: u = ((const uint16_t *)nd->data)[i]; is_signed = false; break;
            case MESH_DT_UINT32: u = ((const uint32_t *)nd->data)[i]; is_signed = false; break;
            default: u = ((const uint64_t *)nd->data)[i]; is_signed = false; break;
            }
            if (is_signed && s < 0)
                return mesh_ctx_fail_code(ctx, MESH_BAD_ARGUMENTS, "mesh.release(): ids must be non-negative (item %zu is %lld)",
                                          i, (long long)s);
            ids[i] = is_signed ? (uint64_t)s : u;
        }
    } else {
        return mesh_ctx_fail_code(ctx, MESH_BAD_ARGUMENTS, "mesh.release(): ids must be an array of uint or a 1-D "
                                  "integer ndarray");
    }
    if (!ids)
        return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    mesh_proxy_release(proxy_of(ctx), mesh_ctx_session(ctx), ids, n);
    *result = mesh_v_nil(a);
    return *result ? 0 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

/* mesh.objects() -> {objects, sessions} */
static int op_objects(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    size_t objects, sessions;
    mesh_proxy_counts(proxy_of(ctx), &objects, &sessions);
    mesh_arena *a = mesh_ctx_arena(ctx);
    mesh_value *m = mesh_v_map(a, 2);
    if (!m || mesh_map_put(a, m, "objects", mesh_v_int(a, (int64_t)objects)) ||
        mesh_map_put(a, m, "sessions", mesh_v_int(a, (int64_t)sessions)))
        return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    *result = m;
    return 0;
}

/* Operations on an object run on the lane of its class. */
static int route_target(const mesh_value *bound)
{
    const mesh_value *t = &bound->u.a.items[0];
    return t->kind == MESH_OBJECT ? t->u.obj->cls->lane : -1;
}

static const mesh_param P_ROOT[] = {{"name", MESH_T_STR, true, NULL}};
static const mesh_param P_CALL[] = {
    {"target", MESH_T_OBJECT, true, NULL}, {"args", MESH_T_ARRAY, false, NULL}, {"kwargs", MESH_T_MAP, false, NULL}};
static const mesh_param P_CALL_METHOD[] = {{"target", MESH_T_OBJECT, true, NULL},
                                           {"name", MESH_T_STR, true, NULL},
                                           {"args", MESH_T_ARRAY, false, NULL},
                                           {"kwargs", MESH_T_MAP, false, NULL}};
static const mesh_param P_GET_ATTR[] = {{"target", MESH_T_OBJECT, true, NULL}, {"name", MESH_T_STR, true, NULL}};
static const mesh_param P_SET_ATTR[] = {
    {"target", MESH_T_OBJECT, true, NULL}, {"name", MESH_T_STR, true, NULL}, {"value", MESH_T_ANY, true, NULL}};
static const mesh_param P_GET_ITEM[] = {{"target", MESH_T_OBJECT, true, NULL}, {"key", MESH_T_ANY, true, NULL}};
static const mesh_param P_SET_ITEM[] = {
    {"target", MESH_T_OBJECT, true, NULL}, {"key", MESH_T_ANY, true, NULL}, {"value", MESH_T_ANY, true, NULL}};
static const mesh_param P_TARGET[] = {{"target", MESH_T_OBJECT, true, NULL}};
static const mesh_param P_RELEASE[] = {{"ids", MESH_T_ANY, true, "array of uint | uint64 ndarray"}};

#define N(x) (sizeof(x) / sizeof((x)[0]))

int mesh_proxy_register(mesh_proxy *p, mesh_dispatch *d)
{
    const mesh_endpoint eps[] = {
        {"mesh.root", P_ROOT, N(P_ROOT), "reference to an exported root", op_root, 0, NULL, p},
        {"mesh.call", P_CALL, N(P_CALL), "call an object (construct an exported type)", op_call, 0, route_target, p},
        {"mesh.call_method", P_CALL_METHOD, N(P_CALL_METHOD), "call a method", op_call_method, 0, route_target, p},
        {"mesh.get_attr", P_GET_ATTR, N(P_GET_ATTR), "read an attribute", op_get_attr, 0, route_target, p},
        {"mesh.set_attr", P_SET_ATTR, N(P_SET_ATTR), "write an attribute", op_set_attr, 0, route_target, p},
        {"mesh.get_item", P_GET_ITEM, N(P_GET_ITEM), "read an item", op_get_item, 0, route_target, p},
        {"mesh.set_item", P_SET_ITEM, N(P_SET_ITEM), "write an item", op_set_item, 0, route_target, p},
        {"mesh.deref", P_TARGET, N(P_TARGET), "copy an object's value (plain data only)", op_deref, 0, route_target, p},
        {"mesh.release", P_RELEASE, N(P_RELEASE), "release references", op_release, 0, NULL, p},
        {"mesh.objects", NULL, 0, "live object table size", op_objects, 0, NULL, p},
    };
    for (size_t i = 0; i < N(eps); i++)
        if (mesh_dispatch_add(d, &eps[i]) != 0)
            return -1;
    return 0;
}
