/*
 * mod_jk.c — the httpd side of SwiftJK: the module structure `jk_module` (its name field is
 * "mod_jk.c", so <IfModule mod_jk.c> keeps working), the complete mod_jk directive table, and the
 * hooks. No policy lives here: directives are recorded as written and handed to Swift, which
 * parses, validates and decides (Sources/SwiftJK). Each hook is a few lines around one call.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "CSwiftJKShim.h"
#include "tsan_apr.h"

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_mpm.h"
#include "apr_strings.h"
#include "apr_tables.h"
#include "apr_lib.h"

#include <unistd.h>
#include <string.h>
#include <stdint.h>

module AP_MODULE_DECLARE_DATA jk_module;

#define JK_HANDLER "jakarta-servlet"

typedef struct {
    apr_array_header_t *directives; /* sjk_directive, this server's own */
    int index;                      /* position in the server chain, main = 0 */
    void *config;                   /* Swift Configuration */
    void *runtime;                  /* Swift Runtime, per child */
} sjk_server_conf;

static sjk_server_conf *server_conf(server_rec *s)
{
    return ap_get_module_config(s->module_config, &jk_module);
}

/* ---------------------------------------------------------------------------------------------
 * Directives: every handler records {name, args, file, line, location} and decides nothing.
 * ------------------------------------------------------------------------------------------- */

static const char *record(cmd_parms *cmd, int nargs, const char **args)
{
    sjk_server_conf *conf = server_conf(cmd->server);
    sjk_directive *d = apr_array_push(conf->directives);
    const char **copy = apr_pcalloc(cmd->pool, sizeof(char *) * (nargs + 1));
    int i;
    for (i = 0; i < nargs; i++)
        copy[i] = apr_pstrdup(cmd->pool, args[i]);
    d->name = cmd->cmd->name;
    d->args = copy;
    d->nargs = nargs;
    d->file = cmd->directive ? cmd->directive->filename : "?";
    d->line = cmd->directive ? cmd->directive->line_num : 0;
    d->location = cmd->path ? apr_pstrdup(cmd->pool, cmd->path) : NULL;
    return NULL;
}

static const char *rec_take1(cmd_parms *cmd, void *dc, const char *a)
{
    const char *args[1] = { a };
    (void)dc;
    return record(cmd, 1, args);
}

static const char *rec_take12(cmd_parms *cmd, void *dc, const char *a, const char *b)
{
    const char *args[2] = { a, b };
    (void)dc;
    return record(cmd, b ? 2 : 1, args);
}

static const char *rec_raw(cmd_parms *cmd, void *dc, const char *raw)
{
    const char *args[1] = { raw };
    (void)dc;
    return record(cmd, 1, args);
}

static const char *rec_flag(cmd_parms *cmd, void *dc, int on)
{
    const char *args[1] = { on ? "On" : "Off" };
    (void)dc;
    return record(cmd, 1, args);
}

static const char *rec_iterate(cmd_parms *cmd, void *dc, const char *word)
{
    const char *args[1] = { word };
    (void)dc;
    return record(cmd, 1, args);
}

#define TAKE1(name, help) AP_INIT_TAKE1(name, rec_take1, NULL, RSRC_CONF, help)
#define TAKE12(name, help) AP_INIT_TAKE12(name, rec_take12, NULL, RSRC_CONF, help)

/* The complete mod_jk 1.2 directive table (native/apache-2.0/mod_jk.c), same arities and
 * contexts, so every existing mod_jk configuration parses. */
static const command_rec jk_cmds[] = {
    TAKE1("JkWorkersFile", "The name of a worker file for the Tomcat servlet containers"),
    AP_INIT_RAW_ARGS("JkWorkerProperty", rec_raw, NULL, RSRC_CONF, "Set workers.properties formated directive"),
    TAKE1("JkShmFile", "The name of the shared memory file (Unix)"),
    TAKE1("JkShmSize", "Size of the shared memory file in KBytes"),
    AP_INIT_TAKE12("JkMount", rec_take12, NULL, RSRC_CONF | ACCESS_CONF,
                   "A mount point from a context to a servlet-engine worker"),
    AP_INIT_TAKE12("JkUnMount", rec_take12, NULL, RSRC_CONF | ACCESS_CONF,
                   "A no mount point from a context to a servlet-engine worker"),
    TAKE1("JkMountFile", "File containing context mounts to a servlet-engine worker"),
    TAKE1("JkMountFileReload", "Minimum number of seconds between mount file reload checks"),
    TAKE1("JkMountCopy", "Should the base server mounts be copied to the virtual server"),
    TAKE1("JkAutoAlias", "Automatically Alias webapp context directories into the Apache document space"),
    TAKE1("JkWorkerIndicator", "Name of the Apache environment that contains the worker name"),
    TAKE1("JkWatchdogInterval", "Interval for the watchdog thread in seconds"),
    TAKE1("JkLogFile", "Full path to the Tomcat module log file"),
    TAKE1("JkLogLevel", "The Tomcat module log level, can be trace, debug, info, warn, error or emerg"),
    TAKE1("JkLogStampFormat", "The Tomcat module log format, follow strftime syntax"),
    TAKE1("JkRequestLogFormat", "The mod_jk module request log format string"),
    TAKE1("JkRequestIdIndicator", "Name of the Apache environment that contains the request id"),
    AP_INIT_FLAG("JkExtractSSL", rec_flag, NULL, RSRC_CONF,
                 "Turns on SSL processing and information gathering by mod_jk"),
    TAKE1("JkHTTPSIndicator", "Name of the Apache environment that contains SSL indication"),
    TAKE1("JkSSLPROTOCOLIndicator", "Name of the Apache environment that contains the SSL protocol name"),
    TAKE1("JkCERTSIndicator", "Name of the Apache environment that contains SSL client certificates"),
    TAKE1("JkCIPHERIndicator", "Name of the Apache environment that contains SSL client cipher"),
    TAKE1("JkSESSIONIndicator", "Name of the Apache environment that contains SSL session"),
    TAKE1("JkKEYSIZEIndicator", "Name of the Apache environment that contains SSL key size in use"),
    TAKE1("JkCERTCHAINPrefix", "Name of the Apache environment (prefix) that contains SSL client chain certificates"),
    TAKE1("JkRemoteAddrIndicator", "Name of the Apache environment that contains the remote address"),
    TAKE1("JkRemotePortIndicator", "Name of the Apache environment that contains the remote port"),
    TAKE1("JkRemoteHostIndicator", "Name of the Apache environment that contains the remote host name"),
    TAKE1("JkRemoteUserIndicator", "Name of the Apache environment that contains the remote user name"),
    TAKE1("JkAuthTypeIndicator", "Name of the Apache environment that contains the type of authentication"),
    TAKE1("JkLocalNameIndicator", "Name of the Apache environment that contains the local name"),
    TAKE1("JkLocalAddrIndicator", "Name of the Apache environment that contains the local IP address"),
    TAKE1("JkLocalPortIndicator", "Name of the Apache environment that contains the local port"),
    TAKE1("JkIgnoreCLIndicator", "Name of the Apache environment that forces to ignore a request Content-Length header"),
    AP_INIT_ITERATE("JkOptions", rec_iterate, NULL, RSRC_CONF,
                    "Set one of more options to configure the mod_jk module"),
    TAKE12("JkEnvVar", "Adds a name of environment variable and an optional value that should be sent to servlet-engine"),
    TAKE12("JkStripSession", "Should the server strip the jsessionid from unmapped URLs"),
    { NULL }
};

/* ---------------------------------------------------------------------------------------------
 * Server configuration: own directives only; Swift applies mod_jk's inheritance.
 * ------------------------------------------------------------------------------------------- */

static void *create_server_config(apr_pool_t *p, server_rec *s)
{
    sjk_server_conf *conf = apr_pcalloc(p, sizeof(*conf));
    (void)s;
    conf->directives = apr_array_make(p, 8, sizeof(sjk_directive));
    return conf;
}

static void *merge_server_config(apr_pool_t *p, void *basev, void *addv)
{
    sjk_server_conf *add = addv;
    sjk_server_conf *conf = apr_pcalloc(p, sizeof(*conf));
    (void)basev;
    conf->directives = add->directives;
    return conf;
}

/* ---------------------------------------------------------------------------------------------
 * Startup: check_config parses (so apache2 -t reports errors), post_config opens resources.
 * ------------------------------------------------------------------------------------------- */

/* Context of the startup callbacks. */
typedef struct {
    server_rec *server;
    apr_pool_t *pool;
} shim_ctx;

static void startup_log(void *ctx, int level, int console, const char *message)
{
    server_rec *s = ((shim_ctx *)ctx)->server;
    int ap_level = level >= SJK_LOG_EMERG ? APLOG_EMERG
                 : level >= SJK_LOG_ERROR ? APLOG_ERR
                 : level >= SJK_LOG_WARN ? APLOG_WARNING
                 : level >= SJK_LOG_INFO ? APLOG_INFO : APLOG_DEBUG;
    ap_log_error(APLOG_MARK, ap_level | (console ? APLOG_STARTUP : 0), 0, s, "%s", message);
}

static int open_piped(void *ctx, const char *command)
{
    shim_ctx *c = ctx;
    piped_log *pl = ap_open_piped_log(c->pool, command);
    apr_os_file_t fd;
    if (!pl || apr_os_file_get(&fd, ap_piped_log_write_fd(pl)) != APR_SUCCESS)
        return -1;
    return (int)fd;
}

/* Fills an sjk_startup describing every server and its recorded directives. */
/* A <VirtualHost> without any Jk directive shares the main server's config (httpd creates a
 * module's per-server config only when one of its directives appears): give it its own, empty
 * one, so it has its own index and directives. Allocated from pconf, like the server_rec. */
static void own_server_configs(apr_pool_t *pconf, server_rec *main_server)
{
    sjk_server_conf *main_conf = server_conf(main_server);
    server_rec *s;
    for (s = main_server->next; s; s = s->next)
        if (server_conf(s) == main_conf)
            ap_set_module_config(s->module_config, &jk_module, create_server_config(pconf, s));
}

static int count_tree(const ap_directive_t *d)
{
    int n = 0;
    for (; d; d = d->next)
        n += 1 + count_tree(d->first_child);
    return n;
}

static int flatten_tree(const ap_directive_t *d, sjk_config_line *lines, int at, int n)
{
    for (; d && at < n; d = d->next) {
        lines[at].directive = d->directive;
        lines[at].args = d->args;
        lines[at].file = d->filename;
        lines[at].line = d->line_num;
        at = flatten_tree(d->first_child, lines, at + 1, n);
    }
    return at;
}


/* `apache2 -k stop|graceful-stop` reads the configuration (check_config runs) and then only
   signals the running server to end: what a start would open is not checked on that pass (a
   log program removed since the start must not keep httpd from stopping). `-k restart` and
   `graceful` keep the check: the running server would reread this configuration and die on
   it, so refusing the signal keeps it serving. httpd's MPM takes -k out of process->argv, so
   the original arguments are read from /proc/self/cmdline. */
static int only_signals(void)
{
    char buf[8192];
    ssize_t len;
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    const char *arg, *end, *previous = NULL;
    if (fd < 0)
        return 0;
    len = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (len <= 0)
        return 0;
    buf[len] = '\0';
    end = buf + len;
    for (arg = buf; arg < end; arg += strlen(arg) + 1) {
        if (previous && strcmp(previous, "-k") == 0)
            return strcmp(arg, "stop") == 0 || strcmp(arg, "graceful-stop") == 0;
        previous = arg;
    }
    return 0;
}

static void describe(sjk_startup *st, sjk_config_host *host, apr_pool_t *p, server_rec *main_server)
{
    int n_lines = count_tree(ap_conftree);
    sjk_config_line *lines = apr_pcalloc(p, sizeof(sjk_config_line) * (n_lines > 0 ? n_lines : 1));
    server_rec *s;
    int n = 0, i = 0, threads = 1, daemons = 1;
    sjk_server *servers;
    for (s = main_server; s; s = s->next)
        n++;
    servers = apr_pcalloc(p, sizeof(sjk_server) * n);
    for (s = main_server; s; s = s->next, i++) {
        sjk_server_conf *conf = server_conf(s);
        conf->index = i;
        servers[i].server_name = s->server_hostname;
        servers[i].port = s->port;
        servers[i].is_virtual = s->is_virtual;
        servers[i].defn_file = s->is_virtual ? s->defn_name : NULL;
        servers[i].defn_line = s->defn_line_number;
        servers[i].directives = (const sjk_directive *)conf->directives->elts;
        servers[i].n_directives = conf->directives->nelts;
    }
    ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads);
    ap_mpm_query(AP_MPMQ_MAX_DAEMONS, &daemons);
    memset(st, 0, sizeof(*st));
    st->host = host;
    st->server_root = ap_server_root;
    st->runtime_dir = ap_runtime_dir_relative(p, "");
    st->threads_per_child = threads > 0 ? threads : 1;
    st->max_daemons = daemons > 0 ? daemons : 1;
    st->is_config_test = ap_state_query(AP_SQ_RUN_MODE) == AP_SQ_RM_CONFIG_TEST;
    st->is_first_pass = ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG
                        && !only_signals();
    st->parent_pid = (int)getpid();
    st->mpm_name = ap_show_mpm();
    st->servers = servers;
    st->n_servers = n;
    st->config_lines = lines;
    st->n_config_lines = flatten_tree(ap_conftree, lines, 0, n_lines);
}

static apr_status_t release_config(void *config)
{
    sjk_config_release(config, ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_EXITING);
    return APR_SUCCESS;
}

static int jk_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    shim_ctx ctx = { s, pconf };
    sjk_config_host host = { &ctx, startup_log, NULL };
    sjk_startup st;
    void *config;
    server_rec *v;
    (void)plog;
    own_server_configs(pconf, s);
    describe(&st, &host, ptemp, s);
    config = sjk_config_create(&st);
    if (!config)
        return HTTP_INTERNAL_SERVER_ERROR;
    apr_pool_cleanup_register(pconf, config, release_config, apr_pool_cleanup_null);
    for (v = s; v; v = v->next)
        server_conf(v)->config = config;
    return OK;
}

static int jk_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    shim_ctx ctx = { s, pconf };
    sjk_config_host host = { &ctx, startup_log, open_piped };
    sjk_startup st;
    sjk_server_conf *conf = server_conf(s);
    (void)plog;
    /* The first startup pass unloads the module right after: create nothing. */
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG)
        return OK;
    if (!conf->config)
        return HTTP_INTERNAL_SERVER_ERROR;
    describe(&st, &host, ptemp, s);
    if (sjk_config_open_resources(conf->config, &st) != 0)
        return HTTP_INTERNAL_SERVER_ERROR;
    return OK;
}

/* ---------------------------------------------------------------------------------------------
 * Children
 * ------------------------------------------------------------------------------------------- */

static apr_status_t release_runtime(void *runtime)
{
    sjk_child_release(runtime);
    return APR_SUCCESS;
}

static void jk_child_init(apr_pool_t *pchild, server_rec *s)
{
    sjk_server_conf *conf = server_conf(s);
    void *runtime;
    server_rec *v;
    if (!conf->config)
        return;
    runtime = sjk_child_create(conf->config);
    if (!runtime)
        return;
    apr_pool_cleanup_register(pchild, runtime, release_runtime, apr_pool_cleanup_null);
    for (v = s; v; v = v->next)
        server_conf(v)->runtime = runtime;
}

/* ---------------------------------------------------------------------------------------------
 * Requests
 * ------------------------------------------------------------------------------------------- */

/* What translate_name chose, kept for the handler; orig_uri: r->uri before translate_name
   replaced it with its normalised form (NULL when it did not). */
typedef struct {
    int worker;
    int rule;
    const char *orig_uri;
} sjk_mapping;

static void set_mapping(request_rec *r, int worker, int rule, const char *orig_uri)
{
    sjk_mapping *m = apr_palloc(r->pool, sizeof(*m));
    m->worker = worker;
    m->rule = rule;
    m->orig_uri = orig_uri;
    ap_set_module_config(r->request_config, &jk_module, m);
}

static const char *get_orig_uri(request_rec *r)
{
    sjk_mapping *m = ap_get_module_config(r->request_config, &jk_module);
    return m ? m->orig_uri : NULL;
}

static int get_worker_index(request_rec *r)
{
    sjk_mapping *m = ap_get_module_config(r->request_config, &jk_module);
    return m ? m->worker : -1;
}

static int get_rule_index(request_rec *r)
{
    sjk_mapping *m = ap_get_module_config(r->request_config, &jk_module);
    return m ? m->rule : -1;
}

static int env_count(const request_rec *r)
{
    return r->subprocess_env ? apr_table_elts(r->subprocess_env)->nelts : 0;
}

static int translate(request_rec *r)
{
    sjk_server_conf *conf = server_conf(r->server);
    sjk_translate_view view;
    int index = -1, rule = -1, rc;
    const char *before = r->uri;
    if (r->proxyreq || !conf->runtime || !r->uri)
        return DECLINED;
    view.r = r;
    view.host = &sjk_shim_request_host;
    view.server_index = conf->index;
    view.uri = r->uri;
    view.env_count = env_count(r);
    view.directory_index_lookup = r->main && r->main->handler && !strcmp(r->main->handler, DIR_MAGIC_TYPE);
    rc = sjk_translate(&view, conf->runtime, &index, &rule);
    if (rc == SJK_MAPPED) {
        r->handler = JK_HANDLER;
        set_mapping(r, index, rule, r->uri != before ? before : NULL);
        /* A sub-request that maps gives its main request, if unmapped, to the same worker, as
         * mod_jk does: mod_dir looking up `index.jsp` for `/dir/` (DirectoryIndex, JkMount
         * *.jsp) sends `/dir/` to Tomcat when no index file is on disk, so Tomcat's welcome
         * file answers (docs/architecture.md §5). */
        if (r->main && get_worker_index(r->main) < 0) {
            r->main->handler = JK_HANDLER;
            set_mapping(r->main, index, rule, NULL);
        }
        return DECLINED; /* let other translators set r->filename, as mod_jk does */
    }
    if (rc == SJK_ALIASED)
        return OK;
    return rc == SJK_DECLINED ? DECLINED : rc;
}

static int map_to_storage(request_rec *r)
{
    /* A mapped request is not a file: skip the directory walk (mod_jk does the same). */
    if (r->handler && !strcmp(r->handler, JK_HANDLER) && get_worker_index(r) >= 0) {
        r->filename = (char *)apr_filepath_name_get(r->uri);
        /* mod_dir's look-up of a directory's index (`DirectoryIndex index.jsp` with
         * a JkMount of *.jsp files) takes the sub-request only for a regular file: stat the file in the
         * main request's directory, as mod_jk does (docs/architecture.md §5). */
        if (r->main && r->main->filename && !*apr_filepath_name_get(r->main->filename)) {
            char *path;
            if (apr_filepath_merge(&path, r->main->filename, r->filename,
                                   APR_FILEPATH_SECUREROOT | APR_FILEPATH_TRUENAME, r->pool) != APR_SUCCESS)
                return DECLINED;
            r->filename = path;
            apr_stat(&r->finfo, r->filename, APR_FINFO_TYPE, r->pool);
        }
        return OK;
    }
    return DECLINED;
}

static int handler(request_rec *r)
{
    sjk_server_conf *conf;
    sjk_request_view view;
    const apr_array_header_t *arr;
    const apr_table_entry_t *elts;
    sjk_header *headers;
    int i, rc, directory;
    if (!r->handler)
        return DECLINED;
    /* A directory without an index file: Swift decides (JkOptions +ForwardDirectories). */
    directory = !strcmp(r->handler, DIR_MAGIC_TYPE);
    if (!directory && strcmp(r->handler, JK_HANDLER))
        return DECLINED;
    conf = server_conf(r->server);
    if (!conf->runtime)
        return directory ? DECLINED : HTTP_INTERNAL_SERVER_ERROR;
    /* Before anything answers for the request (ap_setup_client_block can: 413, 501). */
    if (directory && !sjk_forwards_directories(conf->runtime, conf->index))
        return DECLINED;
    rc = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK);
    if (rc != OK)
        return rc;
    ap_should_client_block(r);
    arr = apr_table_elts(r->headers_in);
    elts = (const apr_table_entry_t *)arr->elts;
    headers = apr_palloc(r->pool, sizeof(sjk_header) * (arr->nelts + 1));
    for (i = 0; i < arr->nelts; i++) {
        headers[i].name = elts[i].key;
        headers[i].value = elts[i].val;
    }
    memset(&view, 0, sizeof(view));
    view.r = r;
    view.host = &sjk_shim_request_host;
    view.server_index = conf->index;
    view.worker_index = get_worker_index(r);
    view.rule_index = get_rule_index(r);
    view.worker_name = apr_table_get(r->notes, "JK_WORKER_NAME");
    view.method = r->method;
    view.protocol = r->protocol;
    view.uri = get_orig_uri(r) ? get_orig_uri(r) : r->uri;
    view.mapped_uri = get_orig_uri(r) ? r->uri : NULL;
    view.unparsed_uri = r->unparsed_uri;
    view.args = r->args;
    view.remote_addr = r->useragent_ip;
    view.peer_addr = r->connection->client_ip;
    view.remote_host = ap_get_remote_host(r->connection, r->per_dir_config, REMOTE_HOST, NULL);
    view.remote_port = r->useragent_addr ? r->useragent_addr->port : 0;
    view.peer_port = r->connection->client_addr ? r->connection->client_addr->port : 0;
    view.local_addr = r->connection->local_ip;
    view.local_port = r->connection->local_addr ? r->connection->local_addr->port : 0;
    view.server_name = ap_get_server_name(r);
    view.server_port = ap_get_server_port(r);
    view.remote_user = r->user;
    view.auth_type = r->ap_auth_type;
    view.headers_in = headers;
    view.n_headers_in = arr->nelts;
    view.content_length = r->read_chunked ? -1 : (int64_t)r->remaining;
    view.header_only = r->header_only;
    view.request_line = r->the_request;
    view.canonical_name = r->server->server_hostname;
    view.canonical_port = r->server->port ? r->server->port : ap_default_port(r);
    view.server_description = ap_get_server_description();
    view.env_count = env_count(r);
    view.directory = directory;
    rc = sjk_handle(&view, conf->runtime);
    return rc == 0 ? OK : rc;
}

/* The request hooks as httpd calls them: each inside SJK_APR_MEMORY_BEGIN/END (tsan_apr.h). */
SJK_APR_MEMORY_DEFINE();
#define SJK_HOOK(name, body)                                                                    \
    static int name(request_rec *r)                                                             \
    {                                                                                           \
        int rc;                                                                                 \
        SJK_APR_MEMORY_BEGIN();                                                                 \
        rc = body(r);                                                                           \
        SJK_APR_MEMORY_END();                                                                   \
        return rc;                                                                              \
    }
SJK_HOOK(jk_translate, translate)
SJK_HOOK(jk_map_to_storage, map_to_storage)
SJK_HOOK(jk_handler, handler)

static void register_hooks(apr_pool_t *p)
{
    (void)p;
    ap_hook_check_config(jk_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(jk_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(jk_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_translate_name(jk_translate, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_map_to_storage(jk_map_to_storage, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(jk_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

AP_DECLARE_MODULE(jk) = {
    STANDARD20_MODULE_STUFF,
    NULL,                 /* per-directory config creator */
    NULL,                 /* dir config merger */
    create_server_config, /* server config creator */
    merge_server_config,  /* server config merger */
    jk_cmds,              /* command table */
    register_hooks,       /* set up other request processing hooks */
};
