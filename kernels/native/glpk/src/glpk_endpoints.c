/* glpk_endpoints.c - GLPK/MathProg solver endpoints.
 *
 * Threads and GLPK environments: GLPK 5 keeps its environment (memory, hooks, limits) in
 * thread-local storage, so every worker thread has its own. Stateless `solve` tasks run on the
 * general lane (several at a time); handle-based LPs live on the single thread of the LP lane,
 * whose environment owns every loaded glp_prob.
 *
 * Fatal errors: GLPK reports API misuse, exhausted memory limits and internal failures through
 * glp_error, which calls abort() unless a hook is installed. Every GLPK call sequence runs under
 * `guarded`: a setjmp point plus glp_error_hook; the hook longjmps back, the thread's environment
 * is freed with glp_free_env (as GLPK requires: its state is inconsistent), files GLPK left open
 * are closed, and the task ends with a glpk.FatalError. glp_free_env frees *every* GLPK object
 * of the thread, so on the LP lane all loaded handles are marked lost (calls on them fail with
 * glpk.HandleError; the kernel never touches their freed memory).
 *
 * Solving follows glpsol's own sequence (GLPK 5.0 examples/glpsol.c) so that results match the
 * command line vertex for vertex: the constraint matrix is sorted after glp_mpl_build_prob
 * (glp_sort_matrix: the element order decides ties in pricing and ratio tests), scaling
 * (GLP_SF_AUTO) and the advanced initial basis are only applied when the LP presolver is off,
 * the simplex runs as one uninterrupted glp_simplex call, and MIPs go straight to glp_intopt
 * with GLPK's MIP presolver.
 *
 * Cancellation (cancel, interrupt, task timeout, shutdown):
 *   - simplex: GLPK reads its clock (glp_time) once per iteration to enforce glp_smcp.tm_lim.
 *     The kernel defines glp_time (see "cancelling a running simplex" below): on the thread of a
 *     cancelled task the clock jumps forward, so glp_simplex stops at the next iteration through
 *     its ordinary time-limit exit (GLP_ETMLIM, basis kept, problem consistent). Restarting
 *     glp_simplex in slices instead would reset its pricing state at every restart and change
 *     the pivoting path;
 *   - branch-and-cut: the glp_iocp callback calls glp_ios_terminate;
 *   - MathProg translation, post-solve and interior point: no GLPK hook can stop them cleanly.
 *     On the general lane the terminal hook (called for every line GLPK prints) longjmps out
 *     when the task is cancelled and the environment is freed as after a fatal error - this
 *     thread holds only the cancelled task's objects. On the LP lane that would destroy every
 *     handle, so there cancellation is checked between phases only.
 */
#define _GNU_SOURCE
#include "glpk_endpoints.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glpk.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "glpk_files.h"
#include "glpk_model.h"

#define MAX_TABLE_FILE (256u << 20)
#define MAX_TEXT_FILE (4u << 20)
#define RING 16

static char *g_tmp_root;
static char *g_base_dir;
static atomic_ullong g_task_seq;
static atomic_ullong g_handle_seq;

/* ---- per-thread state ------------------------------------------------------------------- */

typedef struct lp_handle {
    uint64_t id;
    glp_prob *P;
    glp_tran *tran;
    gmpl_decls vars, rows;
    int sol; /* 0 before the first solve, else GLP_SOL / GLP_IPT / GLP_MIP */
    bool has_basis; /* a simplex run (finished, stopped or cancelled) left a basis to continue */
    bool optimal;   /* ... and that basis was optimal (so it stays dual feasible after rhs changes) */
    bool lost;
    char lost_reason[256];
    bool proxy_owned; /* held by an LP proxy object: reachable through its methods only */
    const char *status; /* of the last solve (a static string), NULL before the first */
    double objective;
    struct lp_handle *next;
} lp_handle;

typedef struct {
    int lane, index;
    lp_handle *handles;
} glpk_worker;

void *glpk_thread_init(int lane, int index)
{
    glpk_worker *w = calloc(1, sizeof *w);
    if (w) {
        w->lane = lane;
        w->index = index;
    }
    return w;
}

static void handle_free(lp_handle *h)
{
    if (!h->lost) {
        if (h->P)
            glp_delete_prob(h->P);
        if (h->tran)
            glp_mpl_free_wksp(h->tran);
    }
    gmpl_decls_free(&h->vars);
    gmpl_decls_free(&h->rows);
    free(h);
}

void glpk_thread_exit(int lane, int index, void *data)
{
    glpk_worker *w = data;
    if (w) {
        while (w->handles) {
            lp_handle *h = w->handles;
            w->handles = h->next;
            handle_free(h);
        }
        free(w);
    }
    glp_free_env(); /* this thread's GLPK environment */
}

/* ---- a guarded GLPK run ------------------------------------------------------------------ */

enum { G_OK = 0, G_FATAL = 1, G_ESCAPED = 2 };

typedef struct run {
    mesh_ctx *ctx;
    glpk_worker *w;
    mesh_arena *tmp;
    jmp_buf jb;
    volatile bool escape_ok;     /* the terminal hook may abandon GLPK on cancellation */
    volatile bool drop_output;   /* solver output not wanted in the log */
    unsigned long clock_jumps;   /* glp_time readings moved forward because the task was cancelled */
    char line[2048];
    size_t linelen;
    char ring[RING][512];
    unsigned nring;      /* lines seen so far */
    unsigned phase_mark; /* nring at the start of the current phase */
    char in_prefix[PATH_MAX]; /* "<task>/in/" - removed from messages */
    glpk_files files;
    glp_prob *P;
    glp_tran *tran;
} run;

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static bool starts(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static void emit_line(run *r, char *s, size_t n)
{
    s[n] = 0;
    /* show input files by their short names (model.mod, data1.dat) */
    size_t pl = strlen(r->in_prefix);
    if (pl) {
        char *hit;
        while ((hit = strstr(s, r->in_prefix)) != NULL) {
            memmove(hit, hit + pl, strlen(hit + pl) + 1);
            n -= pl;
        }
    }
    if (r->clock_jumps && starts(s, "TIME LIMIT EXCEEDED"))
        return; /* the stop was the kernel's cancellation, not a time limit */
    snprintf(r->ring[r->nring % RING], sizeof r->ring[0], "%s", s);
    r->nring++;
    if (r->drop_output)
        return;
    mesh_ctx_log_line(r->ctx, s, n);
    mesh_ctx_progress(r->ctx, NULL, s);
}

static void flush_line(run *r)
{
    if (r->linelen) {
        emit_line(r, r->line, r->linelen);
        r->linelen = 0;
    }
}

static int term_hook(void *info, const char *s)
{
    run *r = info;
    for (; *s; s++) {
        if (*s == '\n') {
            emit_line(r, r->line, r->linelen);
            r->linelen = 0;
        } else if (r->linelen < sizeof r->line - 1) {
            r->line[r->linelen++] = *s;
        }
    }
    if (r->escape_ok && !glp_at_error() && mesh_ctx_cancelled(r->ctx))
        longjmp(r->jb, G_ESCAPED);
    return 1; /* nothing goes to the kernel's stdout */
}

static void error_hook(void *info)
{
    run *r = info;
    flush_line(r);
    longjmp(r->jb, G_FATAL);
}

/* ---- cancelling a running simplex ---------------------------------------------------------
 * glp_simplex has no callback, but it reads glp_time() every iteration when glp_smcp.tm_lim is
 * below INT_MAX, and stops through its ordinary exit once the limit is exceeded: GLP_ETMLIM,
 * the current basis kept, the problem object consistent (a later warm solve continues from it).
 * libglpk calls glp_time through its PLT, so the definition below (in the executable) is the
 * one it uses, as for fopen in glpk_files.c. While a simplex runs for a task (tls_clock set)
 * and that task is cancelled, every reading is 10^12 ms later than the one before: the limit,
 * whatever it is, is exceeded at the next check (also when the very first reading, which
 * GLPK takes as its start time, already jumped). Without a cancel the real clock is returned
 * and the simplex follows exactly the path of one plain glp_simplex call. */

static __thread run *tls_clock;
static double (*real_glp_time)(void);
static pthread_once_t clock_once = PTHREAD_ONCE_INIT;

static void find_real_clock(void)
{
    real_glp_time = (double (*)(void))dlsym(RTLD_NEXT, "glp_time");
}

double glp_time(void)
{
    pthread_once(&clock_once, find_real_clock);
    double t;
    if (real_glp_time) {
        t = real_glp_time();
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        t = (double)ts.tv_sec * 1000.0 + (double)(ts.tv_nsec / 1000000);
    }
    run *r = tls_clock;
    if (r && (r->clock_jumps || mesh_ctx_cancelled(r->ctx)))
        t += 1e12 * (double)++r->clock_jumps;
    return t;
}

/* The lines GLPK printed since the phase began, joined (the MathProg error is among them). */
static const char *phase_text(run *r, unsigned max_lines)
{
    unsigned from = r->phase_mark;
    if (r->nring - from > max_lines)
        from = r->nring - max_lines;
    if (r->nring > RING && from < r->nring - RING)
        from = r->nring - RING;
    size_t cap = 1;
    for (unsigned i = from; i < r->nring; i++)
        cap += strlen(r->ring[i % RING]) + 1;
    char *out = mesh_arena_alloc(r->tmp, cap);
    if (!out)
        return "";
    char *o = out;
    for (unsigned i = from; i < r->nring; i++) {
        if (o != out)
            *o++ = '\n';
        size_t l = strlen(r->ring[i % RING]);
        memcpy(o, r->ring[i % RING], l);
        o += l;
    }
    *o = 0;
    return out;
}

static void invalidate_handles(glpk_worker *w, const char *why)
{
    for (lp_handle *h = w->handles; h; h = h->next) {
        if (h->lost)
            continue;
        h->lost = true;
        h->P = NULL;
        h->tran = NULL;
        snprintf(h->lost_reason, sizeof h->lost_reason, "%s", why);
    }
}

typedef int (*body_fn)(run *r, void *arg);

/* Runs fn with GLPK's terminal and error hooks installed and the task's file context.
 * *status tells how it ended: G_OK (fn's return value is returned), G_FATAL or G_ESCAPED. */
static int guarded(run *r, body_fn fn, void *arg, int *status)
{
    volatile int rc = -1;
    glp_term_hook(term_hook, r);
    glp_error_hook(error_hook, r);
    glpk_files_use(&r->files);
    int j = setjmp(r->jb);
    if (j == 0) {
        rc = fn(r, arg);
        *status = G_OK;
    } else {
        *status = j;
        r->escape_ok = false;
        tls_clock = NULL;
        glpk_files_use(NULL);
        /* GLPK's state is inconsistent: free the whole environment of this thread */
        glp_free_env();
        r->P = NULL;
        r->tran = NULL;
        if (r->w->handles) {
            char why[200];
            snprintf(why, sizeof why, "a GLPK %s in task %s freed the LP lane's GLPK environment",
                     j == G_FATAL ? "fatal error" : "abort", mesh_ctx_task_id(r->ctx));
            invalidate_handles(r->w, why);
        }
        rc = -1;
    }
    r->escape_ok = false;
    glpk_files_use(NULL);
    flush_line(r);
    glp_term_hook(NULL, NULL);
    glp_error_hook(NULL, NULL);
    glp_mem_limit(INT_MAX);
    return rc;
}

static void run_init(run *r, mesh_ctx *ctx)
{
    memset(r, 0, sizeof *r);
    r->ctx = ctx;
    r->w = mesh_ctx_worker_data(ctx);
    r->tmp = mesh_arena_new();
    r->files.base_dir = g_base_dir;
}

static void run_done(run *r)
{
    glpk_files_release(&r->files);
    mesh_arena_free(r->tmp);
}

/* Frees the problem and workspace a run left behind (only after a normal return: after a fatal
 * error or an abort glp_free_env has freed them already and the pointers are cleared). */
static void release_objects(run *r)
{
    /* a workspace whose translation failed may still hold the model file open: close it inside
     * the task's file context so that the record of open files stays exact */
    glpk_files_use(&r->files);
    if (r->P)
        glp_delete_prob(r->P);
    if (r->tran)
        glp_mpl_free_wksp(r->tran);
    glpk_files_use(NULL);
    r->P = NULL;
    r->tran = NULL;
}

/* Reports a fatal error or an abandoned run as the task's error. */
static int guarded_failure(run *r, int status)
{
    if (status == G_ESCAPED)
        return mesh_ctx_fail(r->ctx, "glpk.Cancelled", "the solve was cancelled");
    return mesh_ctx_fail(r->ctx, "glpk.FatalError",
                         "GLPK fatal error (the kernel recovered and freed this thread's GLPK "
                         "environment%s): %s",
                         r->w->lane == LANE_LP ? "; all loaded LP handles are invalidated" : "",
                         phase_text(r, 4));
}

/* ---- options --------------------------------------------------------------------------- */

typedef struct {
    bool interior;
    int simplex_meth;
    bool simplex_set; /* the client chose the simplex variant */
    bool presolve;
    double time_limit; /* <= 0: none */
    double mip_gap;    /* < 0: GLPK default */
    int msg_lev;
    const char *results_path_param; /* NULL: disabled */
    bool require_optimal;
    int mem_limit_mb; /* 0: none */
    bool relax;       /* solve MIPs as LPs (integrality ignored) */
    bool no_variables;   /* solve: leave the variables tables out of the result */
    bool no_constraints; /* solve: leave the constraints tables out of the result */
    const mesh_value *return_tables; /* solve: only these output CSV files become tables (NULL: all) */
    const char *keep_outputs;        /* solve: copy the model's output files into this folder (NULL: none) */
} solve_opts;

/* presolve_default: glpsol's default (on) for stateless solves; off where a later warm start
 * needs the basis of the problem itself (LP handles). */
static int parse_options(mesh_ctx *ctx, const mesh_value *m, solve_opts *o, bool presolve_default)
{
    memset(o, 0, sizeof *o);
    o->presolve = presolve_default;
    o->simplex_meth = GLP_PRIMAL;
    o->mip_gap = -1;
    o->msg_lev = GLP_MSG_ALL; /* like glpsol */
    o->results_path_param = "ResultsPath";
    if (!m || m->kind == MESH_NIL)
        return 0;
    if (m->kind != MESH_MAP)
        return mesh_ctx_fail(ctx, "ValueError", "options must be a map");
    for (uint32_t i = 0; i < m->u.m.n; i++) {
        const mesh_value *k = &m->u.m.keys[i], *v = &m->u.m.vals[i];
        if (k->kind != MESH_STR)
            return mesh_ctx_fail(ctx, "ValueError", "option names must be str");
        const char *key = k->u.s.ptr;
        if (strcmp(key, "method") == 0) {
            if (v->kind != MESH_STR || (strcmp(v->u.s.ptr, "simplex") && strcmp(v->u.s.ptr, "interior")))
                return mesh_ctx_fail(ctx, "ValueError", "option method must be \"simplex\" or \"interior\"");
            o->interior = strcmp(v->u.s.ptr, "interior") == 0;
        } else if (strcmp(key, "simplex") == 0) {
            if (v->kind != MESH_STR)
                return mesh_ctx_fail(ctx, "ValueError", "option simplex must be \"primal\", \"dual\" or \"dualp\"");
            if (strcmp(v->u.s.ptr, "primal") == 0)
                o->simplex_meth = GLP_PRIMAL;
            else if (strcmp(v->u.s.ptr, "dual") == 0)
                o->simplex_meth = GLP_DUAL;
            else if (strcmp(v->u.s.ptr, "dualp") == 0)
                o->simplex_meth = GLP_DUALP;
            else
                return mesh_ctx_fail(ctx, "ValueError", "option simplex must be \"primal\", \"dual\" or \"dualp\"");
            o->simplex_set = true;
        } else if (strcmp(key, "presolve") == 0 || strcmp(key, "require_optimal") == 0 ||
                   strcmp(key, "relax") == 0 || strcmp(key, "return_variables") == 0 ||
                   strcmp(key, "return_constraints") == 0) {
            if (v->kind != MESH_BOOL)
                return mesh_ctx_fail(ctx, "ValueError", "option %s must be a bool", key);
            if (strcmp(key, "presolve") == 0)
                o->presolve = v->u.b;
            else if (strcmp(key, "require_optimal") == 0)
                o->require_optimal = v->u.b;
            else if (strcmp(key, "return_variables") == 0)
                o->no_variables = !v->u.b;
            else if (strcmp(key, "return_constraints") == 0)
                o->no_constraints = !v->u.b;
            else
                o->relax = v->u.b;
        } else if (strcmp(key, "time_limit") == 0 || strcmp(key, "mip_gap") == 0) {
            if (v->kind == MESH_NIL)
                continue;
            if (!mesh_value_is_number(v) || !(mesh_value_as_double(v) >= 0))
                return mesh_ctx_fail(ctx, "ValueError", "option %s must be a non-negative number", key);
            if (key[0] == 't')
                o->time_limit = mesh_value_as_double(v);
            else
                o->mip_gap = mesh_value_as_double(v);
        } else if (strcmp(key, "msg_level") == 0) {
            static const char *const L[] = {"off", "err", "on", "all"};
            int lev = -1;
            for (int x = 0; x < 4 && v->kind == MESH_STR; x++)
                if (strcmp(v->u.s.ptr, L[x]) == 0)
                    lev = x;
            if (lev < 0)
                return mesh_ctx_fail(ctx, "ValueError", "option msg_level must be \"off\", \"err\", \"on\" or \"all\"");
            o->msg_lev = lev; /* GLP_MSG_OFF..GLP_MSG_ALL are 0..3 */
        } else if (strcmp(key, "results_path_param") == 0) {
            if (v->kind == MESH_NIL || (v->kind == MESH_STR && v->u.s.len == 0))
                o->results_path_param = NULL;
            else if (v->kind == MESH_STR)
                o->results_path_param = v->u.s.ptr;
            else
                return mesh_ctx_fail(ctx, "ValueError", "option results_path_param must be a str or nil");
        } else if (strcmp(key, "mem_limit") == 0) {
            if (v->kind == MESH_NIL)
                continue;
            if (v->kind != MESH_INT || v->u.i < 1 || v->u.i > INT_MAX)
                return mesh_ctx_fail(ctx, "ValueError", "option mem_limit must be a positive int (megabytes)");
            o->mem_limit_mb = (int)v->u.i;
        } else if (strcmp(key, "return_tables") == 0) {
            if (v->kind == MESH_NIL)
                continue;
            bool ok = v->kind == MESH_ARRAY;
            for (uint32_t x = 0; ok && x < v->u.a.n; x++)
                ok = v->u.a.items[x].kind == MESH_STR;
            if (!ok)
                return mesh_ctx_fail(ctx, "ValueError", "option return_tables must be a list of table names (str) or nil");
            o->return_tables = v;
        } else if (strcmp(key, "keep_outputs") == 0) {
            if (v->kind == MESH_NIL)
                continue;
            if (v->kind != MESH_STR || v->u.s.len == 0 || v->u.s.len >= PATH_MAX)
                return mesh_ctx_fail(ctx, "ValueError", "option keep_outputs must be a folder path (str) or nil");
            o->keep_outputs = v->u.s.ptr;
        } else {
            return mesh_ctx_fail(ctx, "ValueError", "unknown option '%s'", key);
        }
    }
    return 0;
}

/* ---- inputs: text or path ----------------------------------------------------------------- */

typedef struct {
    const char *path; /* absolute */
    char *text;       /* malloc'd copy of the text (for the declaration scan) */
    size_t len;
    bool is_file;     /* the client named an existing file */
} input;

/* A string is a path when it names an existing file, or when it cannot be GMPL text (no ';'
 * and no newline) - then the file must exist. Text is written to dir/name. */
static int resolve_input(mesh_ctx *ctx, const char *what, const char *s, size_t slen,
                         const char *dir, const char *name, mesh_arena *a, input *in)
{
    memset(in, 0, sizeof *in);
    bool looks_like_path = !memchr(s, ';', slen) && !memchr(s, '\n', slen);
    struct stat st;
    if (slen < PATH_MAX && stat(s, &st) == 0 && S_ISREG(st.st_mode)) {
        char *abs = realpath(s, NULL);
        if (!abs)
            return mesh_ctx_fail(ctx, "glpk.FileNotFoundError", "%s file '%s': %s", what, s, strerror(errno));
        in->path = mesh_arena_strdup(a, abs);
        free(abs);
        in->text = glpk_read_file(in->path, 64u << 20, &in->len);
        in->is_file = true;
        if (!in->text)
            in->len = 0;
        return 0;
    }
    if (looks_like_path)
        return mesh_ctx_fail(ctx, "glpk.FileNotFoundError",
                             "%s file '%s' does not exist (a %s given as text must contain GMPL "
                             "statements ending with ';')", what, s, what);
    char *p = mesh_arena_printf(a, "%s/%s", dir, name);
    FILE *fp = p ? fopen(p, "wb") : NULL;
    if (!fp || fwrite(s, 1, slen, fp) != slen) {
        if (fp)
            fclose(fp);
        return mesh_ctx_fail(ctx, "OSError", "cannot write %s: %s", name, strerror(errno));
    }
    fclose(fp);
    in->path = p;
    in->text = malloc(slen + 1);
    if (in->text) {
        memcpy(in->text, s, slen);
        in->text[slen] = 0;
        in->len = slen;
    }
    return 0;
}

/* ---- solving ----------------------------------------------------------------------------- */

typedef struct {
    const char *status;
    const char *message; /* when status is "error" */
    double objective;
    double seconds;
    int sol;      /* GLP_SOL, GLP_IPT or GLP_MIP */
    int glp_ret;  /* 0 when the solver ran to completion */
    bool cancelled;
    bool basis;   /* the simplex ran on the problem itself and left its basis (also when stopped) */
} solve_result;

static const char *simplex_error(int ret)
{
    switch (ret) {
    case GLP_EBADB: return "invalid initial basis";
    case GLP_ESING: return "singular basis matrix";
    case GLP_ECOND: return "ill-conditioned basis matrix";
    case GLP_EBOUND: return "a double-bounded row or column has lower bound >= upper bound";
    case GLP_EFAIL: return "solver failure (empty problem or numerical trouble)";
    case GLP_EOBJLL: return "objective lower limit reached";
    case GLP_EOBJUL: return "objective upper limit reached";
    case GLP_EITLIM: return "iteration limit exceeded";
    case GLP_ENOCVG: return "interior point: very slow convergence or divergence";
    case GLP_EINSTAB: return "interior point: numerical instability";
    default: return "solver error";
    }
}

static const char *lp_status(int st)
{
    switch (st) {
    case GLP_OPT: return "optimal";
    case GLP_FEAS: return "feasible";
    case GLP_INFEAS:
    case GLP_NOFEAS: return "infeasible";
    case GLP_UNBND: return "unbounded";
    default: return "undefined";
    }
}

/* One glp_simplex call, as glpsol makes it. tm_lim stays below INT_MAX even without a user
 * limit, because only then does GLPK read its clock each iteration (the cancellation point). */
static int simplex_run(run *r, glp_prob *P, const solve_opts *o, bool presolve, double t0,
                       solve_result *res)
{
    glp_smcp p;
    glp_init_smcp(&p);
    p.msg_lev = o->msg_lev;
    p.meth = o->simplex_meth;
    p.presolve = presolve ? GLP_ON : GLP_OFF;
    p.tm_lim = INT_MAX - 1;
    if (o->time_limit > 0) {
        double left_ms = (o->time_limit - (now_mono() - t0)) * 1000.0;
        p.tm_lim = left_ms <= 0 ? 0 : left_ms >= INT_MAX - 1 ? INT_MAX - 1 : (int)ceil(left_ms);
    }
    if (mesh_ctx_cancelled(r->ctx)) {
        res->cancelled = true;
        return -1;
    }
    r->clock_jumps = 0;
    tls_clock = r;
    int ret = glp_simplex(P, &p);
    tls_clock = NULL;
    if (r->clock_jumps) {
        res->cancelled = true;
        return -1;
    }
    return ret;
}

/* glpsol's preparation of a cold simplex without the presolver. */
static void cold_start(glp_prob *P)
{
    glp_scale_prob(P, GLP_SF_AUTO);
    glp_adv_basis(P, 0);
}

static void mip_callback(glp_tree *T, void *info)
{
    run *r = info;
    if (mesh_ctx_cancelled(r->ctx))
        glp_ios_terminate(T);
}

/* A MIP the way glpsol solves it by default (--intopt): glp_intopt with GLPK's MIP presolver,
 * which solves the LP relaxation itself (no prior glp_simplex, scaling or initial basis). */
static int mip_solve(run *r, glp_prob *P, const solve_opts *o, double t0, solve_result *res)
{
    glp_iocp io;
    glp_init_iocp(&io);
    io.msg_lev = o->msg_lev;
    io.presolve = GLP_ON;
    io.cb_func = mip_callback;
    io.cb_info = r;
    if (o->mip_gap >= 0)
        io.mip_gap = o->mip_gap;
    if (o->time_limit > 0) {
        double left_ms = (o->time_limit - (now_mono() - t0)) * 1000.0;
        io.tm_lim = left_ms <= 1 ? 1 : left_ms >= INT_MAX - 1 ? INT_MAX - 1 : (int)ceil(left_ms);
    }
    int ret = glp_intopt(P, &io);
    res->glp_ret = ret;
    if (mesh_ctx_cancelled(r->ctx)) {
        res->cancelled = true;
        return -1;
    }
    int st = glp_mip_status(P);
    res->objective = st == GLP_OPT || st == GLP_FEAS ? glp_mip_obj_val(P) : NAN; /* none found yet */
    if (ret == 0 || ret == GLP_EMIPGAP) {
        res->status = st == GLP_OPT ? "optimal" : st == GLP_FEAS ? "feasible" : st == GLP_NOFEAS ? "infeasible" : "undefined";
    } else if (ret == GLP_ETMLIM) {
        res->status = "time_limit";
    } else if (ret == GLP_ENOPFS) {
        res->status = "infeasible"; /* the LP relaxation has no feasible point */
        res->sol = GLP_SOL;
    } else if (ret == GLP_ENODFS) {
        /* the relaxation has no dual feasible solution: unbounded, or infeasible too; the
         * simplex on the relaxation tells which (and its values are what is reported) */
        mesh_ctx_log(r->ctx, "the MIP's LP relaxation has no dual feasible solution; solving the relaxation for a precise status");
        cold_start(P);
        ret = simplex_run(r, P, o, false, t0, res);
        if (ret < 0)
            return -1;
        res->glp_ret = ret;
        res->sol = GLP_SOL;
        res->basis = true;
        res->status = ret == 0 ? lp_status(glp_get_status(P)) : ret == GLP_ETMLIM ? "time_limit" : "error";
        if (ret != 0 && ret != GLP_ETMLIM)
            res->message = simplex_error(ret);
        res->objective = NAN;
    } else {
        res->status = "error";
        res->message = simplex_error(ret);
    }
    res->seconds = now_mono() - t0;
    return 0;
}

/* Solves P (an LP, or a MIP unless o->relax) and fills res. warm: keep the current basis.
 * Returns -1 when the task was cancelled, else 0 (the outcome is in res). */
static int lp_solve(run *r, glp_prob *P, const solve_opts *o, bool warm, solve_result *res)
{
    memset(res, 0, sizeof *res);
    double t0 = now_mono();
    bool mip = !o->relax && !o->interior && glp_get_num_int(P) > 0;
    res->sol = mip ? GLP_MIP : o->interior ? GLP_IPT : GLP_SOL;
    r->phase_mark = r->nring;

    if (o->interior) {
        if (o->time_limit > 0)
            mesh_ctx_log(r->ctx, "warning: time_limit is not supported by GLPK's interior-point method; ignored");
        if (glp_get_num_int(P) > 0)
            mesh_ctx_log(r->ctx, "warning: the interior-point method ignores integrality");
        glp_scale_prob(P, GLP_SF_AUTO); /* glpsol scales for the interior-point method too */
        glp_iptcp ip;
        glp_init_iptcp(&ip);
        /* on the general lane the terminal hook is the cancellation point: keep GLPK talking */
        bool escape = r->w->lane == LANE_GENERAL;
        ip.msg_lev = escape && o->msg_lev < GLP_MSG_ON ? GLP_MSG_ON : o->msg_lev;
        r->drop_output = ip.msg_lev != o->msg_lev;
        r->escape_ok = escape;
        int ret = glp_interior(P, &ip);
        r->escape_ok = false;
        r->drop_output = false;
        res->seconds = now_mono() - t0;
        res->glp_ret = ret;
        if (mesh_ctx_cancelled(r->ctx)) {
            res->cancelled = true;
            return -1;
        }
        if (ret == 0) {
            int st = glp_ipt_status(P);
            res->status = st == GLP_OPT ? "optimal" : (st == GLP_INFEAS || st == GLP_NOFEAS) ? "infeasible" : "undefined";
            res->objective = glp_ipt_obj_val(P);
        } else {
            res->status = "error";
            res->message = simplex_error(ret);
            res->objective = NAN;
        }
        return 0;
    }
    if (mip)
        return mip_solve(r, P, o, t0, res);

    bool presolve = o->presolve && !warm;
    if (!presolve && !warm)
        cold_start(P);
    /* without the presolver the simplex works on P itself and leaves its basis there, also
     * when it is stopped */
    res->basis = !presolve;
    int ret = simplex_run(r, P, o, presolve, t0, res);
    if (ret < 0 && res->cancelled)
        return -1;
    if ((ret == GLP_ENOPFS || ret == GLP_ENODFS) && presolve) {
        /* the presolver only tells "no feasible primal/dual": let the simplex say which */
        mesh_ctx_log(r->ctx, "presolver found no feasible solution; re-solving without presolve for a precise status");
        cold_start(P);
        presolve = false;
        res->basis = true;
        ret = simplex_run(r, P, o, false, t0, res);
        if (ret < 0 && res->cancelled)
            return -1;
    }
    res->glp_ret = ret;
    if (ret == GLP_ETMLIM) {
        res->status = "time_limit";
        if (presolve) {
            /* GLPK recovers a solution of the original problem only from an optimal presolved one */
            res->objective = NAN;
            res->message = "stopped inside the presolved problem, which leaves no solution; use presolve: false to keep the last basis";
        } else {
            res->objective = glp_get_obj_val(P);
        }
        res->seconds = now_mono() - t0;
        return 0;
    }
    if (ret != 0) {
        res->status = "error";
        res->message = simplex_error(ret);
        res->objective = NAN;
        res->seconds = now_mono() - t0;
        return 0;
    }
    res->status = lp_status(glp_get_status(P));
    res->objective = glp_get_obj_val(P);
    res->seconds = now_mono() - t0;
    return 0;
}

/* ---- results: variables and constraints as tables -------------------------------------- */

typedef struct {
    const char *base;
    int k;
    uint32_t count, fill;
    const char **names;
    mesh_value **idx; /* k string columns */
    double *v1, *v2;
    mesh_value *table;
} group;

typedef struct {
    group *g;
    size_t n, cap;
    int *slots; /* open addressing: index + 1, 0 empty */
    size_t nslots;
} groups;

static unsigned long hash_str(const char *s)
{
    unsigned long h = 5381;
    for (; *s; s++)
        h = h * 33 + (unsigned char)*s;
    return h;
}

static group *group_get(groups *gs, mesh_arena *a, const char *base, int k)
{
    size_t i = hash_str(base) & (gs->nslots - 1);
    while (gs->slots[i]) {
        group *g = &gs->g[gs->slots[i] - 1];
        if (strcmp(g->base, base) == 0)
            return g;
        i = (i + 1) & (gs->nslots - 1);
    }
    if (gs->n == gs->cap)
        return NULL; /* cannot happen: cap == number of names */
    group *g = &gs->g[gs->n++];
    memset(g, 0, sizeof *g);
    g->base = base;
    g->k = k;
    gs->slots[i] = (int)gs->n;
    (void)a;
    return g;
}

static bool name_matches(const char *filter, const char *base, const char *full)
{
    if (!filter || !*filter)
        return true;
    if (strpbrk(filter, "*?["))
        return fnmatch(filter, base, 0) == 0 || fnmatch(filter, full, 0) == 0;
    return strncmp(base, filter, strlen(filter)) == 0;
}

/* Builds {name: table} for the columns (cols=true: value, reduced_cost) or rows (dual,
 * activity) of P with solution kind sol. Index columns are named after the declarations. */
static mesh_value *build_tables(run *r, glp_prob *P, bool cols, int sol, const gmpl_decls *decls,
                                const char *filter)
{
    mesh_arena *a = mesh_ctx_arena(r->ctx);
    mesh_arena *t = r->tmp;
    int n = cols ? glp_get_num_cols(P) : glp_get_num_rows(P);
    groups gs = {0};
    gs.cap = (size_t)n + 1;
    gs.g = mesh_arena_alloc(t, gs.cap * sizeof(group));
    gs.nslots = 16;
    while (gs.nslots < 2 * gs.cap)
        gs.nslots *= 2;
    gs.slots = mesh_arena_alloc(t, gs.nslots * sizeof(int));
    const char **bases = mesh_arena_alloc(t, ((size_t)n + 1) * sizeof(char *));
    const char ***idxs = mesh_arena_alloc(t, ((size_t)n + 1) * sizeof(char **));
    int *ks = mesh_arena_alloc(t, ((size_t)n + 1) * sizeof(int));
    group **of = mesh_arena_alloc(t, ((size_t)n + 1) * sizeof(group *));
    mesh_value *out = mesh_v_map(a, 8);
    if (!gs.g || !gs.slots || !bases || !idxs || !ks || !of || !out)
        return NULL;

    for (int j = 1; j <= n; j++) {
        const char *name = cols ? glp_get_col_name(P, j) : glp_get_row_name(P, j);
        char fallback[32];
        if (!name) {
            snprintf(fallback, sizeof fallback, cols ? "_col%d" : "_row%d", j);
            name = mesh_arena_strdup(t, fallback);
        }
        if (glpk_split_name(name, t, &bases[j], &idxs[j], &ks[j]) != 0) {
            bases[j] = name; /* a name MathProg truncated: keep it whole */
            ks[j] = 0;
        }
        of[j] = NULL;
        if (!name_matches(filter, bases[j], name))
            continue;
        group *g = group_get(&gs, t, bases[j], ks[j]);
        if (!g)
            return NULL;
        g->count++;
        of[j] = g;
    }
    static const char *const RES_COLS[] = {"value", "reduced_cost", NULL};
    static const char *const RES_ROWS[] = {"dual", "activity", NULL};
    const char *const *reserved = cols ? RES_COLS : RES_ROWS;
    for (size_t i = 0; i < gs.n; i++) {
        group *g = &gs.g[i];
        g->names = mesh_arena_alloc(t, ((size_t)g->k + 1) * sizeof(char *));
        g->idx = mesh_arena_alloc(t, ((size_t)g->k + 1) * sizeof(mesh_value *));
        if (!g->names || !g->idx)
            return NULL;
        gmpl_index_names(gmpl_find(decls, g->base), g->k, reserved, t, g->names);
        for (int c = 0; c < g->k; c++)
            if (!(g->idx[c] = mesh_v_array(a, g->count)))
                return NULL;
        uint64_t shape[1] = {g->count};
        mesh_value *c1 = mesh_v_ndarray(a, MESH_DT_FLOAT64, 1, shape);
        mesh_value *c2 = mesh_v_ndarray(a, MESH_DT_FLOAT64, 1, shape);
        g->table = mesh_v_table(a, (uint32_t)g->k + 2, g->count);
        if (!c1 || !c2 || !g->table)
            return NULL;
        g->v1 = c1->u.nd.data;
        g->v2 = c2->u.nd.data;
        for (int c = 0; c < g->k; c++) {
            if (mesh_table_set(a, g->table, (uint32_t)c, g->names[c], g->idx[c]))
                return NULL;
            g->idx[c] = &g->table->u.t.columns[c]; /* the table holds its own copy: fill that */
        }
        if (mesh_table_set(a, g->table, (uint32_t)g->k, reserved[0], c1) ||
            mesh_table_set(a, g->table, (uint32_t)g->k + 1, reserved[1], c2) ||
            mesh_map_put(a, out, g->base, g->table))
            return NULL;
    }
    for (int j = 1; j <= n; j++) {
        group *g = of[j];
        if (!g)
            continue;
        for (int c = 0; c < g->k; c++) {
            mesh_value *s = mesh_v_str(a, c < ks[j] ? idxs[j][c] : "");
            if (!s || mesh_array_push(a, g->idx[c], s))
                return NULL;
        }
        double v1, v2;
        if (cols) {
            if (sol == GLP_MIP) {
                v1 = glp_mip_col_val(P, j);
                v2 = NAN;
            } else if (sol == GLP_IPT) {
                v1 = glp_ipt_col_prim(P, j);
                v2 = glp_ipt_col_dual(P, j);
            } else {
                v1 = glp_get_col_prim(P, j);
                v2 = glp_get_col_dual(P, j);
            }
        } else {
            if (sol == GLP_MIP) {
                v1 = NAN;
                v2 = glp_mip_row_val(P, j);
            } else if (sol == GLP_IPT) {
                v1 = glp_ipt_row_dual(P, j);
                v2 = glp_ipt_row_prim(P, j);
            } else {
                v1 = glp_get_row_dual(P, j);
                v2 = glp_get_row_prim(P, j);
            }
        }
        g->v1[g->fill] = v1;
        g->v2[g->fill] = v2;
        g->fill++;
    }
    return out;
}

/* ---- translation (MathProg) ---------------------------------------------------------------- */

typedef struct {
    const char *model_path;
    const char **data_paths; /* user data, then the kernel's override file (if any) */
    int ndata_user, ndata;
    const solve_opts *o;
    const gmpl_decls *vars, *rows;
    /* outputs */
    mesh_value *result;
    solve_result res;
} job;

static int fail_phase(run *r, const char *type, const char *what)
{
    return mesh_ctx_fail(r->ctx, type, "%s failed:\n%s", what, phase_text(r, 6));
}

static int translate(run *r, job *j)
{
    r->escape_ok = r->w->lane == LANE_GENERAL;
    if (j->o->mem_limit_mb > 0)
        glp_mem_limit(j->o->mem_limit_mb);
    r->phase_mark = r->nring;
    r->tran = glp_mpl_alloc_wksp();
    glp_mpl_init_rand(r->tran, 1); /* glpsol's default --seed: Uniform() & co. draw the same numbers */
    if (glp_mpl_read_model(r->tran, j->model_path, j->ndata_user > 0) != 0)
        return fail_phase(r, "glpk.ModelError", "reading the model section");
    if (mesh_ctx_cancelled(r->ctx))
        return -1;
    for (int i = 0; i < j->ndata; i++) {
        r->phase_mark = r->nring;
        if (glp_mpl_read_data(r->tran, j->data_paths[i]) != 0)
            return fail_phase(r, "glpk.DataError", "reading the data section");
        if (mesh_ctx_cancelled(r->ctx))
            return -1;
    }
    r->phase_mark = r->nring;
    if (glp_mpl_generate(r->tran, NULL) != 0)
        return fail_phase(r, "glpk.ModelError", "generating the model");
    if (mesh_ctx_cancelled(r->ctx))
        return -1;
    r->P = glp_create_prob();
    glp_mpl_build_prob(r->tran, r->P);
    /* as glpsol does: the matrix element order decides ties in the simplex, so without this the
     * same LP can end at another vertex of its optimal face */
    glp_sort_matrix(r->P);
    r->escape_ok = false;
    return 0;
}

static mesh_value *solve_summary(mesh_arena *a, const solve_result *res)
{
    mesh_value *m = mesh_v_map(a, 8);
    if (!m || mesh_map_put(a, m, "status", mesh_v_str(a, res->status)) ||
        mesh_map_put(a, m, "objective", mesh_v_f64(a, res->objective)) ||
        mesh_map_put(a, m, "solve_time", mesh_v_f64(a, res->seconds)))
        return NULL;
    if (res->message && mesh_map_put(a, m, "message", mesh_v_str(a, res->message)))
        return NULL;
    return m;
}

static int solve_body(run *r, void *arg)
{
    job *j = arg;
    mesh_arena *a = mesh_ctx_arena(r->ctx);
    if (translate(r, j) != 0)
        return -1;
    if (lp_solve(r, r->P, j->o, false, &j->res) != 0)
        return -1;
    if (j->res.glp_ret == 0) {
        r->escape_ok = r->w->lane == LANE_GENERAL;
        r->phase_mark = r->nring;
        if (glp_mpl_postsolve(r->tran, r->P, j->res.sol) != 0)
            return fail_phase(r, "glpk.ModelError", "the post-solve statements");
        r->escape_ok = false;
    }
    j->result = solve_summary(a, &j->res);
    /* A caller that reads only the model's own result tables (table ... OUT) skips these: on a
     * large model they are most of the reply. */
    mesh_value *vars = j->o->no_variables ? mesh_v_map(a, 1) : build_tables(r, r->P, true, j->res.sol, j->vars, NULL);
    mesh_value *rows = j->o->no_constraints ? mesh_v_map(a, 1) : build_tables(r, r->P, false, j->res.sol, j->rows, NULL);
    if (!j->result || !vars || !rows || mesh_map_put(a, j->result, "variables", vars) ||
        mesh_map_put(a, j->result, "constraints", rows))
        return mesh_ctx_fail(r->ctx, "MemoryError", "out of memory building the result");
    glp_delete_prob(r->P);
    r->P = NULL;
    glp_mpl_free_wksp(r->tran);
    r->tran = NULL;
    return 0;
}

/* Whether output CSV `key` (e.g. "Demand.csv") is one of the tables asked for (by name, with or
 * without the .csv suffix); every table when no list was given. */
static bool table_wanted(const solve_opts *o, const char *key, size_t kl)
{
    if (!o->return_tables)
        return true;
    for (uint32_t i = 0; i < o->return_tables->u.a.n; i++) {
        const mesh_value *n = &o->return_tables->u.a.items[i];
        if ((n->u.s.len == kl && memcmp(n->u.s.ptr, key, kl) == 0) ||
            (n->u.s.len == kl - 4 && memcmp(n->u.s.ptr, key, kl - 4) == 0))
            return true;
    }
    return false;
}

/* Copies one file with plain open/read/write (fopen is interposed to track the model's own
 * files), through a temporary name so a reader never sees half a file. */
static int copy_file(const char *from, const char *to)
{
    char tmp[PATH_MAX + 8];
    if (snprintf(tmp, sizeof tmp, "%s.part", to) >= (int)sizeof tmp)
        return -1;
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (out < 0) {
        close(in);
        return -1;
    }
    char buf[1 << 16];
    ssize_t n;
    int rc = 0;
    while ((n = read(in, buf, sizeof buf)) > 0) {
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                rc = -1;
                break;
            }
            off += w;
        }
        if (rc)
            break;
    }
    if (n < 0)
        rc = -1;
    close(in);
    if (close(out) != 0)
        rc = -1;
    if (rc == 0 && rename(tmp, to) != 0)
        rc = -1;
    if (rc)
        unlink(tmp);
    return rc;
}

/* keep_outputs: the model's output files (regular files of out_dir) copied into `dest`, created
 * with its parents if missing; files of the same name are replaced. */
static int keep_outputs(mesh_ctx *ctx, const char *out_dir, const char *dest)
{
    char path[PATH_MAX];
    size_t dl = strlen(dest);
    if (dl >= sizeof path)
        return mesh_ctx_fail(ctx, "OSError", "keep_outputs: path too long");
    memcpy(path, dest, dl + 1);
    for (char *c = path + 1; *c; c++) {
        if (*c != '/')
            continue;
        *c = 0;
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return mesh_ctx_fail(ctx, "OSError", "keep_outputs: cannot create %s: %s", path, strerror(errno));
        *c = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return mesh_ctx_fail(ctx, "OSError", "keep_outputs: cannot create %s: %s", path, strerror(errno));
    DIR *d = opendir(out_dir);
    if (!d)
        return mesh_ctx_fail(ctx, "OSError", "keep_outputs: cannot read %s: %s", out_dir, strerror(errno));
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        char from[PATH_MAX], to[PATH_MAX];
        struct stat st;
        if (snprintf(from, sizeof from, "%s/%s", out_dir, e->d_name) >= (int)sizeof from ||
            stat(from, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (snprintf(to, sizeof to, "%s/%s", dest, e->d_name) >= (int)sizeof to || copy_file(from, to) != 0)
            rc = mesh_ctx_fail(ctx, "OSError", "keep_outputs: cannot copy %s into %s: %s", e->d_name, dest, strerror(errno));
    }
    closedir(d);
    return rc;
}

/* Files the model wrote: CSV files become tables (those asked for), other files (printf > "x") text. */
static int collect_outputs(run *r, const char *out_dir, const solve_opts *o, mesh_value *result)
{
    mesh_arena *a = mesh_ctx_arena(r->ctx);
    mesh_value *tables = mesh_v_map(a, 4);
    mesh_value *files = mesh_v_map(a, 4);
    if (!tables || !files)
        return -1;
    size_t odl = strlen(out_dir);
    for (size_t i = 0; i < r->files.nwritten; i++) {
        const glpk_written *w = &r->files.written[i];
        const char *key = w->given;
        if (strncmp(w->path, out_dir, odl) == 0 && w->path[odl] == '/')
            key = w->path + odl + 1;
        size_t kl = strlen(key);
        bool csv = kl > 4 && strcasecmp(key + kl - 4, ".csv") == 0;
        if (csv && !table_wanted(o, key, kl))
            continue;
        size_t len;
        char *text = glpk_read_file(w->path, csv ? MAX_TABLE_FILE : MAX_TEXT_FILE, &len);
        if (!text) {
            mesh_ctx_log(r->ctx, "warning: cannot read output file %s: %s", key, strerror(errno));
            continue;
        }
        if (csv) {
            char err[256];
            mesh_value *t = glpk_csv_table(a, text, len, err, sizeof err);
            if (t)
                mesh_map_put(a, tables, key, t);
            else
                mesh_ctx_log(r->ctx, "warning: output file %s is not a CSV table: %s", key, err);
        } else {
            mesh_map_put(a, files, key, mesh_v_strn(a, text, len));
        }
        free(text);
    }
    if (mesh_map_put(a, result, "tables", tables) || mesh_map_put(a, result, "files", files))
        return -1;
    return 0;
}

/* Creates <root>/task-N/{in,out}. */
static char *make_task_dir(mesh_arena *a, char **in_dir, char **out_dir)
{
    unsigned long long n = atomic_fetch_add(&g_task_seq, 1) + 1;
    char *dir = mesh_arena_printf(a, "%s/task-%llu", g_tmp_root, n);
    *in_dir = mesh_arena_printf(a, "%s/in", dir);
    *out_dir = mesh_arena_printf(a, "%s/out", dir);
    if (!dir || !*in_dir || !*out_dir || mkdir(dir, 0700) != 0 || mkdir(*in_dir, 0700) != 0 ||
        mkdir(*out_dir, 0700) != 0)
        return NULL;
    return dir;
}

typedef struct {
    input model;
    input *data;
    int ndata;
    const char **data_paths;
    int ndata_paths;
    gmpl_decls vars, rows;
    char *task_dir, *in_dir, *out_dir;
} prepared;

static void prepared_free(prepared *p)
{
    free(p->model.text);
    for (int i = 0; i < p->ndata; i++)
        free(p->data[i].text);
    free(p->data);
    gmpl_decls_free(&p->vars);
    gmpl_decls_free(&p->rows);
    if (p->task_dir)
        glpk_rmtree(p->task_dir);
}

/* Resolves model/data arguments, writes texts to files and adds the results-path override. */
static int prepare(run *r, const mesh_value *model, const mesh_value *data, const solve_opts *o,
                   prepared *p)
{
    mesh_ctx *ctx = r->ctx;
    mesh_arena *t = r->tmp;
    memset(p, 0, sizeof *p);
    p->task_dir = make_task_dir(t, &p->in_dir, &p->out_dir);
    if (!p->task_dir)
        return mesh_ctx_fail(ctx, "OSError", "cannot create a task directory under %s: %s", g_tmp_root, strerror(errno));
    snprintf(r->in_prefix, sizeof r->in_prefix, "%s/", p->in_dir);
    r->files.out_dir = p->out_dir;
    if (resolve_input(ctx, "model", model->u.s.ptr, model->u.s.len, p->in_dir, "model.mod", t, &p->model) != 0)
        return -1;
    if (p->model.is_file) {
        char *d = mesh_arena_strdup(t, p->model.path);
        char *slash = d ? strrchr(d, '/') : NULL;
        if (slash)
            *slash = 0;
        r->files.model_dir = d;
    }
    uint32_t nd = 0;
    const mesh_value *items = NULL;
    if (data && data->kind == MESH_STR) {
        nd = 1;
        items = data;
    } else if (data && data->kind == MESH_ARRAY) {
        nd = data->u.a.n;
        items = data->u.a.items;
    }
    p->data = calloc(nd + 1, sizeof(input));
    p->data_paths = mesh_arena_alloc(t, (nd + 2) * sizeof(char *));
    if (!p->data || !p->data_paths)
        return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    for (uint32_t i = 0; i < nd; i++) {
        char name[32];
        snprintf(name, sizeof name, "data%u.dat", i + 1);
        if (resolve_input(ctx, "data", items[i].u.s.ptr, items[i].u.s.len, p->in_dir, name, t, &p->data[i]) != 0) {
            p->ndata = (int)i + 1;
            return -1;
        }
        p->data_paths[p->ndata_paths++] = p->data[i].path;
    }
    p->ndata = (int)nd;
    if (p->model.text)
        gmpl_scan(p->model.text, p->model.len, &p->vars, &p->rows);
    /* ResultsPath-style parameter: point it at the private output directory */
    const char *rp = o->results_path_param;
    if (rp && p->model.text && gmpl_mentions_param(p->model.text, p->model.len, rp)) {
        bool given = false;
        for (int i = 0; i < p->ndata; i++)
            if (p->data[i].text && gmpl_mentions_param(p->data[i].text, p->data[i].len, rp))
                given = true;
        /* a data section inside the model file also counts (scan stops at "data;" for decls) */
        const char *ds = strstr(p->model.text, "data;");
        if (ds && gmpl_mentions_param(ds, strlen(ds), rp))
            given = true;
        if (given) {
            mesh_ctx_log(ctx, "note: %s is set by the model's data; not redirected to the task directory", rp);
        } else {
            char *ov = mesh_arena_printf(t, "%s/results_path.dat", p->in_dir);
            FILE *fp = ov ? fopen(ov, "w") : NULL;
            if (!fp)
                return mesh_ctx_fail(ctx, "OSError", "cannot write %s", ov ? ov : "override");
            fprintf(fp, "param %s := '%s';\nend;\n", rp, p->out_dir);
            fclose(fp);
            p->data_paths[p->ndata_paths++] = ov;
        }
    }
    return 0;
}

/* solve(model, data=nil, options=nil) */
static int ep_solve(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    solve_opts o;
    if (parse_options(ctx, &args->u.a.items[2], &o, true) != 0)
        return -1;
    run r;
    run_init(&r, ctx);
    if (!r.tmp)
        return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    prepared p;
    int rc = prepare(&r, &args->u.a.items[0], &args->u.a.items[1], &o, &p);
    if (rc == 0) {
        job j = {.model_path = p.model.path, .data_paths = p.data_paths, .ndata_user = p.ndata,
                 .ndata = p.ndata_paths, .o = &o, .vars = &p.vars, .rows = &p.rows};
        int status;
        rc = guarded(&r, solve_body, &j, &status);
        if (status != G_OK)
            rc = guarded_failure(&r, status);
        else
            release_objects(&r); /* left behind by a failed or cancelled run */
        if (status == G_OK && rc == 0 && collect_outputs(&r, p.out_dir, &o, j.result) != 0)
            rc = mesh_ctx_fail(ctx, "MemoryError", "out of memory collecting output files");
        if (status == G_OK && rc == 0 && o.keep_outputs)
            rc = keep_outputs(ctx, p.out_dir, o.keep_outputs);
        if (rc == 0 && o.require_optimal && strcmp(j.res.status, "optimal") != 0)
            rc = mesh_ctx_fail(ctx, "glpk.SolverError", "the problem was not solved to optimality: status %s%s%s",
                               j.res.status, j.res.message ? ": " : "", j.res.message ? j.res.message : "");
        if (rc == 0)
            *result = j.result;
    }
    prepared_free(&p);
    run_done(&r);
    return rc;
}

/* ---- handle-based LPs (LP lane) ---------------------------------------------------------- */

static lp_handle *find_handle(mesh_ctx *ctx, glpk_worker *w, const mesh_value *hv)
{
    if (!hv || hv->kind != MESH_INT || hv->u.i <= 0) {
        mesh_ctx_fail(ctx, "glpk.HandleError", "handle must be a positive int");
        return NULL;
    }
    for (lp_handle *h = w->handles; h; h = h->next) {
        if (h->id != (uint64_t)hv->u.i)
            continue;
        if (h->proxy_owned) {
            mesh_ctx_fail(ctx, "glpk.HandleError", "handle %llu belongs to an LP proxy object; call its methods",
                          (unsigned long long)h->id);
            return NULL;
        }
        if (h->lost) {
            mesh_ctx_fail(ctx, "glpk.HandleError", "handle %llu is no longer valid: %s; load the model again",
                          (unsigned long long)h->id, h->lost_reason);
            return NULL;
        }
        return h;
    }
    mesh_ctx_fail(ctx, "glpk.HandleError", "unknown handle %lld (never loaded, or released)", (long long)hv->u.i);
    return NULL;
}

typedef struct {
    job j;
    lp_handle *h;
} load_job;

static int load_body(run *r, void *arg)
{
    load_job *lj = arg;
    if (translate(r, &lj->j) != 0)
        return -1;
    glp_create_index(r->P);
    lj->h->P = r->P;
    lj->h->tran = r->tran;
    r->P = NULL;
    r->tran = NULL;
    return 0;
}

/* Translates model + data into a new LP handle on this (the LP lane's) thread. */
static int load_lp(mesh_ctx *ctx, const mesh_value *model, const mesh_value *data, const mesh_value *options,
                   bool proxy_owned, lp_handle **out)
{
    solve_opts o;
    if (parse_options(ctx, options, &o, false) != 0)
        return -1;
    glpk_worker *w = mesh_ctx_worker_data(ctx);
    run r;
    run_init(&r, ctx);
    if (!r.tmp)
        return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    prepared p;
    int rc = prepare(&r, model, data, &o, &p);
    lp_handle *h = NULL;
    if (rc == 0 && !(h = calloc(1, sizeof *h)))
        rc = mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    if (rc == 0) {
        load_job lj = {.j = {.model_path = p.model.path, .data_paths = p.data_paths,
                             .ndata_user = p.ndata, .ndata = p.ndata_paths, .o = &o},
                       .h = h};
        int status;
        rc = guarded(&r, load_body, &lj, &status);
        if (status != G_OK)
            rc = guarded_failure(&r, status);
        else
            release_objects(&r); /* translation failed or was cancelled */
    }
    if (rc == 0) {
        h->id = atomic_fetch_add(&g_handle_seq, 1) + 1;
        h->proxy_owned = proxy_owned;
        h->objective = NAN;
        h->vars = p.vars;
        h->rows = p.rows;
        memset(&p.vars, 0, sizeof p.vars);
        memset(&p.rows, 0, sizeof p.rows);
        h->next = w->handles;
        w->handles = h;
        mesh_ctx_log(ctx, "loaded %s %llu: %d rows, %d columns", proxy_owned ? "LP object, handle" : "handle",
                     (unsigned long long)h->id, glp_get_num_rows(h->P), glp_get_num_cols(h->P));
        *out = h;
    } else {
        free(h);
    }
    prepared_free(&p);
    run_done(&r);
    return rc;
}

/* Frees the handle with this id on its thread (unknown ids: nothing to do). */
static bool free_handle(glpk_worker *w, uint64_t id)
{
    for (lp_handle **pp = &w->handles; *pp; pp = &(*pp)->next) {
        lp_handle *h = *pp;
        if (h->id != id)
            continue;
        *pp = h->next;
        handle_free(h);
        return true;
    }
    return false;
}

/* load(model, data=nil, options=nil) -> {handle, rows, cols} */
static int ep_load(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    lp_handle *h;
    if (load_lp(ctx, &args->u.a.items[0], &args->u.a.items[1], &args->u.a.items[2], false, &h) != 0)
        return -1;
    mesh_arena *a = mesh_ctx_arena(ctx);
    mesh_value *m = mesh_v_map(a, 3);
    if (!m || mesh_map_put(a, m, "handle", mesh_v_int(a, (int64_t)h->id)) ||
        mesh_map_put(a, m, "rows", mesh_v_int(a, glp_get_num_rows(h->P))) ||
        mesh_map_put(a, m, "cols", mesh_v_int(a, glp_get_num_cols(h->P))))
        return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    *result = m;
    return 0;
}

/* Resolves `names` (an array of exact names, or one str: an exact name, else a glob pattern)
 * to row or column indices. */
static int resolve_names(mesh_ctx *ctx, glp_prob *P, bool cols, const mesh_value *names,
                         mesh_arena *t, int **out, int *count)
{
    const char *what = cols ? "column" : "row";
    if (names->kind == MESH_ARRAY) {
        int *ix = mesh_arena_alloc(t, ((size_t)names->u.a.n + 1) * sizeof(int));
        if (!ix)
            return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
        for (uint32_t i = 0; i < names->u.a.n; i++) {
            const char *nm = names->u.a.items[i].u.s.ptr;
            int k = cols ? glp_find_col(P, nm) : glp_find_row(P, nm);
            if (k == 0)
                return mesh_ctx_fail(ctx, "ValueError", "no %s named '%s'", what, nm);
            ix[i] = k;
        }
        *out = ix;
        *count = (int)names->u.a.n;
        return 0;
    }
    const char *pat = names->u.s.ptr;
    int exact = cols ? glp_find_col(P, pat) : glp_find_row(P, pat);
    int n = cols ? glp_get_num_cols(P) : glp_get_num_rows(P);
    int *ix = mesh_arena_alloc(t, ((size_t)n + 1) * sizeof(int));
    if (!ix)
        return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    int c = 0;
    if (exact) {
        ix[c++] = exact;
    } else {
        for (int k = 1; k <= n; k++) {
            const char *nm = cols ? glp_get_col_name(P, k) : glp_get_row_name(P, k);
            if (nm && fnmatch(pat, nm, 0) == 0)
                ix[c++] = k;
        }
    }
    if (c == 0)
        return mesh_ctx_fail(ctx, "ValueError", "no %s matches '%s'", what, pat);
    *out = ix;
    *count = c;
    return 0;
}

static int read_values(mesh_ctx *ctx, const mesh_value *v, int count, mesh_arena *t, double **out)
{
    uint64_t n = v->kind == MESH_NDARRAY ? v->u.nd.shape[0] : v->u.a.n;
    if (n != 1 && n != (uint64_t)count)
        return mesh_ctx_fail(ctx, "ValueError", "values has %llu elements for %d names (give one per name, or one for all)",
                             (unsigned long long)n, count);
    double *d = mesh_arena_alloc(t, (size_t)count * sizeof(double));
    if (!d)
        return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    for (int i = 0; i < count; i++) {
        uint64_t k = n == 1 ? 0 : (uint64_t)i;
        d[i] = v->kind == MESH_NDARRAY ? ((const double *)v->u.nd.data)[k]
                                       : mesh_value_as_double(&v->u.a.items[k]);
        if (isnan(d[i]))
            return mesh_ctx_fail(ctx, "ValueError", "values must not be NaN");
    }
    *out = d;
    return 0;
}

typedef struct {
    lp_handle *h;
    const mesh_value *names, *values;
    int bound; /* 0 auto, 1 lower, 2 upper, 3 fixed */
    int updated;
} bounds_job;

/* The row-bound update rule (README): auto = fixed rows get the fixed value, >= rows their
 * lower bound, <= rows their upper bound, ranges their lower bound; free rows are refused. */
static int bounds_body(run *r, void *arg)
{
    bounds_job *b = arg;
    glp_prob *P = b->h->P;
    int *ix, count;
    double *vals;
    if (resolve_names(r->ctx, P, false, b->names, r->tmp, &ix, &count) != 0 ||
        read_values(r->ctx, b->values, count, r->tmp, &vals) != 0)
        return -1;
    int *types = mesh_arena_alloc(r->tmp, (size_t)count * sizeof(int));
    double *lbs = mesh_arena_alloc(r->tmp, (size_t)count * sizeof(double));
    double *ubs = mesh_arena_alloc(r->tmp, (size_t)count * sizeof(double));
    if (!types || !lbs || !ubs)
        return mesh_ctx_fail(r->ctx, "MemoryError", "out of memory");
    /* validate everything first: the update is all or nothing */
    for (int i = 0; i < count; i++) {
        int k = ix[i], type = glp_get_row_type(P, k);
        double lb = glp_get_row_lb(P, k), ub = glp_get_row_ub(P, k), v = vals[i];
        bool has_lb = type == GLP_LO || type == GLP_DB || type == GLP_FX;
        bool has_ub = type == GLP_UP || type == GLP_DB || type == GLP_FX;
        int mode = b->bound;
        if (mode == 0) {
            if (type == GLP_FR)
                return mesh_ctx_fail(r->ctx, "ValueError", "row '%s' is free (no bound to set); pass bound=\"lower\" or \"upper\"",
                                     glp_get_row_name(P, k));
            mode = type == GLP_FX ? 3 : type == GLP_UP ? 2 : 1;
        }
        if (mode == 3) {
            types[i] = GLP_FX;
            lbs[i] = ubs[i] = v;
            continue;
        }
        if (mode == 1) {
            lb = v;
            has_lb = !isinf(v);
            if (type == GLP_FX)
                has_ub = true;
        } else {
            ub = v;
            has_ub = !isinf(v);
            if (type == GLP_FX)
                has_lb = true;
        }
        if (has_lb && has_ub) {
            if (lb > ub)
                return mesh_ctx_fail(r->ctx, "ValueError", "row '%s': lower bound %g would exceed upper bound %g",
                                     glp_get_row_name(P, k), lb, ub);
            types[i] = lb == ub ? GLP_FX : GLP_DB;
        } else if (has_lb) {
            types[i] = GLP_LO;
        } else if (has_ub) {
            types[i] = GLP_UP;
        } else {
            types[i] = GLP_FR;
        }
        lbs[i] = has_lb ? lb : 0;
        ubs[i] = has_ub ? ub : 0;
    }
    for (int i = 0; i < count; i++)
        glp_set_row_bnds(P, ix[i], types[i], lbs[i], ubs[i]);
    b->updated = count;
    return 0;
}

static mesh_value *updated_value(mesh_ctx *ctx, int n)
{
    mesh_arena *a = mesh_ctx_arena(ctx);
    mesh_value *m = mesh_v_map(a, 1);
    if (!m || mesh_map_put(a, m, "updated", mesh_v_int(a, n)))
        return NULL;
    return m;
}

/* Runs fn(arg) for handle h under the guard; every handle job starts with the handle. */
static int run_on(mesh_ctx *ctx, lp_handle *h, body_fn fn, void *arg)
{
    *(lp_handle **)arg = h;
    run r;
    run_init(&r, ctx);
    if (!r.tmp)
        return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    int status;
    int rc = guarded(&r, fn, arg, &status);
    if (status != G_OK)
        rc = guarded_failure(&r, status);
    run_done(&r);
    return rc;
}

/* names, values, bound ("auto" when nil) -> {updated} */
static int set_row_bounds(mesh_ctx *ctx, lp_handle *h, const mesh_value *names, const mesh_value *values,
                          const mesh_value *bv, mesh_value **result)
{
    bounds_job b = {.names = names, .values = values};
    if (bv->kind == MESH_STR) {
        static const char *const M[] = {"auto", "lower", "upper", "fixed"};
        b.bound = -1;
        for (int i = 0; i < 4; i++)
            if (strcmp(bv->u.s.ptr, M[i]) == 0)
                b.bound = i;
        if (b.bound < 0)
            return mesh_ctx_fail(ctx, "ValueError", "bound must be \"auto\", \"lower\", \"upper\" or \"fixed\"");
    }
    if (run_on(ctx, h, bounds_body, &b) != 0)
        return -1;
    *result = updated_value(ctx, b.updated);
    return *result ? 0 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

/* set_row_bounds(handle, names, values, bound="auto") */
static int ep_set_row_bounds(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    lp_handle *h = find_handle(ctx, mesh_ctx_worker_data(ctx), &args->u.a.items[0]);
    return h ? set_row_bounds(ctx, h, &args->u.a.items[1], &args->u.a.items[2], &args->u.a.items[3], result) : -1;
}

typedef struct {
    lp_handle *h;
    const mesh_value *names, *values;
    int updated;
} obj_job;

static int obj_body(run *r, void *arg)
{
    obj_job *b = arg;
    int *ix, count;
    double *vals;
    if (resolve_names(r->ctx, b->h->P, true, b->names, r->tmp, &ix, &count) != 0 ||
        read_values(r->ctx, b->values, count, r->tmp, &vals) != 0)
        return -1;
    for (int i = 0; i < count; i++)
        if (isinf(vals[i]))
            return mesh_ctx_fail(r->ctx, "ValueError", "objective coefficients must be finite");
    for (int i = 0; i < count; i++)
        glp_set_obj_coef(b->h->P, ix[i], vals[i]);
    b->updated = count;
    return 0;
}

static int set_objective(mesh_ctx *ctx, lp_handle *h, const mesh_value *names, const mesh_value *values,
                         mesh_value **result)
{
    obj_job b = {.names = names, .values = values};
    if (run_on(ctx, h, obj_body, &b) != 0)
        return -1;
    *result = updated_value(ctx, b.updated);
    return *result ? 0 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

/* set_objective_coefficients(handle, names, values) */
static int ep_set_obj(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    lp_handle *h = find_handle(ctx, mesh_ctx_worker_data(ctx), &args->u.a.items[0]);
    return h ? set_objective(ctx, h, &args->u.a.items[1], &args->u.a.items[2], result) : -1;
}

typedef struct {
    lp_handle *h;
    bool warm;
    const solve_opts *o;
    solve_result res;
    bool used_warm;
} hsolve_job;

static int hsolve_body(run *r, void *arg)
{
    hsolve_job *j = arg;
    glp_prob *P = j->h->P;
    if (j->o->mem_limit_mb > 0)
        glp_mem_limit(j->o->mem_limit_mb);
    /* warm: GLPK starts from the basis kept in P. After bound or right-hand-side changes that
     * basis stays dual feasible, so a warm solve uses the dual simplex unless told otherwise. */
    j->used_warm = j->warm && j->h->has_basis && !j->o->interior;
    solve_opts o = *j->o;
    if (j->used_warm && j->h->optimal && !o.simplex_set)
        o.simplex_meth = GLP_DUALP;
    int rc = lp_solve(r, P, &o, j->used_warm, &j->res);
    /* only a simplex on the problem itself changes its basis (also when cancelled: the next warm
     * solve continues from where it stopped); the interior method and the MIP presolver work on
     * copies and leave the basis as it was */
    if (j->res.basis) {
        j->h->has_basis = true;
        j->h->optimal = rc == 0 && strcmp(j->res.status, "optimal") == 0;
    }
    if (rc != 0)
        return -1;
    j->h->sol = j->res.sol;
    j->h->status = j->res.status;
    j->h->objective = j->res.objective;
    return 0;
}

/* warm (true when nil), options -> {status, objective, solve_time, warm} */
static int solve_lp(mesh_ctx *ctx, lp_handle *h, const mesh_value *wv, const mesh_value *options, mesh_value **result)
{
    solve_opts o;
    if (parse_options(ctx, options, &o, false) != 0)
        return -1;
    hsolve_job j = {.warm = wv->kind != MESH_BOOL || wv->u.b, .o = &o};
    if (run_on(ctx, h, hsolve_body, &j) != 0)
        return -1;
    mesh_arena *a = mesh_ctx_arena(ctx);
    mesh_value *m = solve_summary(a, &j.res);
    if (!m || mesh_map_put(a, m, "warm", mesh_v_bool(a, j.used_warm)))
        return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    if (o.require_optimal && strcmp(j.res.status, "optimal") != 0)
        return mesh_ctx_fail(ctx, "glpk.SolverError", "the problem was not solved to optimality: status %s", j.res.status);
    *result = m;
    return 0;
}

/* solve_handle(handle, warm=true, options=nil) -> {status, objective, solve_time, warm} */
static int ep_solve_handle(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    lp_handle *h = find_handle(ctx, mesh_ctx_worker_data(ctx), &args->u.a.items[0]);
    return h ? solve_lp(ctx, h, &args->u.a.items[1], &args->u.a.items[2], result) : -1;
}

typedef struct {
    lp_handle *h;
    bool cols;
    const char *filter;
    mesh_value *out;
} get_job;

static int get_body(run *r, void *arg)
{
    get_job *g = arg;
    if (g->h->sol == 0)
        return mesh_ctx_fail(r->ctx, "glpk.HandleError", "handle %llu has no solution yet; call solve_handle first",
                             (unsigned long long)g->h->id);
    g->out = build_tables(r, g->h->P, g->cols, g->h->sol, g->cols ? &g->h->vars : &g->h->rows, g->filter);
    return g->out ? 0 : mesh_ctx_fail(r->ctx, "MemoryError", "out of memory");
}

/* {name: table} of columns (cols) or rows whose names match filter (nil: all) */
static int get_tables(mesh_ctx *ctx, lp_handle *h, bool cols, const mesh_value *f, mesh_value **result)
{
    get_job g = {.cols = cols, .filter = f->kind == MESH_STR ? f->u.s.ptr : NULL};
    if (run_on(ctx, h, get_body, &g) != 0)
        return -1;
    *result = g.out;
    return 0;
}

static int ep_get(const mesh_value *args, mesh_ctx *ctx, mesh_value **result, bool cols)
{
    lp_handle *h = find_handle(ctx, mesh_ctx_worker_data(ctx), &args->u.a.items[0]);
    return h ? get_tables(ctx, h, cols, &args->u.a.items[1], result) : -1;
}

static int ep_get_variables(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    return ep_get(args, ctx, result, true);
}

static int ep_get_duals(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    return ep_get(args, ctx, result, false);
}

/* release(handle) -> {released: true}; lost handles can be released too */
static int ep_release(const mesh_value *args, const mesh_value *kwargs, mesh_ctx *ctx, mesh_value **result)
{
    glpk_worker *w = mesh_ctx_worker_data(ctx);
    const mesh_value *hv = &args->u.a.items[0];
    for (lp_handle **pp = &w->handles; *pp; pp = &(*pp)->next) {
        lp_handle *h = *pp;
        if (hv->kind != MESH_INT || h->id != (uint64_t)hv->u.i)
            continue;
        if (h->proxy_owned)
            return mesh_ctx_fail(ctx, "glpk.HandleError", "handle %llu belongs to an LP proxy object: release the "
                                 "reference instead", (unsigned long long)h->id);
        *pp = h->next;
        handle_free(h);
        mesh_arena *a = mesh_ctx_arena(ctx);
        mesh_value *m = mesh_v_map(a, 1);
        if (!m || mesh_map_put(a, m, "released", mesh_v_bool(a, true)))
            return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
        *result = m;
        return 0;
    }
    return mesh_ctx_fail(ctx, "glpk.HandleError", "unknown handle (never loaded, or already released)");
}

/* ---- LP objects (protocol section 9): solver.Load(model, data...) -> LP ----------------------
 * An LP object owns one handle of the LP lane (proxy_owned, so the handle endpoints leave it
 * alone) and is known by the handle's id, not by pointer: after a GLPK fatal error on the lane
 * the handle stays in the list marked lost, and when the lane's thread has exited (kernel exit)
 * the handle is gone - in both cases the object's methods or destructor find out by lookup. Every
 * operation runs on the LP lane (the class's lane), where the handle's GLPK environment lives. */

typedef struct {
    uint64_t handle;
} lp_object;

static lp_handle *object_handle(mesh_ctx *ctx, mesh_object *self)
{
    const lp_object *lo = mesh_object_self(self);
    glpk_worker *w = mesh_ctx_worker_data(ctx);
    for (lp_handle *h = w->handles; h; h = h->next) {
        if (h->id != lo->handle)
            continue;
        if (h->lost) {
            mesh_ctx_fail(ctx, "glpk.HandleError", "this LP object is no longer valid: %s; load the model again",
                          h->lost_reason);
            return NULL;
        }
        return h;
    }
    mesh_ctx_fail(ctx, "glpk.HandleError", "the LP object's problem is gone (handle %llu)", (unsigned long long)lo->handle);
    return NULL;
}

static void lp_destroy(void *self, void *worker_data)
{
    lp_object *lo = self;
    if (worker_data)
        free_handle(worker_data, lo->handle);
    free(lo);
}

static int lp_set_row_bounds(mesh_object *self, const mesh_value *args, mesh_ctx *ctx, mesh_value **result)
{
    lp_handle *h = object_handle(ctx, self);
    return h ? set_row_bounds(ctx, h, &args->u.a.items[0], &args->u.a.items[1], &args->u.a.items[2], result) : -1;
}

static int lp_set_objective(mesh_object *self, const mesh_value *args, mesh_ctx *ctx, mesh_value **result)
{
    lp_handle *h = object_handle(ctx, self);
    return h ? set_objective(ctx, h, &args->u.a.items[0], &args->u.a.items[1], result) : -1;
}

static int lp_solve_method(mesh_object *self, const mesh_value *args, mesh_ctx *ctx, mesh_value **result)
{
    lp_handle *h = object_handle(ctx, self);
    return h ? solve_lp(ctx, h, &args->u.a.items[1], &args->u.a.items[0], result) : -1;
}

static int lp_variables(mesh_object *self, const mesh_value *args, mesh_ctx *ctx, mesh_value **result)
{
    lp_handle *h = object_handle(ctx, self);
    return h ? get_tables(ctx, h, true, &args->u.a.items[0], result) : -1;
}

static int lp_duals(mesh_object *self, const mesh_value *args, mesh_ctx *ctx, mesh_value **result)
{
    lp_handle *h = object_handle(ctx, self);
    return h ? get_tables(ctx, h, false, &args->u.a.items[0], result) : -1;
}

static int lp_status_attr(mesh_object *self, mesh_ctx *ctx, mesh_value **result)
{
    lp_handle *h = object_handle(ctx, self);
    if (!h)
        return -1;
    *result = mesh_v_str(mesh_ctx_arena(ctx), h->status ? h->status : "unsolved");
    return *result ? 0 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

static int lp_objective_attr(mesh_object *self, mesh_ctx *ctx, mesh_value **result)
{
    lp_handle *h = object_handle(ctx, self);
    if (!h)
        return -1;
    *result = mesh_v_f64(mesh_ctx_arena(ctx), h->objective);
    return *result ? 0 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

static int lp_rows_attr(mesh_object *self, mesh_ctx *ctx, mesh_value **result)
{
    lp_handle *h = object_handle(ctx, self);
    if (!h)
        return -1;
    *result = mesh_v_int(mesh_ctx_arena(ctx), glp_get_num_rows(h->P));
    return *result ? 0 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

static int lp_columns_attr(mesh_object *self, mesh_ctx *ctx, mesh_value **result)
{
    lp_handle *h = object_handle(ctx, self);
    if (!h)
        return -1;
    *result = mesh_v_int(mesh_ctx_arena(ctx), glp_get_num_cols(h->P));
    return *result ? 0 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

static const mesh_param P_LP_BOUNDS[] = {
    {"names", MESH_T_STR_OR_ARRAY, true, "str (name or glob) | str[]"},
    {"values", MESH_T_F64_VECTOR, true, NULL},
    {"bound", MESH_T_STR, false, "str (auto|lower|upper|fixed)"},
};
static const mesh_param P_LP_OBJ[] = {
    {"names", MESH_T_STR_OR_ARRAY, true, "str (name or glob) | str[]"},
    {"values", MESH_T_F64_VECTOR, true, NULL},
};
static const mesh_param P_LP_SOLVE[] = {
    {"options", MESH_T_MAP, false, "map"},
    {"warm", MESH_T_BOOL, false, NULL},
};
static const mesh_param P_LP_FILTER[] = {
    {"filter", MESH_T_STR, false, "str (name prefix or glob)"},
};

static const mesh_method LP_METHODS[] = {
    {"SetRowBounds", P_LP_BOUNDS, 3, lp_set_row_bounds, "set row bounds (the row-bound rule in README) -> {updated}"},
    {"SetObjectiveCoefficients", P_LP_OBJ, 2, lp_set_objective, "set objective coefficients of columns -> {updated}"},
    {"Solve", P_LP_SOLVE, 2, lp_solve_method, "solve, warm from the last basis unless warm=false -> {status, objective, solve_time, warm}"},
    {"Variables", P_LP_FILTER, 1, lp_variables, "{variable: table of index columns, value, reduced_cost}"},
    {"Duals", P_LP_FILTER, 1, lp_duals, "{constraint: table of index columns, dual, activity}"},
};

static const mesh_attribute LP_ATTRS[] = {
    {"Status", lp_status_attr, NULL},
    {"Objective", lp_objective_attr, NULL},
    {"Rows", lp_rows_attr, NULL},
    {"Columns", lp_columns_attr, NULL},
};

static const mesh_class LP_CLASS = {
    .name = "glpk.LP",
    .lane = LANE_LP,
    .thread_bound = true,
    .methods = LP_METHODS,
    .nmethods = sizeof LP_METHODS / sizeof LP_METHODS[0],
    .attrs = LP_ATTRS,
    .nattrs = sizeof LP_ATTRS / sizeof LP_ATTRS[0],
    .destroy = lp_destroy,
};

/* solver.Load(model, data=nil, options=nil) -> a new LP object */
static int solver_load(mesh_object *self, const mesh_value *args, mesh_ctx *ctx, mesh_value **result)
{
    lp_object *lo = malloc(sizeof *lo);
    if (!lo)
        return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    lp_handle *h;
    if (load_lp(ctx, &args->u.a.items[0], &args->u.a.items[1], &args->u.a.items[2], true, &h) != 0) {
        free(lo);
        return -1;
    }
    lo->handle = h->id;
    mesh_object *o = mesh_object_new(&LP_CLASS, lo);
    if (!o) {
        free_handle(mesh_ctx_worker_data(ctx), h->id);
        free(lo);
        return mesh_ctx_fail(ctx, "MemoryError", "out of memory");
    }
    *result = mesh_v_object_take(mesh_ctx_arena(ctx), o);
    return *result ? 0 : mesh_ctx_fail(ctx, "MemoryError", "out of memory");
}

static const mesh_param P_LOAD[] = {
    {"model", MESH_T_STR, true, "str (GMPL text or path)"},
    {"data", MESH_T_STR_OR_ARRAY, false, "str | str[] (GMPL data text or paths)"},
    {"options", MESH_T_MAP, false, "map"},
};

static const mesh_method SOLVER_METHODS[] = {
    {"Load", P_LOAD, 3, solver_load, "translate a GMPL model (+ data) into an LP object kept in the kernel"},
};

/* The root has no state of its own; Load runs on the LP lane, where the new problem must live. */
static const mesh_class SOLVER_CLASS = {
    .name = "glpk.Solver",
    .lane = LANE_LP,
    .methods = SOLVER_METHODS,
    .nmethods = 1,
};

int glpk_proxies_export(mesh_proxy *px)
{
    mesh_object *solver = mesh_object_new(&SOLVER_CLASS, NULL);
    int rc = solver ? mesh_proxy_export_object(px, "solver", solver) : -1;
    mesh_object_unref(solver);
    return rc;
}

/* ---- registration ------------------------------------------------------------------------ */

static const mesh_param P_SOLVE[] = {
    {"model", MESH_T_STR, true, "str (GMPL text or path)"},
    {"data", MESH_T_STR_OR_ARRAY, false, "str | str[] (GMPL data text or paths)"},
    {"options", MESH_T_MAP, false, "map"},
};
static const mesh_param P_BOUNDS[] = {
    {"handle", MESH_T_INT, true, NULL},
    {"names", MESH_T_STR_OR_ARRAY, true, "str (name or glob) | str[]"},
    {"values", MESH_T_F64_VECTOR, true, NULL},
    {"bound", MESH_T_STR, false, "str (auto|lower|upper|fixed)"},
};
static const mesh_param P_OBJ[] = {
    {"handle", MESH_T_INT, true, NULL},
    {"names", MESH_T_STR_OR_ARRAY, true, "str (name or glob) | str[]"},
    {"values", MESH_T_F64_VECTOR, true, NULL},
};
static const mesh_param P_HSOLVE[] = {
    {"handle", MESH_T_INT, true, NULL},
    {"warm", MESH_T_BOOL, false, NULL},
    {"options", MESH_T_MAP, false, "map"},
};
static const mesh_param P_GET[] = {
    {"handle", MESH_T_INT, true, NULL},
    {"filter", MESH_T_STR, false, "str (name prefix or glob)"},
};
static const mesh_param P_HANDLE[] = {
    {"handle", MESH_T_INT, true, NULL},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

int glpk_endpoints_register(mesh_dispatch *d, bool glpk_tls)
{
    const mesh_endpoint eps[] = {
        {"solve", P_SOLVE, N(P_SOLVE),
         "Translate and solve a GMPL model; returns status, objective, variables, constraints and the CSV tables the model wrote.",
         ep_solve, glpk_tls ? LANE_GENERAL : LANE_LP, NULL, NULL},
        {"load", P_SOLVE, N(P_SOLVE), "Translate a GMPL model and keep it as an LP handle.", ep_load, LANE_LP, NULL, NULL},
        {"set_row_bounds", P_BOUNDS, N(P_BOUNDS), "Set row bounds of a loaded LP (rule in README).",
         ep_set_row_bounds, LANE_LP, NULL, NULL},
        {"set_objective_coefficients", P_OBJ, N(P_OBJ), "Set objective coefficients of columns of a loaded LP.",
         ep_set_obj, LANE_LP, NULL, NULL},
        {"solve_handle", P_HSOLVE, N(P_HSOLVE), "Solve a loaded LP, warm-started from its last basis by default.",
         ep_solve_handle, LANE_LP, NULL, NULL},
        {"get_variables", P_GET, N(P_GET), "Variable values and reduced costs of a loaded LP, as tables.",
         ep_get_variables, LANE_LP, NULL, NULL},
        {"get_duals", P_GET, N(P_GET), "Row duals and activities of a loaded LP, as tables.", ep_get_duals, LANE_LP, NULL, NULL},
        {"release", P_HANDLE, N(P_HANDLE), "Free a loaded LP.", ep_release, LANE_LP, NULL, NULL},
    };
    for (size_t i = 0; i < N(eps); i++)
        if (mesh_dispatch_add(d, &eps[i]) != 0)
            return -1;
    return 0;
}

int glpk_endpoints_init(const char *kernel_id)
{
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return -1;
    g_base_dir = strdup(cwd);
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    char safe[64];
    size_t n = 0;
    for (const char *p = kernel_id; *p && n < sizeof safe - 1; p++)
        safe[n++] = (isalnum((unsigned char)*p) || *p == '-' || *p == '_') ? *p : '_';
    safe[n] = 0;
    char tmpl[PATH_MAX];
    snprintf(tmpl, sizeof tmpl, "%s/mesh-glpk-%s-XXXXXX", tmp, safe);
    if (!mkdtemp(tmpl))
        return -1;
    g_tmp_root = strdup(tmpl);
    return g_base_dir && g_tmp_root ? 0 : -1;
}

void glpk_endpoints_fini(void)
{
    if (g_tmp_root)
        glpk_rmtree(g_tmp_root);
    free(g_tmp_root);
    free(g_base_dir);
    g_tmp_root = g_base_dir = NULL;
}
