/* glpk_model.c - GMPL declaration scan and GLPK name splitting. */
#define _GNU_SOURCE
#include "glpk_model.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { T_IDENT, T_NUM, T_STR, T_PUNCT } tkind;

typedef struct {
    tkind kind;
    const char *p;
    size_t len;
} token;

typedef struct {
    token *t;
    size_t n, cap;
} tokens;

static int push(tokens *ts, tkind k, const char *p, size_t len)
{
    if (ts->n == ts->cap) {
        size_t nc = ts->cap ? ts->cap * 2 : 256;
        token *nt = realloc(ts->t, nc * sizeof *nt);
        if (!nt)
            return -1;
        ts->t = nt;
        ts->cap = nc;
    }
    ts->t[ts->n++] = (token){k, p, len};
    return 0;
}

static bool is_id0(char c) { return isalpha((unsigned char)c) || c == '_'; }
static bool is_id(char c) { return isalnum((unsigned char)c) || c == '_'; }

static void tokenize(const char *s, size_t len, tokens *ts)
{
    size_t i = 0;
    while (i < len) {
        char c = s[i];
        if (isspace((unsigned char)c)) {
            i++;
        } else if (c == '#') {
            while (i < len && s[i] != '\n')
                i++;
        } else if (c == '/' && i + 1 < len && s[i + 1] == '*') {
            i += 2;
            while (i + 1 < len && !(s[i] == '*' && s[i + 1] == '/'))
                i++;
            i += 2;
        } else if (c == '\'' || c == '"') {
            size_t st = i++;
            while (i < len) {
                if (s[i] == c) {
                    if (i + 1 < len && s[i + 1] == c) {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i++;
            }
            i++;
            if (push(ts, T_STR, s + st, (i > len ? len : i) - st))
                return;
        } else if (is_id0(c)) {
            size_t st = i;
            while (i < len && is_id(s[i]))
                i++;
            if (push(ts, T_IDENT, s + st, i - st))
                return;
        } else if (isdigit((unsigned char)c)) {
            size_t st = i;
            while (i < len && isdigit((unsigned char)s[i]))
                i++;
            if (i + 1 < len && s[i] == '.' && isdigit((unsigned char)s[i + 1])) {
                i++;
                while (i < len && isdigit((unsigned char)s[i]))
                    i++;
            }
            if (i < len && (s[i] == 'e' || s[i] == 'E')) {
                size_t j = i + 1;
                if (j < len && (s[j] == '+' || s[j] == '-'))
                    j++;
                if (j < len && isdigit((unsigned char)s[j])) {
                    i = j;
                    while (i < len && isdigit((unsigned char)s[i]))
                        i++;
                }
            }
            if (push(ts, T_NUM, s + st, i - st))
                return;
        } else {
            if (push(ts, T_PUNCT, s + i, 1))
                return;
            i++;
        }
    }
}

static bool is(const token *t, const char *word)
{
    size_t n = strlen(word);
    return t->len == n && memcmp(t->p, word, n) == 0;
}

static bool punct(const token *t, char c)
{
    return t->kind == T_PUNCT && t->p[0] == c;
}

static char *tokdup(const token *t)
{
    return strndup(t->p, t->len);
}

static void add_decl(gmpl_decls *d, gmpl_decl decl)
{
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 16;
        gmpl_decl *nv = realloc(d->v, nc * sizeof *nv);
        if (!nv) {
            free(decl.name);
            for (int i = 0; i < decl.ndims; i++) {
                free(decl.dummy[i]);
                free(decl.set[i]);
            }
            free(decl.dummy);
            free(decl.set);
            return;
        }
        d->v = nv;
        d->cap = nc;
    }
    d->v[d->n++] = decl;
}

static void add_dim(gmpl_decl *d, char *dummy, char *set)
{
    char **nd = realloc(d->dummy, (size_t)(d->ndims + 1) * sizeof(char *));
    if (nd)
        d->dummy = nd;
    char **ns = realloc(d->set, (size_t)(d->ndims + 1) * sizeof(char *));
    if (ns)
        d->set = ns;
    if (!nd || !ns) {
        free(dummy);
        free(set);
        return;
    }
    d->dummy[d->ndims] = dummy;
    d->set[d->ndims] = set;
    d->ndims++;
}

static void unknown_dims(gmpl_decl *d)
{
    for (int x = 0; x < d->ndims; x++) {
        free(d->dummy[x]);
        free(d->set[x]);
    }
    d->ndims = -1;
}

/* Parses the indexing expression t[0..n) (without the braces) into dimensions. */
static void parse_domain(const token *t, size_t n, gmpl_decl *d)
{
    size_t i = 0;
    while (i < n) {
        /* one element: up to a depth-0 ',' or ':' */
        size_t st = i;
        int depth = 0;
        while (i < n) {
            if (t[i].kind == T_PUNCT) {
                char c = t[i].p[0];
                if (c == '(' || c == '[' || c == '{')
                    depth++;
                else if (c == ')' || c == ']' || c == '}')
                    depth--;
                else if (depth == 0 && (c == ',' || c == ':'))
                    break;
            }
            i++;
        }
        size_t en = i;
        const token *e = t + st;
        size_t m = en - st;
        if (m >= 3 && e[0].kind == T_IDENT && e[1].kind == T_IDENT && is(&e[1], "in")) {
            char *set = (m == 3 && e[2].kind == T_IDENT) ? tokdup(&e[2]) : NULL;
            add_dim(d, tokdup(&e[0]), set);
        } else if (m >= 1 && punct(&e[0], '(')) {
            size_t k = 1;
            while (k < m && !punct(&e[k], ')')) {
                if (e[k].kind == T_IDENT)
                    add_dim(d, tokdup(&e[k]), NULL);
                else if (!punct(&e[k], ',')) {
                    unknown_dims(d); /* not a plain tuple of dummies */
                    return;
                }
                k++;
            }
        } else if (m == 1 && e[0].kind == T_IDENT) {
            add_dim(d, NULL, tokdup(&e[0])); /* {I}: one dimension if I is a plain set */
        } else {
            unknown_dims(d);
            return;
        }
        if (i < n && punct(&t[i], ':'))
            return; /* the rest is the predicate */
        i++; /* skip ',' */
    }
}

static const char *const SKIP[] = {"set", "param", "check", "display", "printf", "for", "table",
                                   "solve", NULL};

void gmpl_scan(const char *text, size_t len, gmpl_decls *vars, gmpl_decls *rows)
{
    tokens ts = {0};
    tokenize(text, len, &ts);
    size_t i = 0;
    while (i < ts.n) {
        /* statement [i, j) */
        size_t j = i;
        int depth = 0;
        while (j < ts.n) {
            if (punct(&ts.t[j], '{'))
                depth++;
            else if (punct(&ts.t[j], '}'))
                depth--;
            else if (depth <= 0 && punct(&ts.t[j], ';'))
                break;
            j++;
        }
        const token *s = ts.t + i;
        size_t m = j - i;
        size_t next = j + 1;
        if (m == 0 || s[0].kind != T_IDENT) {
            i = next;
            continue;
        }
        if (is(&s[0], "data") || is(&s[0], "end"))
            break;
        bool skip = false;
        for (int k = 0; SKIP[k]; k++)
            if (is(&s[0], SKIP[k]))
                skip = true;
        size_t p = 0;
        bool bare = false;
        gmpl_decls *target = NULL;
        if (skip) {
            i = next;
            continue;
        }
        if (is(&s[0], "var")) {
            target = vars;
            p = 1;
        } else if (m > 4 && is(&s[0], "s") && punct(&s[1], '.') && is(&s[2], "t") && punct(&s[3], '.')) {
            target = rows;
            p = 4;
        } else if (m > 2 && (is(&s[0], "subject") || is(&s[0], "subj")) && is(&s[1], "to")) {
            target = rows;
            p = 2;
        } else if (is(&s[0], "minimize") || is(&s[0], "maximize")) {
            target = rows;
            p = 1;
        } else {
            target = rows; /* a constraint without keyword: name [alias] [domain] : ... */
            p = 0;
            bare = true;
        }
        if (p >= m || s[p].kind != T_IDENT) {
            i = next;
            continue;
        }
        gmpl_decl d = {.name = tokdup(&s[p])};
        if (!d.name) {
            i = next;
            continue;
        }
        p++;
        if (p < m && s[p].kind == T_STR)
            p++;
        if (p < m && punct(&s[p], '{')) {
            size_t q = p + 1;
            int dd = 1;
            while (q < m && dd > 0) {
                if (punct(&s[q], '{'))
                    dd++;
                else if (punct(&s[q], '}'))
                    dd--;
                if (dd > 0)
                    q++;
            }
            parse_domain(s + p + 1, q - p - 1, &d);
            p = q + 1;
        }
        /* a keyword-less statement must continue with ':' to be a constraint */
        if (bare && !(p < m && punct(&s[p], ':'))) {
            for (int x = 0; x < d.ndims; x++) {
                free(d.dummy[x]);
                free(d.set[x]);
            }
            free(d.dummy);
            free(d.set);
            free(d.name);
            i = next;
            continue;
        }
        add_decl(target, d);
        i = next;
    }
    free(ts.t);
}

void gmpl_decls_free(gmpl_decls *d)
{
    for (size_t i = 0; i < d->n; i++) {
        gmpl_decl *x = &d->v[i];
        for (int k = 0; k < x->ndims; k++) {
            free(x->dummy[k]);
            free(x->set[k]);
        }
        free(x->dummy);
        free(x->set);
        free(x->name);
    }
    free(d->v);
    memset(d, 0, sizeof *d);
}

const gmpl_decl *gmpl_find(const gmpl_decls *d, const char *name)
{
    for (size_t i = 0; d && i < d->n; i++)
        if (strcmp(d->v[i].name, name) == 0)
            return &d->v[i];
    return NULL;
}

bool gmpl_mentions_param(const char *text, size_t len, const char *name)
{
    tokens ts = {0};
    tokenize(text, len, &ts);
    bool found = false;
    for (size_t i = 0; i + 1 < ts.n && !found; i++)
        if (ts.t[i].kind == T_IDENT && is(&ts.t[i], "param") && is(&ts.t[i + 1], name))
            found = true;
    free(ts.t);
    return found;
}

static bool usable(const char *const *names, int k, const char *const *reserved)
{
    for (int i = 0; i < k; i++) {
        if (!names[i] || !names[i][0])
            return false;
        for (int j = 0; j < i; j++)
            if (strcmp(names[i], names[j]) == 0)
                return false;
        for (int r = 0; reserved && reserved[r]; r++)
            if (strcmp(names[i], reserved[r]) == 0)
                return false;
    }
    return true;
}

void gmpl_index_names(const gmpl_decl *d, int k, const char *const *reserved, mesh_arena *a,
                      const char **out)
{
    if (d && d->ndims == k && k > 0) {
        const char **cand = mesh_arena_alloc(a, (size_t)k * sizeof(char *));
        if (cand) {
            for (int i = 0; i < k; i++)
                cand[i] = d->set[i] ? d->set[i] : d->dummy[i];
            if (usable(cand, k, reserved)) {
                memcpy(out, cand, (size_t)k * sizeof(char *));
                return;
            }
            for (int i = 0; i < k; i++)
                cand[i] = d->dummy[i];
            if (usable(cand, k, reserved)) {
                memcpy(out, cand, (size_t)k * sizeof(char *));
                return;
            }
        }
    }
    for (int i = 0; i < k; i++)
        out[i] = mesh_arena_printf(a, "i%d", i + 1);
}

int glpk_split_name(const char *name, mesh_arena *a, const char **base, const char ***idx, int *k)
{
    const char *br = strchr(name, '[');
    *k = 0;
    *idx = NULL;
    if (!br) {
        *base = name;
        return 0;
    }
    *base = mesh_arena_strndup(a, name, (size_t)(br - name));
    size_t len = strlen(br);
    char *buf = mesh_arena_alloc(a, len + 1);
    int cap = 4, n = 0;
    const char **items = mesh_arena_alloc(a, (size_t)cap * sizeof(char *));
    if (!*base || !buf || !items)
        return -1;
    const char *p = br + 1;
    for (;;) {
        char *o = buf;
        if (*p == '\'') {
            p++;
            for (;;) {
                if (!*p)
                    return -1;
                if (*p == '\'') {
                    if (p[1] == '\'') {
                        *o++ = '\'';
                        p += 2;
                        continue;
                    }
                    p++;
                    break;
                }
                *o++ = *p++;
            }
        } else {
            while (*p && *p != ',' && *p != ']')
                *o++ = *p++;
        }
        *o = 0;
        if (n == cap) {
            int nc = cap * 2;
            const char **ni = mesh_arena_alloc(a, (size_t)nc * sizeof(char *));
            if (!ni)
                return -1;
            memcpy(ni, items, (size_t)n * sizeof(char *));
            items = ni;
            cap = nc;
        }
        items[n++] = mesh_arena_strdup(a, buf);
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == ']' && p[1] == 0)
            break;
        return -1;
    }
    *idx = items;
    *k = n;
    return 0;
}
