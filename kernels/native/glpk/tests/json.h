/* json.h - a small JSON reader for the test vectors (tests only). Numbers keep their text. */
#ifndef TEST_JSON_H
#define TEST_JSON_H

#include <stdbool.h>
#include <stddef.h>

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ } jtype;

typedef struct jval jval;
struct jval {
    jtype type;
    bool b;
    char *s;      /* J_STR (decoded UTF-8), J_NUM (literal) */
    size_t slen;
    jval *items;  /* J_ARR items; J_OBJ values */
    char **keys;  /* J_OBJ keys */
    size_t n;
};

jval *json_parse(const char *text, size_t len);
jval *json_load(const char *path);
void json_free(jval *v);
const jval *json_get(const jval *obj, const char *key);

#endif
