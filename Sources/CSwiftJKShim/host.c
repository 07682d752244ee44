/*
 * host.c — the sjk_request_host callbacks over request_rec: one short function each, no policy.
 * Everything httpd keeps after the call is copied into r->pool here (Swift strings live only
 * for the duration of a call).
 */
#include "CSwiftJKShim.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_script.h"
#include "http_protocol.h"
#include "apr_buckets.h"
#include "apr_strings.h"
#include "apr_tables.h"
#include "apr_date.h"

#include <strings.h>

static long host_read_body(void *rv, char *buf, size_t len)
{
    request_rec *r = rv;
    return ap_get_client_block(r, buf, (apr_size_t)len);
}

static long host_read_body_available(void *rv, char *buf, size_t len)
{
    request_rec *r = rv;
    apr_bucket_brigade *bb;
    apr_status_t status;
    apr_size_t n = len;
    /* ap_get_client_block's checks and bookkeeping, with APR_NONBLOCK_READ. */
    if (r->remaining < 0 || (!r->read_chunked && r->remaining == 0))
        return 0;
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    status = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES, APR_NONBLOCK_READ, len);
    if (status != APR_SUCCESS || APR_BRIGADE_EMPTY(bb)) {
        apr_brigade_destroy(bb);
        return 0;
    }
    if (APR_BUCKET_IS_EOS(APR_BRIGADE_LAST(bb)))
        r->remaining = r->read_chunked ? -1 : 0;
    status = apr_brigade_flatten(bb, buf, &n);
    apr_brigade_destroy(bb);
    if (status != APR_SUCCESS)
        return -1;
    r->read_length += n;
    return (long)n;
}

static int host_start_response(void *rv, int status, const char *reason,
                               const sjk_header *headers, int n)
{
    request_rec *r = rv;
    int i;
    r->status = status;
    /* Tomcat puts the numeric code into the reason ("200"): pass it on as mod_jk does. */
    if (reason && *reason)
        r->status_line = apr_psprintf(r->pool, "%d %s", status, reason);
    else
        r->status_line = NULL;
    for (i = 0; i < n; i++) {
        const char *name = headers[i].name;
        const char *value = headers[i].value;
        if (!strcasecmp(name, "Content-Type")) {
            ap_set_content_type(r, apr_pstrdup(r->pool, value));
        }
        else if (!strcasecmp(name, "Location")) {
            apr_table_set(r->headers_out, name, value);
        }
        else if (!strcasecmp(name, "Content-Length")) {
            apr_off_t length = 0;
            char *end = NULL;
            if (apr_strtoff(&length, value, &end, 10) == APR_SUCCESS && end && *end == '\0' && length >= 0)
                ap_set_content_length(r, length);
            else
                apr_table_set(r->headers_out, name, value);
        }
        else if (!strcasecmp(name, "Last-Modified")) {
            /* As mod_jk and mod_cgi: httpd's conditional GET logic sees it, and httpd writes
               it (a date in the future becomes now, one it cannot parse the epoch). */
            ap_update_mtime(r, apr_date_parse_http(value));
            ap_set_last_modified(r);
        }
        else {
            apr_table_add(r->headers_out, name, value);
        }
    }
    return r->connection->aborted ? -1 : 0;
}

static int host_write(void *rv, const char *buf, size_t len)
{
    request_rec *r = rv;
    if (len == 0)
        return 0;
    if (ap_rwrite(buf, (int)len, r) < 0 || r->connection->aborted)
        return -1;
    return 0;
}

/* Like ap_rwrite of each slice, in one pass down the filters: r->output_filters starts with
   OLD_WRITE when ap_rwrite buffered bytes before, and it puts them in front. */
static int host_write_many(void *rv, const sjk_slice *slices, int n)
{
    request_rec *r = rv;
    conn_rec *c = r->connection;
    apr_bucket_brigade *bb = apr_brigade_create(r->pool, c->bucket_alloc);
    for (int i = 0; i < n; i++) {
        if (slices[i].len > 0)
            APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_transient_create(slices[i].data, slices[i].len, c->bucket_alloc));
    }
    apr_status_t status = ap_pass_brigade(r->output_filters, bb);
    apr_brigade_destroy(bb);
    if (status != APR_SUCCESS || c->aborted)
        return -1;
    return 0;
}

static int host_flush(void *rv)
{
    request_rec *r = rv;
    if (ap_rflush(r) < 0 || r->connection->aborted)
        return -1;
    return 0;
}

/* A filter that may rewrite the body sits before the protocol filters (OLD_WRITE only buffers
   ap_rwrite's bytes). */
static int content_filtered(request_rec *r)
{
    ap_filter_t *f;
    for (f = r->output_filters; f && f != r->proto_output_filters; f = f->next)
        if (f->frec != ap_old_write_func && f->frec->ftype < AP_FTYPE_PROTOCOL)
            return 1;
    return 0;
}

static int host_flush_completed(void *rv)
{
    request_rec *r = rv;
    if (content_filtered(r)) {
        /* Most such filters decide on the first bytes and step aside (a mod_filter harness by
           content type, DEFLATE by Accept-Encoding): let them see the body, then look again. */
        apr_bucket_brigade *bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
        apr_status_t status = ap_pass_brigade(r->output_filters, bb);
        apr_brigade_destroy(bb);
        if (status != APR_SUCCESS || r->connection->aborted)
            return -1;
        if (content_filtered(r))
            return 1;
    }
    return host_flush(rv);
}

static void host_add_common_vars(void *rv)
{
    ap_add_common_vars(rv);
}

static const char *host_get_env(void *rv, const char *name)
{
    request_rec *r = rv;
    return apr_table_get(r->subprocess_env, name);
}

static void host_set_note(void *rv, const char *name, const char *value)
{
    request_rec *r = rv;
    apr_table_set(r->notes, name, value);
}

/* Decimal text of v in r->pool (apr_psprintf costs ten times more). */
static const char *decimal(apr_pool_t *pool, unsigned long long v, int negative)
{
    char digits[24];
    char *end = digits + sizeof(digits), *at = end;
    do {
        *--at = (char)('0' + v % 10);
        v /= 10;
    } while (v && at > digits + 1);
    if (negative)
        *--at = '-';
    return apr_pstrmemdup(pool, at, (apr_size_t)(end - at));
}

static void add_lb_notes(request_rec *r, const char *const names[10], const sjk_lb_note_values *v)
{
    apr_table_addn(r->notes, names[0], apr_pstrdup(r->pool, v->name ? v->name : ""));
    apr_table_addn(r->notes, names[1], decimal(r->pool, v->value, 0));
    apr_table_addn(r->notes, names[2], decimal(r->pool, v->accessed, 0));
    apr_table_addn(r->notes, names[3], decimal(r->pool, v->sessions, 0));
    apr_table_addn(r->notes, names[4], decimal(r->pool, v->read, 0));
    apr_table_addn(r->notes, names[5], decimal(r->pool, v->transferred, 0));
    apr_table_addn(r->notes, names[6], decimal(r->pool, v->errors, 0));
    apr_table_addn(r->notes, names[7], decimal(r->pool, v->busy < 0 ? 0ULL - (unsigned long long)v->busy : (unsigned long long)v->busy, v->busy < 0));
    apr_table_addn(r->notes, names[8], apr_pstrdup(r->pool, v->activation ? v->activation : ""));
    apr_table_addn(r->notes, names[9], apr_pstrdup(r->pool, v->state ? v->state : ""));
}

static void host_set_lb_notes(void *rv, const sjk_lb_note_values *first, const sjk_lb_note_values *last)
{
    static const char *const first_names[10] = {
        "JK_LB_FIRST_NAME", "JK_LB_FIRST_VALUE", "JK_LB_FIRST_ACCESSED", "JK_LB_FIRST_SESSIONS",
        "JK_LB_FIRST_READ", "JK_LB_FIRST_TRANSFERRED", "JK_LB_FIRST_ERRORS", "JK_LB_FIRST_BUSY",
        "JK_LB_FIRST_ACTIVATION", "JK_LB_FIRST_STATE" };
    static const char *const last_names[10] = {
        "JK_LB_LAST_NAME", "JK_LB_LAST_VALUE", "JK_LB_LAST_ACCESSED", "JK_LB_LAST_SESSIONS",
        "JK_LB_LAST_READ", "JK_LB_LAST_TRANSFERRED", "JK_LB_LAST_ERRORS", "JK_LB_LAST_BUSY",
        "JK_LB_LAST_ACTIVATION", "JK_LB_LAST_STATE" };
    request_rec *r = rv;
    add_lb_notes(r, first_names, first);
    add_lb_notes(r, last_names, last);
}

static void host_set_uri(void *rv, const char *uri)
{
    request_rec *r = rv;
    r->uri = apr_pstrdup(r->pool, uri);
}

static void host_set_filename(void *rv, const char *filename)
{
    request_rec *r = rv;
    r->filename = apr_pstrdup(r->pool, filename);
}

static int host_response_committed(void *rv)
{
    request_rec *r = rv;
    return r->sent_bodyct ? 1 : 0;
}

static void host_reset_response(void *rv)
{
    request_rec *r = rv;
    ap_filter_rec_t *old_write = ap_get_output_filter_handle("OLD_WRITE");
    ap_filter_t *f = r->output_filters;
    /* Body bytes ap_rwrite kept (fewer than AP_MIN_BYTES_TO_WRITE, nothing committed) live in
       the OLD_WRITE filter's brigade: dropping the filter forgets them. */
    while (old_write && f) {
        ap_filter_t *next = f->next;
        if (f->frec == old_write)
            ap_remove_output_filter(f);
        f = next;
    }
    r->status = HTTP_OK;
    r->status_line = NULL;
    r->content_type = NULL;
    r->clength = 0;
    r->mtime = 0;   /* the next member's Last-Modified decides, not the broken one's */
    apr_table_clear(r->headers_out);
}

static void host_abort_response(void *rv)
{
    request_rec *r = rv;
    conn_rec *c = r->connection;
    apr_bucket_brigade *bb = apr_brigade_create(r->pool, c->bucket_alloc);
    r->no_cache = 1;
    if (r->main)
        r->main->no_cache = 1;
    APR_BRIGADE_INSERT_TAIL(bb, ap_bucket_error_create(HTTP_BAD_GATEWAY, NULL, r->pool, c->bucket_alloc));
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(c->bucket_alloc));
    ap_pass_brigade(r->output_filters, bb);
    c->keepalive = AP_CONN_CLOSE;
}

const sjk_request_host sjk_shim_request_host = {
    host_read_body,
    host_start_response,
    host_write,
    host_flush,
    host_get_env,
    host_set_note,
    host_set_uri,
    host_set_filename,
    host_response_committed,
    host_abort_response,
    host_reset_response,
    host_set_lb_notes,
    host_write_many,
    host_read_body_available,
    host_flush_completed,
    host_add_common_vars,
};
