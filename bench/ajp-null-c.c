/* ajp-null-c: a minimal AJP13 container in C for `make bench` (no dependencies).
 *
 *   cc -O2 -pthread -o ajp-null-c bench/ajp-null-c.c
 *   ./ajp-null-c PORT [BODY_BYTES]        listens on 127.0.0.1:PORT
 *
 * One thread per connection, blocking sockets, a buffered reader (one recv() usually holds a
 * whole FORWARD_REQUEST). Answers CPING with CPONG and every FORWARD_REQUEST with a response
 * encoded once at start: SEND_HEADERS 200 with 5 headers, one SEND_BODY_CHUNK (BODY_BYTES,
 * default 13, at most 8184), END_RESPONSE reuse=1 -- written with a single send().
 *
 * Request bodies are read and ignored as AJP13 prescribes (docs/modjk-behaviour.md §5.4): with
 * Content-Length > 0 the first body packet follows the request unasked and further packets
 * come in answer to GET_BODY_CHUNK until the declared length arrived or an empty body packet
 * ends it; without Content-Length (chunked) the container asks for chunks until the empty
 * packet. Any secret (attribute 0x0C) is accepted. Anything malformed closes the connection.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PACKET 65536
#define BUF_SIZE (MAX_PACKET + 4)

static unsigned char response[16384];
static size_t response_len;
static const unsigned char cpong[5] = {0x41, 0x42, 0x00, 0x01, 0x09};
/* GET_BODY_CHUNK asking for 8186 bytes. */
static const unsigned char get_body_chunk[7] = {0x41, 0x42, 0x00, 0x03, 0x06, 0x1F, 0xFA};

/* ------------------------------------------------------------------ encoding the response */

static size_t put_int(unsigned char *p, unsigned v) {
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)(v & 0xFF);
    return 2;
}

static size_t put_string(unsigned char *p, const char *s) {
    size_t n = strlen(s);
    put_int(p, (unsigned)n);
    memcpy(p + 2, s, n);
    p[2 + n] = 0;
    return n + 3;
}

static void encode_response(unsigned body_bytes) {
    unsigned char *p = response;
    char length[16];
    snprintf(length, sizeof length, "%u", body_bytes);
    /* SEND_HEADERS */
    unsigned char *h = p;
    p += 4;
    *p++ = 0x04;
    p += put_int(p, 200);
    p += put_string(p, "OK");
    p += put_int(p, 5);
    p += put_int(p, 0xA001); p += put_string(p, "text/plain;charset=UTF-8");  /* Content-Type */
    p += put_int(p, 0xA003); p += put_string(p, length);                      /* Content-Length */
    p += put_int(p, 0xA004); p += put_string(p, "Thu, 01 Jan 2026 00:00:00 GMT"); /* Date */
    p += put_string(p, "Cache-Control"); p += put_string(p, "no-store");
    p += put_string(p, "X-Backend"); p += put_string(p, "ajp-null-c");
    h[0] = 0x41; h[1] = 0x42;
    put_int(h + 2, (unsigned)(p - h - 4));
    /* SEND_BODY_CHUNK */
    unsigned char *b = p;
    p += 4;
    *p++ = 0x03;
    p += put_int(p, body_bytes);
    for (unsigned i = 0; i < body_bytes; i++)
        *p++ = (unsigned char)(i + 1 == body_bytes ? '\n' : "hello, world"[i % 12]);
    *p++ = 0;
    b[0] = 0x41; b[1] = 0x42;
    put_int(b + 2, (unsigned)(p - b - 4));
    /* END_RESPONSE, reuse */
    *p++ = 0x41; *p++ = 0x42; *p++ = 0x00; *p++ = 0x02; *p++ = 0x05; *p++ = 0x01;
    response_len = (size_t)(p - response);
}

/* ------------------------------------------------------------------ connection */

struct conn {
    int fd;
    unsigned char buf[BUF_SIZE * 2];
    size_t start, end; /* unread bytes are buf[start..end) */
};

static int write_all(int fd, const unsigned char *data, size_t len) {
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Makes at least `need` unread bytes available; -1 on EOF or error. */
static int fill(struct conn *c, size_t need) {
    if (c->end - c->start >= need)
        return 0;
    if (c->start > 0) {
        memmove(c->buf, c->buf + c->start, c->end - c->start);
        c->end -= c->start;
        c->start = 0;
    }
    while (c->end < need) {
        ssize_t n = recv(c->fd, c->buf + c->end, sizeof c->buf - c->end, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        c->end += (size_t)n;
    }
    return 0;
}

/* Reads one web server -> container packet; returns its payload length (payload at *out),
 * -1 on EOF, error or bad framing. The payload stays valid until the next read_packet. */
static long read_packet(struct conn *c, const unsigned char **out) {
    if (fill(c, 4) < 0)
        return -1;
    const unsigned char *h = c->buf + c->start;
    if (h[0] != 0x12 || h[1] != 0x34)
        return -1;
    size_t len = (size_t)h[2] << 8 | h[3];
    if (len > MAX_PACKET || fill(c, 4 + len) < 0)
        return -1;
    *out = c->buf + c->start + 4;
    c->start += 4 + len;
    return (long)len;
}

/* A bounds-checked cursor over a FORWARD_REQUEST payload. */
struct cursor {
    const unsigned char *p;
    size_t len, at;
    int bad;
};

static unsigned get_int(struct cursor *r) {
    if (r->at + 2 > r->len) {
        r->bad = 1;
        return 0;
    }
    unsigned v = (unsigned)r->p[r->at] << 8 | r->p[r->at + 1];
    r->at += 2;
    return v;
}

/* Skips a string; returns its bytes (NULL for the null string or on error), *n its length. */
static const unsigned char *get_string(struct cursor *r, size_t *n) {
    unsigned len = get_int(r);
    *n = 0;
    if (r->bad || len == 0xFFFF)
        return NULL;
    if (r->at + len + 1 > r->len) {
        r->bad = 1;
        return NULL;
    }
    const unsigned char *s = r->p + r->at;
    r->at += len + 1;
    *n = len;
    return s;
}

/* The request's Content-Length: -1 when absent (unknown length), -2 on a malformed packet. */
static long content_length(const unsigned char *payload, size_t len) {
    struct cursor r = {payload, len, 2, 0}; /* past the type and method bytes */
    size_t n;
    for (int i = 0; i < 5; i++) /* protocol, req_uri, remote_addr, remote_host, server_name */
        get_string(&r, &n);
    get_int(&r); /* server_port */
    r.at += 1;   /* is_ssl */
    unsigned count = get_int(&r);
    if (r.bad || r.at > len)
        return -2;
    for (unsigned i = 0; i < count; i++) {
        int is_length = 0;
        if (r.at + 2 <= len && r.p[r.at] == 0xA0) {
            is_length = get_int(&r) == 0xA008;
        } else {
            get_string(&r, &n);
        }
        const unsigned char *value = get_string(&r, &n);
        if (r.bad)
            return -2;
        if (is_length) {
            long v = 0;
            for (size_t k = 0; k < n && k < 18; k++) {
                if (value[k] < '0' || value[k] > '9')
                    return -2;
                v = v * 10 + (value[k] - '0');
            }
            return v;
        }
    }
    return -1;
}

/* Reads and drops the request body; 0 when done, -1 to close the connection. */
static int drain_body(struct conn *c, long declared) {
    const unsigned char *payload;
    long remaining = declared;
    long len;
    if (declared > 0) { /* the first body packet follows the request without being asked for */
        if ((len = read_packet(c, &payload)) < 0)
            return -1;
        if (len == 0)
            return 0;
        remaining -= len - 2;
    }
    for (int rounds = 0; declared < 0 || remaining > 0; rounds++) {
        if (rounds > 1000000) /* bounded: 8 GB of body */
            return -1;
        if (write_all(c->fd, get_body_chunk, sizeof get_body_chunk) < 0)
            return -1;
        if ((len = read_packet(c, &payload)) < 0)
            return -1;
        if (len == 0 || (len >= 2 && payload[0] == 0 && payload[1] == 0))
            break; /* the empty packet: end of body */
        remaining -= len - 2;
    }
    return 0;
}

static void *serve(void *arg) {
    struct conn *c = arg;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    for (;;) {
        const unsigned char *payload;
        long len = read_packet(c, &payload);
        if (len < 1)
            break;
        if (len == 1 && payload[0] == 0x0A) { /* CPING */
            if (write_all(c->fd, cpong, sizeof cpong) < 0)
                break;
            continue;
        }
        if (payload[0] != 0x02) /* not a FORWARD_REQUEST: Tomcat closes too */
            break;
        long declared = content_length(payload, (size_t)len);
        if (declared == -2)
            break;
        if (declared != 0 && drain_body(c, declared) < 0)
            break;
        if (write_all(c->fd, response, response_len) < 0)
            break;
    }
    close(c->fd);
    free(c);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [BODY_BYTES]\n", argv[0]);
        return 2;
    }
    int port = atoi(argv[1]);
    long body = argc > 2 ? atol(argv[2]) : 13;
    if (port <= 0 || port > 65535 || body < 1 || body > 8184) {
        fprintf(stderr, "ajp-null-c: bad port or body size\n");
        return 2;
    }
    encode_response((unsigned)body);
    signal(SIGPIPE, SIG_IGN);

    int listener = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(listener, 511) < 0) {
        fprintf(stderr, "ajp-null-c: cannot listen on 127.0.0.1:%d: %s\n", port, strerror(errno));
        return 1;
    }
    printf("ajp-null-c: listening on 127.0.0.1:%d, %zu-byte responses\n", port, response_len);
    fflush(stdout);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            if (errno == EMFILE || errno == ENFILE)
                usleep(10000);
            continue;
        }
        struct conn *c = malloc(sizeof *c);
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->fd = fd;
        c->start = c->end = 0;
        pthread_t thread;
        if (pthread_create(&thread, &attr, serve, c) != 0) {
            close(fd);
            free(c);
        }
    }
}
