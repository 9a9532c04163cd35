#ifndef SWITCHYARD_CMALLOC_SHIM_H
#define SWITCHYARD_CMALLOC_SHIM_H

#include <malloc.h>

/* glibc's malloc tuning (malloc.h is not in Swift's Glibc module). */
static inline int sy_malloc_set_mmap_threshold(int bytes) {
    return mallopt(M_MMAP_THRESHOLD, bytes);
}

#endif
