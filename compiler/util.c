// Shared helpers: error formatting, checked allocation, file reading.
#include "util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pt_errorf(pt_error *err, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return -1;
}

void pt_error_prefix(pt_error *err, const char *fmt, ...) {
  if (!err)
    return;
  char old[PT_ERRMSG];
  memcpy(old, err->msg, sizeof old);
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  if (n >= 0 && (size_t)n < sizeof err->msg)
    memcpy(err->msg + n, old, sizeof err->msg - n - 1);
  err->msg[sizeof err->msg - 1] = 0;
}

static void *check(void *p, size_t n) {
  if (!p && n) {
    fprintf(stderr, "pimtune: out of memory (%zu bytes)\n", n);
    abort();
  }
  return p;
}

void *pt_malloc(size_t n) { return check(malloc(n ? n : 1), n); }
void *pt_calloc(size_t count, size_t size) {
  return check(calloc(count ? count : 1, size ? size : 1), count * size);
}
void *pt_calloc_aligned(size_t count, size_t size, size_t align) {
  if (size && count > (SIZE_MAX - align) / size)
    check(NULL, SIZE_MAX);
  size_t n = (count * size + align - 1) / align * align;
  if (n == 0)
    n = align;
  return memset(check(aligned_alloc(align, n), n), 0, n);
}
void *pt_realloc(void *p, size_t n) { return check(realloc(p, n ? n : 1), n); }
char *pt_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  return memcpy(pt_malloc(n), s, n);
}

unsigned char *pt_read_file(const char *path, size_t *len, pt_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    pt_errorf(err, "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 1 << 16, n = 0;
  unsigned char *buf = pt_malloc(cap);
  for (;;) {
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (n < cap) {
      if (ferror(f)) {
        pt_errorf(err, "%s: read error: %s", path, strerror(errno));
        fclose(f);
        free(buf);
        return NULL;
      }
      break;
    }
    cap *= 2;
    buf = pt_realloc(buf, cap);
  }
  fclose(f);
  buf = pt_realloc(buf, n + 1);
  buf[n] = 0; // so that text parsers can use it as a string
  *len = n;
  return buf;
}

void pt_basename_noext(const char *path, char *out, size_t outlen) {
  const char *b = strrchr(path, '/');
  b = b ? b + 1 : path;
  snprintf(out, outlen, "%s", b);
  char *dot = strrchr(out, '.');
  if (dot && dot != out)
    *dot = 0;
}
