/* The C shim's internal declarations. The module itself is `jk_module` in mod_jk.c. */
#ifndef CSWIFTJKSHIM_H
#define CSWIFTJKSHIM_H

#include "swiftjk_abi.h"

/* Per-request callbacks (host.c). */
extern const sjk_request_host sjk_shim_request_host;

/* What the shim keeps for one request in r->request_config: translate_name's choice for the
   handler (mod_jk.c), and the response body bytes not yet passed to the output filters
   (host.c). No httpd types here: `pending` is an apr_bucket_brigade. */
typedef struct sjk_request_state {
    int worker;
    int rule;
    void *pending;
    size_t pending_bytes;
} sjk_request_state;

/* The request's state, made on first use (worker and rule -1). */
sjk_request_state *sjk_shim_request_state(void *r);

/* After the handler: passes the pending body bytes when the handler answered (OK), drops them
   when httpd will answer with an error page instead. */
void sjk_shim_finish_output(void *r, int answered);

#endif
