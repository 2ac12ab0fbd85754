/* conformance_objects.c - the proxy conformance objects of docs/conformance.md: the types
 * Counter, Policy, Records and Calculator, and the instance store. They run on the general lane,
 * where several workers may call the same object at once, so their state is guarded. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "glpk_endpoints.h"

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static mesh_proxy *g_px; /* for Counter.machinery, which hands back its own exported type */

static int oom(mesh_ctx *ctx)
{
    return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

static int done(mesh_ctx *ctx, mesh_value **result, mesh_value *v)
{
    *result = v;
    return v ? 0 : oom(ctx);
}

static void free_self(void *self, void *worker_data)
{
    free(self);
}

/* ---- Counter(start: int = 0) ------------------------------------------------------------- */

typedef struct {
    int64_t value;
} counter;

extern const mesh_class COUNTER_CLASS;

static int counter_new(const mesh_value *args, mesh_ctx *ctx, mesh_object **out)
{
    const mesh_value *start = &args->u.a.items[0];
    if (start->kind == MESH_UINT)
        return mesh_ctx_fail(ctx, "ValueError", "start %llu is out of range", (unsigned long long)start->u.u);
    counter *c = calloc(1, sizeof *c);
    if (!c)
        return oom(ctx);
    c->value = start->kind == MESH_INT ? start->u.i : 0;
    if (!(*out = mesh_object_new(&COUNTER_CLASS, c))) {
        free(c);
        return oom(ctx);
    }
    return 0;
}

static int counter_add(mesh_object *self, const mesh_value *args, mesh_ctx *ctx, mesh_value **result)
{
    counter *c = mesh_object_self(self);
    const mesh_value *n = &args->u.a.items[0];
    if (n->kind != MESH_INT)
        return mesh_ctx_fail(ctx, "ValueError", "n is out of range");
    pthread_mutex_lock(&g_lock);
    int64_t v = c->value += n->u.i;
    pthread_mutex_unlock(&g_lock);
    return done(ctx, result, mesh_v_int(mesh_ctx_arena(ctx), v));
}

static int counter_snapshot(mesh_object *self, const mesh_value *args, mesh_ctx *ctx, mesh_value **result)
{
    counter *c = mesh_object_self(self);
    mesh_arena *a = mesh_ctx_arena(ctx);
    pthread_mutex_lock(&g_lock);
    int64_t v = c->value;
    pthread_mutex_unlock(&g_lock);
    mesh_value *m = mesh_v_map(a, 1);
    if (!m || mesh_map_put(a, m, "value", mesh_v_int(a, v)))
        return oom(ctx);
    *result = m;
    return 0;
}

static int counter_fail(mesh_object *self, const mesh_value *args, mesh_ctx *ctx, mesh_value **result)
{
    return mesh_ctx_fail(ctx, "ValueError", "%s", args->u.a.items[0].u.s.ptr);
}

/* Returns the Counter type itself: the kernel must refuse to hand it out (a type is never a
 * result), which is what the conformance suite checks. */
static int counter_machinery(mesh_object *self, const mesh_value *args, mesh_ctx *ctx, mesh_value **result)
{
    mesh_object *type = mesh_proxy_root(g_px, "Counter");
    if (!type)
        return mesh_ctx_fail(ctx, "LookupError", "Counter is not exported");
    return done(ctx, result, mesh_v_object_take(mesh_ctx_arena(ctx), type));
}

static int counter_get_value(mesh_object *self, mesh_ctx *ctx, mesh_value **result)
{
    counter *c = mesh_object_self(self);
    pthread_mutex_lock(&g_lock);
    int64_t v = c->value;
    pthread_mutex_unlock(&g_lock);
    return done(ctx, result, mesh_v_int(mesh_ctx_arena(ctx), v));
}

static int counter_set_value(mesh_object *self, const mesh_value *value, mesh_ctx *ctx)
{
    if (value->kind != MESH_INT)
        return mesh_ctx_fail_code(ctx, MESH_BAD_ARGUMENTS, "Counter.value must be an int (64-bit)");
    counter *c = mesh_object_self(self);
    pthread_mutex_lock(&g_lock);
    c->value = value->u.i;
    pthread_mutex_unlock(&g_lock);
    return 0;
}

static const mesh_param P_START[] = {{"start", MESH_T_INT, false, NULL}};
static const mesh_param P_N[] = {{"n", MESH_T_INT, true, NULL}};
static const mesh_param P_MESSAGE[] = {{"message", MESH_T_STR, true, NULL}};

static const mesh_method COUNTER_METHODS[] = {
    {"add", P_N, 1, counter_add, "adds n; returns the new value"},
    {"snapshot", NULL, 0, counter_snapshot, "{value} (plain data)"},
    {"fail", P_MESSAGE, 1, counter_fail, "raises ValueError(message)"},
    {"machinery", NULL, 0, counter_machinery, "the Counter type (refused by the allow-list)"},
};
static const mesh_attribute COUNTER_ATTRS[] = {{"value", counter_get_value, counter_set_value}};

const mesh_class COUNTER_CLASS = {
    .name = "Counter",
    .lane = LANE_GENERAL,
    .methods = COUNTER_METHODS,
    .nmethods = sizeof COUNTER_METHODS / sizeof COUNTER_METHODS[0],
    .attrs = COUNTER_ATTRS,
    .nattrs = 1,
    .ctor_params = P_START,
    .nctor_params = 1,
    .construct = counter_new,
    .destroy = free_self,
};

/* ---- Policy(rate: float) ----------------------------------------------------------------- */

typedef struct {
    double rate;
} policy;

extern const mesh_class POLICY_CLASS;

static int policy_new(const mesh_value *args, mesh_ctx *ctx, mesh_object **out)
{
    policy *p = malloc(sizeof *p);
    if (!p)
        return oom(ctx);
    p->rate = mesh_value_as_double(&args->u.a.items[0]);
    if (!(*out = mesh_object_new(&POLICY_CLASS, p))) {
        free(p);
        return oom(ctx);
    }
    return 0;
}

static double policy_rate(mesh_object *o)
{
    policy *p = mesh_object_self(o);
    pthread_mutex_lock(&g_lock);
    double r = p->rate;
    pthread_mutex_unlock(&g_lock);
    return r;
}

static int policy_get_rate(mesh_object *self, mesh_ctx *ctx, mesh_value **result)
{
    return done(ctx, result, mesh_v_f64(mesh_ctx_arena(ctx), policy_rate(self)));
}

static int policy_set_rate(mesh_object *self, const mesh_value *value, mesh_ctx *ctx)
{
    if (!mesh_value_is_number(value))
        return mesh_ctx_fail_code(ctx, MESH_BAD_ARGUMENTS, "Policy.rate must be a number");
    policy *p = mesh_object_self(self);
    pthread_mutex_lock(&g_lock);
    p->rate = mesh_value_as_double(value);
    pthread_mutex_unlock(&g_lock);
    return 0;
}

static const mesh_param P_RATE[] = {{"rate", MESH_T_F64, true, NULL}};
static const mesh_attribute POLICY_ATTRS[] = {{"rate", policy_get_rate, policy_set_rate}};

const mesh_class POLICY_CLASS = {
    .name = "Policy",
    .lane = LANE_GENERAL,
    .attrs = POLICY_ATTRS,
    .nattrs = 1,
    .ctor_params = P_RATE,
    .nctor_params = 1,
    .construct = policy_new,
    .destroy = free_self,
};

/* ---- Records(values: float64 array) ------------------------------------------------------- */

typedef struct {
    double *values;
    uint64_t n;
} records;

extern const mesh_class RECORDS_CLASS;

static void records_destroy(void *self, void *worker_data)
{
    records *r = self;
    free(r->values);
    free(r);
}

static int records_new(const mesh_value *args, mesh_ctx *ctx, mesh_object **out)
{
    const mesh_value *v = &args->u.a.items[0];
    records *r = calloc(1, sizeof *r);
    if (!r)
        return oom(ctx);
    r->n = v->kind == MESH_NDARRAY ? v->u.nd.shape[0] : v->u.a.n;
    r->values = malloc((size_t)(r->n ? r->n : 1) * sizeof(double));
    if (!r->values) {
        records_destroy(r, NULL);
        return oom(ctx);
    }
    for (uint64_t i = 0; i < r->n; i++)
        r->values[i] = v->kind == MESH_NDARRAY ? ((const double *)v->u.nd.data)[i] : mesh_value_as_double(&v->u.a.items[i]);
    if (!(*out = mesh_object_new(&RECORDS_CLASS, r))) {
        records_destroy(r, NULL);
        return oom(ctx);
    }
    return 0;
}

/* added one by one from the first to the last, as every kernel does */
static double records_total(mesh_object *o)
{
    const records *r = mesh_object_self(o);
    double s = 0;
    for (uint64_t i = 0; i < r->n; i++)
        s += r->values[i];
    return s;
}

static int records_total_method(mesh_object *self, const mesh_value *args, mesh_ctx *ctx, mesh_value **result)
{
    return done(ctx, result, mesh_v_f64(mesh_ctx_arena(ctx), records_total(self)));
}

static int records_get_values(mesh_object *self, mesh_ctx *ctx, mesh_value **result)
{
    const records *r = mesh_object_self(self);
    uint64_t shape[1] = {r->n};
    mesh_value *nd = mesh_v_ndarray(mesh_ctx_arena(ctx), MESH_DT_FLOAT64, 1, shape);
    if (nd && r->n)
        memcpy(nd->u.nd.data, r->values, (size_t)r->n * sizeof(double));
    return done(ctx, result, nd);
}

static const mesh_param P_VALUES[] = {{"values", MESH_T_F64_VECTOR, true, "float64[]"}};
static const mesh_method RECORDS_METHODS[] = {{"total", NULL, 0, records_total_method, "the sum, one by one"}};
static const mesh_attribute RECORDS_ATTRS[] = {{"values", records_get_values, NULL}};

const mesh_class RECORDS_CLASS = {
    .name = "Records",
    .lane = LANE_GENERAL,
    .methods = RECORDS_METHODS,
    .nmethods = 1,
    .attrs = RECORDS_ATTRS,
    .nattrs = 1,
    .ctor_params = P_VALUES,
    .nctor_params = 1,
    .construct = records_new,
    .destroy = records_destroy,
};

/* ---- Calculator(policy: Policy, records: Records) ---------------------------------------- */

/* Holds its own references, so the objects outlive the client's proxies to them. */
typedef struct {
    mesh_object *policy, *records;
} calculator;

extern const mesh_class CALCULATOR_CLASS;

static void calculator_destroy(void *self, void *worker_data)
{
    calculator *c = self;
    mesh_object_unref(c->policy);
    mesh_object_unref(c->records);
    free(c);
}

static int calculator_new(const mesh_value *args, mesh_ctx *ctx, mesh_object **out)
{
    mesh_object *p = mesh_proxy_arg(ctx, &args->u.a.items[0], &POLICY_CLASS, "Calculator() argument 'policy'");
    mesh_object *r = p ? mesh_proxy_arg(ctx, &args->u.a.items[1], &RECORDS_CLASS, "Calculator() argument 'records'") : NULL;
    if (!p || !r)
        return -1;
    calculator *c = malloc(sizeof *c);
    if (!c)
        return oom(ctx);
    c->policy = mesh_object_ref(p);
    c->records = mesh_object_ref(r);
    if (!(*out = mesh_object_new(&CALCULATOR_CLASS, c))) {
        calculator_destroy(c, NULL);
        return oom(ctx);
    }
    return 0;
}

static int calculator_run(mesh_object *self, const mesh_value *args, mesh_ctx *ctx, mesh_value **result)
{
    const calculator *c = mesh_object_self(self);
    return done(ctx, result, mesh_v_f64(mesh_ctx_arena(ctx), policy_rate(c->policy) * records_total(c->records)));
}

/* the same Policy object, by reference */
static int calculator_get_policy(mesh_object *self, mesh_ctx *ctx, mesh_value **result)
{
    const calculator *c = mesh_object_self(self);
    return done(ctx, result, mesh_v_object(mesh_ctx_arena(ctx), c->policy));
}

static const mesh_param P_CALCULATOR[] = {
    {"policy", MESH_T_OBJECT, true, "Policy"},
    {"records", MESH_T_OBJECT, true, "Records"},
};
static const mesh_method CALCULATOR_METHODS[] = {{"run", NULL, 0, calculator_run, "policy.rate * records.total()"}};
static const mesh_attribute CALCULATOR_ATTRS[] = {{"policy", calculator_get_policy, NULL}};

const mesh_class CALCULATOR_CLASS = {
    .name = "Calculator",
    .lane = LANE_GENERAL,
    .methods = CALCULATOR_METHODS,
    .nmethods = 1,
    .attrs = CALCULATOR_ATTRS,
    .nattrs = 1,
    .ctor_params = P_CALCULATOR,
    .nctor_params = 2,
    .construct = calculator_new,
    .destroy = calculator_destroy,
};

/* ---- store: a map of str keys to plain data --------------------------------------------
 * Values are kept as their MessagePack encoding (arrays inline), which is a deep copy that
 * outlives the task's arena and decodes back into any task's. References cannot be kept that
 * way; the store refuses them (documented in docs/conformance.md). */

typedef struct {
    char *key;
    uint8_t *bytes;
    size_t len;
} entry;

typedef struct {
    entry *e;
    size_t n, cap;
} store;

static void store_destroy(void *self, void *worker_data)
{
    store *s = self;
    for (size_t i = 0; i < s->n; i++) {
        free(s->e[i].key);
        free(s->e[i].bytes);
    }
    free(s->e);
    free(s);
}

static bool holds_reference(const mesh_value *v)
{
    switch (v->kind) {
    case MESH_OBJECT: return true;
    case MESH_EXT: return v->u.ext.type == 3;
    case MESH_ARRAY:
        for (uint32_t i = 0; i < v->u.a.n; i++)
            if (holds_reference(&v->u.a.items[i]))
                return true;
        return false;
    case MESH_MAP:
        for (uint32_t i = 0; i < v->u.m.n; i++)
            if (holds_reference(&v->u.m.keys[i]) || holds_reference(&v->u.m.vals[i]))
                return true;
        return false;
    default: return false;
    }
}

static int store_key(mesh_ctx *ctx, const mesh_value *key)
{
    if (key->kind != MESH_STR)
        return mesh_ctx_fail_code(ctx, MESH_BAD_ARGUMENTS, "store keys must be str");
    return 0;
}

/* Decodes entry e into the task's arena. Lock held. */
static mesh_value *entry_value(mesh_ctx *ctx, const entry *e)
{
    mesh_value *v = NULL;
    mesh_decode_error err;
    if (mesh_decode(mesh_ctx_arena(ctx), e->bytes, e->len, NULL, &v, &err) != MESH_DECODE_OK)
        return NULL;
    return v;
}

static int store_get(mesh_object *self, const mesh_value *key, mesh_ctx *ctx, mesh_value **result)
{
    if (store_key(ctx, key) != 0)
        return -1;
    store *s = mesh_object_self(self);
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->e[i].key, key->u.s.ptr) != 0)
            continue;
        mesh_value *v = entry_value(ctx, &s->e[i]);
        pthread_mutex_unlock(&g_lock);
        return done(ctx, result, v);
    }
    pthread_mutex_unlock(&g_lock);
    return mesh_ctx_fail(ctx, "KeyError", "the store has no item '%s'", key->u.s.ptr);
}

static int store_set(mesh_object *self, const mesh_value *key, const mesh_value *value, mesh_ctx *ctx)
{
    if (store_key(ctx, key) != 0)
        return -1;
    if (holds_reference(value))
        return mesh_ctx_fail(ctx, "ValueError", "the C kernel's store keeps plain data only, not object references");
    mesh_encoder enc;
    mesh_encoder_init(&enc);
    enc.inline_all = true;
    if (mesh_encode(&enc, value) != 0) {
        mesh_encoder_destroy(&enc);
        return oom(ctx);
    }
    uint8_t *bytes = malloc(enc.size ? enc.size : 1);
    if (bytes)
        memcpy(bytes, enc.data, enc.size);
    size_t len = enc.size;
    mesh_encoder_destroy(&enc);
    if (!bytes)
        return oom(ctx);
    store *s = mesh_object_self(self);
    pthread_mutex_lock(&g_lock);
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->e[i].key, key->u.s.ptr) == 0) {
            free(s->e[i].bytes);
            s->e[i].bytes = bytes;
            s->e[i].len = len;
            pthread_mutex_unlock(&g_lock);
            return 0;
        }
    }
    char *k = strdup(key->u.s.ptr);
    if (k && s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 8;
        entry *ne = realloc(s->e, nc * sizeof *ne);
        if (ne) {
            s->e = ne;
            s->cap = nc;
        }
    }
    if (!k || s->n == s->cap) {
        pthread_mutex_unlock(&g_lock);
        free(k);
        free(bytes);
        return oom(ctx);
    }
    s->e[s->n++] = (entry){k, bytes, len};
    pthread_mutex_unlock(&g_lock);
    return 0;
}

static int store_deref(mesh_object *self, mesh_ctx *ctx, mesh_value **result)
{
    store *s = mesh_object_self(self);
    mesh_arena *a = mesh_ctx_arena(ctx);
    pthread_mutex_lock(&g_lock);
    mesh_value *m = mesh_v_map(a, (uint32_t)s->n);
    for (size_t i = 0; m && i < s->n; i++) {
        mesh_value *v = entry_value(ctx, &s->e[i]);
        if (!v || mesh_map_put(a, m, s->e[i].key, v))
            m = NULL;
    }
    pthread_mutex_unlock(&g_lock);
    return done(ctx, result, m);
}

static const mesh_class STORE_CLASS = {
    .name = "store",
    .lane = LANE_GENERAL,
    .get_item = store_get,
    .set_item = store_set,
    .deref = store_deref,
    .destroy = store_destroy,
};

int conformance_objects_export(mesh_proxy *px)
{
    g_px = px;
    if (mesh_proxy_export_type(px, "Counter", &COUNTER_CLASS) || mesh_proxy_export_type(px, "Policy", &POLICY_CLASS) ||
        mesh_proxy_export_type(px, "Records", &RECORDS_CLASS) ||
        mesh_proxy_export_type(px, "Calculator", &CALCULATOR_CLASS))
        return -1;
    store *s = calloc(1, sizeof *s);
    mesh_object *o = s ? mesh_object_new(&STORE_CLASS, s) : NULL;
    if (!o) {
        free(s);
        return -1;
    }
    int rc = mesh_proxy_export_object(px, "store", o);
    mesh_object_unref(o);
    return rc;
}
