/* glpk_files.h - per-task file redirection for GLPK and CSV reading.
 *
 * GLPK opens every file (model, data, `printf ... >` targets, `table` CSV/dBASE files) through
 * fopen. The kernel defines fopen/fclose itself (ELF symbol interposition: libglpk.so binds to
 * the executable's definitions), and while a GLPK worker thread has a file context installed:
 *   - a relative path opened for writing or appending goes to the task's private output
 *     directory;
 *   - a relative path opened for reading is looked up in the output directory (a file the model
 *     wrote itself), then the model file's directory, then the kernel's working directory;
 *   - every file opened for writing is recorded (to return the CSV tables a model wrote) and
 *     every open FILE is tracked, so that files left open by a GLPK fatal error are closed.
 * Threads without a context (all non-GLPK threads) get the plain libc behaviour. The process
 * never calls chdir, so several solves can run at the same time on different threads.
 */
#ifndef GLPK_FILES_H
#define GLPK_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mesh/codec.h"

typedef struct {
    char *given; /* the path as the model wrote it */
    char *path;  /* the file actually written */
} glpk_written;

typedef struct {
    const char *out_dir;    /* absolute */
    const char *model_dir;  /* absolute or NULL */
    const char *base_dir;   /* absolute (kernel working directory) */
    glpk_written *written;
    size_t nwritten, capwritten;
    FILE **open;
    size_t nopen, capopen;
} glpk_files;

/* Installs (or, with NULL, removes) the calling thread's file context. */
void glpk_files_use(glpk_files *f);
/* Closes files GLPK left open (after a fatal error) and frees the record. */
void glpk_files_release(glpk_files *f);

/* mkdir -p for one level; recursive removal of a directory tree (no symlink following). */
int glpk_rmtree(const char *path);
/* Reads a whole file (NUL-terminated). NULL on error. */
char *glpk_read_file(const char *path, size_t max, size_t *len);

/* Parses CSV text (first line = header, RFC 4180 quoting) into a Mesh table: a column is
 * float64 when every field is unquoted and parses as a number, else a str column. */
mesh_value *glpk_csv_table(mesh_arena *a, const char *text, size_t len, char *err, size_t errlen);

#endif
