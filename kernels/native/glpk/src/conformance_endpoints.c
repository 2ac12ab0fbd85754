/* conformance_endpoints.c - the endpoints of docs/conformance.md, served by every kernel. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "glpk_endpoints.h"

static atomic_llong g_order_calls;

static int ep_echo(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    /* the argument lives in the request, which the task keeps until it is forgotten */
    *result = (mesh_value *)&args->u.a.items[0];
    return 0;
}

static int ep_add(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    double a = mesh_value_as_double(&args->u.a.items[0]);
    double b = mesh_value_as_double(&args->u.a.items[1]);
    *result = mesh_v_f64(mesh_ctx_arena(ctx), a + b);
    return *result ? 0 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

static int ep_concat(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    const mesh_value *a = &args->u.a.items[0], *b = &args->u.a.items[1];
    const char *bs = b->kind == MESH_STR ? b->u.s.ptr : "-";
    size_t bl = b->kind == MESH_STR ? b->u.s.len : 1;
    mesh_arena *ar = mesh_ctx_arena(ctx);
    char *buf = mesh_arena_alloc(ar, (size_t)a->u.s.len + bl + 1);
    if (!buf)
        return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    memcpy(buf, a->u.s.ptr, a->u.s.len);
    memcpy(buf + a->u.s.len, bs, bl);
    *result = mesh_v_strn(ar, buf, a->u.s.len + bl);
    return *result ? 0 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

static int ep_sum_array(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    const mesh_ndarray *x = &args->u.a.items[0].u.nd;
    const double *d = x->data;
    uint64_t n = mesh_ndarray_count(x);
    double s = 0;
    for (uint64_t i = 0; i < n; i++)
        s += d[i];
    *result = mesh_v_f64(mesh_ctx_arena(ctx), s);
    return *result ? 0 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

static int ep_scale(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    const mesh_ndarray *x = &args->u.a.items[0].u.nd;
    double f = mesh_value_as_double(&args->u.a.items[1]);
    mesh_value *out = mesh_v_ndarray(mesh_ctx_arena(ctx), MESH_DT_FLOAT64, x->ndim, x->shape);
    if (!out)
        return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    const double *src = x->data;
    double *dst = out->u.nd.data;
    uint64_t n = mesh_ndarray_count(x);
    for (uint64_t i = 0; i < n; i++)
        dst[i] = src[i] * f;
    *result = out;
    return 0;
}

static int ep_transpose(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    const mesh_ndarray *m = &args->u.a.items[0].u.nd;
    if (m->ndim != 2)
        return mesh_ctx_fail(ctx, "ValueError", "m must be 2-D, got %u dimensions", m->ndim);
    uint64_t rows = m->shape[0], cols = m->shape[1];
    uint64_t shape[2] = {cols, rows};
    mesh_value *out = mesh_v_ndarray(mesh_ctx_arena(ctx), MESH_DT_FLOAT64, 2, shape);
    if (!out)
        return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    const double *src = m->data;
    double *dst = out->u.nd.data;
    for (uint64_t i = 0; i < rows; i++)
        for (uint64_t j = 0; j < cols; j++)
            dst[j * rows + i] = src[i * cols + j];
    *result = out;
    return 0;
}

static int ep_make_table(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    const mesh_value *nv = &args->u.a.items[0];
    if (nv->kind != MESH_INT || nv->u.i < 0 || nv->u.i > 100000000)
        return mesh_ctx_fail(ctx, "ValueError", "n must be an int from 0 to 100000000");
    uint64_t n = (uint64_t)nv->u.i;
    mesh_arena *a = mesh_ctx_arena(ctx);
    uint64_t shape[1] = {n};
    mesh_value *id = mesh_v_ndarray(a, MESH_DT_INT64, 1, shape);
    mesh_value *val = mesh_v_ndarray(a, MESH_DT_FLOAT64, 1, shape);
    mesh_value *name = mesh_v_array(a, (uint32_t)n);
    mesh_value *t = mesh_v_table(a, 3, n);
    if (!id || !val || !name || !t)
        return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    int64_t *ids = id->u.nd.data;
    double *vals = val->u.nd.data;
    for (uint64_t i = 0; i < n; i++) {
        ids[i] = (int64_t)i;
        vals[i] = (double)i * 0.5;
        char buf[32];
        snprintf(buf, sizeof buf, "row%llu", (unsigned long long)i);
        if (mesh_array_push(a, name, mesh_v_str(a, buf)))
            return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    }
    if (mesh_table_set(a, t, 0, "id", id) || mesh_table_set(a, t, 1, "value", val) ||
        mesh_table_set(a, t, 2, "name", name))
        return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    *result = t;
    return 0;
}

static int ep_fail(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    return mesh_ctx_fail(ctx, "ValueError", "%s", args->u.a.items[0].u.s.ptr);
}

static int ep_sleep(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    double s = mesh_value_as_double(&args->u.a.items[0]);
    if (!(s >= 0))
        return mesh_ctx_fail(ctx, "ValueError", "seconds must be >= 0");
    if (!mesh_ctx_sleep(ctx, s))
        return mesh_ctx_fail(ctx, "Cancelled", "sleep was cancelled");
    *result = mesh_v_f64(mesh_ctx_arena(ctx), s);
    return *result ? 0 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

static int ep_progress(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    const mesh_value *sv = &args->u.a.items[0];
    if (sv->kind != MESH_INT || sv->u.i < 0)
        return mesh_ctx_fail(ctx, "ValueError", "steps must be a non-negative int");
    mesh_arena *a = mesh_ctx_arena(ctx);
    for (int64_t i = 1; i <= sv->u.i; i++) {
        if (mesh_ctx_cancelled(ctx))
            return mesh_ctx_fail(ctx, "Cancelled", "progress was cancelled");
        mesh_value v = {.kind = MESH_INT, .u.i = i};
        mesh_ctx_progress(ctx, &v, NULL);
    }
    *result = mesh_v_int(a, sv->u.i);
    return *result ? 0 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

static int ep_log(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    const mesh_value *lines = &args->u.a.items[0];
    for (uint32_t i = 0; i < lines->u.a.n; i++)
        if (lines->u.a.items[i].kind != MESH_STR)
            return mesh_ctx_fail(ctx, "ValueError", "lines[%u] is not a str", i);
    for (uint32_t i = 0; i < lines->u.a.n; i++)
        mesh_ctx_log_line(ctx, lines->u.a.items[i].u.s.ptr, lines->u.a.items[i].u.s.len);
    *result = mesh_v_int(mesh_ctx_arena(ctx), lines->u.a.n);
    return *result ? 0 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

static int ep_order(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    mesh_arena *a = mesh_ctx_arena(ctx);
    long long n = atomic_fetch_add(&g_order_calls, 1);
    mesh_value *arr = mesh_v_array(a, 2);
    if (!arr || mesh_array_push(a, arr, &args->u.a.items[0]) || mesh_array_push(a, arr, mesh_v_int(a, n)))
        return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    *result = arr;
    return 0;
}

static int ep_pid(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    *result = mesh_v_int(mesh_ctx_arena(ctx), getpid());
    return *result ? 0 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

static const mesh_param P_VALUE[] = {{"value", MESH_T_ANY, true, NULL}};
static const mesh_param P_AB[] = {{"a", MESH_T_F64, true, NULL}, {"b", MESH_T_F64, true, NULL}};
static const mesh_param P_CONCAT[] = {{"a", MESH_T_STR, true, NULL}, {"b", MESH_T_STR, false, NULL}};
static const mesh_param P_X[] = {{"x", MESH_T_NDARRAY_F64, true, NULL}};
static const mesh_param P_SCALE[] = {{"x", MESH_T_NDARRAY_F64, true, NULL}, {"factor", MESH_T_F64, true, NULL}};
static const mesh_param P_M[] = {{"m", MESH_T_NDARRAY_F64, true, "ndarray float64 2-D"}};
static const mesh_param P_N[] = {{"n", MESH_T_INT, true, NULL}};
static const mesh_param P_T[] = {{"t", MESH_T_TABLE, true, NULL}};
static const mesh_param P_MSG[] = {{"message", MESH_T_STR, true, NULL}};
static const mesh_param P_SECONDS[] = {{"seconds", MESH_T_F64, true, NULL}};
static const mesh_param P_STEPS[] = {{"steps", MESH_T_INT, true, NULL}};
static const mesh_param P_LINES[] = {{"lines", MESH_T_ARRAY, true, "str[]"}};
static const mesh_param P_TAG[] = {{"tag", MESH_T_ANY, true, NULL}};

#define N(a) (sizeof(a) / sizeof((a)[0]))

int conformance_endpoints_register(mesh_dispatch *d)
{
    const mesh_endpoint eps[] = {
        {"echo", P_VALUE, 1, "Returns value unchanged.", ep_echo, LANE_GENERAL, NULL, NULL},
        {"add", P_AB, 2, "a + b as float64.", ep_add, LANE_GENERAL, NULL, NULL},
        {"concat", P_CONCAT, 2, "a + b (b defaults to \"-\").", ep_concat, LANE_GENERAL, NULL, NULL},
        {"sum_array", P_X, 1, "Sum of all elements, row-major.", ep_sum_array, LANE_GENERAL, NULL, NULL},
        {"scale", P_SCALE, 2, "x * factor, same shape.", ep_scale, LANE_GENERAL, NULL, NULL},
        {"transpose", P_M, 1, "Transpose of a 2-D float64 array.", ep_transpose, LANE_GENERAL, NULL, NULL},
        {"make_table", P_N, 1, "Table id/value/name with n rows.", ep_make_table, LANE_GENERAL, NULL, NULL},
        {"table_echo", P_T, 1, "Returns the table unchanged.", ep_echo, LANE_GENERAL, NULL, NULL},
        {"fail", P_MSG, 1, "Raises ValueError(message).", ep_fail, LANE_GENERAL, NULL, NULL},
        {"sleep", P_SECONDS, 1, "Sleeps cooperatively (cancellable); returns seconds.", ep_sleep, LANE_GENERAL, NULL, NULL},
        {"progress", P_STEPS, 1, "Reports progress 1..steps; returns steps.", ep_progress, LANE_GENERAL, NULL, NULL},
        {"log", P_LINES, 1, "Writes each line to the task log; returns the count.", ep_log, LANE_GENERAL, NULL, NULL},
        {"order", P_TAG, 1, "Returns [tag, calls to order since start].", ep_order, LANE_GENERAL, NULL, NULL},
        {"pid", NULL, 0, "The kernel's process id.", ep_pid, LANE_GENERAL, NULL, NULL},
    };
    for (size_t i = 0; i < N(eps); i++)
        if (mesh_dispatch_add(d, &eps[i]) != 0)
            return -1;
    return 0;
}
