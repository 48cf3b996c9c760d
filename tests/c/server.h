/* Helpers shared by the C ABI test programs that run against a server. */
#ifndef BOSBASE_TEST_SERVER_H
#define BOSBASE_TEST_SERVER_H
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

/* The dev server's URL from BOSBASE_URL, or exits with 2 saying how to run the program. */
static inline const char *dev_server_url(void) {
    const char *url = getenv("BOSBASE_URL");
    if (!url) {
        fprintf(stderr, "BOSBASE_URL is not set (run through scripts/devserver)\n");
        exit(2);
    }
    return url;
}

/* A 127.0.0.1 listener that never accepts: the kernel completes the TCP handshake and
 * nobody ever answers. Writes its base URL to `url`; returns the socket (close it after). */
static inline int silent_listener(char *url, size_t size) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &len) != 0) {
        perror("silent listener");
        exit(2);
    }
    snprintf(url, size, "http://127.0.0.1:%d", ntohs(addr.sin_port));
    return fd;
}
/* A canned HTTP/1.1 keep-alive responder on 127.0.0.1, for fault injection only: it counts
 * the TCP connections it accepts and answers every request with 200 and
 * {"authorization":"<the request's Authorization header, or empty>"}. */
struct echo_server {
    int fd;
    int accepted; /* atomic */
    char url[64];
};

/* The end of a request head in buf[0..have), or NULL. */
static inline char *head_end(char *buf, size_t have) {
    for (size_t i = 0; i + 4 <= have; i++) {
        if (memcmp(buf + i, "\r\n\r\n", 4) == 0) return buf + i;
    }
    return NULL;
}

/* Reads from `c` into buf[0..cap) (holding `*have` bytes) until a whole request head is
 * there; returns its end, or NULL when the peer closed or the head does not fit. */
static inline char *read_head(int c, char *buf, size_t cap, size_t *have) {
    char *end;
    while ((end = head_end(buf, *have)) == NULL) {
        ssize_t n = *have < cap ? read(c, buf + *have, cap - *have) : -1;
        if (n <= 0) return NULL;
        *have += (size_t)n;
    }
    return end;
}

static inline void *echo_connection(void *arg) {
    int c = (int)(long)arg;
    char buf[8192];
    size_t have = 0;
    for (;;) {
        char *end = read_head(c, buf, sizeof buf, &have);
        if (end == NULL) {
            close(c);
            return NULL;
        }
        size_t head = (size_t)(end - buf) + 4, body = 0;
        char auth[512] = "";
        for (char *line = buf; line < end; line = strstr(line, "\r\n") + 2) {
            if (strncasecmp(line, "content-length:", 15) == 0) body = strtoul(line + 15, NULL, 10);
            if (strncasecmp(line, "authorization: ", 15) == 0) {
                size_t len = (size_t)(strstr(line, "\r\n") - line) - 15;
                snprintf(auth, sizeof auth, "%.*s", (int)len, line + 15);
            }
        }
        while (have < head + body) { /* bodies here are small */
            ssize_t n = read(c, buf + have, sizeof buf - have);
            if (n <= 0) {
                close(c);
                return NULL;
            }
            have += (size_t)n;
        }
        char reply[1024], json[600];
        int jl = snprintf(json, sizeof json, "{\"authorization\":\"%s\"}", auth);
        int rl = snprintf(reply, sizeof reply,
                          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", jl, json);
        if (write(c, reply, (size_t)rl) != rl) {
            close(c);
            return NULL;
        }
        memmove(buf, buf + head + body, have - head - body);
        have -= head + body;
    }
}

static inline void *echo_accept(void *arg) {
    struct echo_server *s = arg;
    for (;;) {
        int c = accept(s->fd, NULL, NULL);
        if (c < 0) return NULL;
        __atomic_add_fetch(&s->accepted, 1, __ATOMIC_SEQ_CST);
        pthread_t t;
        pthread_create(&t, NULL, echo_connection, (void *)(long)c);
        pthread_detach(t);
    }
}

/* Starts the responder; it serves until the process ends. */
static inline struct echo_server *echo_server_start(void) {
    struct echo_server *s = calloc(1, sizeof *s);
    s->fd = silent_listener(s->url, sizeof s->url);
    pthread_t t;
    pthread_create(&t, NULL, echo_accept, s);
    pthread_detach(t);
    return s;
}
#endif
