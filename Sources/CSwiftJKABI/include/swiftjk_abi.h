/*
 * swiftjk_abi.h — the whole contract between the C shim (mod_jk.c, host.c) and Swift.
 *
 * No httpd or APR types cross it: httpd objects travel as `void *`, and Swift reaches httpd only
 * through the callback tables below. `make abi-check` compiles this header together with the
 * Swift-generated SwiftJK-Swift.h, so a Swift signature that drifts from a prototype here fails
 * the build (docs/architecture.md §3.3).
 *
 * Lifetimes: every string passed into Swift is valid for the duration of the call only, unless
 * stated otherwise. Every string passed to a callback is copied by C (into r->pool) when httpd
 * keeps it.
 */
#ifndef SWIFTJK_ABI_H
#define SWIFTJK_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A name/value pair of NUL-terminated strings. */
typedef struct sjk_header {
    const char *name;
    const char *value;
} sjk_header;

/* Log levels, mod_jk's order (jk_logger.h). */
enum {
    SJK_LOG_TRACE = 0,
    SJK_LOG_DEBUG = 1,
    SJK_LOG_INFO = 2,
    SJK_LOG_WARN = 3,
    SJK_LOG_ERROR = 4,
    SJK_LOG_EMERG = 5
};

/* ---------------------------------------------------------------------------------------------
 * Configuration time
 * ------------------------------------------------------------------------------------------- */

/* One Jk* directive as httpd parsed it: name, arguments, where it was written. */
typedef struct sjk_directive {
    const char *name;
    const char *const *args;
    int nargs;
    const char *file;
    int line;
    /* The enclosing <Location>/<Directory> path (cmd->path), or NULL at server level. */
    const char *location;
} sjk_directive;

/* One server_rec: the main server first, then each <VirtualHost> in order. */
typedef struct sjk_server {
    const char *server_name;   /* s->server_hostname, may be NULL */
    int port;                  /* s->port */
    int is_virtual;
    const char *defn_file;     /* where the <VirtualHost> starts, NULL for the main server */
    int defn_line;
    const sjk_directive *directives;
    int n_directives;
} sjk_server;

/* Callbacks available while the configuration is read and resources are created. */
typedef struct sjk_config_host {
    void *ctx;
    /* ap_log_error on the main server; `startup` = print raw to the console (APLOG_STARTUP). */
    void (*log)(void *ctx, int level, int startup, const char *message);
    /* ap_open_piped_log; returns the write descriptor, or -1. */
    int (*open_piped_log)(void *ctx, const char *command);
} sjk_config_host;

/* One directive anywhere in httpd's configuration tree (ap_conftree), any module's: which
   JK_* notes to set depends on whether some LogFormat (or any directive) names them. */
typedef struct sjk_config_line {
    const char *directive;
    const char *args;          /* as written after the directive name */
    const char *file;
    int line;
} sjk_config_line;

typedef struct sjk_startup {
    const sjk_config_host *host;
    const char *server_root;
    const char *runtime_dir;      /* ap_runtime_dir_relative(p, "") */
    int threads_per_child;        /* AP_MPMQ_MAX_THREADS; 1 under prefork */
    int max_daemons;              /* AP_MPMQ_MAX_DAEMON_USED or MAX_DAEMONS */
    int is_config_test;           /* apache2 -t */
    int is_first_pass;            /* AP_SQ_MS_CREATE_PRE_CONFIG: the process will reload us */
    int parent_pid;
    const char *mpm_name;         /* ap_show_mpm() */
    const sjk_server *servers;
    int n_servers;
    const sjk_config_line *config_lines;  /* every directive of ap_conftree, depth first */
    int n_config_lines;
} sjk_startup;

/* ---------------------------------------------------------------------------------------------
 * Request time
 * ------------------------------------------------------------------------------------------- */

/* One lb member's JK_LB_FIRST_* or JK_LB_LAST_* notes (mod_jk's lb log items), as values:
   the shim formats the numbers and uses its own static note names. */
typedef struct sjk_lb_note_values {
    const char *name;               /* the member's worker name */
    unsigned long long value;       /* lb_value */
    unsigned long long accessed;    /* elected */
    unsigned long long sessions;
    unsigned long long read;
    unsigned long long transferred;
    unsigned long long errors;
    long long busy;
    const char *activation;         /* ACT, DIS, STP */
    const char *state;              /* OK, ERR, … */
} sjk_lb_note_values;

/* Bytes of a response body (in the AJP connection's receive buffer). */
typedef struct sjk_slice {
    const char *data;
    size_t len;
} sjk_slice;

/* Callbacks into httpd for one request (host.c). `r` is the request_rec. */
typedef struct sjk_request_host {
    /* ap_get_client_block: >0 bytes read, 0 end of body, <0 client error. */
    long (*read_body)(void *r, char *buf, size_t len);
    /* Sets status, status line "<status> <reason>" and headers; Content-Type through
       ap_set_content_type. Returns 0, or -1 when the client is gone. */
    int (*start_response)(void *r, int status, const char *reason, const sjk_header *headers, int n);
    /* ap_rwrite: 0, or -1 when the client is gone. */
    int (*write)(void *r, const char *buf, size_t len);
    /* ap_rflush: 0, or -1. */
    int (*flush)(void *r);
    /* r->subprocess_env, NULL when unset. */
    const char *(*get_env)(void *r, const char *name);
    /* apr_table_set(r->notes, …): copies. */
    void (*set_note)(void *r, const char *name, const char *value);
    /* r->uri = copy (JkStripSession). */
    void (*set_uri)(void *r, const char *uri);
    /* r->filename = copy (JkAutoAlias). */
    void (*set_filename)(void *r, const char *filename);
    /* 1 once response headers went down the filter chain (r->sent_bodyct), else 0. */
    int (*response_committed)(void *r);
    /* The backend broke after the response was committed: an error bucket makes httpd close
       the client connection instead of completing the response (no final chunk, no
       rewritten Content-Length), so the client can tell. */
    void (*abort_response)(void *r);
    /* Forgets status, status line, Content-Type, headers_out and the body bytes httpd still
       buffers (fewer than 8000, nothing committed): the lb replays the request elsewhere. */
    void (*reset_response)(void *r);
    /* The twenty JK_LB_FIRST_* / JK_LB_LAST_* notes at once, added to r->notes (which is new
       for each request and gets them once): no per-note search of the table. */
    void (*set_lb_notes)(void *r, const sjk_lb_note_values *first, const sjk_lb_note_values *last);
    /* Body chunks already received, passed down the output filters as one brigade of
       transient buckets (no copy; the core filter sets aside only what it cannot write at
       once, as for ap_rwrite). 0, or -1 when the client is gone. */
    int (*write_many)(void *r, const sjk_slice *slices, int n);
    /* Body bytes the client has already sent, without waiting (a non-blocking read down the
       input filters): >0 bytes read, 0 none now (a failed read, which took nothing, included:
       the next read_body reports it), <0 bytes were taken but could not be copied. */
    long (*read_body_available)(void *r, char *buf, size_t len);
    /* The write that completes a body of known length: flush it to the client, unless a filter
       that may rewrite the body (DEFLATE, INCLUDES, …) still holds it once it has seen the
       body's first bytes; that filter then finishes at EOS and Content-Length stays computable.
       0 when flushed, 1 when a filter holds the body, -1 when the client is gone. */
    int (*flush_completed)(void *r);
    /* ap_add_common_vars: REMOTE_ADDR, HTTP_*, SERVER_NAME, DOCUMENT_ROOT … into
       r->subprocess_env (for JkEnvVar, as mod_jk). */
    void (*add_common_vars)(void *r);
} sjk_request_host;

/* What translate_name passes to Swift. */
typedef struct sjk_translate_view {
    void *r;
    const sjk_request_host *host;
    int server_index;
    const char *uri;                /* r->uri, %-decoded by httpd */
    int env_count;                  /* entries in r->subprocess_env: 0 spares every get_env */
    int directory_index_lookup;     /* 1: a sub-request of a directory request (mod_dir looking up
                                       a DirectoryIndex file), else 0 */
} sjk_translate_view;

/* Everything the handler needs from request_rec; headers are a zero-copy view of
   r->headers_in. */
typedef struct sjk_request_view {
    void *r;
    const sjk_request_host *host;
    int server_index;
    int worker_index;               /* from translate_name, or -1 */
    int rule_index;                 /* the mount rule translate_name matched, or -1 */
    const char *worker_name;        /* JK_WORKER_NAME env (SetHandler jakarta-servlet), or NULL */
    const char *method;
    const char *protocol;
    const char *uri;                /* r->uri as the client's request had it: what Tomcat is sent */
    const char *unparsed_uri;       /* r->unparsed_uri */
    const char *args;               /* r->args, or NULL */
    const char *remote_addr;        /* r->useragent_ip */
    const char *peer_addr;          /* r->connection->client_ip */
    const char *remote_host;        /* ap_get_remote_host(REMOTE_HOST), or NULL */
    int remote_port;                /* r->useragent_addr->port */
    int peer_port;                  /* r->connection->client_addr->port */
    const char *local_addr;         /* r->connection->local_ip */
    int local_port;
    const char *server_name;        /* ap_get_server_name_for_url */
    int server_port;                /* ap_get_server_port */
    const char *remote_user;        /* r->user, or NULL */
    const char *auth_type;          /* r->ap_auth_type, or NULL */
    const sjk_header *headers_in;
    int n_headers_in;
    int64_t content_length;         /* -1 when chunked or unknown */
    int header_only;                /* HEAD */
    const char *request_line;       /* r->the_request */
    const char *canonical_name;     /* r->server->server_hostname */
    int canonical_port;             /* r->server->port, else ap_default_port (the request log's %p) */
    const char *server_description; /* ap_get_server_description() (status worker) */
    int env_count;                  /* entries in r->subprocess_env: 0 spares every get_env */
    const char *mapped_uri;         /* r->uri once translate_name normalised it (path parameters
                                       and dot segments removed), else NULL */
    int directory;                  /* 1: the handler is httpd/unix-directory (a directory that
                                       mod_dir found no index file for), not jakarta-servlet */
} sjk_request_view;

/* Result codes of sjk_translate. */
enum {
    SJK_DECLINED = -1,
    SJK_MAPPED = 0,
    SJK_ALIASED = 1     /* JkAutoAlias: r->filename was set; translate_name returns OK */
};

/* ---------------------------------------------------------------------------------------------
 * Swift entry points (@c in Sources/SwiftJK/Exports.swift)
 * ------------------------------------------------------------------------------------------- */

/* check_config: parse and validate every directive and the workers file. Returns the retained
   configuration, or NULL after logging the errors (httpd then refuses to start; apache2 -t
   fails). */
void *sjk_config_create(const sjk_startup *startup);

/* post_config (real pass only): open log files and create the shared memory. 0 or -1. */
int sjk_config_open_resources(void *config, const sjk_startup *startup);

/* pconf cleanup: closes what the configuration opened and releases it. */
/* server_stopping: httpd exits (not a restart), so operator changes are not carried over. */
void sjk_config_release(void *config, int server_stopping);

/* child_init: builds the per-child runtime (pools, watchdog). Returns it retained. */
void *sjk_child_create(void *config);

/* child pool cleanup. */
void sjk_child_release(void *runtime);

/* translate_name: maps r->uri to a worker. Returns SJK_MAPPED with *worker_index and
   *rule_index set (and the note JK_WORKER_NAME set through the host), SJK_DECLINED, or an HTTP
   status (400) to refuse. */
int sjk_translate(const sjk_translate_view *view, void *runtime, int *worker_index, int *rule_index);

/* handler, for a directory without an index file (httpd/unix-directory): 1 when the server's
   JkOptions take such directories (+ForwardDirectories), else 0 (decline at once). */
int sjk_forwards_directories(void *runtime, int server_index);

/* handler: serves a request mapped to a worker. Returns 0 (OK: response written) or an HTTP
   status for httpd to answer with (503, 502, 504, 413, 400, 500). */
int sjk_handle(const sjk_request_view *view, void *runtime);

#ifdef __cplusplus
}
#endif

#endif /* SWIFTJK_ABI_H */
