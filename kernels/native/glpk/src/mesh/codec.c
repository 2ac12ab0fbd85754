/* codec.c - Mesh values, strict MessagePack decoding, canonical encoding via msgpack-c. */
#include "mesh/codec.h"

#include <math.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ndarray bytes are used in place: this code assumes a little-endian host"
#endif

/* ---- mesh_buf -------------------------------------------------------------------------- */

static void buf_destroy_malloc(mesh_buf *b)
{
    free(b->data);
    free(b);
}

mesh_buf *mesh_buf_new(size_t size)
{
    mesh_buf *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    if (posix_memalign((void **)&b->data, 16, size ? size : 1) != 0) {
        free(b);
        return NULL;
    }
    atomic_init(&b->refs, 1);
    b->size = size;
    b->destroy = buf_destroy_malloc;
    return b;
}

mesh_buf *mesh_buf_copy(const void *data, size_t size)
{
    mesh_buf *b = mesh_buf_new(size);
    if (b && size)
        memcpy(b->data, data, size);
    return b;
}

mesh_buf *mesh_buf_ref(mesh_buf *b)
{
    if (b)
        atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    return b;
}

void mesh_buf_unref(mesh_buf *b)
{
    if (b && atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
        b->destroy(b);
}

/* ---- arena ----------------------------------------------------------------------------- */

#define ARENA_CHUNK 8192

typedef struct chunk {
    struct chunk *next;
    size_t used, cap;
    _Alignas(16) unsigned char mem[];
} chunk;

typedef struct {
    void (*fn)(void *);
    void *arg;
} deferred;

struct mesh_arena {
    chunk *head;
    mesh_buf **held;
    size_t nheld, capheld;
    deferred *defer;
    size_t ndefer, capdefer;
};

mesh_arena *mesh_arena_new(void)
{
    return calloc(1, sizeof(mesh_arena));
}

void mesh_arena_free(mesh_arena *a)
{
    if (!a)
        return;
    while (a->ndefer) {
        deferred d = a->defer[--a->ndefer];
        d.fn(d.arg);
    }
    free(a->defer);
    chunk *c = a->head;
    while (c) {
        chunk *n = c->next;
        free(c);
        c = n;
    }
    for (size_t i = 0; i < a->nheld; i++)
        mesh_buf_unref(a->held[i]);
    free(a->held);
    free(a);
}

void *mesh_arena_alloc(mesh_arena *a, size_t n)
{
    if (n > SIZE_MAX - 64)
        return NULL;
    size_t need = (n + 15) & ~(size_t)15;
    if (need == 0)
        need = 16;
    chunk *c = a->head;
    if (!c || c->cap - c->used < need) {
        if (need > ARENA_CHUNK / 4) {
            /* big block: its own chunk, linked behind the current one */
            chunk *big = malloc(sizeof(chunk) + need);
            if (!big)
                return NULL;
            big->used = big->cap = need;
            if (c) {
                big->next = c->next;
                c->next = big;
            } else {
                big->next = NULL;
                a->head = big;
            }
            memset(big->mem, 0, need);
            return big->mem;
        }
        chunk *nc = malloc(sizeof(chunk) + ARENA_CHUNK);
        if (!nc)
            return NULL;
        nc->used = 0;
        nc->cap = ARENA_CHUNK;
        nc->next = c;
        a->head = c = nc;
    }
    void *p = c->mem + c->used;
    c->used += need;
    memset(p, 0, need);
    return p;
}

char *mesh_arena_strndup(mesh_arena *a, const char *s, size_t n)
{
    char *p = mesh_arena_alloc(a, n + 1);
    if (p && n)
        memcpy(p, s, n);
    return p;
}

char *mesh_arena_strdup(mesh_arena *a, const char *s)
{
    return mesh_arena_strndup(a, s, strlen(s));
}

char *mesh_arena_printf(mesh_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *p = mesh_arena_alloc(a, (size_t)n + 1);
    if (!p)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void mesh_arena_hold(mesh_arena *a, mesh_buf *b)
{
    if (a->nheld == a->capheld) {
        size_t nc = a->capheld ? a->capheld * 2 : 4;
        mesh_buf **nh = realloc(a->held, nc * sizeof *nh);
        if (!nh)
            abort(); /* cannot keep the promise; tiny allocation */
        a->held = nh;
        a->capheld = nc;
    }
    a->held[a->nheld++] = mesh_buf_ref(b);
}

int mesh_arena_defer(mesh_arena *a, void (*fn)(void *), void *arg)
{
    if (a->ndefer == a->capdefer) {
        size_t nc = a->capdefer ? a->capdefer * 2 : 4;
        deferred *nd = realloc(a->defer, nc * sizeof *nd);
        if (!nd)
            return -1;
        a->defer = nd;
        a->capdefer = nc;
    }
    a->defer[a->ndefer].fn = fn;
    a->defer[a->ndefer].arg = arg;
    a->ndefer++;
    return 0;
}

/* ---- dtypes ---------------------------------------------------------------------------- */

static const struct { const char *name; size_t size; } DTYPES[MESH_DT_COUNT] = {
    {"bool", 1}, {"int8", 1}, {"int16", 2}, {"int32", 4}, {"int64", 8},
    {"uint8", 1}, {"uint16", 2}, {"uint32", 4}, {"uint64", 8}, {"float32", 4}, {"float64", 8},
};

const char *mesh_dtype_name(mesh_dtype dt) { return DTYPES[dt].name; }
size_t mesh_dtype_size(mesh_dtype dt) { return DTYPES[dt].size; }

bool mesh_dtype_parse(const char *s, size_t len, mesh_dtype *out)
{
    for (int i = 0; i < MESH_DT_COUNT; i++) {
        if (strlen(DTYPES[i].name) == len && memcmp(DTYPES[i].name, s, len) == 0) {
            *out = (mesh_dtype)i;
            return true;
        }
    }
    return false;
}

/* ---- constructors ---------------------------------------------------------------------- */

static mesh_value *newv(mesh_arena *a, mesh_kind k)
{
    mesh_value *v = mesh_arena_alloc(a, sizeof *v);
    if (v)
        v->kind = k;
    return v;
}

mesh_value *mesh_v_nil(mesh_arena *a) { return newv(a, MESH_NIL); }

mesh_value *mesh_v_bool(mesh_arena *a, bool b)
{
    mesh_value *v = newv(a, MESH_BOOL);
    if (v)
        v->u.b = b;
    return v;
}

mesh_value *mesh_v_int(mesh_arena *a, int64_t i)
{
    mesh_value *v = newv(a, MESH_INT);
    if (v)
        v->u.i = i;
    return v;
}

mesh_value *mesh_v_uint(mesh_arena *a, uint64_t u)
{
    if (u <= INT64_MAX)
        return mesh_v_int(a, (int64_t)u);
    mesh_value *v = newv(a, MESH_UINT);
    if (v)
        v->u.u = u;
    return v;
}

mesh_value *mesh_v_f64(mesh_arena *a, double d)
{
    mesh_value *v = newv(a, MESH_F64);
    if (v)
        v->u.f64 = d;
    return v;
}

static size_t utf8_seq(const uint8_t *s, size_t n);

size_t mesh_utf8_sanitize(char *s, size_t n)
{
    size_t i = 0, bad = 0;
    while (i < n) {
        size_t k = utf8_seq((const uint8_t *)s + i, n - i);
        if (k == 0) {
            s[i++] = '?';
            bad++;
        } else {
            i += k;
        }
    }
    return bad;
}

mesh_value *mesh_v_strn(mesh_arena *a, const char *s, size_t n)
{
    if (n > UINT32_MAX)
        return NULL;
    mesh_value *v = newv(a, MESH_STR);
    if (!v)
        return NULL;
    char *p = mesh_arena_strndup(a, s, n);
    if (!p)
        return NULL;
    mesh_utf8_sanitize(p, n);
    v->u.s.ptr = p;
    v->u.s.len = (uint32_t)n;
    return v;
}

mesh_value *mesh_v_str(mesh_arena *a, const char *s)
{
    return s ? mesh_v_strn(a, s, strlen(s)) : mesh_v_nil(a);
}

mesh_value *mesh_v_bin(mesh_arena *a, const void *p, size_t n)
{
    if (n > UINT32_MAX)
        return NULL;
    mesh_value *v = newv(a, MESH_BIN);
    char *copy = v ? mesh_arena_strndup(a, p, n) : NULL;
    if (!copy)
        return NULL;
    v->u.s.ptr = copy;
    v->u.s.len = (uint32_t)n;
    return v;
}

mesh_value *mesh_v_timestamp(mesh_arena *a, int64_t sec, uint32_t nsec)
{
    mesh_value *v = newv(a, MESH_TIMESTAMP);
    if (v) {
        v->u.ts.sec = sec;
        v->u.ts.nsec = nsec;
    }
    return v;
}

mesh_value *mesh_v_now(mesh_arena *a)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return mesh_v_timestamp(a, ts.tv_sec, (uint32_t)ts.tv_nsec);
}

mesh_value *mesh_v_array(mesh_arena *a, uint32_t cap)
{
    mesh_value *v = newv(a, MESH_ARRAY);
    if (!v)
        return NULL;
    if (cap) {
        v->u.a.items = mesh_arena_alloc(a, (size_t)cap * sizeof(mesh_value));
        if (!v->u.a.items)
            return NULL;
    }
    v->u.a.cap = cap;
    return v;
}

mesh_value *mesh_v_map(mesh_arena *a, uint32_t cap)
{
    mesh_value *v = newv(a, MESH_MAP);
    if (!v)
        return NULL;
    if (cap) {
        v->u.m.keys = mesh_arena_alloc(a, (size_t)cap * sizeof(mesh_value));
        v->u.m.vals = mesh_arena_alloc(a, (size_t)cap * sizeof(mesh_value));
        if (!v->u.m.keys || !v->u.m.vals)
            return NULL;
    }
    v->u.m.cap = cap;
    return v;
}

uint64_t mesh_ndarray_count(const mesh_ndarray *nd)
{
    uint64_t n = 1;
    for (uint32_t i = 0; i < nd->ndim; i++)
        n *= nd->shape[i];
    return n;
}

/* Allocates data storage of nbytes for an ndarray: arena memory when small, a held blob when
 * big (so the encoder can pass it to ZeroMQ without copying). */
static int nd_alloc_data(mesh_arena *a, mesh_ndarray *nd, size_t nbytes)
{
    nd->nbytes = nbytes;
    if (nbytes > MESH_INLINE_LIMIT) {
        mesh_buf *b = mesh_buf_new(nbytes);
        if (!b)
            return -1;
        memset(b->data, 0, nbytes);
        mesh_arena_hold(a, b);
        mesh_buf_unref(b);
        nd->owner = b;
        nd->data = b->data;
    } else {
        nd->data = mesh_arena_alloc(a, nbytes);
        if (!nd->data)
            return -1;
    }
    return 0;
}

mesh_value *mesh_v_ndarray(mesh_arena *a, mesh_dtype dt, uint32_t ndim, const uint64_t *shape)
{
    mesh_value *v = newv(a, MESH_NDARRAY);
    if (!v)
        return NULL;
    mesh_ndarray *nd = &v->u.nd;
    nd->dtype = dt;
    nd->ndim = ndim;
    nd->shape = mesh_arena_alloc(a, (ndim ? ndim : 1) * sizeof(uint64_t));
    if (!nd->shape)
        return NULL;
    uint64_t count = 1;
    for (uint32_t i = 0; i < ndim; i++) {
        nd->shape[i] = shape[i];
        if (shape[i] && count > UINT64_MAX / shape[i])
            return NULL;
        count *= shape[i];
    }
    if (count > SIZE_MAX / 8)
        return NULL;
    if (nd_alloc_data(a, nd, (size_t)count * mesh_dtype_size(dt)) != 0)
        return NULL;
    return v;
}

mesh_value *mesh_v_table(mesh_arena *a, uint32_t ncols, uint64_t nrows)
{
    mesh_value *v = newv(a, MESH_TABLE);
    if (!v)
        return NULL;
    v->u.t.ncols = ncols;
    v->u.t.nrows = nrows;
    v->u.t.names = mesh_arena_alloc(a, (ncols ? ncols : 1) * sizeof(mesh_value));
    v->u.t.columns = mesh_arena_alloc(a, (ncols ? ncols : 1) * sizeof(mesh_value));
    if (!v->u.t.names || !v->u.t.columns)
        return NULL;
    return v;
}

int mesh_table_set(mesh_arena *a, mesh_value *t, uint32_t col, const char *name, const mesh_value *column)
{
    if (t->kind != MESH_TABLE || col >= t->u.t.ncols)
        return -1;
    mesh_value *n = mesh_v_str(a, name);
    if (!n)
        return -1;
    t->u.t.names[col] = *n;
    t->u.t.columns[col] = *column;
    return 0;
}

int mesh_array_push(mesh_arena *a, mesh_value *arr, const mesh_value *v)
{
    if (arr->kind != MESH_ARRAY || !v)
        return -1;
    if (arr->u.a.n == arr->u.a.cap) {
        uint32_t nc = arr->u.a.cap ? arr->u.a.cap * 2 : 8;
        mesh_value *ni = mesh_arena_alloc(a, (size_t)nc * sizeof(mesh_value));
        if (!ni)
            return -1;
        if (arr->u.a.n)
            memcpy(ni, arr->u.a.items, arr->u.a.n * sizeof(mesh_value));
        arr->u.a.items = ni;
        arr->u.a.cap = nc;
    }
    arr->u.a.items[arr->u.a.n++] = *v;
    return 0;
}

int mesh_map_put(mesh_arena *a, mesh_value *map, const char *key, const mesh_value *v)
{
    if (map->kind != MESH_MAP || !v)
        return -1;
    if (map->u.m.n == map->u.m.cap) {
        uint32_t nc = map->u.m.cap ? map->u.m.cap * 2 : 8;
        mesh_value *nk = mesh_arena_alloc(a, (size_t)nc * sizeof(mesh_value));
        mesh_value *nv = mesh_arena_alloc(a, (size_t)nc * sizeof(mesh_value));
        if (!nk || !nv)
            return -1;
        if (map->u.m.n) {
            memcpy(nk, map->u.m.keys, map->u.m.n * sizeof(mesh_value));
            memcpy(nv, map->u.m.vals, map->u.m.n * sizeof(mesh_value));
        }
        map->u.m.keys = nk;
        map->u.m.vals = nv;
        map->u.m.cap = nc;
    }
    mesh_value *k = mesh_v_str(a, key);
    if (!k)
        return -1;
    map->u.m.keys[map->u.m.n] = *k;
    map->u.m.vals[map->u.m.n] = *v;
    map->u.m.n++;
    return 0;
}

const mesh_value *mesh_map_get(const mesh_value *map, const char *key)
{
    if (!map || map->kind != MESH_MAP)
        return NULL;
    size_t kl = strlen(key);
    for (uint32_t i = 0; i < map->u.m.n; i++) {
        const mesh_value *k = &map->u.m.keys[i];
        if (k->kind == MESH_STR && k->u.s.len == kl && memcmp(k->u.s.ptr, key, kl) == 0)
            return &map->u.m.vals[i];
    }
    return NULL;
}

bool mesh_value_is_number(const mesh_value *v)
{
    return v && (v->kind == MESH_INT || v->kind == MESH_UINT || v->kind == MESH_F32 ||
                 v->kind == MESH_F64);
}

double mesh_value_as_double(const mesh_value *v)
{
    switch (v->kind) {
    case MESH_INT: return (double)v->u.i;
    case MESH_UINT: return (double)v->u.u;
    case MESH_F32: return v->u.f32;
    case MESH_F64: return v->u.f64;
    default: return NAN;
    }
}

bool mesh_value_equal(const mesh_value *x, const mesh_value *y)
{
    if (x->kind != y->kind)
        return false;
    switch (x->kind) {
    case MESH_NIL: return true;
    case MESH_BOOL: return x->u.b == y->u.b;
    case MESH_INT: return x->u.i == y->u.i;
    case MESH_UINT: return x->u.u == y->u.u;
    case MESH_F32: return memcmp(&x->u.f32, &y->u.f32, 4) == 0;
    case MESH_F64: return memcmp(&x->u.f64, &y->u.f64, 8) == 0;
    case MESH_STR:
    case MESH_BIN:
        return x->u.s.len == y->u.s.len && memcmp(x->u.s.ptr, y->u.s.ptr, x->u.s.len) == 0;
    case MESH_ARRAY:
        if (x->u.a.n != y->u.a.n)
            return false;
        for (uint32_t i = 0; i < x->u.a.n; i++)
            if (!mesh_value_equal(&x->u.a.items[i], &y->u.a.items[i]))
                return false;
        return true;
    case MESH_MAP:
        if (x->u.m.n != y->u.m.n)
            return false;
        for (uint32_t i = 0; i < x->u.m.n; i++)
            if (!mesh_value_equal(&x->u.m.keys[i], &y->u.m.keys[i]) ||
                !mesh_value_equal(&x->u.m.vals[i], &y->u.m.vals[i]))
                return false;
        return true;
    case MESH_EXT:
        return x->u.ext.type == y->u.ext.type && x->u.ext.len == y->u.ext.len &&
               memcmp(x->u.ext.data, y->u.ext.data, x->u.ext.len) == 0;
    case MESH_TIMESTAMP: return x->u.ts.sec == y->u.ts.sec && x->u.ts.nsec == y->u.ts.nsec;
    case MESH_OBJECT: return x->u.obj == y->u.obj;
    case MESH_NDARRAY: {
        const mesh_ndarray *a = &x->u.nd, *b = &y->u.nd;
        if (a->dtype != b->dtype || a->ndim != b->ndim || a->nbytes != b->nbytes)
            return false;
        for (uint32_t i = 0; i < a->ndim; i++)
            if (a->shape[i] != b->shape[i])
                return false;
        return a->nbytes == 0 || memcmp(a->data, b->data, a->nbytes) == 0;
    }
    case MESH_TABLE:
        if (x->u.t.ncols != y->u.t.ncols || x->u.t.nrows != y->u.t.nrows)
            return false;
        for (uint32_t i = 0; i < x->u.t.ncols; i++)
            if (!mesh_value_equal(&x->u.t.names[i], &y->u.t.names[i]) ||
                !mesh_value_equal(&x->u.t.columns[i], &y->u.t.columns[i]))
                return false;
        return true;
    }
    return false;
}

/* ---- decoding -------------------------------------------------------------------------- */

typedef struct {
    const uint8_t *p, *end;
    mesh_arena *a;
    const mesh_decode_options *opt;
    uint8_t *used; /* per buffer: referenced already */
    mesh_decode_error *err;
} dec;

static int fail(dec *d, mesh_decode_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(dec *d, mesh_decode_status st, const char *fmt, ...)
{
    if (d->err && d->err->status == MESH_DECODE_OK) {
        d->err->status = st;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(d->err->message, sizeof d->err->message, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static inline size_t remaining(const dec *d) { return (size_t)(d->end - d->p); }

static int need(dec *d, size_t n)
{
    if (remaining(d) < n)
        return fail(d, MESH_DECODE_MALFORMED, "truncated: need %zu bytes, %zu left", n,
                    remaining(d));
    return 0;
}

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Length of the valid UTF-8 sequence at s, 0 when invalid. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < len)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_seq(s + i, n - i);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

static int dec_value(dec *d, mesh_value *out, int depth);

static int dec_ext(dec *d, mesh_value *out, int8_t type, size_t len, int depth);

/* Reads a length-prefixed container count and checks it against the bytes left: every element
 * needs at least one byte (two for a map entry), so no count can make us allocate more than the
 * input justifies. */
static int dec_array(dec *d, mesh_value *out, uint64_t n, int depth)
{
    if (depth + 1 > MESH_MAX_DEPTH)
        return fail(d, MESH_DECODE_MALFORMED, "nesting depth above %d", MESH_MAX_DEPTH);
    if (n > remaining(d))
        return fail(d, MESH_DECODE_MALFORMED, "array of %llu elements exceeds the %zu bytes left",
                    (unsigned long long)n, remaining(d));
    out->kind = MESH_ARRAY;
    out->u.a.n = out->u.a.cap = (uint32_t)n;
    if (n) {
        out->u.a.items = mesh_arena_alloc(d->a, n * sizeof(mesh_value));
        if (!out->u.a.items)
            return fail(d, MESH_DECODE_NOMEM, "out of memory");
    }
    for (uint64_t i = 0; i < n; i++)
        if (dec_value(d, &out->u.a.items[i], depth + 1) != 0)
            return -1;
    return 0;
}

static int dec_map(dec *d, mesh_value *out, uint64_t n, int depth)
{
    if (depth + 1 > MESH_MAX_DEPTH)
        return fail(d, MESH_DECODE_MALFORMED, "nesting depth above %d", MESH_MAX_DEPTH);
    if (n > remaining(d) / 2)
        return fail(d, MESH_DECODE_MALFORMED, "map of %llu entries exceeds the %zu bytes left",
                    (unsigned long long)n, remaining(d));
    out->kind = MESH_MAP;
    out->u.m.n = out->u.m.cap = (uint32_t)n;
    if (n) {
        out->u.m.keys = mesh_arena_alloc(d->a, n * sizeof(mesh_value));
        out->u.m.vals = mesh_arena_alloc(d->a, n * sizeof(mesh_value));
        if (!out->u.m.keys || !out->u.m.vals)
            return fail(d, MESH_DECODE_NOMEM, "out of memory");
    }
    for (uint64_t i = 0; i < n; i++) {
        if (dec_value(d, &out->u.m.keys[i], depth + 1) != 0 ||
            dec_value(d, &out->u.m.vals[i], depth + 1) != 0)
            return -1;
    }
    return 0;
}

static int dec_str(dec *d, mesh_value *out, uint64_t n, bool bin)
{
    if (n > remaining(d))
        return fail(d, MESH_DECODE_MALFORMED, "%s of %llu bytes exceeds the %zu bytes left",
                    bin ? "bin" : "str", (unsigned long long)n, remaining(d));
    if (!bin && !utf8_valid(d->p, n))
        return fail(d, MESH_DECODE_MALFORMED, "str is not valid UTF-8");
    char *p = mesh_arena_strndup(d->a, (const char *)d->p, n);
    if (!p)
        return fail(d, MESH_DECODE_NOMEM, "out of memory");
    out->kind = bin ? MESH_BIN : MESH_STR;
    out->u.s.ptr = p;
    out->u.s.len = (uint32_t)n;
    d->p += n;
    return 0;
}

static int dec_value(dec *d, mesh_value *out, int depth)
{
    if (need(d, 1) != 0)
        return -1;
    uint8_t c = *d->p++;
    if (c <= 0x7f) {
        out->kind = MESH_INT;
        out->u.i = c;
        return 0;
    }
    if (c >= 0xe0) {
        out->kind = MESH_INT;
        out->u.i = (int8_t)c;
        return 0;
    }
    if ((c & 0xf0) == 0x80)
        return dec_map(d, out, c & 0x0f, depth);
    if ((c & 0xf0) == 0x90)
        return dec_array(d, out, c & 0x0f, depth);
    if ((c & 0xe0) == 0xa0)
        return dec_str(d, out, c & 0x1f, false);
    uint64_t n;
    switch (c) {
    case 0xc0: out->kind = MESH_NIL; return 0;
    case 0xc2: out->kind = MESH_BOOL; out->u.b = false; return 0;
    case 0xc3: out->kind = MESH_BOOL; out->u.b = true; return 0;
    case 0xc4: case 0xc5: case 0xc6: {
        int w = 1 << (c - 0xc4);
        if (need(d, (size_t)w) != 0)
            return -1;
        n = be(d->p, w);
        d->p += w;
        return dec_str(d, out, n, true);
    }
    case 0xc7: case 0xc8: case 0xc9: {
        int w = 1 << (c - 0xc7);
        if (need(d, (size_t)w + 1) != 0)
            return -1;
        n = be(d->p, w);
        int8_t t = (int8_t)d->p[w];
        d->p += w + 1;
        return dec_ext(d, out, t, n, depth);
    }
    case 0xca: {
        if (need(d, 4) != 0)
            return -1;
        uint32_t bits = (uint32_t)be(d->p, 4);
        d->p += 4;
        out->kind = MESH_F32;
        memcpy(&out->u.f32, &bits, 4);
        return 0;
    }
    case 0xcb: {
        if (need(d, 8) != 0)
            return -1;
        uint64_t bits = be(d->p, 8);
        d->p += 8;
        out->kind = MESH_F64;
        memcpy(&out->u.f64, &bits, 8);
        return 0;
    }
    case 0xcc: case 0xcd: case 0xce: case 0xcf: {
        int w = 1 << (c - 0xcc);
        if (need(d, (size_t)w) != 0)
            return -1;
        n = be(d->p, w);
        d->p += w;
        if (n > INT64_MAX) {
            out->kind = MESH_UINT;
            out->u.u = n;
        } else {
            out->kind = MESH_INT;
            out->u.i = (int64_t)n;
        }
        return 0;
    }
    case 0xd0: case 0xd1: case 0xd2: case 0xd3: {
        int w = 1 << (c - 0xd0);
        if (need(d, (size_t)w) != 0)
            return -1;
        n = be(d->p, w);
        d->p += w;
        out->kind = MESH_INT;
        switch (w) {
        case 1: out->u.i = (int8_t)n; break;
        case 2: out->u.i = (int16_t)n; break;
        case 4: out->u.i = (int32_t)n; break;
        default: out->u.i = (int64_t)n; break;
        }
        return 0;
    }
    case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8: {
        if (need(d, 1) != 0)
            return -1;
        int8_t t = (int8_t)*d->p++;
        return dec_ext(d, out, t, (size_t)1 << (c - 0xd4), depth);
    }
    case 0xd9: case 0xda: case 0xdb: {
        int w = 1 << (c - 0xd9);
        if (need(d, (size_t)w) != 0)
            return -1;
        n = be(d->p, w);
        d->p += w;
        return dec_str(d, out, n, false);
    }
    case 0xdc: case 0xdd: {
        int w = c == 0xdc ? 2 : 4;
        if (need(d, (size_t)w) != 0)
            return -1;
        n = be(d->p, w);
        d->p += w;
        return dec_array(d, out, n, depth);
    }
    case 0xde: case 0xdf: {
        int w = c == 0xde ? 2 : 4;
        if (need(d, (size_t)w) != 0)
            return -1;
        n = be(d->p, w);
        d->p += w;
        return dec_map(d, out, n, depth);
    }
    default: /* 0xc1 */
        return fail(d, MESH_DECODE_MALFORMED, "reserved format byte 0x%02x", c);
    }
}

/* Decodes an ext payload (itself MessagePack) with the same limits. */
static int dec_payload(dec *d, const uint8_t *p, size_t len, mesh_value *out, int depth)
{
    dec sub = *d;
    sub.p = p;
    sub.end = p + len;
    if (dec_value(&sub, out, depth) != 0)
        return -1;
    if (sub.p != sub.end)
        return fail(d, MESH_DECODE_BAD_VALUE, "trailing bytes in ext payload");
    return 0;
}

static int dec_ndarray(dec *d, const uint8_t *p, size_t len, mesh_value *out, int depth)
{
    mesh_value pl;
    if (dec_payload(d, p, len, &pl, depth) != 0) {
        if (d->err)
            d->err->status = d->err->status == MESH_DECODE_NOMEM ? MESH_DECODE_NOMEM
                                                                 : MESH_DECODE_BAD_VALUE;
        return -1;
    }
    if (pl.kind != MESH_ARRAY)
        return fail(d, MESH_DECODE_BAD_VALUE, "ndarray payload must be an array");
    if (pl.u.a.n != 3)
        return fail(d, MESH_DECODE_BAD_VALUE, "ndarray payload must be [dtype, shape, data]");
    const mesh_value *dt = &pl.u.a.items[0], *sh = &pl.u.a.items[1], *da = &pl.u.a.items[2];
    mesh_ndarray nd = {0};
    if (dt->kind != MESH_STR || !mesh_dtype_parse(dt->u.s.ptr, dt->u.s.len, &nd.dtype))
        return fail(d, MESH_DECODE_BAD_VALUE, "ndarray has an unknown dtype");
    if (sh->kind != MESH_ARRAY)
        return fail(d, MESH_DECODE_BAD_VALUE, "ndarray shape must be an array of uint");
    nd.ndim = sh->u.a.n;
    nd.shape = mesh_arena_alloc(d->a, (nd.ndim ? nd.ndim : 1) * sizeof(uint64_t));
    if (!nd.shape)
        return fail(d, MESH_DECODE_NOMEM, "out of memory");
    size_t isz = mesh_dtype_size(nd.dtype);
    bool overflow = false;
    uint64_t count = 1;
    for (uint32_t i = 0; i < nd.ndim; i++) {
        const mesh_value *s = &sh->u.a.items[i];
        uint64_t dim;
        if (s->kind == MESH_INT && s->u.i >= 0)
            dim = (uint64_t)s->u.i;
        else if (s->kind == MESH_UINT)
            dim = s->u.u;
        else
            return fail(d, MESH_DECODE_BAD_VALUE, "ndarray shape must be an array of uint");
        nd.shape[i] = dim;
        if (dim && count > UINT64_MAX / dim)
            overflow = true;
        else
            count *= dim;
    }
    if (overflow || count > SIZE_MAX / isz)
        return fail(d, MESH_DECODE_BAD_VALUE, "ndarray shape product overflows");
    size_t nbytes = (size_t)(count * isz);
    nd.nbytes = nbytes;
    if (da->kind == MESH_BIN) {
        if (da->u.s.len != nbytes)
            return fail(d, MESH_DECODE_BAD_VALUE, "ndarray byte length %u != %llu*%zu",
                        da->u.s.len, (unsigned long long)count, isz);
        /* arena memory is 16-byte aligned: the bin copy is already aligned */
        nd.data = (void *)da->u.s.ptr;
    } else if ((da->kind == MESH_INT && da->u.i >= 0) || da->kind == MESH_UINT) {
        uint64_t idx = da->kind == MESH_INT ? (uint64_t)da->u.i : da->u.u;
        if (!d->opt || idx >= d->opt->nbuffers)
            return fail(d, MESH_DECODE_BAD_BUFFERS, "ndarray references buffer %llu, which does not exist",
                        (unsigned long long)idx);
        if (d->used[idx])
            return fail(d, MESH_DECODE_BAD_BUFFERS, "buffer %llu is referenced twice",
                        (unsigned long long)idx);
        d->used[idx] = 1;
        mesh_buf *b = d->opt->buffers[idx];
        if (b->size != nbytes)
            return fail(d, MESH_DECODE_BAD_VALUE, "ndarray buffer %llu has %zu bytes, shape needs %llu*%zu",
                        (unsigned long long)idx, b->size, (unsigned long long)count, isz);
        if (((uintptr_t)b->data % (isz ? isz : 1)) == 0) {
            mesh_arena_hold(d->a, b);
            nd.owner = b;
            nd.data = b->data;
        } else {
            if (nd_alloc_data(d->a, &nd, nbytes) != 0)
                return fail(d, MESH_DECODE_NOMEM, "out of memory");
            memcpy(nd.data, b->data, nbytes);
        }
    } else {
        return fail(d, MESH_DECODE_BAD_VALUE, "ndarray data must be uint or bin");
    }
    if (nd.dtype == MESH_DT_BOOL) {
        const uint8_t *b = nd.data;
        for (size_t i = 0; i < nbytes; i++)
            if (b[i] > 1)
                return fail(d, MESH_DECODE_BAD_VALUE, "bool ndarray element %zu is %u, not 0 or 1", i, b[i]);
    }
    out->kind = MESH_NDARRAY;
    out->u.nd = nd;
    return 0;
}

static int cmp_names(const void *x, const void *y)
{
    const mesh_value *a = *(const mesh_value *const *)x, *b = *(const mesh_value *const *)y;
    uint32_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
    int c = memcmp(a->u.s.ptr, b->u.s.ptr, n);
    if (c)
        return c;
    return (a->u.s.len > b->u.s.len) - (a->u.s.len < b->u.s.len);
}

static int dec_table(dec *d, const uint8_t *p, size_t len, mesh_value *out, int depth)
{
    mesh_value pl;
    if (dec_payload(d, p, len, &pl, depth) != 0) {
        if (d->err && d->err->status == MESH_DECODE_MALFORMED)
            d->err->status = MESH_DECODE_BAD_VALUE;
        return -1;
    }
    if (pl.kind != MESH_ARRAY || pl.u.a.n != 2 || pl.u.a.items[0].kind != MESH_ARRAY ||
        pl.u.a.items[1].kind != MESH_ARRAY)
        return fail(d, MESH_DECODE_BAD_VALUE, "table payload must be [names, columns]");
    const mesh_value *names = &pl.u.a.items[0], *cols = &pl.u.a.items[1];
    if (names->u.a.n != cols->u.a.n)
        return fail(d, MESH_DECODE_BAD_VALUE, "table has %u names and %u columns", names->u.a.n,
                    cols->u.a.n);
    uint32_t nc = names->u.a.n;
    uint64_t rows = 0;
    for (uint32_t i = 0; i < nc; i++) {
        if (names->u.a.items[i].kind != MESH_STR)
            return fail(d, MESH_DECODE_BAD_VALUE, "table names must be str");
        const mesh_value *c = &cols->u.a.items[i];
        uint64_t n;
        if (c->kind == MESH_NDARRAY) {
            if (c->u.nd.ndim != 1)
                return fail(d, MESH_DECODE_BAD_VALUE, "table columns must have shape [n]");
            n = c->u.nd.shape[0];
        } else if (c->kind == MESH_ARRAY) {
            for (uint32_t k = 0; k < c->u.a.n; k++) {
                mesh_kind kk = c->u.a.items[k].kind;
                if (kk != MESH_STR && kk != MESH_NIL)
                    return fail(d, MESH_DECODE_BAD_VALUE, "table string columns hold str or nil");
            }
            n = c->u.a.n;
        } else {
            return fail(d, MESH_DECODE_BAD_VALUE, "table columns must be ndarrays or arrays of str");
        }
        if (i == 0)
            rows = n;
        else if (n != rows)
            return fail(d, MESH_DECODE_BAD_VALUE, "table columns of length %llu and %llu",
                        (unsigned long long)rows, (unsigned long long)n);
    }
    if (nc > 1) {
        const mesh_value **sorted = mesh_arena_alloc(d->a, nc * sizeof *sorted);
        if (!sorted)
            return fail(d, MESH_DECODE_NOMEM, "out of memory");
        for (uint32_t i = 0; i < nc; i++)
            sorted[i] = &names->u.a.items[i];
        qsort(sorted, nc, sizeof *sorted, cmp_names);
        for (uint32_t i = 1; i < nc; i++)
            if (cmp_names(&sorted[i - 1], &sorted[i]) == 0)
                return fail(d, MESH_DECODE_BAD_VALUE, "duplicate table column name '%s'",
                            sorted[i]->u.s.ptr);
    }
    out->kind = MESH_TABLE;
    out->u.t.ncols = nc;
    out->u.t.nrows = rows;
    out->u.t.names = names->u.a.items;
    out->u.t.columns = cols->u.a.items;
    return 0;
}

static int dec_ext(dec *d, mesh_value *out, int8_t type, size_t len, int depth)
{
    if (len > remaining(d))
        return fail(d, MESH_DECODE_MALFORMED, "ext of %zu bytes exceeds the %zu bytes left", len,
                    remaining(d));
    const uint8_t *p = d->p;
    d->p += len;
    bool raw = d->opt && d->opt->raw_ext;
    if (!raw && type == -1) {
        out->kind = MESH_TIMESTAMP;
        if (len == 4) {
            out->u.ts.sec = (int64_t)be(p, 4);
            out->u.ts.nsec = 0;
        } else if (len == 8) {
            uint64_t v = be(p, 8);
            out->u.ts.nsec = (uint32_t)(v >> 34);
            out->u.ts.sec = (int64_t)(v & 0x3ffffffffULL);
        } else if (len == 12) {
            out->u.ts.nsec = (uint32_t)be(p, 4);
            out->u.ts.sec = (int64_t)be(p + 4, 8);
        } else {
            return fail(d, MESH_DECODE_BAD_VALUE, "bad timestamp length %zu", len);
        }
        if (out->u.ts.nsec > 999999999u)
            return fail(d, MESH_DECODE_BAD_VALUE, "timestamp nanoseconds out of range");
        return 0;
    }
    if (!raw && type == 1)
        return dec_ndarray(d, p, len, out, depth);
    if (!raw && type == 2)
        return dec_table(d, p, len, out, depth);
    uint8_t *copy = mesh_arena_alloc(d->a, len);
    if (!copy)
        return fail(d, MESH_DECODE_NOMEM, "out of memory");
    if (len)
        memcpy(copy, p, len);
    out->kind = MESH_EXT;
    out->u.ext.type = type;
    out->u.ext.data = copy;
    out->u.ext.len = (uint32_t)len;
    return 0;
}

mesh_decode_status mesh_decode(mesh_arena *a, const uint8_t *data, size_t len,
                               const mesh_decode_options *opt, mesh_value **out,
                               mesh_decode_error *err)
{
    mesh_decode_error local;
    if (!err)
        err = &local;
    err->status = MESH_DECODE_OK;
    err->message[0] = 0;
    dec d = {.p = data, .end = data + len, .a = a, .opt = opt, .err = err};
    size_t nb = opt ? opt->nbuffers : 0;
    uint8_t used_small[64] = {0};
    d.used = nb <= sizeof used_small ? used_small : calloc(nb, 1);
    if (!d.used) {
        err->status = MESH_DECODE_NOMEM;
        return err->status;
    }
    mesh_value *v = mesh_arena_alloc(a, sizeof *v);
    if (!v) {
        fail(&d, MESH_DECODE_NOMEM, "out of memory");
    } else if (len == 0) {
        fail(&d, MESH_DECODE_MALFORMED, "empty input");
    } else if (dec_value(&d, v, 0) == 0) {
        if (d.p != d.end) {
            fail(&d, MESH_DECODE_MALFORMED, "%zu trailing bytes after the value", remaining(&d));
        } else {
            for (size_t i = 0; i < nb; i++) {
                if (!d.used[i]) {
                    fail(&d, MESH_DECODE_BAD_BUFFERS, "buffer %zu is not referenced by the content", i);
                    break;
                }
            }
        }
    }
    if (d.used != used_small)
        free(d.used);
    if (err->status == MESH_DECODE_OK)
        *out = v;
    return err->status;
}

/* ---- encoding -------------------------------------------------------------------------- */

typedef struct {
    uint8_t *data;
    size_t size, cap;
    bool failed;
} bytes;

static int bytes_write(void *data, const char *buf, size_t len)
{
    bytes *b = data;
    if (b->failed)
        return -1;
    if (b->size + len > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->size + len)
            nc *= 2;
        uint8_t *nd = realloc(b->data, nc);
        if (!nd) {
            b->failed = true;
            return -1;
        }
        b->data = nd;
        b->cap = nc;
    }
    memcpy(b->data + b->size, buf, len);
    b->size += len;
    return 0;
}

static int enc_value(mesh_encoder *e, bytes *out, const mesh_value *v);

static int add_buffer(mesh_encoder *e, const mesh_ndarray *nd, uint64_t *index)
{
    mesh_buf *b;
    if (nd->owner && nd->data == nd->owner->data && nd->owner->size == nd->nbytes)
        b = mesh_buf_ref(nd->owner);
    else
        b = mesh_buf_copy(nd->data, nd->nbytes);
    if (!b)
        return -1;
    if (e->nbuffers == e->capbuffers) {
        size_t nc = e->capbuffers ? e->capbuffers * 2 : 4;
        mesh_buf **nb = realloc(e->buffers, nc * sizeof *nb);
        if (!nb) {
            mesh_buf_unref(b);
            return -1;
        }
        e->buffers = nb;
        e->capbuffers = nc;
    }
    *index = e->nbuffers;
    e->buffers[e->nbuffers++] = b;
    return 0;
}

static int enc_ext_payload(bytes *out, int8_t type, const bytes *payload)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, bytes_write);
    if (msgpack_pack_ext(&pk, payload->size, type) != 0)
        return -1;
    return bytes_write(out, (const char *)payload->data, payload->size);
}

static int enc_ndarray(mesh_encoder *e, bytes *out, const mesh_ndarray *nd)
{
    bytes pl = {0};
    msgpack_packer pk;
    msgpack_packer_init(&pk, &pl, bytes_write);
    const char *name = mesh_dtype_name(nd->dtype);
    int rc = msgpack_pack_array(&pk, 3);
    rc |= msgpack_pack_str_with_body(&pk, name, strlen(name));
    rc |= msgpack_pack_array(&pk, nd->ndim);
    for (uint32_t i = 0; i < nd->ndim; i++)
        rc |= msgpack_pack_uint64(&pk, nd->shape[i]);
    if (nd->nbytes > MESH_INLINE_LIMIT && !e->inline_all) {
        uint64_t idx;
        if (add_buffer(e, nd, &idx) != 0)
            rc = -1;
        else
            rc |= msgpack_pack_uint64(&pk, idx);
    } else {
        rc |= msgpack_pack_bin_with_body(&pk, nd->data, nd->nbytes);
    }
    if (rc == 0 && !pl.failed)
        rc = enc_ext_payload(out, 1, &pl);
    else
        rc = -1;
    free(pl.data);
    return rc;
}

static int enc_table(mesh_encoder *e, bytes *out, const mesh_table *t)
{
    bytes pl = {0};
    msgpack_packer pk;
    msgpack_packer_init(&pk, &pl, bytes_write);
    int rc = msgpack_pack_array(&pk, 2);
    rc |= msgpack_pack_array(&pk, t->ncols);
    for (uint32_t i = 0; i < t->ncols && rc == 0; i++)
        rc |= enc_value(e, &pl, &t->names[i]);
    rc |= msgpack_pack_array(&pk, t->ncols);
    for (uint32_t i = 0; i < t->ncols && rc == 0; i++)
        rc |= enc_value(e, &pl, &t->columns[i]);
    if (rc == 0 && !pl.failed)
        rc = enc_ext_payload(out, 2, &pl);
    else
        rc = -1;
    free(pl.data);
    return rc;
}

static int enc_value(mesh_encoder *e, bytes *out, const mesh_value *v)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, out, bytes_write);
    int rc = 0;
    switch (v->kind) {
    case MESH_NIL: rc = msgpack_pack_nil(&pk); break;
    case MESH_BOOL: rc = v->u.b ? msgpack_pack_true(&pk) : msgpack_pack_false(&pk); break;
    case MESH_INT: rc = msgpack_pack_int64(&pk, v->u.i); break;
    case MESH_UINT: rc = msgpack_pack_uint64(&pk, v->u.u); break;
    case MESH_F32: rc = msgpack_pack_float(&pk, v->u.f32); break;
    case MESH_F64: rc = msgpack_pack_double(&pk, v->u.f64); break;
    case MESH_STR: rc = msgpack_pack_str_with_body(&pk, v->u.s.ptr, v->u.s.len); break;
    case MESH_BIN: rc = msgpack_pack_bin_with_body(&pk, v->u.s.ptr, v->u.s.len); break;
    case MESH_ARRAY:
        rc = msgpack_pack_array(&pk, v->u.a.n);
        for (uint32_t i = 0; i < v->u.a.n && rc == 0; i++)
            rc = enc_value(e, out, &v->u.a.items[i]);
        break;
    case MESH_MAP:
        rc = msgpack_pack_map(&pk, v->u.m.n);
        for (uint32_t i = 0; i < v->u.m.n && rc == 0; i++) {
            rc = enc_value(e, out, &v->u.m.keys[i]);
            if (rc == 0)
                rc = enc_value(e, out, &v->u.m.vals[i]);
        }
        break;
    case MESH_EXT:
        rc = msgpack_pack_ext_with_body(&pk, v->u.ext.data, v->u.ext.len, v->u.ext.type);
        break;
    case MESH_TIMESTAMP: {
        msgpack_timestamp ts = {.tv_sec = v->u.ts.sec, .tv_nsec = v->u.ts.nsec};
        rc = msgpack_pack_timestamp(&pk, &ts);
        break;
    }
    case MESH_NDARRAY: rc = enc_ndarray(e, out, &v->u.nd); break;
    case MESH_TABLE: rc = enc_table(e, out, &v->u.t); break;
    default: rc = -1;
    }
    return rc == 0 && !out->failed ? 0 : -1;
}

void mesh_encoder_init(mesh_encoder *e)
{
    memset(e, 0, sizeof *e);
}

void mesh_encoder_reset(mesh_encoder *e)
{
    for (size_t i = 0; i < e->nbuffers; i++)
        mesh_buf_unref(e->buffers[i]);
    e->nbuffers = 0;
    e->size = 0;
    e->failed = false;
}

void mesh_encoder_destroy(mesh_encoder *e)
{
    mesh_encoder_reset(e);
    free(e->buffers);
    free(e->data);
    memset(e, 0, sizeof *e);
}

int mesh_encode(mesh_encoder *e, const mesh_value *v)
{
    bytes b = {.data = e->data, .size = e->size, .cap = e->cap};
    int rc = enc_value(e, &b, v);
    e->data = b.data;
    e->size = b.size;
    e->cap = b.cap;
    if (rc != 0)
        e->failed = true;
    return rc;
}
