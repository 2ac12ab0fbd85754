/* codec.h - Mesh values and their MessagePack encoding (docs/protocol.md section 4).
 *
 * Values live in an arena (one per message or per task result) and are freed all at once.
 * Decoding is strict and written here (bounds checked against the bytes remaining, nesting depth
 * <= 64, no trailing bytes, UTF-8 checked, ext 1/2/-1 validated). Encoding goes through
 * msgpack-c's packer, which already produces the smallest (canonical) encodings.
 *
 * Large ndarray bytes are carried by reference-counted blobs (mesh_buf) so that a received
 * buffer frame or a handler's result array reaches ZeroMQ without being copied.
 */
#ifndef MESH_CODEC_H
#define MESH_CODEC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MESH_MAX_DEPTH 64
#define MESH_INLINE_LIMIT 1024 /* ndarray bytes above this go to a buffer frame */

/* ---- reference-counted blobs ----------------------------------------------------------- */

typedef struct mesh_buf mesh_buf;
struct mesh_buf {
    atomic_int refs;
    uint8_t *data;
    size_t size;
    void (*destroy)(mesh_buf *b); /* frees data and the struct */
    void *impl;                   /* owner-specific (e.g. a zmq_msg_t) */
};

/* A blob of `size` bytes (16-byte aligned, not zeroed), refcount 1. NULL on OOM. */
mesh_buf *mesh_buf_new(size_t size);
/* A blob that copies `size` bytes from `data`. */
mesh_buf *mesh_buf_copy(const void *data, size_t size);
mesh_buf *mesh_buf_ref(mesh_buf *b);
void mesh_buf_unref(mesh_buf *b);

/* ---- arena ----------------------------------------------------------------------------- */

typedef struct mesh_arena mesh_arena;
mesh_arena *mesh_arena_new(void);
void mesh_arena_free(mesh_arena *a);
/* Zeroed, 16-byte aligned memory that lives as long as the arena; NULL on OOM. */
void *mesh_arena_alloc(mesh_arena *a, size_t n);
/* NUL-terminated copy of n bytes. */
char *mesh_arena_strndup(mesh_arena *a, const char *s, size_t n);
char *mesh_arena_strdup(mesh_arena *a, const char *s);
char *mesh_arena_printf(mesh_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The arena keeps one reference to b until it is freed. */
void mesh_arena_hold(mesh_arena *a, mesh_buf *b);
/* Runs fn(arg) when the arena is freed (latest first, before its memory goes). 0 on success. */
int mesh_arena_defer(mesh_arena *a, void (*fn)(void *), void *arg);

/* ---- values ---------------------------------------------------------------------------- */

typedef enum {
    MESH_DT_BOOL, MESH_DT_INT8, MESH_DT_INT16, MESH_DT_INT32, MESH_DT_INT64,
    MESH_DT_UINT8, MESH_DT_UINT16, MESH_DT_UINT32, MESH_DT_UINT64,
    MESH_DT_FLOAT32, MESH_DT_FLOAT64, MESH_DT_COUNT
} mesh_dtype;

const char *mesh_dtype_name(mesh_dtype dt);
size_t mesh_dtype_size(mesh_dtype dt);
bool mesh_dtype_parse(const char *s, size_t len, mesh_dtype *out);

typedef enum {
    MESH_NIL, MESH_BOOL,
    MESH_INT,  /* any integer that fits int64 */
    MESH_UINT, /* integers above INT64_MAX */
    MESH_F32, MESH_F64, MESH_STR, MESH_BIN, MESH_ARRAY, MESH_MAP,
    MESH_EXT,       /* any other extension type, kept as raw bytes */
    MESH_TIMESTAMP, /* ext -1 */
    MESH_NDARRAY,   /* ext 1 */
    MESH_TABLE,     /* ext 2 */
    MESH_OBJECT     /* a live object of the kernel (proxy.h): an ext 3 reference resolved on
                       receipt, or an object a handler returns; never encoded as such */
} mesh_kind;

struct mesh_object;

typedef struct mesh_value mesh_value;

typedef struct {
    mesh_dtype dtype;
    uint32_t ndim;
    uint64_t *shape;
    void *data;     /* little-endian, packed, row-major; aligned to the item size */
    size_t nbytes;  /* product(shape) * itemsize */
    mesh_buf *owner; /* when set, data lives in this blob (zero-copy sends); else in an arena */
} mesh_ndarray;

typedef struct {
    uint32_t ncols;
    uint64_t nrows;
    mesh_value *names;   /* ncols MESH_STR values */
    mesh_value *columns; /* ncols values: MESH_NDARRAY of shape [nrows] or MESH_ARRAY of str/nil */
} mesh_table;

struct mesh_value {
    mesh_kind kind;
    union {
        bool b;
        int64_t i;
        uint64_t u;
        float f32;
        double f64;
        struct { const char *ptr; uint32_t len; } s; /* STR (NUL-terminated) and BIN */
        struct { mesh_value *items; uint32_t n, cap; } a;
        struct { mesh_value *keys; mesh_value *vals; uint32_t n, cap; } m;
        struct { int8_t type; const uint8_t *data; uint32_t len; } ext;
        struct { int64_t sec; uint32_t nsec; } ts;
        mesh_ndarray nd;
        mesh_table t;
        struct mesh_object *obj;
    } u;
};

/* Replaces bytes that are not valid UTF-8 with '?'; returns how many were replaced. */
size_t mesh_utf8_sanitize(char *s, size_t n);

/* Constructors (values allocated in the arena; NULL on OOM). Strings are copied; invalid UTF-8
 * bytes in them are replaced with '?' so that every str the kernel sends is valid. */
mesh_value *mesh_v_nil(mesh_arena *a);
mesh_value *mesh_v_bool(mesh_arena *a, bool b);
mesh_value *mesh_v_int(mesh_arena *a, int64_t i);
mesh_value *mesh_v_uint(mesh_arena *a, uint64_t u);
mesh_value *mesh_v_f64(mesh_arena *a, double d);
mesh_value *mesh_v_str(mesh_arena *a, const char *s);
mesh_value *mesh_v_strn(mesh_arena *a, const char *s, size_t n);
mesh_value *mesh_v_bin(mesh_arena *a, const void *p, size_t n);
mesh_value *mesh_v_timestamp(mesh_arena *a, int64_t sec, uint32_t nsec);
mesh_value *mesh_v_now(mesh_arena *a);
mesh_value *mesh_v_array(mesh_arena *a, uint32_t cap);
mesh_value *mesh_v_map(mesh_arena *a, uint32_t cap);
/* An ndarray with room for its data (zeroed). Bytes above MESH_INLINE_LIMIT go to a mesh_buf
 * held by the arena, so they can be sent without a copy. */
mesh_value *mesh_v_ndarray(mesh_arena *a, mesh_dtype dt, uint32_t ndim, const uint64_t *shape);
/* A table with ncols columns to be filled with mesh_table_set. */
mesh_value *mesh_v_table(mesh_arena *a, uint32_t ncols, uint64_t nrows);
int mesh_table_set(mesh_arena *a, mesh_value *t, uint32_t col, const char *name, const mesh_value *column);

/* Growing containers; the element is copied by value (shallow). 0 on success. */
int mesh_array_push(mesh_arena *a, mesh_value *arr, const mesh_value *v);
int mesh_map_put(mesh_arena *a, mesh_value *map, const char *key, const mesh_value *v);

/* Lookups. mesh_map_get returns NULL when the key is absent or map is not a map. */
const mesh_value *mesh_map_get(const mesh_value *map, const char *key);
bool mesh_value_is_number(const mesh_value *v);
double mesh_value_as_double(const mesh_value *v);
/* Deep equality (used by tests and echo checks); NaN equals NaN bit-for-bit. */
bool mesh_value_equal(const mesh_value *x, const mesh_value *y);
uint64_t mesh_ndarray_count(const mesh_ndarray *nd);

/* ---- decoding -------------------------------------------------------------------------- */

typedef enum {
    MESH_DECODE_OK = 0,
    MESH_DECODE_MALFORMED,   /* not valid MessagePack: truncation, bad byte, depth, trailing, UTF-8 */
    MESH_DECODE_BAD_VALUE,   /* valid MessagePack but an invalid ndarray/table/timestamp */
    MESH_DECODE_BAD_BUFFERS, /* buffer references do not match the buffer frames */
    MESH_DECODE_NOMEM
} mesh_decode_status;

typedef struct {
    mesh_decode_status status;
    char message[200];
} mesh_decode_error;

typedef struct {
    bool raw_ext;         /* keep ext 1/2/-1 as MESH_EXT (used to salvage ids from bad content) */
    mesh_buf *const *buffers; /* buffer frames 4.. of the message (may be NULL) */
    size_t nbuffers;
} mesh_decode_options;

/* Decodes exactly one value spanning all `len` bytes. */
mesh_decode_status mesh_decode(mesh_arena *a, const uint8_t *data, size_t len,
                               const mesh_decode_options *opt, mesh_value **out,
                               mesh_decode_error *err);

/* ---- encoding -------------------------------------------------------------------------- */

typedef struct {
    uint8_t *data; /* content bytes (malloc'd) */
    size_t size, cap;
    mesh_buf **buffers; /* buffer frames in index order, each holding one reference */
    size_t nbuffers, capbuffers;
    bool inline_all; /* never use buffer frames (e.g. inside a header) */
    bool failed;
} mesh_encoder;

void mesh_encoder_init(mesh_encoder *e);
void mesh_encoder_reset(mesh_encoder *e);   /* keeps allocations, drops content and buffers */
void mesh_encoder_destroy(mesh_encoder *e);
/* Appends one value. 0 on success, -1 on OOM or an unencodable value. */
int mesh_encode(mesh_encoder *e, const mesh_value *v);

#endif
