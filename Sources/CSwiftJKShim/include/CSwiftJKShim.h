/* The C shim's internal declarations. The module itself is `jk_module` in mod_jk.c. */
#ifndef CSWIFTJKSHIM_H
#define CSWIFTJKSHIM_H

#include "swiftjk_abi.h"

/* Per-request callbacks (host.c). */
extern const sjk_request_host sjk_shim_request_host;

#endif
