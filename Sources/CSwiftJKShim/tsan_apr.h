/*
 * tsan_apr.h — ThreadSanitizer builds only (make sanitize-thread); no-ops in every other build.
 *
 * httpd and APR are not instrumented. event MPM hands a closing connection to its listener
 * thread through epoll and recycles the connection's pool for a later connection, served by
 * another thread, through lock-free atomics inside libapr: TSan sees neither hand-over. The
 * shim's writes into request_rec, conn_rec, buckets and pool memory of one connection then look
 * like races with the writes of an earlier connection that used the same memory.
 *
 * Each request hook of the shim (translate, map_to_storage, the handler with every host
 * callback it makes) runs between SJK_APR_MEMORY_BEGIN and SJK_APR_MEMORY_END, an acquire and a
 * release of one sync object: that stands in for the hand-over TSan cannot see. Requests that
 * overlap in time are not ordered by it, so a race between two requests running at once is
 * still reported (docs/architecture.md §10.4).
 */
#ifndef SJK_TSAN_APR_H
#define SJK_TSAN_APR_H

#ifdef __has_feature
#if __has_feature(thread_sanitizer)
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
extern char sjk_apr_memory;
#define SJK_APR_MEMORY_BEGIN() __tsan_acquire(&sjk_apr_memory)
#define SJK_APR_MEMORY_END() __tsan_release(&sjk_apr_memory)
#define SJK_APR_MEMORY_DEFINE() char sjk_apr_memory
#endif
#endif

#ifndef SJK_APR_MEMORY_BEGIN
#define SJK_APR_MEMORY_BEGIN() ((void)0)
#define SJK_APR_MEMORY_END() ((void)0)
#define SJK_APR_MEMORY_DEFINE() typedef int sjk_apr_memory_unused
#endif

#endif
