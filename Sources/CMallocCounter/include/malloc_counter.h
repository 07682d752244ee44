/* Counts heap allocations of the process that links this target (the micro-benchmarks only):
   malloc and friends are interposed and forwarded to glibc's implementation. */
#ifndef MALLOC_COUNTER_H
#define MALLOC_COUNTER_H
#include <stdint.h>
uint64_t malloc_counter_allocations(void);
#endif
