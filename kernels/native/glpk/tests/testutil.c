/* testutil.c - test helpers. */
#define _GNU_SOURCE
#include "testutil.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

int t_failures;
int t_checks;

int test_summary(const char *name)
{
    printf("%s: %d checks, %d failures\n", name, t_checks, t_failures);
    return t_failures ? 1 : 0;
}

double test_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int hv(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return 0;
}

unsigned char *hex_decode(const char *hex, size_t *len)
{
    size_t n = strlen(hex) / 2;
    unsigned char *p = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(hv(hex[2 * i]) * 16 + hv(hex[2 * i + 1]));
    *len = n;
    return p;
}

char *hex_encode(const unsigned char *p, size_t n)
{
    static const char d[] = "0123456789abcdef";
    char *s = malloc(2 * n + 1);
    for (size_t i = 0; i < n; i++) {
        s[2 * i] = d[p[i] >> 4];
        s[2 * i + 1] = d[p[i] & 15];
    }
    s[2 * n] = 0;
    return s;
}

mesh_value *notation_value(mesh_arena *a, const jval *v)
{
    if (!v || v->type != J_OBJ || v->n != 1)
        return NULL;
    const char *kind = v->keys[0];
    const jval *b = &v->items[0];
    if (!strcmp(kind, "nil"))
        return mesh_v_nil(a);
    if (!strcmp(kind, "bool"))
        return mesh_v_bool(a, b->b);
    if (!strcmp(kind, "int")) {
        if (b->s[0] == '-')
            return mesh_v_int(a, strtoll(b->s, NULL, 10));
        return mesh_v_uint(a, strtoull(b->s, NULL, 10));
    }
    if (!strcmp(kind, "f64")) {
        uint64_t bits = strtoull(b->s, NULL, 16);
        double d;
        memcpy(&d, &bits, 8);
        return mesh_v_f64(a, d);
    }
    if (!strcmp(kind, "f32")) {
        uint32_t bits = (uint32_t)strtoul(b->s, NULL, 16);
        mesh_value *x = mesh_v_nil(a);
        x->kind = MESH_F32;
        memcpy(&x->u.f32, &bits, 4);
        return x;
    }
    if (!strcmp(kind, "str"))
        return mesh_v_strn(a, b->s, b->slen);
    if (!strcmp(kind, "bin")) {
        size_t n;
        unsigned char *p = hex_decode(b->s, &n);
        mesh_value *x = mesh_v_bin(a, p, n);
        free(p);
        return x;
    }
    if (!strcmp(kind, "array")) {
        mesh_value *x = mesh_v_array(a, (uint32_t)b->n);
        for (size_t i = 0; i < b->n; i++)
            if (mesh_array_push(a, x, notation_value(a, &b->items[i])))
                return NULL;
        return x;
    }
    if (!strcmp(kind, "map")) {
        mesh_value *x = mesh_v_map(a, (uint32_t)b->n);
        for (size_t i = 0; i < b->n; i++) {
            mesh_value *k = notation_value(a, &b->items[i].items[0]);
            mesh_value *val = notation_value(a, &b->items[i].items[1]);
            if (!k || !val)
                return NULL;
            x->u.m.keys[x->u.m.n] = *k;
            x->u.m.vals[x->u.m.n] = *val;
            x->u.m.n++;
        }
        return x;
    }
    if (!strcmp(kind, "ext")) {
        const jval *t = json_get(b, "type"), *d = json_get(b, "data");
        size_t n;
        unsigned char *p = hex_decode(d->s, &n);
        mesh_value *x = mesh_v_nil(a);
        x->kind = MESH_EXT;
        x->u.ext.type = (int8_t)atoi(t->s);
        uint8_t *copy = mesh_arena_alloc(a, n + 1);
        memcpy(copy, p, n);
        x->u.ext.data = copy;
        x->u.ext.len = (uint32_t)n;
        free(p);
        return x;
    }
    if (!strcmp(kind, "timestamp")) {
        const jval *s = json_get(b, "sec"), *ns = json_get(b, "nsec");
        return mesh_v_timestamp(a, strtoll(s->s, NULL, 10), (uint32_t)strtoul(ns->s, NULL, 10));
    }
    if (!strcmp(kind, "ndarray")) {
        const jval *dt = json_get(b, "dtype"), *sh = json_get(b, "shape"), *d = json_get(b, "data");
        mesh_dtype dtype;
        if (!mesh_dtype_parse(dt->s, dt->slen, &dtype))
            return NULL;
        uint64_t shape[16];
        for (size_t i = 0; i < sh->n && i < 16; i++)
            shape[i] = strtoull(sh->items[i].s, NULL, 10);
        mesh_value *x = mesh_v_ndarray(a, dtype, (uint32_t)sh->n, shape);
        size_t n;
        unsigned char *p = hex_decode(d->s, &n);
        if (!x || n != x->u.nd.nbytes) {
            free(p);
            return NULL;
        }
        if (n)
            memcpy(x->u.nd.data, p, n);
        free(p);
        return x;
    }
    if (!strcmp(kind, "table")) {
        const jval *names = json_get(b, "names"), *cols = json_get(b, "columns");
        uint64_t rows = 0;
        mesh_value **cv = malloc((cols->n + 1) * sizeof *cv);
        for (size_t i = 0; i < cols->n; i++) {
            cv[i] = notation_value(a, &cols->items[i]);
            if (!cv[i]) {
                free(cv);
                return NULL;
            }
            uint64_t r = cv[i]->kind == MESH_NDARRAY ? cv[i]->u.nd.shape[0] : cv[i]->u.a.n;
            if (i == 0)
                rows = r;
        }
        mesh_value *t = mesh_v_table(a, (uint32_t)names->n, rows);
        for (size_t i = 0; i < names->n; i++)
            mesh_table_set(a, t, (uint32_t)i, names->items[i].s, cv[i]);
        free(cv);
        return t;
    }
    return NULL;
}

static size_t clampn(int r, size_t len)
{
    return r < 0 ? 0 : (size_t)r >= len ? len - 1 : (size_t)r;
}

static size_t dump(const mesh_value *v, char *b, size_t len)
{
    if (len < 2)
        return 0;
    switch (v->kind) {
    case MESH_NIL: return clampn(snprintf(b, len, "nil"), len);
    case MESH_BOOL: return clampn(snprintf(b, len, v->u.b ? "true" : "false"), len);
    case MESH_INT: return clampn(snprintf(b, len, "%" PRId64, v->u.i), len);
    case MESH_UINT: return clampn(snprintf(b, len, "%" PRIu64, v->u.u), len);
    case MESH_F32: return clampn(snprintf(b, len, "%gf", v->u.f32), len);
    case MESH_F64: return clampn(snprintf(b, len, "%.17g", v->u.f64), len);
    case MESH_STR: return clampn(snprintf(b, len, "\"%.40s\"", v->u.s.ptr), len);
    case MESH_BIN: return clampn(snprintf(b, len, "bin[%u]", v->u.s.len), len);
    case MESH_EXT: return clampn(snprintf(b, len, "ext(%d)[%u]", v->u.ext.type, v->u.ext.len), len);
    case MESH_TIMESTAMP: return clampn(snprintf(b, len, "ts(%" PRId64 ",%u)", v->u.ts.sec, v->u.ts.nsec), len);
    case MESH_NDARRAY: return clampn(snprintf(b, len, "ndarray(%s,%u dims,%zu bytes)", mesh_dtype_name(v->u.nd.dtype), v->u.nd.ndim, v->u.nd.nbytes), len);
    case MESH_TABLE: return clampn(snprintf(b, len, "table(%u cols,%" PRIu64 " rows)", v->u.t.ncols, v->u.t.nrows), len);
    case MESH_OBJECT: return clampn(snprintf(b, len, "object"), len);
    case MESH_ARRAY:
    case MESH_MAP: {
        bool map = v->kind == MESH_MAP;
        size_t o = clampn(snprintf(b, len, map ? "{" : "["), len);
        uint32_t n = map ? v->u.m.n : v->u.a.n;
        for (uint32_t i = 0; i < n && o + 8 < len; i++) {
            if (i)
                o += clampn(snprintf(b + o, len - o, ","), len - o);
            if (map) {
                o += dump(&v->u.m.keys[i], b + o, len - o);
                o += clampn(snprintf(b + o, len - o, ":"), len - o);
                o += dump(&v->u.m.vals[i], b + o, len - o);
            } else {
                o += dump(&v->u.a.items[i], b + o, len - o);
            }
        }
        if (o + 2 < len)
            o += clampn(snprintf(b + o, len - o, map ? "}" : "]"), len - o);
        return o;
    }
    }
    return 0;
}

void value_dump(const mesh_value *v, char *buf, size_t len)
{
    buf[0] = 0;
    if (v)
        dump(v, buf, len);
    else
        snprintf(buf, len, "(null)");
}
