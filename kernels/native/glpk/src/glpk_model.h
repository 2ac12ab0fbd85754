/* glpk_model.h - what the kernel reads from GMPL text and GLPK names.
 *
 * GLPK's API gives column and row names such as x[Seattle,'New York'] but not the indexing sets
 * of a model's variables and constraints. A light scan of the model section recovers the
 * declarations (`var x{i in I, j in J}`, `s.t. supply{i in I}: ...`) so that result tables can
 * name their index columns after the sets ("I", "J"), or the dummy indices, or i1..ik. */
#ifndef GLPK_MODEL_H
#define GLPK_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "mesh/codec.h"

typedef struct {
    char *name;
    int ndims;     /* -1: could not be determined */
    char **dummy;  /* ndims entries, each may be NULL */
    char **set;    /* ndims entries, each may be NULL (set expression is not a plain name) */
} gmpl_decl;

typedef struct {
    gmpl_decl *v;
    size_t n, cap;
} gmpl_decls;

/* Scans the model section (stops at `data;` or `end;`). */
void gmpl_scan(const char *text, size_t len, gmpl_decls *vars, gmpl_decls *rows);
void gmpl_decls_free(gmpl_decls *d);
const gmpl_decl *gmpl_find(const gmpl_decls *d, const char *name);

/* True when the text has a `param NAME` statement (model declaration or data statement). */
bool gmpl_mentions_param(const char *text, size_t len, const char *name);

/* Names for the k index columns of a variable/constraint declared as d (d may be NULL):
 * the set names when all are plain and distinct, else the dummy names, else i1..ik. Names in
 * `reserved` (NULL-terminated) are never used. */
void gmpl_index_names(const gmpl_decl *d, int k, const char *const *reserved, mesh_arena *a,
                      const char **out);

/* Splits "x[a,'b c',3]" into base "x" and the unquoted indices. 0 on success. */
int glpk_split_name(const char *name, mesh_arena *a, const char **base, const char ***idx, int *k);

#endif
