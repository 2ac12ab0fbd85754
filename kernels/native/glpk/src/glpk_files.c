/* glpk_files.c - fopen/fclose interposition for per-task GLPK file redirection; CSV tables. */
#define _GNU_SOURCE
#include "glpk_files.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static FILE *(*real_fopen)(const char *, const char *);
static int (*real_fclose)(FILE *);
static pthread_once_t real_once = PTHREAD_ONCE_INIT;
static __thread glpk_files *tls_files;

static void find_real(void)
{
    real_fopen = (FILE * (*)(const char *, const char *)) dlsym(RTLD_NEXT, "fopen");
    real_fclose = (int (*)(FILE *))dlsym(RTLD_NEXT, "fclose");
    if (!real_fopen || !real_fclose)
        abort();
}

void glpk_files_use(glpk_files *f)
{
    pthread_once(&real_once, find_real);
    tls_files = f;
}

static void track_open(glpk_files *f, FILE *fp)
{
    if (f->nopen == f->capopen) {
        size_t nc = f->capopen ? f->capopen * 2 : 8;
        FILE **n = realloc(f->open, nc * sizeof *n);
        if (!n)
            return;
        f->open = n;
        f->capopen = nc;
    }
    f->open[f->nopen++] = fp;
}

static void track_written(glpk_files *f, const char *given, const char *path)
{
    for (size_t i = 0; i < f->nwritten; i++)
        if (strcmp(f->written[i].path, path) == 0)
            return;
    if (f->nwritten == f->capwritten) {
        size_t nc = f->capwritten ? f->capwritten * 2 : 8;
        glpk_written *n = realloc(f->written, nc * sizeof *n);
        if (!n)
            return;
        f->written = n;
        f->capwritten = nc;
    }
    glpk_written *w = &f->written[f->nwritten];
    w->given = strdup(given);
    w->path = strdup(path);
    if (!w->given || !w->path) {
        free(w->given);
        free(w->path);
        return;
    }
    f->nwritten++;
}

static bool exists(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0;
}

FILE *fopen(const char *path, const char *mode)
{
    pthread_once(&real_once, find_real);
    glpk_files *f = tls_files;
    if (!f || !path || !mode)
        return real_fopen(path, mode);
    bool writing = mode[0] == 'w' || mode[0] == 'a';
    char buf[PATH_MAX];
    const char *use = path;
    if (path[0] != '/' && path[0] != 0) {
        if (writing) {
            snprintf(buf, sizeof buf, "%s/%s", f->out_dir, path);
            use = buf;
        } else {
            const char *dirs[3] = {f->out_dir, f->model_dir, f->base_dir};
            for (int i = 0; i < 3; i++) {
                if (!dirs[i])
                    continue;
                snprintf(buf, sizeof buf, "%s/%s", dirs[i], path);
                use = buf;
                if (exists(buf))
                    break;
            }
        }
    }
    FILE *fp = real_fopen(use, mode);
    if (fp) {
        track_open(f, fp);
        if (writing)
            track_written(f, path, use);
    }
    return fp;
}

int fclose(FILE *fp)
{
    pthread_once(&real_once, find_real);
    glpk_files *f = tls_files;
    if (f && fp) {
        for (size_t i = 0; i < f->nopen; i++) {
            if (f->open[i] == fp) {
                f->open[i] = f->open[--f->nopen];
                break;
            }
        }
    }
    return real_fclose(fp);
}

void glpk_files_release(glpk_files *f)
{
    pthread_once(&real_once, find_real);
    for (size_t i = 0; i < f->nopen; i++)
        real_fclose(f->open[i]);
    free(f->open);
    f->open = NULL;
    f->nopen = f->capopen = 0;
    for (size_t i = 0; i < f->nwritten; i++) {
        free(f->written[i].given);
        free(f->written[i].path);
    }
    free(f->written);
    f->written = NULL;
    f->nwritten = f->capwritten = 0;
}

int glpk_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char child[PATH_MAX];
        if (snprintf(child, sizeof child, "%s/%s", path, e->d_name) >= (int)sizeof child) {
            rc = -1;
            continue;
        }
        if (glpk_rmtree(child) != 0)
            rc = -1;
    }
    closedir(d);
    if (rmdir(path) != 0)
        rc = -1;
    return rc;
}

char *glpk_read_file(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
        close(fd);
        errno = EFBIG;
        return NULL;
    }
    size_t n = (size_t)st.st_size;
    char *buf = malloc(n + 1);
    if (!buf) {
        close(fd);
        return NULL;
    }
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = 0;
    if (len)
        *len = got;
    return buf;
}

/* ---- CSV -------------------------------------------------------------------------------- */

typedef struct {
    const char *text;
    uint32_t len;
    bool quoted;
} field;

typedef struct {
    field *f;
    size_t n, cap;
} row;

static int row_push(row *r, field f)
{
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 8;
        field *nf = realloc(r->f, nc * sizeof *nf);
        if (!nf)
            return -1;
        r->f = nf;
        r->cap = nc;
    }
    r->f[r->n++] = f;
    return 0;
}

/* Parses one record starting at *pos; fields are copied into the arena. Returns 1 when a
 * record was read, 0 at the end, -1 on error. */
static int csv_record(mesh_arena *a, const char *s, size_t len, size_t *pos, row *r)
{
    size_t i = *pos;
    r->n = 0;
    /* skip blank lines */
    while (i < len && (s[i] == '\n' || s[i] == '\r'))
        i++;
    if (i >= len) {
        *pos = i;
        return 0;
    }
    char *tmp = malloc(len - i + 1);
    if (!tmp)
        return -1;
    for (;;) {
        size_t o = 0;
        bool quoted = false;
        if (i < len && s[i] == '"') {
            quoted = true;
            i++;
            for (;;) {
                if (i >= len) {
                    free(tmp);
                    return -1; /* unterminated quote */
                }
                if (s[i] == '"') {
                    if (i + 1 < len && s[i + 1] == '"') {
                        tmp[o++] = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                tmp[o++] = s[i++];
            }
        } else {
            while (i < len && s[i] != ',' && s[i] != '\n' && s[i] != '\r')
                tmp[o++] = s[i++];
        }
        char *copy = mesh_arena_strndup(a, tmp, o);
        if (!copy || row_push(r, (field){copy, (uint32_t)o, quoted}) != 0) {
            free(tmp);
            return -1;
        }
        if (i < len && s[i] == ',') {
            i++;
            continue;
        }
        if (i < len && s[i] == '\r')
            i++;
        if (i < len && s[i] == '\n')
            i++;
        else if (i < len) {
            free(tmp);
            return -1; /* garbage after a quoted field */
        }
        break;
    }
    free(tmp);
    *pos = i;
    return 1;
}

static bool parse_number(const field *f, double *out)
{
    if (f->quoted || f->len == 0)
        return false;
    char *end;
    errno = 0;
    double v = strtod(f->text, &end);
    if (end != f->text + f->len)
        return false;
    *out = v;
    return true;
}

mesh_value *glpk_csv_table(mesh_arena *a, const char *text, size_t len, char *err, size_t errlen)
{
    row hdr = {0}, r = {0};
    field *cells = NULL;
    size_t ncells = 0, capcells = 0, nrows = 0;
    size_t pos = 0;
    mesh_value *t = NULL;
    if (len >= 3 && (unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF)
        pos = 3;
    int rc = csv_record(a, text, len, &pos, &hdr);
    if (rc <= 0) {
        snprintf(err, errlen, rc == 0 ? "empty CSV file" : "malformed CSV header");
        goto done;
    }
    size_t nc = hdr.n;
    while ((rc = csv_record(a, text, len, &pos, &r)) == 1) {
        if (r.n != nc) {
            snprintf(err, errlen, "CSV row %zu has %zu fields, header has %zu", nrows + 1, r.n, nc);
            goto done;
        }
        if (ncells + nc > capcells) {
            size_t ncap = capcells ? capcells * 2 : 64;
            while (ncap < ncells + nc)
                ncap *= 2;
            field *n = realloc(cells, ncap * sizeof *n);
            if (!n)
                goto oom;
            cells = n;
            capcells = ncap;
        }
        memcpy(cells + ncells, r.f, nc * sizeof(field));
        ncells += nc;
        nrows++;
    }
    if (rc < 0) {
        snprintf(err, errlen, "malformed CSV near row %zu", nrows + 1);
        goto done;
    }
    t = mesh_v_table(a, (uint32_t)nc, nrows);
    if (!t)
        goto oom;
    for (size_t c = 0; c < nc; c++) {
        bool numeric = true;
        for (size_t i = 0; i < nrows && numeric; i++) {
            double v;
            numeric = parse_number(&cells[i * nc + c], &v);
        }
        mesh_value *col;
        if (numeric) {
            uint64_t shape[1] = {nrows};
            col = mesh_v_ndarray(a, MESH_DT_FLOAT64, 1, shape);
            if (!col)
                goto oom;
            double *d = col->u.nd.data;
            for (size_t i = 0; i < nrows; i++)
                parse_number(&cells[i * nc + c], &d[i]);
        } else {
            col = mesh_v_array(a, (uint32_t)nrows);
            if (!col)
                goto oom;
            for (size_t i = 0; i < nrows; i++) {
                const field *f = &cells[i * nc + c];
                mesh_value *s = mesh_v_strn(a, f->text, f->len);
                if (!s || mesh_array_push(a, col, s))
                    goto oom;
            }
        }
        /* unique, non-empty column names */
        char name[256];
        snprintf(name, sizeof name, "%s", hdr.f[c].len ? hdr.f[c].text : "column");
        for (int k = 2;; k++) {
            bool dup = false;
            for (size_t p = 0; p < c && !dup; p++)
                dup = strcmp(t->u.t.names[p].u.s.ptr, name) == 0;
            if (!dup)
                break;
            snprintf(name, sizeof name, "%s_%d", hdr.f[c].len ? hdr.f[c].text : "column", k);
        }
        if (mesh_table_set(a, t, (uint32_t)c, name, col) != 0)
            goto oom;
    }
    goto done;
oom:
    snprintf(err, errlen, "out of memory");
    t = NULL;
done:
    free(hdr.f);
    free(r.f);
    free(cells);
    return t;
}
