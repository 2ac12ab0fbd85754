/* json.c - a small recursive JSON reader (tests only). */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const char *p, *end;
    bool err;
} rd;

static void ws(rd *r)
{
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
        r->p++;
}

static void parse(rd *r, jval *v);

static unsigned hex4(rd *r)
{
    unsigned x = 0;
    for (int i = 0; i < 4; i++) {
        if (r->p >= r->end) {
            r->err = true;
            return 0;
        }
        char c = *r->p++;
        x <<= 4;
        if (c >= '0' && c <= '9') x |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') x |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') x |= (unsigned)(c - 'A' + 10);
        else r->err = true;
    }
    return x;
}

static char *str(rd *r, size_t *len)
{
    r->p++; /* '"' */
    size_t cap = 64, n = 0;
    char *o = malloc(cap);
    while (r->p < r->end && *r->p != '"') {
        if (n + 5 > cap)
            o = realloc(o, cap *= 2);
        char c = *r->p++;
        if (c != '\\') {
            o[n++] = c;
            continue;
        }
        char e = *r->p++;
        switch (e) {
        case 'n': o[n++] = '\n'; break;
        case 't': o[n++] = '\t'; break;
        case 'r': o[n++] = '\r'; break;
        case 'b': o[n++] = '\b'; break;
        case 'f': o[n++] = '\f'; break;
        case 'u': {
            unsigned cp = hex4(r);
            if (cp >= 0xD800 && cp <= 0xDBFF && r->p + 6 <= r->end && r->p[0] == '\\' && r->p[1] == 'u') {
                r->p += 2;
                unsigned lo = hex4(r);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (cp < 0x80) o[n++] = (char)cp;
            else if (cp < 0x800) { o[n++] = (char)(0xC0 | (cp >> 6)); o[n++] = (char)(0x80 | (cp & 63)); }
            else if (cp < 0x10000) { o[n++] = (char)(0xE0 | (cp >> 12)); o[n++] = (char)(0x80 | ((cp >> 6) & 63)); o[n++] = (char)(0x80 | (cp & 63)); }
            else { o[n++] = (char)(0xF0 | (cp >> 18)); o[n++] = (char)(0x80 | ((cp >> 12) & 63)); o[n++] = (char)(0x80 | ((cp >> 6) & 63)); o[n++] = (char)(0x80 | (cp & 63)); }
            break;
        }
        default: o[n++] = e;
        }
    }
    r->p++;
    o[n] = 0;
    *len = n;
    return o;
}

static void parse(rd *r, jval *v)
{
    memset(v, 0, sizeof *v);
    ws(r);
    if (r->p >= r->end) {
        r->err = true;
        return;
    }
    char c = *r->p;
    if (c == '"') {
        v->type = J_STR;
        v->s = str(r, &v->slen);
    } else if (c == '{' || c == '[') {
        bool obj = c == '{';
        v->type = obj ? J_OBJ : J_ARR;
        r->p++;
        size_t cap = 8;
        v->items = malloc(cap * sizeof(jval));
        if (obj)
            v->keys = malloc(cap * sizeof(char *));
        ws(r);
        if (r->p < r->end && *r->p == (obj ? '}' : ']')) {
            r->p++;
            return;
        }
        for (;;) {
            if (v->n == cap) {
                cap *= 2;
                v->items = realloc(v->items, cap * sizeof(jval));
                if (obj)
                    v->keys = realloc(v->keys, cap * sizeof(char *));
            }
            if (obj) {
                ws(r);
                size_t kl;
                v->keys[v->n] = str(r, &kl);
                ws(r);
                r->p++; /* ':' */
            }
            parse(r, &v->items[v->n]);
            v->n++;
            ws(r);
            if (r->p < r->end && *r->p == ',') {
                r->p++;
                continue;
            }
            r->p++; /* closing */
            break;
        }
    } else if (!strncmp(r->p, "true", 4)) {
        v->type = J_BOOL;
        v->b = true;
        r->p += 4;
    } else if (!strncmp(r->p, "false", 5)) {
        v->type = J_BOOL;
        r->p += 5;
    } else if (!strncmp(r->p, "null", 4)) {
        v->type = J_NULL;
        r->p += 4;
    } else {
        const char *s = r->p;
        while (r->p < r->end && strchr("+-0123456789.eE", *r->p))
            r->p++;
        v->type = J_NUM;
        v->slen = (size_t)(r->p - s);
        v->s = strndup(s, v->slen);
        if (v->slen == 0)
            r->err = true;
    }
}

jval *json_parse(const char *text, size_t len)
{
    rd r = {text, text + len, false};
    jval *v = malloc(sizeof *v);
    parse(&r, v);
    if (r.err) {
        json_free(v);
        return NULL;
    }
    return v;
}

jval *json_load(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    fclose(f);
    jval *v = json_parse(buf, got);
    free(buf);
    return v;
}

static void free_inner(jval *v)
{
    free(v->s);
    for (size_t i = 0; i < v->n; i++) {
        free_inner(&v->items[i]);
        if (v->keys)
            free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
}

void json_free(jval *v)
{
    if (!v)
        return;
    free_inner(v);
    free(v);
}

const jval *json_get(const jval *obj, const char *key)
{
    if (!obj || obj->type != J_OBJ)
        return NULL;
    for (size_t i = 0; i < obj->n; i++)
        if (strcmp(obj->keys[i], key) == 0)
            return &obj->items[i];
    return NULL;
}
