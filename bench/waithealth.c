/* waithealth: waits until a server on 127.0.0.1:PORT answers GET /_health/ with 200, polling
 * every 200 µs, and prints the wall-clock time of that answer as epoch seconds with
 * microseconds — bench/run.sh subtracts the moment it started the server ($EPOCHREALTIME) to
 * get the cold start time. Gives up (exit 1) after TIMEOUT seconds, or as soon as the process
 * PID, when given, has exited.
 *
 * usage: waithealth PORT TIMEOUT [PID] */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* 1 when the server answered 200, 0 otherwise (not listening yet, or another status). */
static int health_ok(int port)
{
    static const char req[] = "GET /_health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Connection: close\r\n\r\n";
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct timeval tv = {1, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char buf[64] = {0};
    ssize_t got = 0;
    if (connect(fd, (const struct sockaddr *)&sa, sizeof sa) == 0 &&
        send(fd, req, sizeof req - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof req - 1)) {
        while (got < 12) {
            ssize_t n = recv(fd, buf + got, sizeof buf - 1 - (size_t)got, 0);
            if (n <= 0)
                break;
            got += n;
        }
    }
    close(fd);
    return got >= 12 && memcmp(buf, "HTTP/1.", 7) == 0 && memcmp(buf + 9, "200", 3) == 0;
}

int main(int argc, char **argv)
{
    long port = argc > 2 ? strtol(argv[1], NULL, 10) : 0;
    double timeout = argc > 2 ? strtod(argv[2], NULL) : 0;
    long pid = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
    if (port <= 0 || port > 65535 || timeout <= 0) {
        fprintf(stderr, "usage: waithealth PORT TIMEOUT [PID]\n");
        return 2;
    }
    double deadline = wall_now() + timeout;
    struct timespec pause = {0, 200 * 1000};
    while (wall_now() < deadline) {
        if (health_ok((int)port)) {
            printf("%.6f\n", wall_now());
            return 0;
        }
        if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
            fprintf(stderr, "waithealth: process %ld exited before answering\n", pid);
            return 1;
        }
        nanosleep(&pause, NULL);
    }
    fprintf(stderr, "waithealth: no 200 from 127.0.0.1:%ld/_health/ within %.0f s\n", port,
            timeout);
    return 1;
}
