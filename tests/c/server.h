/* Helpers shared by the C ABI test programs that run against a server. */
#ifndef BOSBASE_TEST_SERVER_H
#define BOSBASE_TEST_SERVER_H
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

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
#endif
