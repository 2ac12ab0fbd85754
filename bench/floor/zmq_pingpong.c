/* The floor: libzmq REQ/REP ping-pong between two processes, in C.
 *
 *   zmq_pingpong [--spin] ENDPOINT SIZE:ITERATIONS[,SIZE:ITERATIONS...]
 *       ENDPOINT is "tcp" (loopback, port picked by the OS) or "ipc" (a socket in /tmp).
 *       --spin: the client waits for each reply without sleeping (non-blocking receives, yielding
 *       the core between them), as a Mesh caller does for its first millisecond; the server
 *       still blocks. Sleeping costs a wake-up per reply, which on a small VM is a large part of
 *       the round trip, so this is the floor for a client that spins.
 *   zmq_pingpong --server ENDPOINT     (started by the client; not for direct use)
 *
 * The client binds a REQ socket, forks and execs itself as the REP side (a separate process, as a
 * real peer would be) and, for each size, runs ITERATIONS/10 + 5 untimed warm-up round trips and
 * then ITERATIONS timed ones. Each round trip sends SIZE bytes and waits for the same SIZE bytes
 * back. One line per size on stdout:
 *
 *   RESULT {"payload":1,"iterations":5000,"p50_us":..,"p99_us":..,"calls_per_s":..}
 *
 * The note of each line counts the context switches per round trip of both processes (all their
 * threads, libzmq's I/O threads included), to compare with the same count for a Mesh call.
 *
 * This is the cheapest round trip libzmq can do, so every other figure is compared with it:
 * payloads of 1 KiB and more are sent without copying (zmq_msg_init_data; smaller ones are copied
 * into the message, which is cheaper than a reference) and the server echoes the very message
 * it received (zmq_msg_send of the received zmq_msg_t), so no byte is copied in user space.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <sched.h>
#include <unistd.h>
#include <zmq.h>

static void die(const char *what)
{
    fprintf(stderr, "zmq_pingpong: %s: %s\n", what, zmq_strerror(zmq_errno()));
    exit(1);
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Context switches (voluntary + involuntary) of every thread of a process, from /proc. */
static long context_switches(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
    DIR *dir = opendir(path);
    if (!dir) return 0;
    long total = 0;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char status[320];
        snprintf(status, sizeof status, "/proc/%d/task/%s/status", (int)pid, e->d_name);
        FILE *f = fopen(status, "r");
        if (!f) continue;
        char line[256];
        long v;
        while (fgets(line, sizeof line, f)) {
            if (sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1 ||
                sscanf(line, "nonvoluntary_ctxt_switches: %ld", &v) == 1)
                total += v;
        }
        fclose(f);
    }
    closedir(dir);
    return total;
}

/* The payload buffer stays alive for the whole run, so libzmq never has to free it. */
static void no_free(void *data, void *hint) { (void)data; (void)hint; }

static int run_server(const char *endpoint)
{
    void *ctx = zmq_ctx_new();
    void *rep = zmq_socket(ctx, ZMQ_REP);
    int linger = 0;
    zmq_setsockopt(rep, ZMQ_LINGER, &linger, sizeof linger);
    if (zmq_connect(rep, endpoint) != 0) die("connect");
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, rep, 0) < 0) die("server recv");
        /* A zero-length message is the client's "stop". */
        int stop = zmq_msg_size(&msg) == 0;
        if (zmq_msg_send(&msg, rep, 0) < 0) die("server send");
        if (stop) break;
    }
    zmq_close(rep);
    zmq_ctx_term(ctx);
    return 0;
}

static int spin_client = 0;

/* A blocking receive, or with --spin a loop of non-blocking ones that gives the core away between. */
static int receive_reply(zmq_msg_t *in, void *req)
{
    if (!spin_client) return zmq_msg_recv(in, req, 0);
    for (;;) {
        int rc = zmq_msg_recv(in, req, ZMQ_DONTWAIT);
        if (rc >= 0 || zmq_errno() != EAGAIN) return rc;
        sched_yield();
    }
}

static double round_trip(void *req, char *payload, size_t size)
{
    double t0 = now_us();
    zmq_msg_t out, in;
    if (size < 1024) {
        /* Small messages are copied into the message itself (no allocation at all). */
        if (zmq_send(req, payload, size, 0) < 0) die("send");
    } else {
        if (zmq_msg_init_data(&out, payload, size, no_free, NULL) != 0) die("msg init");
        if (zmq_msg_send(&out, req, 0) < 0) die("send");
    }
    zmq_msg_init(&in);
    if (receive_reply(&in, req) < 0) die("recv");
    if (zmq_msg_size(&in) != size) {
        fprintf(stderr, "zmq_pingpong: echo of %zu bytes came back as %zu\n", size, zmq_msg_size(&in));
        exit(1);
    }
    zmq_msg_close(&in);
    return now_us() - t0;
}

int main(int argc, char **argv)
{
    const char *program = argv[0];
    if (argc == 3 && strcmp(argv[1], "--server") == 0) return run_server(argv[2]);
    if (argc == 4 && strcmp(argv[1], "--spin") == 0) {
        spin_client = 1;
        argv++;
        argc--;
    }
    if (argc != 3) {
        fprintf(stderr, "usage: %s [--spin] tcp|ipc SIZE:ITERATIONS[,SIZE:ITERATIONS...]\n", program);
        return 2;
    }

    void *ctx = zmq_ctx_new();
    void *req = zmq_socket(ctx, ZMQ_REQ);
    int linger = 0;
    zmq_setsockopt(req, ZMQ_LINGER, &linger, sizeof linger);
    char bind_to[256];
    if (strcmp(argv[1], "tcp") == 0)
        snprintf(bind_to, sizeof bind_to, "tcp://127.0.0.1:*");
    else if (strcmp(argv[1], "ipc") == 0)
        snprintf(bind_to, sizeof bind_to, "ipc:///tmp/mesh-floor-%d.sock", (int)getpid());
    else {
        fprintf(stderr, "zmq_pingpong: transport must be tcp or ipc, not %s\n", argv[1]);
        return 2;
    }
    if (zmq_bind(req, bind_to) != 0) die("bind");
    char endpoint[256];
    size_t len = sizeof endpoint;
    if (zmq_getsockopt(req, ZMQ_LAST_ENDPOINT, endpoint, &len) != 0) die("last endpoint");

    pid_t child = fork();
    if (child < 0) { perror("fork"); return 1; }
    if (child == 0) {
        execl("/proc/self/exe", program, "--server", endpoint, (char *)NULL);
        perror("exec");
        _exit(127);
    }

    char *spec = strdup(argv[2]);
    for (char *item = strtok(spec, ","); item; item = strtok(NULL, ",")) {
        size_t size = 0;
        long n = 0;
        if (sscanf(item, "%zu:%ld", &size, &n) != 2 || size == 0 || n <= 0) {
            fprintf(stderr, "zmq_pingpong: bad SIZE:ITERATIONS item '%s'\n", item);
            kill(child, SIGKILL);
            return 2;
        }
        char *payload = malloc(size);
        if (!payload) { perror("malloc"); return 1; }
        for (size_t i = 0; i < size; i++) payload[i] = (char)(i * 131 + 7);
        double *times = malloc(sizeof(double) * (size_t)n);
        for (long i = 0; i < n / 10 + 5; i++) round_trip(req, payload, size);
        long client_cs = context_switches(getpid()), server_cs = context_switches(child);
        double start = now_us();
        for (long i = 0; i < n; i++) times[i] = round_trip(req, payload, size);
        double total = now_us() - start;
        client_cs = context_switches(getpid()) - client_cs;
        server_cs = context_switches(child) - server_cs;
        qsort(times, (size_t)n, sizeof(double), cmp_double);
        long i99 = (long)(n * 0.99);
        if (i99 > n - 1) i99 = n - 1;
        printf("RESULT {\"payload\":%zu,\"iterations\":%ld,\"p50_us\":%.3f,\"p99_us\":%.3f,\"calls_per_s\":%.1f,"
               "\"note\":\"context switches per round trip: client %.1f, server %.1f\"}\n",
               size, n, times[n / 2], times[i99], n / (total / 1e6), (double)client_cs / n, (double)server_cs / n);
        fflush(stdout);
        free(times);
        free(payload);
    }
    free(spec);

    zmq_msg_t stop;
    zmq_msg_init_size(&stop, 0);
    if (zmq_msg_send(&stop, req, 0) < 0) die("send stop");
    zmq_msg_init(&stop);
    if (zmq_msg_recv(&stop, req, 0) < 0) die("recv stop");
    zmq_msg_close(&stop);
    int status = 0;
    waitpid(child, &status, 0);
    zmq_close(req);
    zmq_ctx_term(ctx);
    if (strncmp(endpoint, "ipc://", 6) == 0) unlink(endpoint + 6);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
