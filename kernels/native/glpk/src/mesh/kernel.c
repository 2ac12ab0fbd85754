/* kernel.c - the Mesh kernel runtime: connection file, sockets, registration, health thread,
 * task queue and workers, cancel/timeout/interrupt/shutdown, long-poll get and retention. */
#define _GNU_SOURCE
#include "mesh/kernel.h"

#include "mesh/proxy.h"
#include "mesh/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

/* ======================================================================================== */
/* connection file: a strict parser for one flat JSON object                                */
/* ======================================================================================== */

typedef struct {
    const char *start, *p, *end;
    char *err;
    size_t errlen;
} jp;

typedef enum { JV_STR, JV_NUM, JV_BOOL, JV_NULL } jkind;

typedef struct {
    char *key;
    jkind kind;
    char *str; /* JV_STR: decoded text; JV_NUM: the literal */
    bool b;
} jfield;

static int jerr(jp *j, const char *what)
{
    snprintf(j->err, j->errlen, "connection file: %s at offset %ld", what, (long)(j->p - j->start));
    return -1;
}

static void jws(jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static int read_u16(jp *j, unsigned *out)
{
    if (j->end - j->p < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(j->p[i]);
        if (h < 0)
            return -1;
        v = v * 16 + (unsigned)h;
    }
    j->p += 4;
    *out = v;
    return 0;
}

static void put_utf8(char **o, unsigned cp)
{
    char *q = *o;
    if (cp < 0x80) {
        *q++ = (char)cp;
    } else if (cp < 0x800) {
        *q++ = (char)(0xC0 | (cp >> 6));
        *q++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *q++ = (char)(0xE0 | (cp >> 12));
        *q++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *q++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *q++ = (char)(0xF0 | (cp >> 18));
        *q++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *q++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *q++ = (char)(0x80 | (cp & 0x3F));
    }
    *o = q;
}

static int jstring(jp *j, char **out)
{
    if (j->p >= j->end || *j->p != '"')
        return jerr(j, "expected a string");
    j->p++;
    /* the decoded text is never longer than the literal */
    const char *s = j->p;
    while (s < j->end && *s != '"') {
        if (*s == '\\')
            s++;
        s++;
    }
    char *buf = malloc((size_t)(s - j->p) + 1);
    if (!buf)
        return jerr(j, "out of memory");
    char *o = buf;
    for (;;) {
        if (j->p >= j->end) {
            free(buf);
            return jerr(j, "unterminated string");
        }
        unsigned char c = (unsigned char)*j->p++;
        if (c == '"')
            break;
        if (c < 0x20) {
            free(buf);
            return jerr(j, "control character in string");
        }
        if (c != '\\') {
            *o++ = (char)c;
            continue;
        }
        if (j->p >= j->end) {
            free(buf);
            return jerr(j, "bad escape");
        }
        char e = *j->p++;
        switch (e) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp;
            if (read_u16(j, &cp) != 0)
                goto bad;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                unsigned lo;
                if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u')
                    goto bad;
                j->p += 2;
                if (read_u16(j, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
                    goto bad;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                goto bad;
            }
            if (cp == 0)
                goto bad; /* no NUL inside C strings */
            put_utf8(&o, cp);
            break;
        }
        default:
        bad:
            free(buf);
            return jerr(j, "bad escape in string");
        }
    }
    *o = 0;
    *out = buf;
    return 0;
}

static int jnumber(jp *j, char **out)
{
    const char *s = j->p;
    if (j->p < j->end && *j->p == '-')
        j->p++;
    if (j->p >= j->end)
        return jerr(j, "bad number");
    if (*j->p == '0') {
        j->p++;
    } else if (*j->p >= '1' && *j->p <= '9') {
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    } else {
        return jerr(j, "bad number");
    }
    if (j->p < j->end && *j->p == '.') {
        j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9')
            return jerr(j, "bad number");
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
        j->p++;
        if (j->p < j->end && (*j->p == '+' || *j->p == '-'))
            j->p++;
        if (j->p >= j->end || *j->p < '0' || *j->p > '9')
            return jerr(j, "bad number");
        while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
            j->p++;
    }
    *out = strndup(s, (size_t)(j->p - s));
    return *out ? 0 : jerr(j, "out of memory");
}

static bool jlit(jp *j, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(j->end - j->p) >= n && memcmp(j->p, lit, n) == 0) {
        j->p += n;
        return true;
    }
    return false;
}

static void free_fields(jfield *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(f[i].key);
        free(f[i].str);
    }
    free(f);
}

static int parse_flat_object(jp *j, jfield **out, size_t *nout)
{
    jfield *f = NULL;
    size_t n = 0, cap = 0;
    jws(j);
    if (j->p >= j->end || *j->p != '{')
        return jerr(j, "expected '{'");
    j->p++;
    jws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        goto end;
    }
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            jfield *nf = realloc(f, cap * sizeof *nf);
            if (!nf)
                goto fail_oom;
            f = nf;
        }
        jfield *fl = &f[n];
        memset(fl, 0, sizeof *fl);
        jws(j);
        if (jstring(j, &fl->key) != 0)
            goto fail;
        n++;
        for (size_t i = 0; i + 1 < n; i++)
            if (strcmp(f[i].key, fl->key) == 0) {
                jerr(j, "duplicate key");
                goto fail;
            }
        jws(j);
        if (j->p >= j->end || *j->p != ':') {
            jerr(j, "expected ':'");
            goto fail;
        }
        j->p++;
        jws(j);
        if (j->p >= j->end) {
            jerr(j, "expected a value");
            goto fail;
        }
        char c = *j->p;
        if (c == '"') {
            fl->kind = JV_STR;
            if (jstring(j, &fl->str) != 0)
                goto fail;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            fl->kind = JV_NUM;
            if (jnumber(j, &fl->str) != 0)
                goto fail;
        } else if (jlit(j, "true")) {
            fl->kind = JV_BOOL;
            fl->b = true;
        } else if (jlit(j, "false")) {
            fl->kind = JV_BOOL;
        } else if (jlit(j, "null")) {
            fl->kind = JV_NULL;
        } else {
            jerr(j, c == '{' || c == '[' ? "nested values are not supported" : "bad value");
            goto fail;
        }
        jws(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == '}') {
            j->p++;
            break;
        }
        jerr(j, "expected ',' or '}'");
        goto fail;
    }
end:
    jws(j);
    if (j->p != j->end) {
        jerr(j, "trailing characters after the object");
        goto fail;
    }
    *out = f;
    *nout = n;
    return 0;
fail_oom:
    jerr(j, "out of memory");
fail:
    free_fields(f, n);
    return -1;
}

static const jfield *jget(const jfield *f, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].key, key) == 0)
            return &f[i];
    return NULL;
}

static int cfg_str(const jfield *f, size_t n, const char *key, bool required, bool nullable,
                   char **out, char *err, size_t errlen)
{
    const jfield *x = jget(f, n, key);
    *out = NULL;
    if (!x || (x->kind == JV_NULL && nullable)) {
        if (required) {
            snprintf(err, errlen, "connection file: missing \"%s\"", key);
            return -1;
        }
        return 0;
    }
    if (x->kind != JV_STR) {
        snprintf(err, errlen, "connection file: \"%s\" must be a string", key);
        return -1;
    }
    *out = strdup(x->str);
    return *out ? 0 : -1;
}

static int cfg_int(const jfield *f, size_t n, const char *key, int64_t def, int64_t min,
                   int64_t max, int64_t *out, char *err, size_t errlen)
{
    const jfield *x = jget(f, n, key);
    *out = def;
    if (!x || x->kind == JV_NULL)
        return 0;
    if (x->kind != JV_NUM || strpbrk(x->str, ".eE")) {
        snprintf(err, errlen, "connection file: \"%s\" must be an integer", key);
        return -1;
    }
    errno = 0;
    long long v = strtoll(x->str, NULL, 10);
    if (errno || v < min || v > max) {
        snprintf(err, errlen, "connection file: \"%s\" out of range", key);
        return -1;
    }
    *out = v;
    return 0;
}

int mesh_config_parse(const char *json, size_t len, mesh_config *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    jp j = {.start = json, .p = json, .end = json + len, .err = err, .errlen = errlen};
    jfield *f;
    size_t n;
    if (parse_flat_object(&j, &f, &n) != 0)
        return -1;
    int64_t pid = 0, maxb = 0, hb = 0;
    int rc = -1;
    if (cfg_str(f, n, "protocol", true, false, &cfg->protocol, err, errlen) ||
        cfg_str(f, n, "kernel_id", true, false, &cfg->kernel_id, err, errlen) ||
        cfg_str(f, n, "key", true, false, &cfg->key, err, errlen) ||
        cfg_str(f, n, "signature_scheme", false, true, &cfg->signature_scheme, err, errlen) ||
        cfg_str(f, n, "transport", false, true, &cfg->transport, err, errlen) ||
        cfg_str(f, n, "ip", false, true, &cfg->ip, err, errlen) ||
        cfg_str(f, n, "ipc_dir", false, true, &cfg->ipc_dir, err, errlen) ||
        cfg_str(f, n, "registration", true, false, &cfg->registration, err, errlen) ||
        cfg_int(f, n, "parent_pid", 0, 0, INT32_MAX, &pid, err, errlen) ||
        cfg_int(f, n, "max_message_bytes", 2147483647, 1, INT64_MAX, &maxb, err, errlen) ||
        cfg_int(f, n, "heartbeat_ms", 1000, 1, 3600000, &hb, err, errlen))
        goto done;
    if (strcmp(cfg->protocol, "MESH/1") != 0) {
        snprintf(err, errlen, "connection file: protocol \"%s\" is not MESH/1", cfg->protocol);
        goto done;
    }
    if (!cfg->kernel_id[0]) {
        snprintf(err, errlen, "connection file: empty kernel_id");
        goto done;
    }
    if (cfg->key[0] && (!cfg->signature_scheme || strcmp(cfg->signature_scheme, "hmac-sha256") != 0)) {
        snprintf(err, errlen, "connection file: signature_scheme must be \"hmac-sha256\"");
        goto done;
    }
    if (!cfg->transport)
        cfg->transport = strdup("tcp");
    if (!cfg->ip)
        cfg->ip = strdup("127.0.0.1");
    if (strcmp(cfg->transport, "tcp") != 0 && strcmp(cfg->transport, "ipc") != 0) {
        snprintf(err, errlen, "connection file: transport must be \"tcp\" or \"ipc\"");
        goto done;
    }
    if (strcmp(cfg->transport, "ipc") == 0 && !cfg->ipc_dir) {
        snprintf(err, errlen, "connection file: transport \"ipc\" needs ipc_dir");
        goto done;
    }
    cfg->parent_pid = (long)pid;
    cfg->max_message_bytes = maxb;
    cfg->heartbeat_ms = (int)hb;
    rc = 0;
done:
    free_fields(f, n);
    if (rc != 0)
        mesh_config_free(cfg);
    return rc;
}

int mesh_config_load(const char *path, mesh_config *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    if (!path || !*path) {
        snprintf(err, errlen, "no connection file (set MESH_CONNECTION_FILE or --connection-file)");
        return -1;
    }
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "cannot open connection file %s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 4096;
            if (cap > (1u << 20)) {
                snprintf(err, errlen, "connection file %s is too large", path);
                free(buf);
                fclose(fp);
                return -1;
            }
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(fp);
                return -1;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, cap - n, fp);
        if (r == 0)
            break;
        n += r;
    }
    fclose(fp);
    int rc = mesh_config_parse(buf, n, cfg, err, errlen);
    free(buf);
    return rc;
}

void mesh_config_free(mesh_config *cfg)
{
    free(cfg->protocol);
    free(cfg->kernel_id);
    if (cfg->key)
        memset(cfg->key, 0, strlen(cfg->key));
    free(cfg->key);
    free(cfg->signature_scheme);
    free(cfg->transport);
    free(cfg->ip);
    free(cfg->ipc_dir);
    free(cfg->registration);
    memset(cfg, 0, sizeof *cfg);
}

/* ======================================================================================== */
/* runtime                                                                                  */
/* ======================================================================================== */

enum { ST_PENDING, ST_QUEUED, ST_STARTED, ST_COMPLETED, ST_ERROR, ST_CANCELLED };
static const char *const STATE_NAMES[] = {"PENDING", "QUEUED", "STARTED",
                                          "COMPLETED", "ERROR", "CANCELLED"};
enum { CANCEL_NONE = 0, CANCEL_USER = 1, CANCEL_TIMEOUT = 2 };

#define LOG_MAX 1000         /* lines kept per task, including the "dropped" marker */
#define LOG_LINE_MAX 8192    /* bytes per line */
#define NBUCKETS 8192
#define GONE_MAX 100000      /* rejected / fetched ids remembered, so their gets never wait */
#define GONE_BUCKETS 65536
#define WAITER_BUCKETS 4096
#define SWEEP_SECONDS 0.01   /* get timeouts are answered within this much of their deadline */
#define PRIORITIES 10

typedef struct task task;
struct task {
    char *id;
    const mesh_endpoint *ep;
    int state;
    int priority;
    struct timespec pending_at, queued_at, started_at, ended_at;
    double timeout;  /* seconds, < 0: none */
    double deadline; /* monotonic, 0: none */
    int64_t retries;
    mesh_message req; /* owns the arguments */
    mesh_value *args;
    const mesh_value *kwargs, *metadata;
    mesh_buf *identity; /* the submitting peer, for progress messages */
    atomic_int cancel;
    char **log; /* ring of LOG_MAX - 1 lines */
    size_t log_head, log_n, log_dropped;
    mesh_arena *res_arena;
    mesh_value *result, *error;
    double final_mono;
    int lane;
    uint64_t *proxy_ids; /* references the result hands out (released if it is never delivered) */
    size_t nproxy_ids, capproxy_ids;
    bool proxy_delivered;
    task *hnext;
    task *qnext;
    task *rprev, *rnext; /* retention list (final tasks, oldest first) */
};

/* An id the kernel no longer has a task for: its submit was rejected (error = the rejection)
 * or its result was fetched or expired (error = UNKNOWN_TASK). Section 6.3. */
typedef struct gone {
    struct gone *hnext, *next;
    char *id;
    int code;
    char *type, *message;
} gone;

typedef struct event {
    struct event *next;
    char *done;         /* the id of a task that reached a final state (a copy: the task may be
                           forgotten by a get before this event is processed) */
    mesh_buf *identity; /* progress: destination */
    mesh_encoder content;
} event;

/* A request waiting for a task to end: a long-poll get, or a call-style submit (section 6.2)
 * whose only answer is the get_reply sent when the task ends. */
typedef struct waiter {
    struct waiter *next;
    void *sock; /* where the answer goes: the get socket, or the submit socket for a call */
    mesh_buf *identity;
    char *req_id;
    char *task_id;
    double deadline; /* monotonic; 0: none (a call's answer never times out) */
    bool keep;
} waiter;

struct kernel;

typedef struct worker {
    struct kernel *k;
    int lane, index;
    task *current;
    pthread_t th;
    bool started;
    void *data;
} worker;

typedef struct {
    mesh_object **o;
    size_t n, cap;
} objlist;

typedef struct {
    task *head[PRIORITIES], *tail[PRIORITIES];
    pthread_cond_t cv;
    /* bumped with every signal of cv (kernel lock held), so that a worker spinning without the
     * lock (worker_main) notices what would have woken it */
    atomic_uint wakes;
    int nthreads;
    worker *workers;
    objlist dead; /* thread-bound objects to destroy on this lane (kernel lock) */
} lane_state;

typedef struct kernel {
    const mesh_config *cfg;
    const mesh_dispatch *d;
    mesh_kernel_options opt;
    mesh_key key;
    char session[33];
    pid_t pid;
    char hostname[256];
    void *zctx, *s_submit, *s_get, *s_health;
    char addr_health[256], addr_submit[256], addr_get[256];
    int wake_rd, wake_wr;
    /* the socket may hold unread messages (see the I/O loop in mesh_kernel_run); under io_lock */
    bool pending_submit, pending_get;
    /* The sockets and what only the I/O side touches (waiters, pending flags, the event queue's
     * processing). The I/O thread holds it for each turn and lets go only while it sleeps in
     * poll(2) or yields; a worker that finds it free sends its task's answer itself
     * (answer_from_worker). Taken before lock, never the other way round. */
    pthread_mutex_t io_lock;
    pthread_mutex_t lock;
    task *buckets[NBUCKETS];
    lane_state *lanes;
    size_t nlanes;
    event *ev_head, *ev_tail;
    waiter *waiters[WAITER_BUCKETS]; /* long polls and calls, by task id */
    size_t nwaiters;
    size_t ntimed; /* waiters with a deadline: only these need the sweep (and a fast poll) */
    double last_sweep;
    task *ret_head, *ret_tail;
    size_t nret;
    gone *gone_buckets[GONE_BUCKETS];
    gone *gone_head, *gone_tail;
    size_t ngone;
    size_t nqueued_total;
    atomic_long queued, running, completed, rejected;
    atomic_bool shutting_down;
    bool stop_workers;
    double start_mono;
    mesh_arena *info_arena;
    mesh_value *info;
    pthread_t health_th;
    bool health_started;
    atomic_bool health_stop;
    double grace_deadline;
    bool grace_signalled;
    mesh_proxy *px;
    pthread_mutex_t gy_lock; /* graveyard: thread-bound objects whose last reference went */
    objlist gy;
    double last_lease_sweep;
    double idle_spin; /* seconds: MESH_IDLE_SPIN_US (idle_spin_from_env) */
} kernel;

struct mesh_ctx {
    kernel *k;
    task *t;
    worker *w;
    mesh_arena *arena;
    const char *err_type;
    const char *err_msg;
    int err_code;
    mesh_value *traceback;
};

static volatile sig_atomic_t g_term_signal;
static int g_wake_wr = -1;

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static struct timespec now_real(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts;
}

static void wake(int fd)
{
    char c = 1;
    ssize_t r = write(fd, &c, 1);
    (void)r; /* a full pipe already means "wake up" */
}

static void on_signal(int sig)
{
    g_term_signal = sig;
    if (g_wake_wr >= 0)
        wake(g_wake_wr);
}

static void debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void debug(const char *fmt, ...)
{
    static int enabled = -1;
    if (enabled < 0)
        enabled = getenv("MESH_DEBUG") != NULL;
    if (!enabled)
        return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "[mesh-kernel %d] ", (int)getpid());
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* ---- task table ------------------------------------------------------------------------- */

static unsigned hash_id(const char *s)
{
    unsigned h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h % NBUCKETS;
}

static task *task_find(kernel *k, const char *id)
{
    for (task *t = k->buckets[hash_id(id)]; t; t = t->hnext)
        if (strcmp(t->id, id) == 0)
            return t;
    return NULL;
}

static void task_unhash(kernel *k, task *t)
{
    task **pp = &k->buckets[hash_id(t->id)];
    while (*pp && *pp != t)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = t->hnext;
}

static void task_free_heavy(task *t)
{
    free(t->proxy_ids);
    t->proxy_ids = NULL;
    t->nproxy_ids = t->capproxy_ids = 0;
    mesh_message_free(&t->req);
    if (t->log) {
        for (size_t i = 0; i < t->log_n; i++)
            free(t->log[(t->log_head + i) % (LOG_MAX - 1)]);
        free(t->log);
        t->log = NULL;
    }
    t->log_n = t->log_head = t->log_dropped = 0;
    mesh_arena_free(t->res_arena);
    t->res_arena = NULL;
    t->result = t->error = NULL;
    mesh_buf_unref(t->identity);
    t->identity = NULL;
}

static void task_free(task *t)
{
    task_free_heavy(t);
    free(t->id);
    free(t);
}

static void list_remove(task **head, task **tail, task *t)
{
    if (t->rprev)
        t->rprev->rnext = t->rnext;
    else
        *head = t->rnext;
    if (t->rnext)
        t->rnext->rprev = t->rprev;
    else
        *tail = t->rprev;
    t->rprev = t->rnext = NULL;
}

static void list_append(task **head, task **tail, task *t)
{
    t->rprev = *tail;
    t->rnext = NULL;
    if (*tail)
        (*tail)->rnext = t;
    else
        *head = t;
    *tail = t;
}

static gone *gone_find(kernel *k, const char *id)
{
    for (gone *g = k->gone_buckets[hash_id(id) % GONE_BUCKETS]; g; g = g->hnext)
        if (strcmp(g->id, id) == 0)
            return g;
    return NULL;
}

static void gone_free(gone *g)
{
    free(g->id);
    free(g->type);
    free(g->message);
    free(g);
}

static void gone_unhash(kernel *k, gone *g)
{
    gone **pp = &k->gone_buckets[hash_id(g->id) % GONE_BUCKETS];
    while (*pp && *pp != g)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = g->hnext;
}

/* Forgets an id from the gone list (it is being reused by a new submit). Lock held. */
static void gone_remove(kernel *k, const char *id)
{
    gone *g = gone_find(k, id);
    if (!g)
        return;
    gone_unhash(k, g);
    gone **pp = &k->gone_head;
    gone *prev = NULL;
    while (*pp && *pp != g) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp)
        *pp = g->next;
    if (k->gone_tail == g)
        k->gone_tail = prev;
    k->ngone--;
    gone_free(g);
}

/* Remembers an id with the error its gets are answered with. Lock held. */
static void gone_add(kernel *k, const char *id, int code, const char *type, const char *message)
{
    gone_remove(k, id);
    gone *g = calloc(1, sizeof *g);
    if (!g || !(g->id = strdup(id)) || !(g->type = strdup(type)) || !(g->message = strdup(message))) {
        if (g)
            gone_free(g);
        return;
    }
    g->code = code;
    unsigned b = hash_id(id) % GONE_BUCKETS;
    g->hnext = k->gone_buckets[b];
    k->gone_buckets[b] = g;
    if (k->gone_tail)
        k->gone_tail->next = g;
    else
        k->gone_head = g;
    k->gone_tail = g;
    k->ngone++;
    while (k->ngone > GONE_MAX) {
        gone *old = k->gone_head;
        k->gone_head = old->next;
        if (!k->gone_head)
            k->gone_tail = NULL;
        gone_unhash(k, old);
        k->ngone--;
        gone_free(old);
    }
}

/* Gives back the references a task's result handed out when that result will never be
 * delivered (cancelled or failed after registering them, or evicted before anyone fetched it):
 * otherwise they would stay held until the session's lease ran out. Lock held; the proxy table
 * never takes the kernel lock. */
static void task_release_refs(kernel *k, task *t)
{
    if (k->px && t->nproxy_ids && !t->proxy_delivered)
        mesh_proxy_release(k->px, t->req.session ? t->req.session : "", t->proxy_ids, t->nproxy_ids);
    t->nproxy_ids = 0;
}

/* Forgets a final task; its id is remembered as gone. Lock held. */
static void task_forget(kernel *k, task *t)
{
    task_release_refs(k, t);
    list_remove(&k->ret_head, &k->ret_tail, t);
    k->nret--;
    task_unhash(k, t);
    gone_add(k, t->id, MESH_UNKNOWN_TASK, "UNKNOWN_TASK", "no task with this id (already fetched or expired)");
    task_free(t);
}

/* ---- task log --------------------------------------------------------------------------- */

static void log_append(task *t, const char *line, size_t len)
{
    if (len > LOG_LINE_MAX)
        len = LOG_LINE_MAX;
    char *copy = strndup(line, len);
    if (!copy)
        return;
    if (!t->log) {
        t->log = calloc(LOG_MAX - 1, sizeof(char *));
        if (!t->log) {
            free(copy);
            return;
        }
    }
    if (t->log_n == LOG_MAX - 1) {
        free(t->log[t->log_head]);
        t->log[t->log_head] = copy;
        t->log_head = (t->log_head + 1) % (LOG_MAX - 1);
        t->log_dropped++;
    } else {
        t->log[(t->log_head + t->log_n) % (LOG_MAX - 1)] = copy;
        t->log_n++;
    }
}

/* ---- values for replies ----------------------------------------------------------------- */

static mesh_value *ts_value(mesh_arena *a, struct timespec ts)
{
    if (ts.tv_sec == 0 && ts.tv_nsec == 0)
        return mesh_v_nil(a);
    return mesh_v_timestamp(a, ts.tv_sec, (uint32_t)ts.tv_nsec);
}

/* The task record of section 6.1. Lock held. */
static mesh_value *task_record(mesh_arena *a, const task *t)
{
    mesh_value *m = mesh_v_map(a, 10);
    mesh_value *log = mesh_v_array(a, (uint32_t)t->log_n + 1);
    if (!m || !log)
        return NULL;
    if (t->log_dropped) {
        char marker[96];
        snprintf(marker, sizeof marker, "[%zu earlier log lines dropped]", t->log_dropped);
        mesh_array_push(a, log, mesh_v_str(a, marker));
    }
    for (size_t i = 0; i < t->log_n; i++)
        mesh_array_push(a, log, mesh_v_str(a, t->log[(t->log_head + i) % (LOG_MAX - 1)]));
    if (mesh_map_put(a, m, "task_id", mesh_v_str(a, t->id)) ||
        mesh_map_put(a, m, "endpoint", mesh_v_str(a, t->ep ? t->ep->name : "")) ||
        mesh_map_put(a, m, "state", mesh_v_str(a, STATE_NAMES[t->state])) ||
        mesh_map_put(a, m, "priority", mesh_v_int(a, t->priority)) ||
        mesh_map_put(a, m, "pending_at", ts_value(a, t->pending_at)) ||
        mesh_map_put(a, m, "queued_at", ts_value(a, t->queued_at)) ||
        mesh_map_put(a, m, "started_at", ts_value(a, t->started_at)) ||
        mesh_map_put(a, m, "ended_at", ts_value(a, t->ended_at)) ||
        mesh_map_put(a, m, "retries", mesh_v_int(a, t->retries)) ||
        mesh_map_put(a, m, "log", log))
        return NULL;
    return m;
}

static void send_frames(kernel *k, void *sock, mesh_buf *identity, mesh_frames *fr)
{
    mesh_frames all = {0};
    mesh_frames_push(&all, mesh_buf_ref(identity));
    for (size_t i = 0; i < fr->n; i++)
        mesh_frames_push(&all, mesh_buf_ref(fr->f[i]));
    mesh_send(sock, all.f, all.n, ZMQ_DONTWAIT);
    mesh_frames_free(&all);
    /* sending lets libzmq process the socket's commands, which may consume the ZMQ_FD signal of
     * a message that has just arrived: look at the socket again before sleeping */
    if (sock == k->s_submit)
        k->pending_submit = true;
    else if (sock == k->s_get)
        k->pending_get = true;
}

static int send_msg(kernel *k, void *sock, mesh_buf *identity, const char *parent_id,
                    const char *type, const mesh_value *content)
{
    char id[33];
    mesh_new_id(id);
    mesh_header h = {.id = id, .type = type, .session = k->session, .parent_id = parent_id};
    mesh_frames fr = {0};
    int rc = -1;
    if (content && mesh_envelope_encode(&k->key, &h, content, &fr) == 0) {
        send_frames(k, sock, identity, &fr);
        rc = 0;
    } else {
        debug("failed to encode %s", type);
    }
    mesh_frames_free(&fr);
    return rc;
}

static void send_error_reply(kernel *k, void *sock, mesh_buf *identity, const char *parent_id,
                             int code, const char *message)
{
    mesh_arena *a = mesh_arena_new();
    if (!a)
        return;
    mesh_value *c = mesh_v_map(a, 1);
    if (c && mesh_map_put(a, c, "error", mesh_error_value(a, mesh_error_name(code), message, code, NULL)) == 0)
        send_msg(k, sock, identity, parent_id, "error_reply", c);
    mesh_arena_free(a);
}

/* ---- finishing tasks -------------------------------------------------------------------- */

static mesh_value *protocol_error(mesh_arena *a, int code, const char *message)
{
    return mesh_error_value(a, mesh_error_name(code), message, code, NULL);
}

/* Moves t to a final state. Lock held. The I/O thread answers the waiters afterwards. */
static void task_finalize(kernel *k, task *t, int state, mesh_value *error)
{
    if (t->state == ST_STARTED)
        atomic_fetch_sub(&k->running, 1);
    else if (t->state == ST_QUEUED)
        atomic_fetch_sub(&k->queued, 1);
    t->state = state;
    t->error = error;
    t->ended_at = now_real();
    t->final_mono = now_mono();
    atomic_fetch_add(&k->completed, 1);
    list_append(&k->ret_head, &k->ret_tail, t);
    k->nret++;
}

static void push_event(kernel *k, event *e)
{
    e->next = NULL;
    if (k->ev_tail)
        k->ev_tail->next = e;
    else
        k->ev_head = e;
    k->ev_tail = e;
}

/* Wakes a worker of the lane (all: every one), blocked or spinning. Kernel lock held. */
static void lane_wake(lane_state *l, bool all)
{
    atomic_fetch_add_explicit(&l->wakes, 1, memory_order_relaxed);
    if (all)
        pthread_cond_broadcast(&l->cv);
    else
        pthread_cond_signal(&l->cv);
}

/* ---- graveyard: thread-bound objects are destroyed on their lane ------------------------- */

static int objlist_push(objlist *l, mesh_object *o)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 16;
        mesh_object **no = realloc(l->o, nc * sizeof *no);
        if (!no)
            return -1;
        l->o = no;
        l->cap = nc;
    }
    l->o[l->n++] = o;
    return 0;
}

static void wake(int fd);

/* Called by whichever thread dropped the last reference (never with the proxy table's lock
 * held; possibly with the kernel lock held, so it takes only its own lock). */
static void graveyard_push(void *arg, mesh_object *o, int lane)
{
    kernel *k = arg;
    (void)lane;
    pthread_mutex_lock(&k->gy_lock);
    int rc = objlist_push(&k->gy, o);
    pthread_mutex_unlock(&k->gy_lock);
    if (rc != 0) {
        /* no memory to queue it: free what the object owns; its lane's thread frees the rest
         * (its per-thread resources) when it exits */
        mesh_object_destroy(o, NULL);
        return;
    }
    wake(k->wake_wr);
}

/* I/O thread: hands queued objects to their lanes' workers. */
static void process_graveyard(kernel *k)
{
    pthread_mutex_lock(&k->gy_lock);
    objlist l = k->gy;
    memset(&k->gy, 0, sizeof k->gy);
    pthread_mutex_unlock(&k->gy_lock);
    if (l.n) {
        pthread_mutex_lock(&k->lock);
        for (size_t i = 0; i < l.n; i++) {
            int lane = mesh_object_class(l.o[i])->lane;
            if (lane < 0 || (size_t)lane >= k->nlanes)
                lane = 0;
            if (objlist_push(&k->lanes[lane].dead, l.o[i]) != 0)
                mesh_object_destroy(l.o[i], NULL);
            lane_wake(&k->lanes[lane], true);
        }
        pthread_mutex_unlock(&k->lock);
    }
    free(l.o);
}

/* ---- lanes ------------------------------------------------------------------------------ */

static void lane_push(lane_state *l, task *t)
{
    int p = t->priority - 1;
    t->qnext = NULL;
    if (l->tail[p])
        l->tail[p]->qnext = t;
    else
        l->head[p] = t;
    l->tail[p] = t;
}

static task *lane_pop(lane_state *l)
{
    for (int p = PRIORITIES - 1; p >= 0; p--) {
        task *t = l->head[p];
        if (t) {
            l->head[p] = t->qnext;
            if (!l->head[p])
                l->tail[p] = NULL;
            t->qnext = NULL;
            return t;
        }
    }
    return NULL;
}

static bool lane_remove(lane_state *l, task *t)
{
    int p = t->priority - 1;
    task *prev = NULL;
    for (task *x = l->head[p]; x; prev = x, x = x->qnext) {
        if (x != t)
            continue;
        if (prev)
            prev->qnext = x->qnext;
        else
            l->head[p] = x->qnext;
        if (l->tail[p] == x)
            l->tail[p] = prev;
        x->qnext = NULL;
        return true;
    }
    return false;
}

static void process_events(kernel *k);

/* A worker's task has ended and its event is queued. Sending the answer from here, when the I/O
 * thread is not using the sockets, saves waking it only to send: a thread wake-up per call. A
 * send lets libzmq process the socket's commands, which may consume the ZMQ_FD signal of a
 * request that arrived meanwhile, so each socket sent on is asked for input (ZMQ_EVENTS) and the
 * I/O thread is woken only if there is some. Called without any lock held. */
static void answer_from_worker(kernel *k)
{
    if (pthread_mutex_trylock(&k->io_lock) != 0) {
        wake(k->wake_wr); /* busy: it finds the event at its next look */
        return;
    }
    process_events(k);
    bool input = false;
    void *socks[2] = {k->s_submit, k->s_get};
    bool *pending[2] = {&k->pending_submit, &k->pending_get};
    for (int i = 0; i < 2 && !input; i++) {
        if (!*pending[i])
            continue;
        int events = 0;
        size_t len = sizeof events;
        if (zmq_getsockopt(socks[i], ZMQ_EVENTS, &events, &len) != 0 || (events & ZMQ_POLLIN))
            input = true; /* stays pending: the I/O thread drains it */
        else
            *pending[i] = false;
    }
    pthread_mutex_unlock(&k->io_lock);
    if (input)
        wake(k->wake_wr);
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    kernel *k = w->k;
    const mesh_lane *ldef = &k->opt.lanes[w->lane];
    lane_state *l = &k->lanes[w->lane];
    if (ldef->thread_init)
        w->data = ldef->thread_init(w->lane, w->index);

    /* After a task, the next one often arrives within microseconds (a client making calls back
     * to back); until spin_until (monotonic, 0: none) the worker looks for it without sleeping,
     * since a wake-up from the condition variable costs tens of microseconds on a small machine. */
    double spin_until = 0;
    pthread_mutex_lock(&k->lock);
    for (;;) {
        /* before stopping too, so that at exit the lane's objects are freed on their thread */
        if (l->dead.n) {
            objlist d = l->dead;
            memset(&l->dead, 0, sizeof l->dead);
            pthread_mutex_unlock(&k->lock);
            for (size_t i = 0; i < d.n; i++)
                mesh_object_destroy(d.o[i], w->data);
            free(d.o);
            pthread_mutex_lock(&k->lock);
            continue;
        }
        if (k->stop_workers)
            break;
        task *t = lane_pop(l);
        if (!t && spin_until > 0) {
            /* without the lock, which the I/O thread needs to queue the task; yielding lets
             * it (or the client) have this core */
            unsigned seen = atomic_load_explicit(&l->wakes, memory_order_relaxed);
            pthread_mutex_unlock(&k->lock);
            bool woken;
            while (!(woken = atomic_load_explicit(&l->wakes, memory_order_relaxed) != seen) &&
                   now_mono() < spin_until)
                sched_yield();
            pthread_mutex_lock(&k->lock);
            if (!woken)
                spin_until = 0;
            continue; /* woken, but another worker may take the task: then spin on */
        }
        if (!t) {
            pthread_cond_wait(&l->cv, &k->lock);
            continue;
        }
        k->nqueued_total--;
        atomic_fetch_sub(&k->queued, 1);
        atomic_fetch_add(&k->running, 1);
        t->state = ST_STARTED;
        t->started_at = now_real();
        if (t->timeout >= 0)
            t->deadline = now_mono() + t->timeout;
        t->res_arena = mesh_arena_new();
        w->current = t;
        pthread_mutex_unlock(&k->lock);

        mesh_ctx ctx = {.k = k, .t = t, .w = w, .arena = t->res_arena};
        mesh_value *result = NULL;
        int rc = -1;
        if (ctx.arena)
            rc = t->ep->fn(t->args, t->kwargs, &ctx, &result);
        else
            ctx.err_msg = "out of memory";
        /* objects in the result travel as references held by the submitting session */
        uint64_t *ids = NULL;
        size_t nids = 0, capids = 0;
        if (rc == 0 && result && k->px &&
            mesh_proxy_externalize(k->px, ctx.arena, result, mesh_ctx_session(&ctx), &ids, &nids, &capids) != 0)
            rc = mesh_ctx_fail_at(&ctx, __FILE__, __LINE__, __func__, "MemoryError", 0,
                                  "out of memory handing out the result's object references");

        event *e = calloc(1, sizeof *e);
        pthread_mutex_lock(&k->lock);
        w->current = NULL;
        t->proxy_ids = ids;
        t->nproxy_ids = nids;
        t->capproxy_ids = capids;
        int c = atomic_load(&t->cancel);
        mesh_arena *a = t->res_arena;
        if (!a) {
            task_finalize(k, t, ST_ERROR, NULL);
        } else if (c == CANCEL_TIMEOUT) {
            char msg[128];
            snprintf(msg, sizeof msg, "task exceeded its timeout of %g s", t->timeout);
            task_finalize(k, t, ST_ERROR, protocol_error(a, MESH_TASK_TIMEOUT, msg));
        } else if (c == CANCEL_USER) {
            task_finalize(k, t, ST_CANCELLED, protocol_error(a, MESH_TASK_CANCELLED, "task was cancelled"));
        } else if (rc == 0 && result) {
            t->result = result;
            task_finalize(k, t, ST_COMPLETED, NULL);
        } else if (ctx.err_msg || ctx.err_type) {
            mesh_value *tb = ctx.traceback ? ctx.traceback : mesh_v_array(a, 0);
            char line[256];
            snprintf(line, sizeof line, "in endpoint '%s' (task %s)", t->ep->name, t->id);
            if (tb && tb->u.a.n == 0)
                mesh_array_push(a, tb, mesh_v_str(a, line));
            task_finalize(k, t, ST_ERROR,
                          mesh_error_value(a, ctx.err_type ? ctx.err_type : "Error",
                                           ctx.err_msg ? ctx.err_msg : "", ctx.err_code, tb));
        } else {
            task_finalize(k, t, ST_ERROR,
                          protocol_error(a, MESH_INTERNAL_ERROR, "handler returned no result and no error"));
        }
        if (t->state != ST_COMPLETED)
            task_release_refs(k, t);
        bool evented = e && (e->done = strdup(t->id)) != NULL;
        if (evented)
            push_event(k, e);
        else
            free(e);
        spin_until = k->idle_spin > 0 ? now_mono() + k->idle_spin : 0;
        pthread_mutex_unlock(&k->lock);
        /* without an event the I/O thread still finds the task at its next sweep */
        if (evented)
            answer_from_worker(k);
        else
            wake(k->wake_wr);
        pthread_mutex_lock(&k->lock);
    }
    pthread_mutex_unlock(&k->lock);
    if (ldef->thread_exit)
        ldef->thread_exit(w->lane, w->index, w->data);
    return NULL;
}

/* ---- context API for handlers ----------------------------------------------------------- */

mesh_arena *mesh_ctx_arena(mesh_ctx *ctx) { return ctx->arena; }
const char *mesh_ctx_task_id(mesh_ctx *ctx) { return ctx->t->id; }
const mesh_value *mesh_ctx_metadata(mesh_ctx *ctx) { return ctx->t->metadata; }
void *mesh_ctx_worker_data(mesh_ctx *ctx) { return ctx->w->data; }
void *mesh_ctx_endpoint_data(mesh_ctx *ctx) { return ctx->t->ep->data; }
const char *mesh_ctx_session(mesh_ctx *ctx) { return ctx->t->req.session ? ctx->t->req.session : ""; }

bool mesh_ctx_cancelled(mesh_ctx *ctx)
{
    task *t = ctx->t;
    if (atomic_load_explicit(&t->cancel, memory_order_relaxed) != CANCEL_NONE)
        return true;
    if (t->deadline > 0 && now_mono() >= t->deadline) {
        int expected = CANCEL_NONE;
        atomic_compare_exchange_strong(&t->cancel, &expected, CANCEL_TIMEOUT);
        return true;
    }
    return false;
}

bool mesh_ctx_sleep(mesh_ctx *ctx, double seconds)
{
    double end = now_mono() + (seconds > 0 ? seconds : 0);
    for (;;) {
        if (mesh_ctx_cancelled(ctx))
            return false;
        double left = end - now_mono();
        if (left <= 0)
            return true;
        double step = left < 0.005 ? left : 0.005;
        struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)(step * 1e9)};
        nanosleep(&ts, NULL);
    }
}

void mesh_ctx_log_line(mesh_ctx *ctx, const char *line, size_t len)
{
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    pthread_mutex_lock(&ctx->k->lock);
    log_append(ctx->t, line, len);
    pthread_mutex_unlock(&ctx->k->lock);
}

void mesh_ctx_log(mesh_ctx *ctx, const char *fmt, ...)
{
    char buf[LOG_LINE_MAX + 1];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    /* one log line per text line */
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || buf[i] == '\n') {
            if (i > start || i < len)
                mesh_ctx_log_line(ctx, buf + start, i - start);
            start = i + 1;
        }
    }
}

void mesh_ctx_progress(mesh_ctx *ctx, const mesh_value *value, const char *message)
{
    task *t = ctx->t;
    if (!t->identity)
        return;
    mesh_arena *a = mesh_arena_new();
    event *e = calloc(1, sizeof *e);
    mesh_value *c = a ? mesh_v_map(a, 3) : NULL;
    if (!a || !e || !c || mesh_map_put(a, c, "task_id", mesh_v_str(a, t->id)) ||
        mesh_map_put(a, c, "value", value ? value : mesh_v_nil(a)) ||
        mesh_map_put(a, c, "message", mesh_v_str(a, message))) {
        mesh_arena_free(a);
        free(e);
        return;
    }
    mesh_encoder_init(&e->content);
    if (mesh_encode(&e->content, c) != 0) {
        mesh_encoder_destroy(&e->content);
        mesh_arena_free(a);
        free(e);
        return;
    }
    mesh_arena_free(a);
    pthread_mutex_lock(&ctx->k->lock);
    e->identity = mesh_buf_ref(t->identity);
    push_event(ctx->k, e);
    pthread_mutex_unlock(&ctx->k->lock);
    wake(ctx->k->wake_wr);
}

int mesh_ctx_fail_at(mesh_ctx *ctx, const char *file, int line, const char *func, const char *type,
                     int code, const char *fmt, ...)
{
    mesh_arena *a = ctx->arena;
    va_list ap;
    va_start(ap, fmt);
    char msg[4096];
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ctx->err_type = mesh_arena_strdup(a, type ? type : "Error");
    ctx->err_msg = mesh_arena_strdup(a, msg);
    ctx->err_code = code;
    if (!ctx->traceback)
        ctx->traceback = mesh_v_array(a, 4);
    const char *base = strrchr(file, '/');
    char tb[512];
    snprintf(tb, sizeof tb, "  File \"%s\", line %d, in %s", base ? base + 1 : file, line, func);
    if (ctx->traceback)
        mesh_array_push(a, ctx->traceback, mesh_v_str(a, tb));
    return -1;
}

void mesh_ctx_traceback(mesh_ctx *ctx, const char *line)
{
    if (!ctx->traceback)
        ctx->traceback = mesh_v_array(ctx->arena, 4);
    if (ctx->traceback)
        mesh_array_push(ctx->arena, ctx->traceback, mesh_v_str(ctx->arena, line));
}

/* ---- I/O thread: answering gets ---------------------------------------------------------- */

/* Lock held. t == NULL: the id is gone (g) or was never seen (g == NULL). */
static mesh_value *get_reply_content(mesh_arena *a, const char *task_id, task *t, const gone *g, bool final)
{
    mesh_value *c = mesh_v_map(a, 4);
    if (!c || mesh_map_put(a, c, "task_id", mesh_v_str(a, task_id)))
        return NULL;
    if (!t) {
        mesh_value *err = g ? mesh_error_value(a, g->type, g->message, g->code, NULL)
                            : protocol_error(a, MESH_UNKNOWN_TASK, "no task with this id (never seen)");
        if (mesh_map_put(a, c, "done", mesh_v_bool(a, true)) || mesh_map_put(a, c, "task", mesh_v_nil(a)) ||
            mesh_map_put(a, c, "error", err))
            return NULL;
        return c;
    }
    mesh_value *rec = task_record(a, t);
    if (!rec || mesh_map_put(a, c, "done", mesh_v_bool(a, final)) || mesh_map_put(a, c, "task", rec))
        return NULL;
    if (final) {
        if (t->state == ST_COMPLETED) {
            if (mesh_map_put(a, c, "result", t->result))
                return NULL;
        } else {
            mesh_value *err = t->error ? t->error : protocol_error(a, MESH_INTERNAL_ERROR, "no error recorded");
            if (mesh_map_put(a, c, "error", err))
                return NULL;
        }
    }
    return c;
}

static bool is_final(const task *t)
{
    return t->state == ST_COMPLETED || t->state == ST_ERROR || t->state == ST_CANCELLED;
}

/* Answers a get - or a call, on the submit socket (section 6.2) - with the task's state now. */
static void send_get_reply(kernel *k, void *sock, mesh_buf *identity, const char *req_id, const char *task_id)
{
    mesh_arena *a = mesh_arena_new();
    if (!a)
        return;
    pthread_mutex_lock(&k->lock);
    task *t = task_find(k, task_id);
    bool final = t && is_final(t);
    mesh_value *c = get_reply_content(a, task_id, t, t ? NULL : gone_find(k, task_id), final);
    pthread_mutex_unlock(&k->lock);
    const mesh_value *rec = mesh_map_get(c, "task");
    if (c && send_msg(k, sock, identity, req_id, "get_reply", c) == 0) {
        if (final && t->state == ST_COMPLETED && t->nproxy_ids) {
            /* the references now belong to the session; only this thread forgets tasks, so t
             * is still there */
            pthread_mutex_lock(&k->lock);
            t->proxy_delivered = true;
            pthread_mutex_unlock(&k->lock);
        }
        mesh_arena_free(a);
        return;
    }
    /* section 4.6: a result that cannot be encoded is the handler's error (code 0) */
    mesh_value *e = mesh_v_map(a, 4);
    if (e && !mesh_map_put(a, e, "task_id", mesh_v_str(a, task_id)) &&
        !mesh_map_put(a, e, "done", mesh_v_bool(a, final)) &&
        !mesh_map_put(a, e, "task", rec ? (mesh_value *)rec : mesh_v_nil(a)) &&
        !mesh_map_put(a, e, "error", mesh_error_value(a, "EncodeError", "the task's result cannot be encoded "
                                                      "(out of memory, or a value beyond MessagePack's limits)", 0, NULL)) &&
        send_msg(k, sock, identity, req_id, "get_reply", e) == 0) {
        mesh_arena_free(a);
        return;
    }
    send_error_reply(k, sock, identity, req_id, MESH_INTERNAL_ERROR, "cannot encode get_reply");
    mesh_arena_free(a);
}

static void waiter_free(waiter *w)
{
    mesh_buf_unref(w->identity);
    free(w->req_id);
    free(w->task_id);
    free(w);
}

/* A waiter for request req_id, answered on sock; deadline 0: none. NULL when out of memory. */
static waiter *waiter_new(void *sock, mesh_buf *identity, const char *req_id, const char *task_id,
                          double deadline, bool keep)
{
    waiter *w = calloc(1, sizeof *w);
    if (!w || !(w->req_id = strdup(req_id)) || !(w->task_id = strdup(task_id))) {
        if (w) {
            free(w->req_id);
            free(w);
        }
        return NULL;
    }
    w->sock = sock;
    w->identity = mesh_buf_ref(identity);
    w->deadline = deadline;
    w->keep = keep;
    return w;
}

static void waiter_park(kernel *k, waiter *w)
{
    waiter **bucket = &k->waiters[hash_id(w->task_id) % WAITER_BUCKETS];
    w->next = *bucket;
    *bucket = w;
    k->nwaiters++;
    if (w->deadline > 0)
        k->ntimed++;
}

/* Bookkeeping for a waiter just unlinked from its bucket. */
static void waiter_unparked(kernel *k, const waiter *w)
{
    k->nwaiters--;
    if (w->deadline > 0)
        k->ntimed--;
}

/* Answers every waiter of a task that is final, then forgets it when `forget` (the caller has
 * answered a get without keep) or when one of them asked not to keep it. */
static void answer_waiters(kernel *k, const char *task_id, bool forget)
{
    /* a late event: the task was fetched (by a get that found it final first) and its id reused
     * by a new submit; the waiters now wait for that task, and a call must not get done: false */
    pthread_mutex_lock(&k->lock);
    task *live = task_find(k, task_id);
    bool unfinished = live && !is_final(live);
    pthread_mutex_unlock(&k->lock);
    if (unfinished)
        return;
    waiter **pp = &k->waiters[hash_id(task_id) % WAITER_BUCKETS];
    while (*pp) {
        waiter *w = *pp;
        if (strcmp(w->task_id, task_id) != 0) {
            pp = &w->next;
            continue;
        }
        send_get_reply(k, w->sock, w->identity, w->req_id, task_id);
        if (!w->keep)
            forget = true;
        *pp = w->next;
        waiter_unparked(k, w);
        waiter_free(w);
    }
    if (forget) {
        pthread_mutex_lock(&k->lock);
        task *t = task_find(k, task_id);
        if (t && is_final(t))
            task_forget(k, t);
        pthread_mutex_unlock(&k->lock);
    }
}

static void process_events(kernel *k)
{
    char drain[256];
    while (read(k->wake_rd, drain, sizeof drain) == (ssize_t)sizeof drain)
        ; /* a short read emptied the pipe: no second read just to meet EAGAIN */
    process_graveyard(k);
    pthread_mutex_lock(&k->lock);
    event *e = k->ev_head;
    k->ev_head = k->ev_tail = NULL;
    pthread_mutex_unlock(&k->lock);
    while (e) {
        event *next = e->next;
        if (e->done) {
            answer_waiters(k, e->done, false);
            free(e->done);
        } else if (e->identity) {
            char mid[33];
            mesh_new_id(mid);
            mesh_header h = {.id = mid, .type = "progress", .session = k->session};
            mesh_frames fr = {0};
            if (mesh_envelope_encode_bytes(&k->key, &h, e->content.data, e->content.size,
                                           e->content.buffers, e->content.nbuffers, &fr) == 0)
                send_frames(k, k->s_submit, e->identity, &fr);
            mesh_frames_free(&fr);
            mesh_buf_unref(e->identity);
            mesh_encoder_destroy(&e->content);
        }
        free(e);
        e = next;
    }
}

/* ---- I/O thread: requests --------------------------------------------------------------- */

static const char *content_str(const mesh_value *c, const char *key)
{
    const mesh_value *v = mesh_map_get(c, key);
    return v && v->kind == MESH_STR ? v->u.s.ptr : NULL;
}

static void reply_submit(kernel *k, mesh_buf *identity, const char *req_id, const char *task_id,
                         bool accepted, const char *state, int code, const char *message)
{
    mesh_arena *a = mesh_arena_new();
    if (!a)
        return;
    mesh_value *c = mesh_v_map(a, 4);
    if (c && !mesh_map_put(a, c, "task_id", mesh_v_str(a, task_id)) &&
        !mesh_map_put(a, c, "accepted", mesh_v_bool(a, accepted)) &&
        !mesh_map_put(a, c, "state", mesh_v_str(a, state)) &&
        (accepted || !mesh_map_put(a, c, "error", protocol_error(a, code, message))))
        send_msg(k, k->s_submit, identity, req_id, "submit_reply", c);
    mesh_arena_free(a);
}

/* Refuses a submit. The task then does not exist; unless the id belongs to a live task
 * (DUPLICATE_TASK), it is remembered with the rejection, and gets for it - waiting or future -
 * are answered with that error (section 6.3). */
static void reject_submit(kernel *k, mesh_buf *identity, const char *req_id, const char *task_id,
                          int code, const char *message)
{
    reply_submit(k, identity, req_id, task_id, false, NULL, code, message);
    if (code == MESH_DUPLICATE_TASK)
        return;
    pthread_mutex_lock(&k->lock);
    gone_add(k, task_id, code, mesh_error_name(code), message);
    pthread_mutex_unlock(&k->lock);
    answer_waiters(k, task_id, false);
}

static void on_submit(kernel *k, mesh_buf *identity, mesh_message *msg, bool bad_value,
                      const char *bad_value_msg)
{
    const mesh_value *c = msg->content;
    const char *task_id = content_str(c, "task_id");
    const char *endpoint = content_str(c, "endpoint");
    char err[512];
    debug("submit %s %s", task_id ? task_id : "-", endpoint ? endpoint : "-");
    if (!task_id) {
        atomic_fetch_add(&k->rejected, 1);
        send_error_reply(k, k->s_submit, identity, msg->id, MESH_MALFORMED_MESSAGE,
                         "submit_request content needs a str task_id");
        return;
    }
    if (bad_value) {
        snprintf(err, sizeof err, "invalid argument value: %s", bad_value_msg);
        reject_submit(k, identity, msg->id, task_id, MESH_BAD_ARGUMENTS, err);
        return;
    }
    if (atomic_load(&k->shutting_down)) {
        snprintf(err, sizeof err, "kernel %s is shutting down and accepts no new tasks", k->cfg->kernel_id);
        reject_submit(k, identity, msg->id, task_id, MESH_KERNEL_SHUTTING_DOWN, err);
        return;
    }
    pthread_mutex_lock(&k->lock);
    bool duplicate = task_find(k, task_id) != NULL;
    pthread_mutex_unlock(&k->lock);
    if (duplicate) {
        reject_submit(k, identity, msg->id, task_id, MESH_DUPLICATE_TASK, "a task with this id is already known");
        return;
    }
    const mesh_endpoint *ep = endpoint ? mesh_dispatch_find(k->d, endpoint) : NULL;
    if (!ep) {
        snprintf(err, sizeof err, "no endpoint named '%.100s' on kernel %s", endpoint ? endpoint : "(none)",
                 k->cfg->kernel_id);
        reject_submit(k, identity, msg->id, task_id, MESH_UNKNOWN_ENDPOINT, err);
        return;
    }
    const mesh_value *args = mesh_map_get(c, "args");
    const mesh_value *kwargs = mesh_map_get(c, "kwargs");
    const mesh_value *prio = mesh_map_get(c, "priority");
    const mesh_value *timeout = mesh_map_get(c, "timeout");
    const mesh_value *retries = mesh_map_get(c, "retries");
    const mesh_value *metadata = mesh_map_get(c, "metadata");
    /* section 6.2: anything but true (absent, nil, false, another type) is a plain submit */
    const mesh_value *callv = mesh_map_get(c, "call");
    bool call = callv && callv->kind == MESH_BOOL && callv->u.b;
    if (args && args->kind == MESH_NIL)
        args = NULL;
    if (kwargs && kwargs->kind == MESH_NIL)
        kwargs = NULL;
    const char *bad = NULL;
    int priority = 5;
    double tmo = -1;
    if (args && args->kind != MESH_ARRAY)
        bad = "'args' must be an array";
    else if (kwargs && kwargs->kind != MESH_MAP)
        bad = "'kwargs' must be a map with str keys";
    else if (prio && prio->kind != MESH_NIL) {
        if (prio->kind != MESH_INT || prio->u.i < 1 || prio->u.i > 10)
            bad = "'priority' must be an int from 1 to 10";
        else
            priority = (int)prio->u.i;
    }
    if (!bad && timeout && timeout->kind != MESH_NIL) {
        if (!mesh_value_is_number(timeout) || !(mesh_value_as_double(timeout) >= 0))
            bad = "'timeout' must be a non-negative number of seconds or nil";
        else
            tmo = mesh_value_as_double(timeout);
    }
    if (!bad && retries && retries->kind != MESH_NIL && (retries->kind != MESH_INT || retries->u.i < 0))
        bad = "'retries' must be a non-negative int";
    if (!bad && metadata && metadata->kind != MESH_NIL && metadata->kind != MESH_MAP)
        bad = "'metadata' must be a map";
    if (bad) {
        reject_submit(k, identity, msg->id, task_id, MESH_BAD_ARGUMENTS, bad);
        return;
    }
    if (k->px) {
        /* section 9.2: references are resolved when the submit arrives */
        int code = args ? mesh_proxy_resolve(k->px, msg->arena, (mesh_value *)args, err, sizeof err) : 0;
        if (!code && kwargs)
            code = mesh_proxy_resolve(k->px, msg->arena, (mesh_value *)kwargs, err, sizeof err);
        if (code) {
            reject_submit(k, identity, msg->id, task_id, code, err);
            return;
        }
    }
    mesh_value *bound = NULL;
    if (mesh_dispatch_bind(ep, msg->arena, args, kwargs, &bound, err, sizeof err) != 0) {
        reject_submit(k, identity, msg->id, task_id, MESH_BAD_ARGUMENTS, err);
        return;
    }
    int lane = ep->lane;
    if (ep->route) {
        int routed = ep->route(bound);
        if (routed >= 0)
            lane = routed;
    }
    if (lane < 0 || (size_t)lane >= k->nlanes) {
        reject_submit(k, identity, msg->id, task_id, MESH_INTERNAL_ERROR,
                      "endpoint is registered on a lane that does not exist");
        return;
    }

    pthread_mutex_lock(&k->lock);
    if (k->nqueued_total >= k->opt.max_queue) {
        pthread_mutex_unlock(&k->lock);
        snprintf(err, sizeof err, "queue full (%zu tasks)", k->opt.max_queue);
        reject_submit(k, identity, msg->id, task_id, MESH_QUEUE_FULL, err);
        return;
    }
    task *t = calloc(1, sizeof *t);
    char *tid = strdup(task_id);
    if (!t || !tid) {
        pthread_mutex_unlock(&k->lock);
        free(t);
        free(tid);
        reject_submit(k, identity, msg->id, task_id, MESH_INTERNAL_ERROR, "out of memory");
        return;
    }
    gone_remove(k, task_id); /* the id is reused */
    t->id = tid;
    t->ep = ep;
    t->state = ST_QUEUED;
    t->priority = priority;
    t->pending_at = now_real();
    t->queued_at = t->pending_at;
    t->timeout = tmo;
    t->retries = retries && retries->kind == MESH_INT ? retries->u.i : 0;
    t->args = bound;
    t->lane = lane;
    t->kwargs = kwargs;
    t->metadata = metadata && metadata->kind == MESH_MAP ? metadata : NULL;
    t->identity = mesh_buf_ref(identity);
    t->req = *msg; /* the task owns the request (arguments point into it) */
    memset(msg, 0, sizeof *msg);
    atomic_init(&t->cancel, CANCEL_NONE);
    unsigned b = hash_id(t->id);
    t->hnext = k->buckets[b];
    k->buckets[b] = t;
    lane_push(&k->lanes[lane], t);
    k->nqueued_total++;
    atomic_fetch_add(&k->queued, 1);
    lane_state *queued_on = &k->lanes[lane];
    atomic_fetch_add_explicit(&queued_on->wakes, 1, memory_order_relaxed);
    pthread_mutex_unlock(&k->lock);
    /* Signalled after unlocking: a worker woken while this thread still held the lock would
     * block on it at once (two more futex calls and a context switch per task). No wake-up is
     * lost: a worker checks its lane under the lock before it waits. */
    pthread_cond_signal(&queued_on->cv);
    if (call) {
        /* A call (section 6.2): no submit_reply; the answer is the get_reply sent on this socket
         * when the task ends, without a deadline, after which the task is forgotten. Parking it
         * after the task is queued is safe: only this thread processes the end of a task. */
        waiter *w = waiter_new(k->s_submit, identity, t->req.id, task_id, 0, false);
        if (w) {
            waiter_park(k, w);
            return;
        }
        /* no memory to park it: answer as a kernel that ignores `call` does; the client then
         * fetches the result with a get */
    }
    reply_submit(k, identity, t->req.id, task_id, true, "QUEUED", 0, NULL);
}

/* Cancels a queued task at once. Lock held. Returns true when it was queued. */
static bool cancel_queued(kernel *k, task *t)
{
    if (t->state != ST_QUEUED)
        return false;
    lane_remove(&k->lanes[t->lane], t);
    k->nqueued_total--;
    if (!t->res_arena)
        t->res_arena = mesh_arena_new();
    mesh_value *err = t->res_arena ? protocol_error(t->res_arena, MESH_TASK_CANCELLED, "task was cancelled while queued") : NULL;
    task_finalize(k, t, ST_CANCELLED, err);
    return true;
}

static void on_cancel(kernel *k, mesh_buf *identity, mesh_message *msg)
{
    const char *task_id = content_str(msg->content, "task_id");
    if (!task_id) {
        atomic_fetch_add(&k->rejected, 1);
        send_error_reply(k, k->s_submit, identity, msg->id, MESH_MALFORMED_MESSAGE, "cancel_request content needs a str task_id");
        return;
    }
    bool cancelled = false, now_final = false, known = false;
    const char *state = NULL;
    pthread_mutex_lock(&k->lock);
    task *t = task_find(k, task_id);
    if (t) {
        if (t->state == ST_QUEUED) {
            cancelled = now_final = cancel_queued(k, t);
        } else if (t->state == ST_STARTED) {
            int expected = CANCEL_NONE;
            atomic_compare_exchange_strong(&t->cancel, &expected, CANCEL_USER);
            cancelled = true;
        }
        state = STATE_NAMES[t->state];
        known = true;
    }
    pthread_mutex_unlock(&k->lock);
    mesh_arena *a = mesh_arena_new();
    if (a) {
        mesh_value *c = mesh_v_map(a, 4);
        if (c && !mesh_map_put(a, c, "task_id", mesh_v_str(a, task_id)) &&
            !mesh_map_put(a, c, "cancelled", mesh_v_bool(a, cancelled)) &&
            !mesh_map_put(a, c, "state", mesh_v_str(a, state)) &&
            (known || !mesh_map_put(a, c, "error", protocol_error(a, MESH_UNKNOWN_TASK, "no task with this id"))))
            send_msg(k, k->s_submit, identity, msg->id, "cancel_reply", c);
        mesh_arena_free(a);
    }
    if (now_final)
        answer_waiters(k, task_id, false);
}

static void on_status(kernel *k, mesh_buf *identity, mesh_message *msg)
{
    const mesh_value *ids = mesh_map_get(msg->content, "task_ids");
    if (!ids || ids->kind != MESH_ARRAY) {
        atomic_fetch_add(&k->rejected, 1);
        send_error_reply(k, k->s_submit, identity, msg->id, MESH_MALFORMED_MESSAGE, "status_request content needs an array task_ids");
        return;
    }
    mesh_arena *a = mesh_arena_new();
    if (!a)
        return;
    mesh_value *arr = mesh_v_array(a, ids->u.a.n);
    pthread_mutex_lock(&k->lock);
    for (uint32_t i = 0; arr && i < ids->u.a.n; i++) {
        const mesh_value *id = &ids->u.a.items[i];
        task *t = id->kind == MESH_STR ? task_find(k, id->u.s.ptr) : NULL;
        mesh_value *rec = t ? task_record(a, t) : mesh_v_nil(a);
        if (!rec || mesh_array_push(a, arr, rec))
            arr = NULL;
    }
    pthread_mutex_unlock(&k->lock);
    mesh_value *c = arr ? mesh_v_map(a, 1) : NULL;
    if (c && !mesh_map_put(a, c, "tasks", arr))
        send_msg(k, k->s_submit, identity, msg->id, "status_reply", c);
    mesh_arena_free(a);
}

static int signal_running(kernel *k)
{
    int n = 0;
    pthread_mutex_lock(&k->lock);
    for (size_t l = 0; l < k->nlanes; l++) {
        for (int i = 0; i < k->lanes[l].nthreads; i++) {
            task *t = k->lanes[l].workers[i].current;
            if (t) {
                int expected = CANCEL_NONE;
                atomic_compare_exchange_strong(&t->cancel, &expected, CANCEL_USER);
                n++;
            }
        }
    }
    pthread_mutex_unlock(&k->lock);
    return n;
}

static void on_interrupt(kernel *k, mesh_buf *identity, mesh_message *msg)
{
    int n = signal_running(k);
    mesh_arena *a = mesh_arena_new();
    if (!a)
        return;
    mesh_value *c = mesh_v_map(a, 1);
    if (c && !mesh_map_put(a, c, "interrupted", mesh_v_int(a, n)))
        send_msg(k, k->s_submit, identity, msg->id, "interrupt_reply", c);
    mesh_arena_free(a);
}

static void cancel_all_queued(kernel *k)
{
    char **ids = NULL;
    size_t n = 0, cap = 0;
    pthread_mutex_lock(&k->lock);
    for (size_t l = 0; l < k->nlanes; l++) {
        task *t;
        while ((t = lane_pop(&k->lanes[l])) != NULL) {
            k->nqueued_total--;
            if (!t->res_arena)
                t->res_arena = mesh_arena_new();
            task_finalize(k, t, ST_CANCELLED,
                          t->res_arena ? protocol_error(t->res_arena, MESH_TASK_CANCELLED, "cancelled by kernel shutdown") : NULL);
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                char **ni = realloc(ids, cap * sizeof *ni);
                if (!ni)
                    continue;
                ids = ni;
            }
            ids[n++] = strdup(t->id);
        }
    }
    pthread_mutex_unlock(&k->lock);
    for (size_t i = 0; i < n; i++) {
        if (ids[i])
            answer_waiters(k, ids[i], false);
        free(ids[i]);
    }
    free(ids);
}

static void on_shutdown(kernel *k, mesh_buf *identity, mesh_message *msg)
{
    const mesh_value *g = mesh_map_get(msg->content, "grace");
    double grace = g && mesh_value_is_number(g) ? mesh_value_as_double(g) : 0;
    if (!(grace >= 0))
        grace = 0;
    /* The state changes before the reply leaves: a client that asks for health (answered by
     * another thread) as soon as it has the reply must already see shutting_down. */
    if (!atomic_exchange(&k->shutting_down, true)) {
        k->grace_deadline = now_mono() + grace;
        k->grace_signalled = false;
        debug("shutdown requested, grace %g s", grace);
    }
    cancel_all_queued(k);
    mesh_arena *a = mesh_arena_new();
    if (a) {
        mesh_value *c = mesh_v_map(a, 1);
        if (c && !mesh_map_put(a, c, "accepted", mesh_v_bool(a, true)))
            send_msg(k, k->s_submit, identity, msg->id, "shutdown_reply", c);
        mesh_arena_free(a);
    }
}

static void on_get(kernel *k, mesh_buf *identity, mesh_message *msg)
{
    const char *task_id = content_str(msg->content, "task_id");
    const mesh_value *tv = mesh_map_get(msg->content, "timeout");
    const mesh_value *kv = mesh_map_get(msg->content, "keep");
    if (!task_id || (tv && tv->kind != MESH_NIL && !mesh_value_is_number(tv)) ||
        (kv && kv->kind != MESH_NIL && kv->kind != MESH_BOOL)) {
        atomic_fetch_add(&k->rejected, 1);
        send_error_reply(k, k->s_get, identity, msg->id, MESH_MALFORMED_MESSAGE,
                         "get_request content must be {task_id: str, timeout: float | nil, keep: bool}");
        return;
    }
    double wait = k->opt.max_get_wait;
    if (tv && mesh_value_is_number(tv)) {
        double x = mesh_value_as_double(tv);
        wait = x >= 0 ? (x < wait ? x : wait) : 0;
    }
    bool keep = kv && kv->kind == MESH_BOOL && kv->u.b;

    pthread_mutex_lock(&k->lock);
    task *t = task_find(k, task_id);
    bool final = t && is_final(t);
    bool gone_id = !t && gone_find(k, task_id) != NULL; /* rejected or fetched: never wait */
    pthread_mutex_unlock(&k->lock);
    if (final || gone_id || wait <= 0) {
        send_get_reply(k, k->s_get, identity, msg->id, task_id);
        /* the task may have ended after the last events were processed: requests parked for
         * it (a call's answer among them) get the result now, before it is forgotten */
        if (final)
            answer_waiters(k, task_id, !keep);
        return;
    }
    waiter *w = waiter_new(k->s_get, identity, msg->id, task_id, now_mono() + wait, keep);
    if (!w) {
        send_error_reply(k, k->s_get, identity, msg->id, MESH_INTERNAL_ERROR, "out of memory");
        return;
    }
    waiter_park(k, w);
}

static mesh_value *health_content(kernel *k, mesh_arena *a)
{
    mesh_value *c = mesh_v_map(a, 8);
    if (!c || mesh_map_put(a, c, "status", mesh_v_str(a, atomic_load(&k->shutting_down) ? "shutting_down" : "ok")) ||
        mesh_map_put(a, c, "kernel_id", mesh_v_str(a, k->cfg->kernel_id)) ||
        mesh_map_put(a, c, "pid", mesh_v_int(a, k->pid)) ||
        mesh_map_put(a, c, "uptime", mesh_v_f64(a, now_mono() - k->start_mono)) ||
        mesh_map_put(a, c, "queued", mesh_v_int(a, atomic_load(&k->queued))) ||
        mesh_map_put(a, c, "running", mesh_v_int(a, atomic_load(&k->running))) ||
        mesh_map_put(a, c, "completed", mesh_v_int(a, atomic_load(&k->completed))) ||
        mesh_map_put(a, c, "rejected", mesh_v_int(a, atomic_load(&k->rejected))))
        return NULL;
    return c;
}

typedef enum { RX_NOTHING, RX_MESSAGE, RX_REFUSED } rx_result;

/* One non-blocking receive: RX_NOTHING when the socket holds no message (drained), RX_REFUSED
 * for a message dropped or answered with an error_reply here, RX_MESSAGE for one to dispatch. */
static rx_result receive_checked(kernel *k, void *sock, mesh_frames *fr, mesh_buf **identity,
                                 mesh_message *msg, mesh_rx_status *st, mesh_rx_error *err)
{
    int r = mesh_recv(sock, fr, ZMQ_DONTWAIT);
    if (r == 0) /* only EAGAIN says the socket is empty; EINTR or ETERM say nothing about it */
        return errno == EAGAIN ? RX_NOTHING : RX_REFUSED;
    *identity = NULL;
    if (r < 0 || fr->n < 1) {
        atomic_fetch_add(&k->rejected, 1);
        mesh_frames_clear(fr);
        return RX_REFUSED;
    }
    /* one routing identity frame (ROUTER), then the Mesh message */
    *identity = fr->f[0];
    mesh_frames rest = {0};
    for (size_t i = 1; i < fr->n; i++)
        mesh_frames_push(&rest, mesh_buf_ref(fr->f[i]));
    fr->f[0] = NULL;
    for (size_t i = 1; i < fr->n; i++)
        mesh_buf_unref(fr->f[i]);
    fr->n = 0;
    *st = mesh_envelope_decode(&k->key, &rest, (uint64_t)k->cfg->max_message_bytes, msg, err);
    mesh_frames_free(&rest);
    if (*st == MESH_RX_DROP) {
        atomic_fetch_add(&k->rejected, 1);
        mesh_message_free(msg);
        mesh_buf_unref(*identity);
        *identity = NULL;
        return RX_REFUSED;
    }
    if (*st == MESH_RX_ERROR_REPLY) {
        atomic_fetch_add(&k->rejected, 1);
        send_error_reply(k, sock, *identity, msg->id, err->code, err->message);
        mesh_message_free(msg);
        mesh_buf_unref(*identity);
        *identity = NULL;
        return RX_REFUSED;
    }
    /* section 9.4: every message renews its session's lease, heartbeats included */
    if (k->px && msg->session)
        mesh_proxy_touch(k->px, msg->session);
    return RX_MESSAGE;
}

static void *health_main(void *arg)
{
    kernel *k = arg;
    mesh_frames fr = {0};
    while (!atomic_load(&k->health_stop)) {
        zmq_pollitem_t it = {.socket = k->s_health, .events = ZMQ_POLLIN};
        int rc = zmq_poll(&it, 1, 100);
        if (rc < 0 && errno == ETERM)
            break;
        if (rc <= 0)
            continue;
        for (int i = 0; i < 64; i++) {
            mesh_buf *identity;
            mesh_message msg;
            mesh_rx_status st;
            mesh_rx_error err;
            if (!receive_checked(k, k->s_health, &fr, &identity, &msg, &st, &err)) {
                if (zmq_poll(&it, 1, 0) <= 0)
                    break;
                continue;
            }
            if (st == MESH_RX_OK && strcmp(msg.type, "health_request") == 0) {
                mesh_arena *a = mesh_arena_new();
                mesh_value *c = a ? health_content(k, a) : NULL;
                if (c)
                    send_msg(k, k->s_health, identity, msg.id, "health_reply", c);
                mesh_arena_free(a);
            } else {
                atomic_fetch_add(&k->rejected, 1);
                char m[160];
                snprintf(m, sizeof m, "unknown message type '%.64s' on the health port", msg.type);
                send_error_reply(k, k->s_health, identity, msg.id,
                                 st == MESH_RX_OK ? MESH_UNKNOWN_MESSAGE_TYPE : MESH_MALFORMED_MESSAGE,
                                 st == MESH_RX_OK ? m : err.message);
            }
            mesh_message_free(&msg);
            mesh_buf_unref(identity);
        }
    }
    mesh_frames_free(&fr);
    return NULL;
}

/* Receives and dispatches up to 256 messages from sock; marks it drained (not pending) when a
 * receive finds nothing. Returns how many messages it took (refused ones included). */
static int handle_socket(kernel *k, void *sock, bool is_get)
{
    mesh_frames fr = {0};
    int taken = 0;
    for (int i = 0; i < 256; i++) {
        mesh_buf *identity;
        mesh_message msg;
        mesh_rx_status st;
        mesh_rx_error err;
        rx_result rx = receive_checked(k, sock, &fr, &identity, &msg, &st, &err);
        if (rx == RX_NOTHING) {
            /* this receive processed the socket's commands after every earlier send on it */
            if (is_get)
                k->pending_get = false;
            else
                k->pending_submit = false;
            break;
        }
        taken++;
        if (rx == RX_REFUSED)
            continue;
        const char *type = msg.type;
        if (st == MESH_RX_BAD_VALUE && !(!is_get && strcmp(type, "submit_request") == 0)) {
            atomic_fetch_add(&k->rejected, 1);
            send_error_reply(k, sock, identity, msg.id, MESH_MALFORMED_MESSAGE, err.message);
        } else if (is_get && strcmp(type, "get_request") == 0) {
            on_get(k, identity, &msg);
        } else if (!is_get && strcmp(type, "submit_request") == 0) {
            on_submit(k, identity, &msg, st == MESH_RX_BAD_VALUE, err.message);
        } else if (!is_get && strcmp(type, "cancel_request") == 0) {
            on_cancel(k, identity, &msg);
        } else if (!is_get && strcmp(type, "status_request") == 0) {
            on_status(k, identity, &msg);
        } else if (!is_get && strcmp(type, "kernel_info_request") == 0) {
            send_msg(k, sock, identity, msg.id, "kernel_info_reply", k->info);
        } else if (!is_get && strcmp(type, "interrupt_request") == 0) {
            on_interrupt(k, identity, &msg);
        } else if (!is_get && strcmp(type, "shutdown_request") == 0) {
            on_shutdown(k, identity, &msg);
        } else {
            atomic_fetch_add(&k->rejected, 1);
            char m[160];
            snprintf(m, sizeof m, "unknown message type '%.64s' on the %s port", type, is_get ? "get" : "submit");
            send_error_reply(k, sock, identity, msg.id, MESH_UNKNOWN_MESSAGE_TYPE, m);
        }
        mesh_message_free(&msg);
        mesh_buf_unref(identity);
    }
    mesh_frames_free(&fr);
    return taken;
}

/* Periodic work: waiter timeouts, task timeouts, retention. */
static void sweep(kernel *k, double now)
{
    if (now - k->last_sweep < SWEEP_SECONDS)
        return;
    k->last_sweep = now;
    /* get timeouts (a call's answer has none: it is sent only when its task ends) */
    for (size_t b = 0; b < WAITER_BUCKETS && k->ntimed; b++) {
        waiter **pp = &k->waiters[b];
        while (*pp) {
            waiter *w = *pp;
            if (w->deadline <= 0 || w->deadline > now) {
                pp = &w->next;
                continue;
            }
            *pp = w->next;
            waiter_unparked(k, w);
            send_get_reply(k, w->sock, w->identity, w->req_id, w->task_id);
            waiter_free(w);
        }
    }
    /* task timeouts (handlers also check their own deadline in mesh_ctx_cancelled) */
    pthread_mutex_lock(&k->lock);
    for (size_t l = 0; l < k->nlanes; l++)
        for (int i = 0; i < k->lanes[l].nthreads; i++) {
            task *t = k->lanes[l].workers[i].current;
            if (t && t->deadline > 0 && now >= t->deadline) {
                int expected = CANCEL_NONE;
                atomic_compare_exchange_strong(&t->cancel, &expected, CANCEL_TIMEOUT);
            }
        }
    /* retention: oldest final results first */
    while (k->ret_head && (k->nret > k->opt.max_retained ||
                           now - k->ret_head->final_mono > k->opt.result_ttl))
        task_forget(k, k->ret_head);
    pthread_mutex_unlock(&k->lock);
}

/* The parent is gone when kill(pid, 0) says so, or - if it was our parent process - when we
 * were re-parented (this also catches a recycled pid). */
static bool parent_alive(long pid, pid_t start_ppid)
{
    if (pid <= 0)
        return true;
    if (pid == (long)start_ppid && getppid() != start_ppid)
        return false;
    if (kill((pid_t)pid, 0) == 0)
        return true;
    return errno != ESRCH;
}

/* ---- registration ----------------------------------------------------------------------- */

static int do_register(kernel *k)
{
    void *s = mesh_socket(k->zctx, ZMQ_DEALER, k->cfg->max_message_bytes);
    if (!s)
        return -1;
    int rc = -1;
    mesh_arena *a = mesh_arena_new();
    char id[33];
    mesh_new_id(id);
    mesh_value *c = a ? mesh_v_map(a, 4) : NULL;
    mesh_value *addrs = a ? mesh_v_map(a, 3) : NULL;
    if (zmq_connect(s, k->cfg->registration) != 0) {
        fprintf(stderr, "mesh kernel: cannot connect to registration %s: %s\n", k->cfg->registration,
                zmq_strerror(errno));
        goto done;
    }
    if (!c || !addrs || mesh_map_put(a, addrs, "health", mesh_v_str(a, k->addr_health)) ||
        mesh_map_put(a, addrs, "submit", mesh_v_str(a, k->addr_submit)) ||
        mesh_map_put(a, addrs, "get", mesh_v_str(a, k->addr_get)) ||
        mesh_map_put(a, c, "kernel_id", mesh_v_str(a, k->cfg->kernel_id)) ||
        mesh_map_put(a, c, "pid", mesh_v_int(a, k->pid)) ||
        mesh_map_put(a, c, "addresses", addrs) || mesh_map_put(a, c, "info", k->info))
        goto done;
    mesh_header h = {.id = id, .type = "register_request", .session = k->session};
    mesh_frames fr = {0};
    if (mesh_envelope_encode(&k->key, &h, c, &fr) != 0 || mesh_send(s, fr.f, fr.n, 0) != 0) {
        mesh_frames_free(&fr);
        goto done;
    }
    mesh_frames_free(&fr);
    double deadline = now_mono() + k->opt.registration_timeout;
    while (!g_term_signal) {
        double left = deadline - now_mono();
        if (left <= 0) {
            fprintf(stderr, "mesh kernel: no register_reply within %g s\n", k->opt.registration_timeout);
            break;
        }
        zmq_pollitem_t it = {.socket = s, .events = ZMQ_POLLIN};
        if (zmq_poll(&it, 1, (long)(left * 1000) + 1) <= 0)
            continue;
        if (mesh_recv(s, &fr, ZMQ_DONTWAIT) != 1)
            continue;
        mesh_message msg;
        mesh_rx_error err;
        mesh_rx_status st = mesh_envelope_decode(&k->key, &fr, 0, &msg, &err);
        mesh_frames_free(&fr);
        if (st == MESH_RX_OK && strcmp(msg.type, "register_reply") == 0 && msg.parent_id &&
            strcmp(msg.parent_id, id) == 0) {
            const mesh_value *acc = mesh_map_get(msg.content, "accepted");
            if (acc && acc->kind == MESH_BOOL && acc->u.b) {
                rc = 0;
            } else {
                const mesh_value *e = mesh_map_get(msg.content, "error");
                const mesh_value *em = mesh_map_get(e, "message");
                fprintf(stderr, "mesh kernel: registration refused: %s\n",
                        em && em->kind == MESH_STR ? em->u.s.ptr : "(no reason given)");
            }
            mesh_message_free(&msg);
            break;
        }
        atomic_fetch_add(&k->rejected, 1);
        mesh_message_free(&msg);
    }
done:
    mesh_arena_free(a);
    zmq_close(s);
    return rc;
}

/* ---- startup and shutdown --------------------------------------------------------------- */

static mesh_value *build_info(kernel *k)
{
    mesh_arena *a = k->info_arena;
    mesh_value *c = mesh_v_map(a, 9);
    mesh_value *eps = mesh_dispatch_describe(k->d, a);
    if (!c || !eps || mesh_map_put(a, c, "kernel_id", mesh_v_str(a, k->cfg->kernel_id)) ||
        mesh_map_put(a, c, "protocol_version", mesh_v_int(a, 1)) ||
        mesh_map_put(a, c, "language", mesh_v_str(a, k->opt.language ? k->opt.language : "c")) ||
        mesh_map_put(a, c, "implementation", mesh_v_str(a, k->opt.implementation ? k->opt.implementation : "mesh-c")) ||
        mesh_map_put(a, c, "implementation_version", mesh_v_str(a, k->opt.implementation_version ? k->opt.implementation_version : "0")) ||
        mesh_map_put(a, c, "pid", mesh_v_int(a, k->pid)) ||
        mesh_map_put(a, c, "hostname", mesh_v_str(a, k->hostname)) ||
        mesh_map_put(a, c, "max_concurrency", mesh_v_int(a, k->opt.lanes[0].threads)) ||
        mesh_map_put(a, c, "endpoints", eps))
        return NULL;
    return c;
}

static void stop_workers(kernel *k)
{
    pthread_mutex_lock(&k->lock);
    k->stop_workers = true;
    for (size_t l = 0; l < k->nlanes; l++)
        lane_wake(&k->lanes[l], true);
    pthread_mutex_unlock(&k->lock);
    for (size_t l = 0; l < k->nlanes; l++)
        for (int i = 0; i < k->lanes[l].nthreads; i++)
            if (k->lanes[l].workers[i].started)
                pthread_join(k->lanes[l].workers[i].th, NULL);
}

/* Waits up to `seconds` for running tasks to return after cancellation was signalled. */
static bool wait_idle(kernel *k, double seconds)
{
    double end = now_mono() + seconds;
    while (atomic_load(&k->running) > 0) {
        if (now_mono() >= end)
            return false;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return true;
}

static void answer_remaining_waiter(kernel *k, waiter *w)
{
    pthread_mutex_lock(&k->lock);
    task *t = task_find(k, w->task_id);
    bool final = t && is_final(t);
    pthread_mutex_unlock(&k->lock);
    if (final) {
        send_get_reply(k, w->sock, w->identity, w->req_id, w->task_id);
        return;
    }
    /* a get_reply that ends the long poll: done, with the reason */
    mesh_arena *a = mesh_arena_new();
    mesh_value *c = a ? mesh_v_map(a, 4) : NULL;
    if (c && !mesh_map_put(a, c, "task_id", mesh_v_str(a, w->task_id)) &&
        !mesh_map_put(a, c, "done", mesh_v_bool(a, true)) && !mesh_map_put(a, c, "task", mesh_v_nil(a)) &&
        !mesh_map_put(a, c, "error", protocol_error(a, MESH_KERNEL_SHUTTING_DOWN,
                                                    "the kernel shut down before the task finished")))
        send_msg(k, w->sock, w->identity, w->req_id, "get_reply", c);
    mesh_arena_free(a);
}

static void answer_remaining_waiters(kernel *k)
{
    for (size_t b = 0; b < WAITER_BUCKETS; b++) {
        while (k->waiters[b]) {
            waiter *w = k->waiters[b];
            k->waiters[b] = w->next;
            waiter_unparked(k, w);
            answer_remaining_waiter(k, w);
            waiter_free(w);
        }
    }
}

/* MESH_IDLE_SPIN_US (protocol section 3): how long the I/O thread and a worker keep looking for
 * work after their last piece of it before they block (default 200 us, 0: block at once). A
 * wake-up costs tens of microseconds on a small machine, a fair part of a call's round trip;
 * spinning only that long after activity keeps an idle kernel idle. -1 (message printed) when
 * the value is not a whole number from 0 to 1000000: a typo must not silently leave the default. */
static int idle_spin_from_env(double *seconds)
{
    *seconds = 200e-6;
    const char *v = getenv("MESH_IDLE_SPIN_US");
    if (!v || !*v)
        return 0;
    char *end;
    errno = 0;
    long long us = strtoll(v, &end, 10);
    if (end == v || *end || errno || us < 0 || us > 1000000) {
        fprintf(stderr, "mesh kernel: MESH_IDLE_SPIN_US must be a whole number of microseconds from 0 to 1000000, "
                        "not '%s'\n", v);
        return -1;
    }
    *seconds = (double)us * 1e-6;
    return 0;
}

int mesh_kernel_run(const mesh_config *cfg, const mesh_dispatch *d, const mesh_kernel_options *opt)
{
    double idle_spin;
    if (idle_spin_from_env(&idle_spin) != 0)
        return MESH_EXIT_BAD_SETTING;
    kernel *k = calloc(1, sizeof *k);
    if (!k)
        return MESH_EXIT_INTERNAL;
    k->idle_spin = idle_spin;
    int code = MESH_EXIT_INTERNAL;
    k->cfg = cfg;
    k->d = d;
    k->opt = *opt;
    if (k->opt.result_ttl <= 0)
        k->opt.result_ttl = 600;
    if (k->opt.max_retained == 0)
        k->opt.max_retained = 10000;
    if (k->opt.max_queue == 0)
        k->opt.max_queue = 10000;
    if (k->opt.max_get_wait <= 0)
        k->opt.max_get_wait = 3600;
    if (k->opt.registration_timeout <= 0)
        k->opt.registration_timeout = 10;
    mesh_key_set(&k->key, cfg->key);
    mesh_new_id(k->session);
    k->pid = getpid();
    pid_t start_ppid = getppid();
    gethostname(k->hostname, sizeof k->hostname - 1);
    k->start_mono = now_mono();
    pthread_mutex_init(&k->io_lock, NULL);
    pthread_mutex_init(&k->lock, NULL);
    pthread_mutex_init(&k->gy_lock, NULL);
    atomic_init(&k->queued, 0);
    atomic_init(&k->running, 0);
    atomic_init(&k->completed, 0);
    atomic_init(&k->rejected, 0);
    atomic_init(&k->shutting_down, false);
    atomic_init(&k->health_stop, false);
    k->wake_rd = k->wake_wr = -1;

    int pfd[2];
    if (pipe2(pfd, O_NONBLOCK | O_CLOEXEC) != 0)
        goto cleanup;
    k->wake_rd = pfd[0];
    k->wake_wr = pfd[1];
    g_wake_wr = k->wake_wr;
    k->px = opt->proxy;
    if (k->px)
        mesh_object_set_graveyard(graveyard_push, k);

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* only this thread takes SIGTERM/SIGINT: block them while the other threads are created */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    pthread_sigmask(SIG_BLOCK, &block, &old);

    k->info_arena = mesh_arena_new();
    k->zctx = zmq_ctx_new();
    if (!k->info_arena || !k->zctx)
        goto unblock;
    int64_t maxb = cfg->max_message_bytes;
    k->s_health = mesh_socket(k->zctx, ZMQ_ROUTER, maxb);
    k->s_submit = mesh_socket(k->zctx, ZMQ_ROUTER, maxb);
    k->s_get = mesh_socket(k->zctx, ZMQ_ROUTER, maxb);
    if (!k->s_health || !k->s_submit || !k->s_get ||
        mesh_bind(k->s_health, cfg->transport, cfg->ip, cfg->ipc_dir, "health", k->addr_health, sizeof k->addr_health) ||
        mesh_bind(k->s_submit, cfg->transport, cfg->ip, cfg->ipc_dir, "submit", k->addr_submit, sizeof k->addr_submit) ||
        mesh_bind(k->s_get, cfg->transport, cfg->ip, cfg->ipc_dir, "get", k->addr_get, sizeof k->addr_get)) {
        fprintf(stderr, "mesh kernel: cannot bind: %s\n", zmq_strerror(errno));
        goto unblock;
    }
    debug("bound health=%s submit=%s get=%s", k->addr_health, k->addr_submit, k->addr_get);
    k->info = build_info(k);
    if (!k->info)
        goto unblock;

    if (pthread_create(&k->health_th, NULL, health_main, k) != 0)
        goto unblock;
    k->health_started = true;

    k->nlanes = opt->nlanes;
    k->lanes = calloc(k->nlanes, sizeof *k->lanes);
    if (!k->lanes)
        goto unblock;
    for (size_t l = 0; l < k->nlanes; l++) {
        lane_state *ls = &k->lanes[l];
        pthread_cond_init(&ls->cv, NULL);
        atomic_init(&ls->wakes, 0);
        ls->nthreads = opt->lanes[l].threads > 0 ? opt->lanes[l].threads : 1;
        ls->workers = calloc((size_t)ls->nthreads, sizeof *ls->workers);
        if (!ls->workers)
            goto unblock;
        for (int i = 0; i < ls->nthreads; i++) {
            worker *w = &ls->workers[i];
            w->k = k;
            w->lane = (int)l;
            w->index = i;
            if (pthread_create(&w->th, NULL, worker_main, w) != 0)
                goto unblock;
            w->started = true;
        }
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    if (do_register(k) != 0) {
        code = g_term_signal ? MESH_EXIT_OK : MESH_EXIT_REGISTRATION_FAILED;
        goto cleanup;
    }
    debug("registered");

    /* ---- the I/O loop ---- */
    double last_parent_check = now_mono();
    /* After activity the next request, or the end of the task just queued, usually follows within
     * microseconds: until spin_until (monotonic) the loop polls without sleeping, since a wake-up
     * from a blocking poll costs more than that. The housekeeping below still runs every turn. */
    double spin_until = 0;
    /* One poll(2) over the sockets' ZMQ_FD and the wake pipe, not zmq_poll: zmq_poll asks every
     * socket for ZMQ_EVENTS before and after it sleeps, each a poll(2) and a getpid of libzmq's,
     * a dozen system calls per wake-up. ZMQ_FD signals only new activity, so a socket stays
     * pending from its signal (or a send on it, send_frames) until a receive finds it empty
     * (handle_socket), and the loop does not sleep while one is pending. */
    int fd_submit = -1, fd_get = -1;
    size_t fdlen = sizeof fd_submit;
    zmq_getsockopt(k->s_submit, ZMQ_FD, &fd_submit, &fdlen);
    fdlen = sizeof fd_get;
    zmq_getsockopt(k->s_get, ZMQ_FD, &fd_get, &fdlen);
    k->pending_submit = k->pending_get = true; /* nothing is known yet: look */
    /* Held from here to the end of the process, except while the loop sleeps or yields: after
     * the loop, workers always hand their events over instead of touching the sockets. */
    pthread_mutex_lock(&k->io_lock);
    for (;;) {
        bool spinning = spin_until > 0 && now_mono() < spin_until;
        /* wake up often enough to answer get timeouts on time; idle (calls only wait for their
         * task's end, which wakes the loop): 50 ms */
        long ms = spinning ? 0 : k->ntimed ? (long)(SWEEP_SECONDS * 1000) : 50;
        struct pollfd items[3] = {
            {.fd = fd_submit, .events = POLLIN},
            {.fd = fd_get, .events = POLLIN},
            {.fd = k->wake_rd, .events = POLLIN},
        };
        int rc = 0;
        if (!k->pending_submit && !k->pending_get) {
            pthread_mutex_unlock(&k->io_lock);
            rc = poll(items, 3, (int)ms);
            int poll_errno = errno;
            pthread_mutex_lock(&k->io_lock);
            if (rc < 0 && poll_errno != EINTR)
                break;
        }
        if (g_term_signal) {
            debug("signal %d: exiting", (int)g_term_signal);
            code = MESH_EXIT_OK;
            break;
        }
        int taken = 0;
        if (rc > 0) {
            if (items[0].revents & POLLIN)
                k->pending_submit = true;
            if (items[1].revents & POLLIN)
                k->pending_get = true;
            if (items[2].revents & POLLIN)
                process_events(k);
        }
        if (k->pending_submit)
            taken += handle_socket(k, k->s_submit, false);
        if (k->pending_get)
            taken += handle_socket(k, k->s_get, true);
        double now = now_mono();
        if (taken > 0 || (rc > 0 && (items[2].revents & POLLIN)))
            spin_until = k->idle_spin > 0 ? now + k->idle_spin : 0;
        sweep(k, now);
        if (k->px && now - k->last_lease_sweep >= fmin(1.0, mesh_proxy_lease(k->px) / 4)) {
            k->last_lease_sweep = now;
            mesh_proxy_sweep(k->px);
        }
        if (now - last_parent_check >= 1.0) {
            last_parent_check = now;
            if (!parent_alive(cfg->parent_pid, start_ppid)) {
                fprintf(stderr, "mesh kernel: parent process %ld died, exiting\n", cfg->parent_pid);
                code = MESH_EXIT_PARENT_DIED;
                break;
            }
        }
        if (atomic_load(&k->shutting_down)) {
            if (!k->grace_signalled && now >= k->grace_deadline) {
                k->grace_signalled = true;
                signal_running(k);
            }
            pthread_mutex_lock(&k->lock);
            bool idle = atomic_load(&k->running) == 0 && k->nqueued_total == 0 && !k->ev_head;
            pthread_mutex_unlock(&k->lock);
            if (idle) {
                process_events(k);
                code = MESH_EXIT_OK;
                /* section 1: wait up to 500 ms so the last replies leave */
                int linger = 500;
                zmq_setsockopt(k->s_submit, ZMQ_LINGER, &linger, sizeof linger);
                zmq_setsockopt(k->s_get, ZMQ_LINGER, &linger, sizeof linger);
                break;
            }
        }
        if (spinning && rc == 0 && taken == 0) {
            /* the core may be what the worker or the client needs to answer */
            pthread_mutex_unlock(&k->io_lock);
            sched_yield();
            pthread_mutex_lock(&k->io_lock);
        }
    }

    /* ---- exit: stop new work, let running handlers notice cancellation ---- */
    atomic_store(&k->shutting_down, true);
    cancel_all_queued(k);
    signal_running(k);
    if (!wait_idle(k, 2.0)) {
        /* a handler does not return (e.g. a solver phase that cannot be interrupted): the
         * process must still exit promptly */
        fprintf(stderr, "mesh kernel: %ld task(s) still running at exit; exiting without cleanup\n",
                atomic_load(&k->running));
        zmq_close(k->s_submit);
        zmq_close(k->s_get);
        _exit(code);
    }
    process_events(k);
    answer_remaining_waiters(k);
    if (k->px) {
        /* every session's references go; thread-bound objects are queued to their lanes,
         * whose workers destroy them before they exit */
        mesh_proxy_clear(k->px);
        process_graveyard(k);
    }
    goto cleanup;

unblock:
    pthread_sigmask(SIG_SETMASK, &old, NULL);
cleanup:
    if (k->health_started) {
        atomic_store(&k->health_stop, true);
        pthread_join(k->health_th, NULL);
    }
    if (k->lanes) {
        stop_workers(k);
        for (size_t l = 0; l < k->nlanes; l++) {
            /* queued after the lane's workers had drained their list */
            for (size_t i = 0; i < k->lanes[l].dead.n; i++)
                mesh_object_destroy(k->lanes[l].dead.o[i], NULL);
            free(k->lanes[l].dead.o);
            pthread_cond_destroy(&k->lanes[l].cv);
            free(k->lanes[l].workers);
        }
        free(k->lanes);
    }
    for (size_t b = 0; b < WAITER_BUCKETS; b++)
        while (k->waiters[b]) {
            waiter *w = k->waiters[b];
            k->waiters[b] = w->next;
            waiter_free(w);
        }
    for (event *e = k->ev_head; e;) {
        event *n = e->next;
        free(e->done);
        if (e->identity) {
            mesh_buf_unref(e->identity);
            mesh_encoder_destroy(&e->content);
        }
        free(e);
        e = n;
    }
    for (gone *g = k->gone_head; g;) {
        gone *n = g->next;
        gone_free(g);
        g = n;
    }
    for (int b = 0; b < NBUCKETS; b++)
        for (task *t = k->buckets[b]; t;) {
            task *n = t->hnext;
            task_release_refs(k, t);
            task_free(t);
            t = n;
        }
    /* objects whose last reference went after the workers stopped: their lanes' per-thread
     * resources are gone with the threads, so only what the objects own is left to free */
    if (k->px)
        mesh_object_set_graveyard(NULL, NULL);
    for (size_t i = 0; i < k->gy.n; i++)
        mesh_object_destroy(k->gy.o[i], NULL);
    free(k->gy.o);
    if (k->s_health)
        zmq_close(k->s_health);
    if (k->s_submit)
        zmq_close(k->s_submit);
    if (k->s_get)
        zmq_close(k->s_get);
    if (k->zctx)
        zmq_ctx_term(k->zctx);
    /* ipc endpoints are files the kernel created inside ipc_dir */
    const char *addrs[3] = {k->addr_health, k->addr_submit, k->addr_get};
    for (int i = 0; i < 3; i++)
        if (strncmp(addrs[i], "ipc://", 6) == 0)
            unlink(addrs[i] + 6);
    mesh_arena_free(k->info_arena);
    g_wake_wr = -1;
    if (k->wake_rd >= 0)
        close(k->wake_rd);
    if (k->wake_wr >= 0)
        close(k->wake_wr);
    mesh_key_clear(&k->key);
    pthread_mutex_destroy(&k->gy_lock);
    pthread_mutex_destroy(&k->lock);
    free(k);
    return code;
}
