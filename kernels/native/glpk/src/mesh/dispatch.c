/* dispatch.c - endpoint table and argument binding. */
#include "mesh/dispatch.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mesh_dispatch_init(mesh_dispatch *d)
{
    memset(d, 0, sizeof *d);
}

void mesh_dispatch_free(mesh_dispatch *d)
{
    free(d->eps);
    memset(d, 0, sizeof *d);
}

int mesh_dispatch_add(mesh_dispatch *d, const mesh_endpoint *ep)
{
    if (mesh_dispatch_find(d, ep->name))
        return -1;
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 16;
        mesh_endpoint *ne = realloc(d->eps, nc * sizeof *ne);
        if (!ne)
            return -1;
        d->eps = ne;
        d->cap = nc;
    }
    d->eps[d->n++] = *ep;
    return 0;
}

const mesh_endpoint *mesh_dispatch_find(const mesh_dispatch *d, const char *name)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->eps[i].name, name) == 0)
            return &d->eps[i];
    return NULL;
}

static const char *type_name(const mesh_param *p)
{
    if (p->type_name)
        return p->type_name;
    switch (p->type) {
    case MESH_T_ANY: return "any";
    case MESH_T_BOOL: return "bool";
    case MESH_T_INT: return "int";
    case MESH_T_F64: return "float64";
    case MESH_T_STR: return "str";
    case MESH_T_ARRAY: return "array";
    case MESH_T_MAP: return "map";
    case MESH_T_NDARRAY: return "ndarray";
    case MESH_T_NDARRAY_F64: return "ndarray float64";
    case MESH_T_TABLE: return "table";
    case MESH_T_STR_OR_ARRAY: return "str | str[]";
    case MESH_T_F64_VECTOR: return "float64[]";
    case MESH_T_OBJECT: return "ref";
    }
    return "any";
}

static bool type_ok(mesh_type t, const mesh_value *v)
{
    switch (t) {
    case MESH_T_ANY: return true;
    case MESH_T_BOOL: return v->kind == MESH_BOOL;
    case MESH_T_INT: return v->kind == MESH_INT || v->kind == MESH_UINT;
    case MESH_T_F64: return mesh_value_is_number(v);
    case MESH_T_STR: return v->kind == MESH_STR;
    case MESH_T_ARRAY: return v->kind == MESH_ARRAY;
    case MESH_T_MAP: return v->kind == MESH_MAP;
    case MESH_T_NDARRAY: return v->kind == MESH_NDARRAY;
    case MESH_T_NDARRAY_F64: return v->kind == MESH_NDARRAY && v->u.nd.dtype == MESH_DT_FLOAT64;
    case MESH_T_TABLE: return v->kind == MESH_TABLE;
    case MESH_T_STR_OR_ARRAY:
        if (v->kind == MESH_STR)
            return true;
        if (v->kind != MESH_ARRAY)
            return false;
        for (uint32_t i = 0; i < v->u.a.n; i++)
            if (v->u.a.items[i].kind != MESH_STR)
                return false;
        return true;
    case MESH_T_F64_VECTOR:
        if (v->kind == MESH_NDARRAY)
            return v->u.nd.dtype == MESH_DT_FLOAT64 && v->u.nd.ndim == 1;
        if (v->kind != MESH_ARRAY)
            return false;
        for (uint32_t i = 0; i < v->u.a.n; i++)
            if (!mesh_value_is_number(&v->u.a.items[i]))
                return false;
        return true;
    case MESH_T_OBJECT: return v->kind == MESH_OBJECT;
    }
    return false;
}

int mesh_dispatch_bind(const mesh_endpoint *ep, mesh_arena *a, const mesh_value *args,
                       const mesh_value *kwargs, mesh_value **bound, char *err, size_t errlen)
{
    uint32_t nargs = args ? args->u.a.n : 0;
    uint32_t nkw = kwargs ? kwargs->u.m.n : 0;
    if (nargs > ep->nparams) {
        snprintf(err, errlen, "%s() takes %zu positional arguments but %u were given", ep->name,
                 ep->nparams, nargs);
        return -1;
    }
    mesh_value *out = mesh_v_array(a, (uint32_t)(ep->nparams ? ep->nparams : 1));
    if (!out) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    out->u.a.n = (uint32_t)ep->nparams;
    bool *given = mesh_arena_alloc(a, ep->nparams + 1);
    if (!given) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < nargs; i++) {
        out->u.a.items[i] = args->u.a.items[i];
        given[i] = true;
    }
    for (uint32_t k = 0; k < nkw; k++) {
        const mesh_value *key = &kwargs->u.m.keys[k];
        if (key->kind != MESH_STR) {
            snprintf(err, errlen, "%s(): keyword argument names must be str", ep->name);
            return -1;
        }
        size_t i;
        for (i = 0; i < ep->nparams; i++)
            if (strcmp(ep->params[i].name, key->u.s.ptr) == 0)
                break;
        if (i == ep->nparams) {
            snprintf(err, errlen, "%s() got an unexpected keyword argument '%s'", ep->name,
                     key->u.s.ptr);
            return -1;
        }
        if (given[i]) {
            snprintf(err, errlen, "%s() got multiple values for argument '%s'", ep->name,
                     ep->params[i].name);
            return -1;
        }
        out->u.a.items[i] = kwargs->u.m.vals[k];
        given[i] = true;
    }
    for (size_t i = 0; i < ep->nparams; i++) {
        const mesh_param *p = &ep->params[i];
        if (!given[i]) {
            if (p->required) {
                snprintf(err, errlen, "%s() missing required argument '%s'", ep->name, p->name);
                return -1;
            }
            out->u.a.items[i].kind = MESH_NIL;
            continue;
        }
        const mesh_value *v = &out->u.a.items[i];
        if (v->kind == MESH_NIL && !p->required)
            continue; /* nil for an optional parameter means "use the default" */
        if (!type_ok(p->type, v)) {
            snprintf(err, errlen, "%s() argument '%s' must be %s", ep->name, p->name, type_name(p));
            return -1;
        }
    }
    *bound = out;
    return 0;
}

mesh_value *mesh_dispatch_describe(const mesh_dispatch *d, mesh_arena *a)
{
    mesh_value *arr = mesh_v_array(a, (uint32_t)d->n);
    if (!arr)
        return NULL;
    for (size_t i = 0; i < d->n; i++) {
        const mesh_endpoint *ep = &d->eps[i];
        mesh_value *m = mesh_v_map(a, 3);
        mesh_value *params = mesh_v_array(a, (uint32_t)ep->nparams);
        if (!m || !params)
            return NULL;
        for (size_t k = 0; k < ep->nparams; k++) {
            mesh_value *pm = mesh_v_map(a, 3);
            if (!pm || mesh_map_put(a, pm, "name", mesh_v_str(a, ep->params[k].name)) ||
                mesh_map_put(a, pm, "type", mesh_v_str(a, type_name(&ep->params[k]))) ||
                mesh_map_put(a, pm, "required", mesh_v_bool(a, ep->params[k].required)) ||
                mesh_array_push(a, params, pm))
                return NULL;
        }
        if (mesh_map_put(a, m, "name", mesh_v_str(a, ep->name)) ||
            mesh_map_put(a, m, "params", params) ||
            mesh_map_put(a, m, "doc", mesh_v_str(a, ep->doc ? ep->doc : "")) ||
            mesh_array_push(a, arr, m))
            return NULL;
    }
    return arr;
}
