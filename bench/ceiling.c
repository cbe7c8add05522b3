/* ceiling: the benchmark's upper bound — a bare libmicrohttpd server that reads every
 * request body and answers each request with the same fixed JSON body, configured the way
 * snag configures libmicrohttpd (src/http/server.c: one internal polling thread with poll()
 * per CPU, each with its own listening socket, same timeout and limits). Whatever snag does per
 * event on top of HTTP costs the distance between its events/s and this server's.
 *
 * usage: ceiling PORT [THREADS]   (THREADS defaults to the CPU count, like SNAG_THREADS);
 * listens on 127.0.0.1 only and runs until SIGINT or SIGTERM. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char ceiling_body[] = "{\"id\":\"5ea1ed0000000000000000000000beef\"}";
static int ceiling_marker; /* con_cls of a request whose headers were seen */

static enum MHD_Result ceiling_access(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    (void)url;
    (void)method;
    (void)version;
    (void)upload_data;
    if (!*con_cls) {
        *con_cls = &ceiling_marker;
        return MHD_YES;
    }
    if (*upload_data_size) {
        *upload_data_size = 0; /* read and dropped */
        return MHD_YES;
    }
    return MHD_queue_response(conn, MHD_HTTP_OK, cls);
}

/* One daemon per thread, each with its own SO_REUSEPORT socket on the port, as snag's
 * src/http/server.c does (MHD's thread pool would share one socket and load one thread). */
static struct MHD_Daemon *ceiling_start(int port, unsigned threads, struct MHD_Response *r)
{
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG;
    return MHD_start_daemon(
        flags, (uint16_t)port, NULL, NULL, ceiling_access, r, MHD_OPTION_LISTENING_ADDRESS_REUSE,
        threads > 1 ? 1u : 0u, MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_CONNECTION_LIMIT,
        4000u / threads, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
        MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&a4, MHD_OPTION_END);
}

int main(int argc, char **argv)
{
    long port = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
    long threads = argc > 2 ? strtol(argv[2], NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
    if (port <= 0 || port > 65535 || threads < 1 || threads > 256) {
        fprintf(stderr, "usage: ceiling PORT [THREADS]\n");
        return 2;
    }
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL); /* the pool threads inherit the mask */
    struct MHD_Response *r = MHD_create_response_from_buffer(
        sizeof ceiling_body - 1, (void *)(uintptr_t)ceiling_body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/json");
    struct MHD_Daemon *d[256];
    for (long i = 0; i < threads; i++)
        if (!(d[i] = ceiling_start((int)port, (unsigned)threads, r))) {
            fprintf(stderr, "ceiling: cannot listen on 127.0.0.1:%ld\n", port);
            return 1;
        }
    int sig;
    sigwait(&sigs, &sig);
    for (long i = 0; i < threads; i++)
        MHD_stop_daemon(d[i]);
    MHD_destroy_response(r);
    return 0;
}
