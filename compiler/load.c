// Model loading by content: a PIMCOMP-NN JSON model starts with '{', any
// other file is read as ONNX (a protobuf has no magic number).
#include "graph.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

pt_graph *pt_graph_load(const char *path, char *notice, size_t noticelen,
                        pt_error *err) {
  if (notice && noticelen)
    notice[0] = 0;
  FILE *f = fopen(path, "rb");
  if (!f) {
    size_t len;
    free(pt_read_file(path, &len, err)); // for its message
    return NULL;
  }
  int c;
  while ((c = fgetc(f)) != EOF && isspace(c))
    ;
  fclose(f);
  if (c == '{')
    return pt_pimcomp_load(path, err);
  return pt_onnx_load(path, notice, noticelen, err);
}
