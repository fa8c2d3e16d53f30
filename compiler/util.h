// Small shared helpers: the error record every stage fills, checked
// allocation, and string utilities. Included by every module.
#ifndef PT_UTIL_H
#define PT_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define PT_ERRMSG 512

// Library functions never print and never exit: they return a non-zero
// status and leave a one-line message here that names the file, node or
// field at fault and what was expected. The command line prints it.
typedef struct {
  char msg[PT_ERRMSG];
} pt_error;

// Format a message into err (which may be NULL) and return -1, so that
// callers can write `return pt_errorf(err, "...")`.
int pt_errorf(pt_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

// Prepend context ("file.onnx: ") to an existing message.
void pt_error_prefix(pt_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

// Allocation that never returns NULL for a non-zero size: out of memory
// is the one condition on which the library aborts (with a message).
void *pt_malloc(size_t n);
void *pt_calloc(size_t count, size_t size);
// Zeroed, aligned to `align` bytes (a power of two; free() releases it).
void *pt_calloc_aligned(size_t count, size_t size, size_t align);
void *pt_realloc(void *p, size_t n);
char *pt_strdup(const char *s);

// Read a whole file into memory. Returns NULL and fills err on failure.
unsigned char *pt_read_file(const char *path, size_t *len, pt_error *err);

// The last path component without its extension ("a/b/resnet18.onnx" ->
// "resnet18"), written into out.
void pt_basename_noext(const char *path, char *out, size_t outlen);

static inline int64_t pt_ceil_div(int64_t a, int64_t b) {
  return (a + b - 1) / b;
}

#endif
