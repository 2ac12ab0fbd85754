/* test_kernel.c - integration tests against the real mesh-glpk-kernel process.
 *
 * Usage: test_kernel GROUP   (protocol | glpk_examples | warm_start | tables | faults | fuzz |
 *                             lifecycle | cancel | proxy | call | idle_spin | valgrind | valgrind_proxy)
 * Each group starts its own kernel(s) through the test manager in client.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "client.h"
#include "mesh/transport.h"
#include "testutil.h"

/* ---- value helpers ------------------------------------------------------------------------ */

static mesh_value *arr(mesh_arena *a, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    mesh_value *x = mesh_v_array(a, (uint32_t)n);
    for (int i = 0; i < n; i++)
        mesh_array_push(a, x, va_arg(ap, mesh_value *));
    va_end(ap);
    return x;
}

static mesh_value *kw(mesh_arena *a, int n, ...)
{
    va_list ap;
    va_start(ap, n);
    mesh_value *x = mesh_v_map(a, (uint32_t)n);
    for (int i = 0; i < n; i++) {
        const char *k = va_arg(ap, const char *);
        mesh_map_put(a, x, k, va_arg(ap, mesh_value *));
    }
    va_end(ap);
    return x;
}

#define S(s) mesh_v_str(a, (s))
#define I(i) mesh_v_int(a, (i))
#define F(d) mesh_v_f64(a, (d))
#define B(b) mesh_v_bool(a, (b))

static const char *state_of(const mesh_message *m)
{
    return mstr(m->content, "task.state");
}

static const mesh_value *result_of(const mesh_message *m)
{
    const char *st = state_of(m);
    return st && strcmp(st, "COMPLETED") == 0 ? mget(m->content, "result") : NULL;
}

static const char *error_text(const mesh_message *m)
{
    static char buf[1024];
    const char *t = mstr(m->content, "error.type");
    const char *msg = mstr(m->content, "error.message");
    snprintf(buf, sizeof buf, "%s (%lld): %s", t ? t : "?", (long long)mint(m->content, "error.code", -1),
             msg ? msg : "?");
    return buf;
}

static bool close_to(double x, double y, double rel)
{
    if (isnan(x) && isnan(y))
        return true;
    return fabs(x - y) <= rel * fmax(1.0, fmax(fabs(x), fabs(y)));
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = 0;
    fclose(f);
    return s;
}

static bool log_contains(const mesh_message *m, const char *needle)
{
    const mesh_value *log = mget(m->content, "task.log");
    for (uint32_t i = 0; log && i < log->u.a.n; i++)
        if (strstr(log->u.a.items[i].u.s.ptr, needle))
            return true;
    return false;
}

/* A transportation LP of n x n columns that takes seconds to solve. */
static char *big_lp(int n)
{
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);
    fprintf(f, "set I := 1..%d; set J := 1..%d;\n", n, n);
    fprintf(f, "param c{i in I, j in J} := 1 + ((i*7919 + j*104729) mod 1000)/10;\n");
    fprintf(f, "param s{i in I} := 100 + (i mod 7); param d{j in J} := 90 + (j mod 5);\n");
    fprintf(f, "var x{I,J} >= 0; minimize cost: sum{i in I, j in J} c[i,j]*x[i,j];\n");
    fprintf(f, "s.t. sup{i in I}: sum{j in J} x[i,j] <= s[i];\n");
    fprintf(f, "s.t. dem{j in J}: sum{i in I} x[i,j] >= d[j];\nend;\n");
    fclose(f);
    return s;
}

static int start(tk *k, const char *const *env)
{
    tk_options o = {.env = env};
    int rc = tk_start(k, &o);
    if (rc != 0)
        fprintf(stderr, "kernel did not start (%d)\n", rc);
    return rc;
}

static void stop(tk *k)
{
    int code = tk_shutdown(k, 1, 10);
    CHECK(code == 0, "kernel exit code %d after shutdown_request", code);
    tk_close(k);
}

/* ======================================================================================== */
/* protocol                                                                                  */
/* ======================================================================================== */

static void protocol_group(void)
{
    static const char *const env[] = {"MESH_MAX_CONCURRENCY=1", NULL};
    tk k;
    REQUIRE(start(&k, env) == 0, "start");
    mesh_arena *a = mesh_arena_new();
    mesh_message m;

    /* kernel_info */
    REQUIRE(tk_request(&k, k.submit, "kernel_info_request", mesh_v_map(a, 0), 5, &m) == 0, "kernel_info");
    CHECK(strcmp(m.type, "kernel_info_reply") == 0, "type %s", m.type);
    CHECK(mint(m.content, "protocol_version", 0) == 1, "protocol_version");
    CHECK(mint(m.content, "max_concurrency", 0) == 1, "max_concurrency from MESH_MAX_CONCURRENCY");
    CHECK(mint(m.content, "pid", 0) == k.pid, "pid");
    const mesh_value *eps = mget(m.content, "endpoints");
    const char *expect[] = {"solve", "load", "set_row_bounds", "set_objective_coefficients", "solve_handle",
                            "get_variables", "get_duals", "release", "echo", "add", "concat", "sum_array",
                            "scale", "transpose", "make_table", "table_echo", "fail", "sleep", "progress",
                            "log", "order", "pid", "mesh.root", "mesh.call", "mesh.call_method", "mesh.get_attr",
                            "mesh.set_attr", "mesh.get_item", "mesh.set_item", "mesh.deref", "mesh.release",
                            "mesh.objects"};
    CHECK(eps && eps->u.a.n == sizeof expect / sizeof expect[0], "endpoint count %u", eps ? eps->u.a.n : 0);
    for (size_t i = 0; eps && i < sizeof expect / sizeof expect[0]; i++) {
        bool found = false;
        for (uint32_t j = 0; j < eps->u.a.n; j++)
            if (strcmp(mstr(&eps->u.a.items[j], "name"), expect[i]) == 0)
                found = true;
        CHECK(found, "endpoint %s listed", expect[i]);
    }
    mesh_message_free(&m);

    /* health */
    REQUIRE(tk_health(&k, &m) == 0, "health");
    CHECK(strcmp(mstr(m.content, "status"), "ok") == 0 && strcmp(mstr(m.content, "kernel_id"), k.kernel_id) == 0,
          "health reply");
    mesh_message_free(&m);

    /* echo of nested values, with an ndarray in a buffer frame and a table */
    uint64_t shape[2] = {300, 2};
    mesh_value *nd = mesh_v_ndarray(a, MESH_DT_FLOAT64, 2, shape);
    for (int i = 0; i < 600; i++)
        ((double *)nd->u.nd.data)[i] = i * 0.25;
    mesh_value *tbl = mesh_v_table(a, 2, 2);
    uint64_t two[1] = {2};
    mesh_value *col = mesh_v_ndarray(a, MESH_DT_INT32, 1, two);
    ((int32_t *)col->u.nd.data)[1] = 7;
    mesh_table_set(a, tbl, 0, "n", col);
    mesh_table_set(a, tbl, 1, "s", arr(a, 2, S("x"), mesh_v_nil(a)));
    mesh_value *complex = kw(a, 7, "i", I(-5), "f", F(1.5), "s", S("h\xc3\xa9llo"), "b", mesh_v_bin(a, "\0\1\2", 3),
                             "nested", arr(a, 3, kw(a, 1, "x", mesh_v_nil(a)), arr(a, 0), B(true)), "nd", nd,
                             "t", tbl);
    mesh_map_put(a, complex, "when", mesh_v_timestamp(a, 1700000000, 5));
    REQUIRE(tk_call(&k, "echo", arr(a, 1, complex), NULL, 10, &m) == 0, "echo");
    CHECK(result_of(&m) && mesh_value_equal(result_of(&m), complex), "echo returns the value unchanged (%s)", error_text(&m));
    mesh_message_free(&m);

    /* add, concat with named arguments and default, scale / sum_array on a big array */
    REQUIRE(tk_call(&k, "add", arr(a, 1, F(1.25)), kw(a, 1, "b", I(2)), 10, &m) == 0, "add");
    CHECK(result_of(&m) && result_of(&m)->u.f64 == 3.25, "add");
    mesh_message_free(&m);
    REQUIRE(tk_call(&k, "concat", arr(a, 1, S("a")), NULL, 10, &m) == 0, "concat");
    CHECK(result_of(&m) && strcmp(result_of(&m)->u.s.ptr, "a-") == 0, "concat default");
    mesh_message_free(&m);
    REQUIRE(tk_call(&k, "scale", arr(a, 2, nd, F(2)), NULL, 10, &m) == 0, "scale");
    const mesh_value *sc = result_of(&m);
    CHECK(sc && sc->kind == MESH_NDARRAY && sc->u.nd.ndim == 2 && sc->u.nd.shape[0] == 300 &&
              ((double *)sc->u.nd.data)[599] == 599 * 0.5,
          "scale result");
    mesh_message_free(&m);
    REQUIRE(tk_call(&k, "sum_array", arr(a, 1, nd), NULL, 10, &m) == 0, "sum_array");
    CHECK(result_of(&m) && result_of(&m)->u.f64 == 0.25 * 599 * 600 / 2, "sum_array");
    mesh_message_free(&m);
    REQUIRE(tk_call(&k, "transpose", arr(a, 1, nd), NULL, 10, &m) == 0, "transpose");
    CHECK(result_of(&m) && result_of(&m)->u.nd.shape[0] == 2 && ((double *)result_of(&m)->u.nd.data)[1] == 0.5,
          "transpose");
    mesh_message_free(&m);
    REQUIRE(tk_call(&k, "make_table", arr(a, 1, I(3)), NULL, 10, &m) == 0, "make_table");
    CHECK(result_of(&m) && result_of(&m)->kind == MESH_TABLE && result_of(&m)->u.t.nrows == 3, "make_table");
    mesh_message_free(&m);

    /* argument binding errors */
    struct {
        const char *ep;
        mesh_value *args, *kwargs;
        int code;
    } bad[] = {
        {"add", arr(a, 3, F(1), F(2), F(3)), NULL, MESH_BAD_ARGUMENTS},
        {"add", arr(a, 1, F(1)), NULL, MESH_BAD_ARGUMENTS},
        {"add", arr(a, 1, F(1)), kw(a, 1, "a", F(2)), MESH_BAD_ARGUMENTS},
        {"add", arr(a, 2, S("x"), F(2)), NULL, MESH_BAD_ARGUMENTS},
        {"add", arr(a, 2, F(1), F(2)), kw(a, 1, "c", F(2)), MESH_BAD_ARGUMENTS},
        {"no_such_endpoint", NULL, NULL, MESH_UNKNOWN_ENDPOINT},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        REQUIRE(tk_call(&k, bad[i].ep, bad[i].args, bad[i].kwargs, 10, &m) == 0, "bad call %zu", i);
        const mesh_value *acc = mget(m.content, "accepted");
        CHECK(acc && !acc->u.b && mint(m.content, "error.code", 0) == bad[i].code, "bad call %zu rejected with %d: %s", i,
              bad[i].code, error_text(&m));
        mesh_message_free(&m);
    }

    /* fail: ValueError, code 0, traceback */
    REQUIRE(tk_call(&k, "fail", arr(a, 1, S("boom")), NULL, 10, &m) == 0, "fail");
    CHECK(strcmp(state_of(&m), "ERROR") == 0 && strcmp(mstr(m.content, "error.type"), "ValueError") == 0 &&
              strcmp(mstr(m.content, "error.message"), "boom") == 0 && mint(m.content, "error.code", -1) == 0 &&
              mget(m.content, "error.traceback")->u.a.n > 0,
          "fail: %s", error_text(&m));
    mesh_message_free(&m);

    /* log and progress */
    REQUIRE(tk_call(&k, "log", arr(a, 1, arr(a, 2, S("first line"), S("second line"))), NULL, 10, &m) == 0, "log");
    CHECK(log_contains(&m, "first line") && log_contains(&m, "second line"), "log lines in the task record");
    mesh_message_free(&m);
    tk_clear_progress(&k);
    REQUIRE(tk_call(&k, "progress", arr(a, 1, I(5)), NULL, 10, &m) == 0, "progress");
    mesh_message_free(&m);
    tk_poll_progress(&k, 0.3);
    int seen = 0;
    for (size_t i = 0; i < k.nprogress; i++)
        if (k.progress[i].value && k.progress[i].value->kind == MESH_INT && k.progress[i].value->u.i == seen + 1)
            seen++;
    CHECK(seen == 5, "progress messages 1..5 received in order (%d)", seen);

    /* get before submit; unknown ids; duplicate ids; keep */
    char id[33];
    tk_id(id);
    {
        mesh_value *c = kw(a, 3, "task_id", S(id), "timeout", F(5), "keep", B(true));
        char rid[33];
        tk_id(rid);
        mesh_header h = {.id = rid, .type = "get_request", .session = k.session};
        mesh_frames fr = {0};
        mesh_envelope_encode(&k.key, &h, c, &fr);
        tk_send_frames(k.get, &fr);
        mesh_frames_free(&fr);
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        REQUIRE(tk_submit(&k, id, "add", arr(a, 2, F(1), F(1)), NULL, 5, -1, &m) == 0, "submit after get");
        CHECK(mget(m.content, "accepted")->u.b, "accepted: %s", error_text(&m));
        mesh_message_free(&m);
        mesh_message r;
        mesh_frames in = {0};
        zmq_pollitem_t it = {.socket = k.get, .events = ZMQ_POLLIN};
        CHECK(zmq_poll(&it, 1, 5000) == 1 && mesh_recv(k.get, &in, 0) == 1, "get reply for the early get");
        mesh_rx_error err;
        if (in.n && mesh_envelope_decode(&k.key, &in, 0, &r, &err) == MESH_RX_OK) {
            CHECK(strcmp(r.parent_id, rid) == 0 && result_of(&r) && result_of(&r)->u.f64 == 2, "early get answered");
            mesh_message_free(&r);
        }
        mesh_frames_free(&in);
    }
    REQUIRE(tk_submit(&k, id, "add", arr(a, 2, F(1), F(1)), NULL, 5, -1, &m) == 0, "duplicate");
    CHECK(!mget(m.content, "accepted")->u.b && mint(m.content, "error.code", 0) == MESH_DUPLICATE_TASK, "DUPLICATE_TASK");
    mesh_message_free(&m);
    REQUIRE(tk_get(&k, id, 1, false, &m) == 0, "get again (kept)");
    CHECK(result_of(&m) != NULL, "kept result still there");
    mesh_message_free(&m);
    double t0 = test_now();
    REQUIRE(tk_get(&k, id, 5, false, &m) == 0, "get after forget");
    CHECK(mint(m.content, "error.code", 0) == MESH_UNKNOWN_TASK && test_now() - t0 < 1, "forgotten -> UNKNOWN_TASK at once");
    mesh_message_free(&m);
    tk_id(id);
    t0 = test_now();
    REQUIRE(tk_get(&k, id, 0.3, false, &m) == 0, "get never-seen");
    CHECK(mint(m.content, "error.code", 0) == MESH_UNKNOWN_TASK && test_now() - t0 >= 0.25, "never seen -> waits, then UNKNOWN_TASK");
    mesh_message_free(&m);

    /* a get for a task whose submit is rejected gets the rejection, before and after */
    {
        tk_id(id);
        mesh_value *c = kw(a, 3, "task_id", S(id), "timeout", F(5), "keep", B(false));
        char rid[33];
        tk_id(rid);
        mesh_header h = {.id = rid, .type = "get_request", .session = k.session};
        mesh_frames fr = {0};
        mesh_envelope_encode(&k.key, &h, c, &fr);
        tk_send_frames(k.get, &fr);
        mesh_frames_free(&fr);
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
        t0 = test_now();
        REQUIRE(tk_submit(&k, id, "no_such_endpoint", NULL, NULL, 5, -1, &m) == 0, "rejected submit");
        mesh_message_free(&m);
        mesh_message r;
        mesh_frames in = {0};
        zmq_pollitem_t it = {.socket = k.get, .events = ZMQ_POLLIN};
        CHECK(zmq_poll(&it, 1, 5000) == 1 && mesh_recv(k.get, &in, 0) == 1, "early get answered");
        mesh_rx_error err;
        if (in.n && mesh_envelope_decode(&k.key, &in, 0, &r, &err) == MESH_RX_OK) {
            CHECK(strcmp(r.parent_id, rid) == 0 && mget(r.content, "done")->u.b &&
                      mint(r.content, "error.code", 0) == MESH_UNKNOWN_ENDPOINT && test_now() - t0 < 1,
                  "waiting get answered with the rejection: %s", error_text(&r));
            mesh_message_free(&r);
        }
        mesh_frames_free(&in);
        t0 = test_now();
        REQUIRE(tk_get(&k, id, 5, false, &m) == 0, "get after the rejection");
        CHECK(mint(m.content, "error.code", 0) == MESH_UNKNOWN_ENDPOINT && test_now() - t0 < 1,
              "later get answered at once with the rejection");
        mesh_message_free(&m);
    }
    /* content that does not fit the message type: MALFORMED_MESSAGE, counted as rejected */
    REQUIRE(tk_health(&k, &m) == 0, "health");
    int64_t rejected0 = mint(m.content, "rejected", -1);
    mesh_message_free(&m);
    REQUIRE(tk_request(&k, k.submit, "submit_request", kw(a, 1, "endpoint", S("add")), 5, &m) == 0, "no task_id");
    CHECK(strcmp(m.type, "error_reply") == 0 && mint(m.content, "error.code", 0) == MESH_MALFORMED_MESSAGE, "submit without task_id");
    mesh_message_free(&m);
    REQUIRE(tk_request(&k, k.get, "get_request", kw(a, 2, "task_id", S("x"), "keep", S("yes")), 5, &m) == 0, "bad keep");
    CHECK(strcmp(m.type, "error_reply") == 0 && mint(m.content, "error.code", 0) == MESH_MALFORMED_MESSAGE, "get with a str keep");
    mesh_message_free(&m);
    REQUIRE(tk_request(&k, k.get, "submit_request", mesh_v_map(a, 0), 5, &m) == 0, "wrong port");
    CHECK(mint(m.content, "error.code", 0) == MESH_UNKNOWN_MESSAGE_TYPE, "submit_request on the get port");
    mesh_message_free(&m);
    REQUIRE(tk_health(&k, &m) == 0, "health");
    CHECK(mint(m.content, "rejected", -1) == rejected0 + 3, "rejected counter +3 (%lld -> %lld)", (long long)rejected0,
          (long long)mint(m.content, "rejected", -1));
    mesh_message_free(&m);

    /* 10 000 calls pipelined without reading replies meanwhile (no reply may be dropped) */
    {
        enum { NCALLS = 10000 };
        char (*cid)[33] = malloc(NCALLS * sizeof *cid);
        double tp = test_now();
        for (int i = 0; i < NCALLS; i++) {
            tk_id(cid[i]);
            mesh_frames fr = {0};
            char rid[33];
            tk_id(rid);
            mesh_header h = {.id = rid, .type = "submit_request", .session = k.session};
            mesh_value *c = kw(a, 4, "task_id", S(cid[i]), "endpoint", S("add"), "args", arr(a, 2, F(i), F(0.5)),
                               "priority", I(5));
            mesh_envelope_encode(&k.key, &h, c, &fr);
            tk_send_frames(k.submit, &fr);
            mesh_frames_free(&fr);
            tk_id(rid);
            mesh_header g = {.id = rid, .type = "get_request", .session = k.session};
            mesh_envelope_encode(&k.key, &g, kw(a, 3, "task_id", S(cid[i]), "timeout", F(60), "keep", B(false)), &fr);
            tk_send_frames(k.get, &fr);
            mesh_frames_free(&fr);
        }
        int ok = 0;
        mesh_frames in = {0};
        for (int i = 0; i < NCALLS; i++) {
            zmq_pollitem_t it = {.socket = k.get, .events = ZMQ_POLLIN};
            if (zmq_poll(&it, 1, 10000) != 1 || mesh_recv(k.get, &in, 0) != 1)
                break;
            mesh_message r;
            mesh_rx_error err;
            if (mesh_envelope_decode(&k.key, &in, 0, &r, &err) == MESH_RX_OK) {
                const mesh_value *res = result_of(&r);
                const char *tid = mstr(r.content, "task_id");
                /* the task id tells which call this was: find its argument */
                for (int j = 0; res && tid && j < NCALLS; j++)
                    if (strcmp(cid[j], tid) == 0) {
                        if (res->u.f64 == j + 0.5)
                            ok++;
                        break;
                    }
                mesh_message_free(&r);
            }
            mesh_frames_free(&in);
        }
        printf("10000 pipelined calls: %d correct in %.2f s\n", ok, test_now() - tp);
        CHECK(ok == NCALLS, "%d of %d pipelined calls answered correctly", ok, NCALLS);
        tk_poll_progress(&k, 0.2); /* drain the submit replies */
        free(cid);
    }

    /* status of known and unknown tasks; priority order with one worker */
    char blocker[33];
    tk_id(blocker);
    REQUIRE(tk_submit(&k, blocker, "sleep", arr(a, 1, F(0.4)), NULL, 5, -1, &m) == 0, "blocker");
    mesh_message_free(&m);
    int prios[] = {1, 5, 10, 5, 10, 3};
    char ids[6][33];
    for (int i = 0; i < 6; i++) {
        tk_id(ids[i]);
        REQUIRE(tk_submit(&k, ids[i], "order", arr(a, 1, I(i)), NULL, prios[i], -1, &m) == 0, "order %d", i);
        mesh_message_free(&m);
    }
    REQUIRE(tk_request(&k, k.submit, "status_request", kw(a, 1, "task_ids", arr(a, 3, S(blocker), S(ids[0]), S("nope"))), 5, &m) == 0,
            "status");
    const mesh_value *tasks = mget(m.content, "tasks");
    CHECK(tasks && tasks->u.a.n == 3 && strcmp(mstr(&tasks->u.a.items[1], "state"), "QUEUED") == 0 &&
              tasks->u.a.items[2].kind == MESH_NIL,
          "status records");
    mesh_message_free(&m);
    int64_t pos[6];
    for (int i = 0; i < 6; i++) {
        REQUIRE(tk_get(&k, ids[i], 10, false, &m) == 0, "order result");
        const mesh_value *r = result_of(&m);
        pos[i] = r ? r->u.a.items[1].u.i : -1;
        mesh_message_free(&m);
    }
    /* expected start order: 10 (i=2), 10 (i=4), 5 (i=1), 5 (i=3), 3 (i=5), 1 (i=0) */
    CHECK(pos[2] < pos[4] && pos[4] < pos[1] && pos[1] < pos[3] && pos[3] < pos[5] && pos[5] < pos[0],
          "priority order: %lld %lld %lld %lld %lld %lld", (long long)pos[0], (long long)pos[1], (long long)pos[2],
          (long long)pos[3], (long long)pos[4], (long long)pos[5]);
    REQUIRE(tk_get(&k, blocker, 10, false, &m) == 0, "blocker result");
    mesh_message_free(&m);

    /* timeout */
    tk_id(id);
    REQUIRE(tk_submit(&k, id, "sleep", arr(a, 1, F(5)), NULL, 5, 0.2, &m) == 0, "sleep with timeout");
    mesh_message_free(&m);
    REQUIRE(tk_get(&k, id, 5, false, &m) == 0, "timeout result");
    CHECK(strcmp(state_of(&m), "ERROR") == 0 && mint(m.content, "error.code", 0) == MESH_TASK_TIMEOUT, "TASK_TIMEOUT: %s",
          error_text(&m));
    mesh_message_free(&m);

    /* interrupt */
    tk_id(id);
    REQUIRE(tk_submit(&k, id, "sleep", arr(a, 1, F(10)), NULL, 5, -1, &m) == 0, "sleep for interrupt");
    mesh_message_free(&m);
    struct timespec ts = {0, 150 * 1000 * 1000};
    nanosleep(&ts, NULL);
    REQUIRE(tk_request(&k, k.submit, "interrupt_request", mesh_v_map(a, 0), 5, &m) == 0, "interrupt");
    CHECK(mint(m.content, "interrupted", 0) == 1, "one task interrupted");
    mesh_message_free(&m);
    REQUIRE(tk_get(&k, id, 5, false, &m) == 0, "interrupted result");
    CHECK(strcmp(state_of(&m), "CANCELLED") == 0 && mint(m.content, "error.code", 0) == MESH_TASK_CANCELLED, "CANCELLED");
    mesh_message_free(&m);

    /* unknown message type */
    REQUIRE(tk_request(&k, k.submit, "frobnicate_request", mesh_v_map(a, 0), 5, &m) == 0, "unknown type");
    CHECK(strcmp(m.type, "error_reply") == 0 && mint(m.content, "error.code", 0) == MESH_UNKNOWN_MESSAGE_TYPE, "UNKNOWN_MESSAGE_TYPE");
    mesh_message_free(&m);

    /* an ndarray whose byte length does not match its shape: BAD_ARGUMENTS at submit */
    {
        static const uint8_t payload[] = {0x93, 0xa7, 'f', 'l', 'o', 'a', 't', '6', '4', 0x91, 0x03, 0xc4, 0x08, 0, 0, 0, 0, 0, 0, 0, 0};
        mesh_value *x = mesh_v_nil(a);
        x->kind = MESH_EXT;
        x->u.ext.type = 1;
        x->u.ext.data = payload;
        x->u.ext.len = sizeof payload;
        tk_id(id);
        REQUIRE(tk_submit(&k, id, "sum_array", arr(a, 1, x), NULL, 5, -1, &m) == 0, "bad ndarray");
        CHECK(!mget(m.content, "accepted")->u.b && mint(m.content, "error.code", 0) == MESH_BAD_ARGUMENTS, "bad ndarray -> BAD_ARGUMENTS");
        mesh_message_free(&m);
    }
    mesh_arena_free(a);
    stop(&k);
}

/* ======================================================================================== */
/* GLPK examples vs glpsol                                                                   */
/* ======================================================================================== */

typedef struct {
    char **name;
    double *v1, *v2; /* bas: prim, dual; mip: value, NaN */
    int n;
} named;

static void named_free(named *x)
{
    for (int i = 0; i < x->n; i++)
        free(x->name[i]);
    free(x->name);
    free(x->v1);
    free(x->v2);
}

/* glpsol's names are MathProg names: split "x[a,'b c',3]" into "x\x1fa\x1fb c\x1f3". */
static char *key_of_name(const char *name)
{
    char *out = malloc(strlen(name) * 2 + 2);
    char *o = out;
    const char *p = name;
    while (*p && *p != '[')
        *o++ = *p++;
    if (*p == '[') {
        p++;
        while (*p && *p != ']') {
            *o++ = '\x1f';
            if (*p == '\'') {
                p++;
                while (*p) {
                    if (*p == '\'' && p[1] == '\'') {
                        *o++ = '\'';
                        p += 2;
                    } else if (*p == '\'') {
                        p++;
                        break;
                    } else {
                        *o++ = *p++;
                    }
                }
            } else {
                while (*p && *p != ',' && *p != ']')
                    *o++ = *p++;
            }
            if (*p == ',')
                p++;
        }
    }
    *o = 0;
    return out;
}

/* glpsol's solution of `model` (with its data section) and `extra` options ("" or "--nopresol"). */
static int glpsol_solution(const char *model, const char *extra, const char *dir, named *cols, named *rows,
                           double *obj, bool *mip)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' %s -m '%s' --wglp p.glp -w s.sol > glpsol.out 2>&1", dir,
             GLPSOL_BIN, extra, model);
    if (system(cmd) != 0)
        return -1;
    char path[512];
    snprintf(path, sizeof path, "%s/p.glp", dir);
    char *glp = read_text(path);
    snprintf(path, sizeof path, "%s/s.sol", dir);
    char *sol = read_text(path);
    if (!glp || !sol)
        return -1;
    memset(cols, 0, sizeof *cols);
    memset(rows, 0, sizeof *rows);
    int nr = 0, nc = 0;
    for (char *line = strtok(glp, "\n"); line; line = strtok(NULL, "\n")) {
        char kind;
        int idx, off;
        if (sscanf(line, "p %*s %*s %d %d", &nr, &nc) == 2) {
            rows->name = calloc((size_t)nr + 1, sizeof(char *));
            cols->name = calloc((size_t)nc + 1, sizeof(char *));
            rows->n = nr;
            cols->n = nc;
        } else if (sscanf(line, "n %c %d %n", &kind, &idx, &off) == 2 && (kind == 'i' || kind == 'j')) {
            named *x = kind == 'i' ? rows : cols;
            if (idx >= 1 && idx <= x->n)
                x->name[idx - 1] = key_of_name(line + off);
        }
    }
    rows->v1 = calloc((size_t)nr + 1, sizeof(double));
    rows->v2 = calloc((size_t)nr + 1, sizeof(double));
    cols->v1 = calloc((size_t)nc + 1, sizeof(double));
    cols->v2 = calloc((size_t)nc + 1, sizeof(double));
    *mip = false;
    for (char *line = strtok(sol, "\n"); line; line = strtok(NULL, "\n")) {
        int idx;
        double a1, a2;
        char st[8];
        if (strncmp(line, "s bas", 5) == 0)
            sscanf(line, "s bas %*d %*d %*s %*s %lf", obj);
        else if (strncmp(line, "s mip", 5) == 0) {
            *mip = true;
            sscanf(line, "s mip %*d %*d %*s %lf", obj);
        } else if (line[0] == 'i' || line[0] == 'j') {
            named *x = line[0] == 'i' ? rows : cols;
            if (!*mip && sscanf(line + 2, "%d %7s %lf %lf", &idx, st, &a1, &a2) == 4 && idx >= 1 && idx <= x->n) {
                x->v1[idx - 1] = a1;
                x->v2[idx - 1] = a2;
            } else if (*mip && sscanf(line + 2, "%d %lf", &idx, &a1) == 2 && idx >= 1 && idx <= x->n) {
                x->v1[idx - 1] = a1;
                x->v2[idx - 1] = NAN;
            }
        }
    }
    free(glp);
    free(sol);
    return 0;
}

/* Compares the kernel's {name: table} against glpsol's values. Index columns are the first
 * ncols-2 columns. */
static int compare_tables(const char *model, const mesh_value *tables, const named *ref, bool rows_kind, bool mip)
{
    int compared = 0, bad = 0;
    for (int i = 0; i < ref->n; i++) {
        const char *key = ref->name[i];
        const char *sep = strchr(key, '\x1f');
        size_t bl = sep ? (size_t)(sep - key) : strlen(key);
        const mesh_value *t = NULL;
        for (uint32_t m = 0; m < tables->u.m.n; m++)
            if (tables->u.m.keys[m].u.s.len == bl && memcmp(tables->u.m.keys[m].u.s.ptr, key, bl) == 0)
                t = &tables->u.m.vals[m];
        if (!t || t->kind != MESH_TABLE) {
            if (bad++ < 3)
                CHECK(false, "%s: no table for %.*s", model, (int)bl, key);
            continue;
        }
        uint32_t k = t->u.t.ncols - 2;
        /* find the row whose index columns spell the key */
        bool found = false;
        for (uint64_t r = 0; r < t->u.t.nrows && !found; r++) {
            char buf[1024];
            size_t o = 0;
            memcpy(buf, key, bl);
            o = bl;
            for (uint32_t c = 0; c < k; c++) {
                const mesh_value *s = &t->u.t.columns[c].u.a.items[r];
                o += (size_t)snprintf(buf + o, sizeof buf - o, "\x1f%s", s->u.s.ptr);
            }
            buf[o] = 0;
            if (strcmp(buf, key) != 0)
                continue;
            found = true;
            double v1 = ((double *)t->u.t.columns[k].u.nd.data)[r];
            double v2 = ((double *)t->u.t.columns[k + 1].u.nd.data)[r];
            /* columns: value, reduced_cost; rows: dual, activity */
            double got_prim = rows_kind ? v2 : v1, got_dual = rows_kind ? v1 : v2;
            bool ok = close_to(got_prim, ref->v1[i], 1e-9) && (mip || close_to(got_dual, ref->v2[i], 1e-9));
            if (!ok && bad++ < 5)
                CHECK(false, "%s: %s %s: kernel %.17g/%.17g, glpsol %.17g/%.17g", model, rows_kind ? "row" : "col", key,
                      got_prim, got_dual, ref->v1[i], ref->v2[i]);
            compared++;
        }
        if (!found && bad++ < 5)
            CHECK(false, "%s: %s not in the kernel's table", model, key);
    }
    t_checks++;
    if (bad)
        t_failures++;
    return compared;
}

/* Every column's value and reduced cost, every row's activity and dual, as glpsol computes them:
 * the kernel's default solve against plain glpsol (both use GLPK's presolver), and
 * presolve: false against glpsol --nopresol. */
static void glpk_examples_group(void)
{
    tk k;
    REQUIRE(start(&k, NULL) == 0, "start");
    const char *models[] = {"transp", "diet", "stigler", "egypt", "prod", "plan", "dist", "gap", "fctp"};
    char dir[] = "/tmp/mesh-glpsol-XXXXXX";
    REQUIRE(mkdtemp(dir), "tmp dir");
    for (int presolve = 1; presolve >= 0; presolve--) {
        for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
            mesh_arena *a = mesh_arena_new();
            char path[512], what[64];
            snprintf(path, sizeof path, "%s/%s.mod", GLPK_EXAMPLES, models[i]);
            snprintf(what, sizeof what, "%s%s", models[i], presolve ? "" : " (no presolve)");
            named cols, rows;
            double obj = NAN;
            bool mip;
            REQUIRE(glpsol_solution(path, presolve ? "" : "--nopresol", dir, &cols, &rows, &obj, &mip) == 0,
                    "glpsol on %s", what);
            mesh_message m;
            double t0 = test_now();
            mesh_value *kwargs = presolve ? NULL : kw(a, 1, "options", kw(a, 1, "presolve", B(false)));
            int rc = tk_call(&k, "solve", arr(a, 1, S(path)), kwargs, 60, &m);
            double dt = test_now() - t0;
            CHECK(rc == 0, "%s: call", what);
            const mesh_value *r = rc == 0 ? result_of(&m) : NULL;
            CHECK(r, "%s: solve failed: %s", what, rc == 0 ? error_text(&m) : "no reply");
            if (r) {
                CHECK(strcmp(mstr(r, "status"), "optimal") == 0, "%s: status %s", what, mstr(r, "status"));
                double kobj = mget(r, "objective")->u.f64;
                CHECK(close_to(kobj, obj, 1e-9), "%s: objective %.17g, glpsol %.17g", what, kobj, obj);
                int nc = compare_tables(what, mget(r, "variables"), &cols, false, mip);
                int nr = mip ? 0 : compare_tables(what, mget(r, "constraints"), &rows, true, mip);
                printf("%-22s %s objective %.10g: %d columns%s, %d rows compared (%.2f s)\n", what, mip ? "MIP" : "LP ",
                       kobj, nc, mip ? " (values)" : " (values, reduced costs)", nr, dt);
                CHECK(log_contains(&m, mip ? "INTEGER OPTIMAL SOLUTION FOUND" : "OPTIMAL"), "%s: solver log captured", what);
            }
            if (strcmp(models[i], "stigler") == 0 && rc == 0)
                CHECK(log_contains(&m, "MINIMUM COST ANNUAL DIET"), "stigler: the model's printf output is in the log");
            if (rc == 0)
                mesh_message_free(&m);
            named_free(&cols);
            named_free(&rows);
            mesh_arena_free(a);
        }
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0, "cleanup");
    stop(&k);
}

/* ======================================================================================== */
/* warm start                                                                                */
/* ======================================================================================== */

static const mesh_value *call_ok(tk *k, mesh_message *m, const char *ep, mesh_value *args, mesh_value *kwargs)
{
    if (tk_call(k, ep, args, kwargs, 60, m) != 0) {
        CHECK(false, "%s: no reply", ep);
        memset(m, 0, sizeof *m);
        return NULL;
    }
    const mesh_value *r = result_of(m);
    CHECK(r, "%s failed: %s", ep, error_text(m));
    return r;
}

static double table_value(const mesh_value *tables, const char *name, const char *index, int col_from_end)
{
    const mesh_value *t = mesh_map_get(tables, name);
    if (!t || t->kind != MESH_TABLE)
        return NAN;
    uint32_t c = t->u.t.ncols - (uint32_t)col_from_end;
    for (uint64_t r = 0; r < t->u.t.nrows; r++) {
        if (index && (t->u.t.ncols < 3 || strcmp(t->u.t.columns[0].u.a.items[r].u.s.ptr, index) != 0))
            continue;
        return ((double *)t->u.t.columns[c].u.nd.data)[r];
    }
    return NAN;
}

static void compare_solutions(const char *what, const mesh_value *vars_a, const mesh_value *vars_b)
{
    const char *idx[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++) {
        double x = table_value(vars_a, "make", idx[i], 2), y = table_value(vars_b, "make", idx[i], 2);
        CHECK(close_to(x, y, 1e-9), "%s: make[%s] %.17g vs %.17g", what, idx[i], x, y);
    }
}

static char *warm_data(double cap_r1, double cap_r2)
{
    char *base = read_text(MESH_TEST_MODELS "/warm.dat");
    char *s;
    char *p = strstr(base, "param cap := r1 40 r2 55");
    *p = 0;
    if (asprintf(&s, "%sparam cap := r1 %.17g r2 %.17g r3 37;\nend;\n", base, cap_r1, cap_r2) < 0)
        s = NULL;
    free(base);
    return s;
}

static void warm_start_group(void)
{
    tk k;
    REQUIRE(start(&k, NULL) == 0, "start");
    mesh_arena *a = mesh_arena_new();
    mesh_message m, m2, m3;
    const mesh_value *r = call_ok(&k, &m, "load", arr(a, 2, S(MESH_TEST_MODELS "/warm.mod"), S(MESH_TEST_MODELS "/warm.dat")), NULL);
    REQUIRE(r, "load");
    int64_t h = mint(r, "handle", 0);
    CHECK(h > 0 && mint(r, "rows", 0) == 6 && mint(r, "cols", 0) == 4, "load reply: handle %lld rows %lld cols %lld",
          (long long)h, (long long)mint(r, "rows", 0), (long long)mint(r, "cols", 0));
    mesh_message_free(&m);

    /* first solve (cold) equals the stateless solve */
    r = call_ok(&k, &m, "solve_handle", arr(a, 1, I(h)), NULL);
    REQUIRE(r, "solve_handle");
    CHECK(strcmp(mstr(r, "status"), "optimal") == 0, "optimal");
    CHECK(!mget(r, "warm")->u.b, "first solve is cold");
    double obj_handle = mget(r, "objective")->u.f64;
    mesh_message_free(&m);
    r = call_ok(&k, &m, "solve", arr(a, 2, S(MESH_TEST_MODELS "/warm.mod"), S(MESH_TEST_MODELS "/warm.dat")), NULL);
    REQUIRE(r, "solve");
    CHECK(close_to(mget(r, "objective")->u.f64, obj_handle, 1e-12), "handle objective equals the stateless one");
    mesh_message_free(&m);

    /* change the capacity of r1 and r2 (<= rows: the upper bound) and re-solve warm */
    r = call_ok(&k, &m, "set_row_bounds", arr(a, 3, I(h), arr(a, 2, S("capacity[r1]"), S("capacity[r2]")), arr(a, 2, F(31.5), F(61.25))), NULL);
    CHECK(r && mint(r, "updated", 0) == 2, "2 rows updated");
    if (r)
        mesh_message_free(&m);
    r = call_ok(&k, &m, "solve_handle", arr(a, 1, I(h)), kw(a, 1, "options", kw(a, 1, "msg_level", S("all"))));
    REQUIRE(r, "warm solve");
    CHECK(mget(r, "warm")->u.b && strcmp(mstr(r, "status"), "optimal") == 0, "warm and optimal");
    double warm_obj = mget(r, "objective")->u.f64;
    CHECK(log_contains(&m, "Dual simplex") || log_contains(&m, "dual simplex") || log_contains(&m, "obj ="), "solver log captured");
    mesh_message_free(&m);
    const mesh_value *wv = call_ok(&k, &m, "get_variables", arr(a, 1, I(h)), NULL);
    const mesh_value *wd = call_ok(&k, &m2, "get_duals", arr(a, 2, I(h), S("cap")), NULL);
    REQUIRE(wv && wd, "get_variables / get_duals");
    CHECK(mesh_map_get(wd, "capacity") && !mesh_map_get(wd, "balance"), "filter by name prefix");
    const mesh_value *ct = mesh_map_get(wd, "capacity");
    CHECK(ct && ct->u.t.ncols == 3 && strcmp(ct->u.t.names[0].u.s.ptr, "R") == 0 &&
              strcmp(ct->u.t.names[1].u.s.ptr, "dual") == 0,
          "index column named after the set R");

    /* cold solve of the changed problem through the stateless endpoint */
    char *data = warm_data(31.5, 61.25);
    const mesh_value *cr = call_ok(&k, &m3, "solve", arr(a, 2, S(MESH_TEST_MODELS "/warm.mod"), S(data)), NULL);
    free(data);
    REQUIRE(cr, "cold solve of the changed problem");
    CHECK(close_to(mget(cr, "objective")->u.f64, warm_obj, 1e-9), "warm objective %.17g equals cold %.17g", warm_obj,
          mget(cr, "objective")->u.f64);
    compare_solutions("warm vs cold", wv, mget(cr, "variables"));
    const char *rr[] = {"r1", "r2", "r3"};
    for (int i = 0; i < 3; i++) {
        double x = table_value(wd, "capacity", rr[i], 2), y = table_value(mget(cr, "constraints"), "capacity", rr[i], 2);
        CHECK(close_to(x, y, 1e-9), "dual of capacity[%s]: warm %.17g, cold %.17g", rr[i], x, y);
    }
    mesh_message_free(&m);
    mesh_message_free(&m2);
    mesh_message_free(&m3);

    /* glob patterns + broadcast, the equality row rule, and the objective */
    r = call_ok(&k, &m, "set_row_bounds", arr(a, 3, I(h), S("capacity*"), arr(a, 1, F(45))), NULL);
    CHECK(r && mint(r, "updated", 0) == 3, "glob matched 3 rows");
    mesh_message_free(&m);
    r = call_ok(&k, &m, "set_row_bounds", arr(a, 3, I(h), S("fixed_d"), arr(a, 1, F(3))), NULL);
    CHECK(r && mint(r, "updated", 0) == 1, "fixed row updated");
    mesh_message_free(&m);
    r = call_ok(&k, &m, "set_objective_coefficients", arr(a, 3, I(h), arr(a, 1, S("make[c]")), arr(a, 1, F(4.9))), NULL);
    CHECK(r && mint(r, "updated", 0) == 1, "objective coefficient updated");
    mesh_message_free(&m);
    r = call_ok(&k, &m, "solve_handle", arr(a, 2, I(h), B(true)), NULL);
    REQUIRE(r, "warm solve 2");
    warm_obj = mget(r, "objective")->u.f64;
    mesh_message_free(&m);
    wv = call_ok(&k, &m, "get_variables", arr(a, 2, I(h), S("ma*")), NULL);
    CHECK(wv && close_to(table_value(wv, "make", "d", 2), 3, 1e-12), "make[d] follows the fixed row: %g",
          wv ? table_value(wv, "make", "d", 2) : NAN);
    /* the same changes as a cold problem: profit c = 4.9, caps 45, make[d] = 3 */
    char *base = read_text(MESH_TEST_MODELS "/warm.dat");
    char *p = strstr(base, "param profit := a 5.1 b 4.3 c 3.7");
    memcpy(p + strlen("param profit := a 5.1 b 4.3 c "), "4.9", 3);
    p = strstr(base, "param cap := r1 40 r2 55 r3 37;");
    *p = 0;
    char *mod = read_text(MESH_TEST_MODELS "/warm.mod");
    char *q = strstr(mod, "make['d'] = 2");
    q[strlen("make['d'] = ")] = '3';
    char *d2;
    if (asprintf(&d2, "%sparam cap := r1 45 r2 45 r3 45;\nend;\n", base) < 0)
        d2 = NULL;
    cr = call_ok(&k, &m2, "solve", arr(a, 2, S(mod), S(d2)), NULL);
    if (cr) {
        CHECK(close_to(mget(cr, "objective")->u.f64, warm_obj, 1e-9), "second warm objective %.17g vs cold %.17g", warm_obj,
              mget(cr, "objective")->u.f64);
        if (wv)
            compare_solutions("warm vs cold (2)", wv, mget(cr, "variables"));
        mesh_message_free(&m2);
    }
    free(base);
    free(mod);
    free(d2);
    mesh_message_free(&m);

    /* row-bound rule violations and bad names */
    REQUIRE(tk_call(&k, "set_row_bounds", arr(a, 3, I(h), S("total"), arr(a, 1, F(1))), NULL, 10, &m) == 0, "free row");
    CHECK(strcmp(state_of(&m), "ERROR") == 0 && strstr(mstr(m.content, "error.message"), "free"), "free row refused: %s", error_text(&m));
    mesh_message_free(&m);
    REQUIRE(tk_call(&k, "set_row_bounds", arr(a, 3, I(h), arr(a, 1, S("nope")), arr(a, 1, F(1))), NULL, 10, &m) == 0, "bad name");
    CHECK(strcmp(state_of(&m), "ERROR") == 0, "unknown row refused");
    mesh_message_free(&m);
    REQUIRE(tk_call(&k, "set_row_bounds", arr(a, 3, I(h), S("capacity*"), arr(a, 2, F(1), F(2))), NULL, 10, &m) == 0, "count");
    CHECK(strcmp(state_of(&m), "ERROR") == 0, "value count mismatch refused");
    mesh_message_free(&m);

    /* release; handle ids are not reused */
    r = call_ok(&k, &m, "release", arr(a, 1, I(h)), NULL);
    CHECK(r && mget(r, "released")->u.b, "released");
    mesh_message_free(&m);
    REQUIRE(tk_call(&k, "get_variables", arr(a, 1, I(h)), NULL, 10, &m) == 0, "released handle");
    CHECK(strcmp(mstr(m.content, "error.type"), "glpk.HandleError") == 0, "released handle: %s", error_text(&m));
    mesh_message_free(&m);
    r = call_ok(&k, &m, "load", arr(a, 2, S(MESH_TEST_MODELS "/warm.mod"), S(MESH_TEST_MODELS "/warm.dat")), NULL);
    CHECK(r && mint(r, "handle", 0) > h, "new handle id %lld > %lld", (long long)(r ? mint(r, "handle", 0) : 0), (long long)h);
    mesh_message_free(&m);
    mesh_arena_free(a);
    stop(&k);
}

/* ======================================================================================== */
/* tables                                                                                    */
/* ======================================================================================== */

static const mesh_value *column(const mesh_value *t, const char *name)
{
    for (uint32_t i = 0; t && i < t->u.t.ncols; i++)
        if (strcmp(t->u.t.names[i].u.s.ptr, name) == 0)
            return &t->u.t.columns[i];
    return NULL;
}

static void tables_group(void)
{
    tk k;
    REQUIRE(start(&k, NULL) == 0, "start");
    mesh_arena *a = mesh_arena_new();
    mesh_message m;
    tk_clear_progress(&k);
    const mesh_value *r = call_ok(&k, &m, "solve", arr(a, 1, S(MESH_TEST_MODELS "/tables.mod")), NULL);
    REQUIRE(r, "solve tables.mod");
    CHECK(close_to(mget(r, "objective")->u.f64, 110, 1e-12), "objective");
    const mesh_value *tables = mget(r, "tables");
    const mesh_value *res = mesh_map_get(tables, "result.csv");
    CHECK(res && res->kind == MESH_TABLE && res->u.t.nrows == 3, "result.csv table");
    const mesh_value *region = column(res, "region"), *amount = column(res, "amount");
    CHECK(region && region->kind == MESH_ARRAY && strcmp(region->u.a.items[0].u.s.ptr, "north") == 0, "str column");
    CHECK(amount && amount->kind == MESH_NDARRAY && amount->u.nd.dtype == MESH_DT_FLOAT64 &&
              ((double *)amount->u.nd.data)[2] == 30,
          "float64 column");
    const mesh_value *vp = mesh_map_get(tables, "via_param.csv");
    CHECK(vp && vp->u.t.nrows == 3, "table written through ResultsPath lands in the task directory");
    const mesh_value *files = mget(r, "files");
    const mesh_value *rep = mesh_map_get(files, "report.txt");
    CHECK(rep && strcmp(rep->u.s.ptr, "report line\n") == 0, "printf > file returned as text");
    CHECK(log_contains(&m, "total cost is 110"), "printf output in the log");
    CHECK(log_contains(&m, "x[north]"), "display output in the log");
    const mesh_value *x = mesh_map_get(mget(r, "variables"), "x");
    CHECK(x && strcmp(x->u.t.names[0].u.s.ptr, "I") == 0 && x->u.t.nrows == 3, "variables.x indexed by I");
    mesh_message_free(&m);
    tk_poll_progress(&k, 0.2);
    bool streamed = false;
    for (size_t i = 0; i < k.nprogress; i++)
        if (k.progress[i].message && strstr(k.progress[i].message, "total cost is 110"))
            streamed = true;
    CHECK(streamed, "printf output streamed as a progress message (%zu progress messages)", k.nprogress);
    struct stat st;
    CHECK(stat("result.csv", &st) != 0, "nothing written to the working directory");

    /* GLPK's own CSV example: IN tables read next to the model file, OUT table returned */
    r = call_ok(&k, &m, "solve", arr(a, 1, S(GLPK_EXAMPLES "/csv/transp_csv.mod")), NULL);
    if (r) {
        CHECK(strcmp(mstr(r, "status"), "optimal") == 0 && close_to(mget(r, "objective")->u.f64, 153.675, 1e-9),
              "transp_csv objective %g", mget(r, "objective")->u.f64);
        const mesh_value *t = mesh_map_get(mget(r, "tables"), "result.csv");
        CHECK(t && t->u.t.nrows == 6, "transp_csv result.csv with 6 rows");
        mesh_message_free(&m);
    }
    /* model and data as text */
    r = call_ok(&k, &m, "solve",
                arr(a, 2, S("param n; var x >= 0, <= n; maximize z: 2 * x; solve; printf \"x=%g\\n\", x; end;"),
                    arr(a, 1, S("param n := 4; end;"))),
                NULL);
    CHECK(r && close_to(mget(r, "objective")->u.f64, 8, 1e-12) && log_contains(&m, "x=4"), "model and data as text");
    if (r)
        mesh_message_free(&m);
    mesh_arena_free(a);
    stop(&k);
}

/* ======================================================================================== */
/* faults                                                                                    */
/* ======================================================================================== */

static void expect_task_error(tk *k, const char *what, const char *ep, mesh_value *args, mesh_value *kwargs,
                              const char *type, const char *needle)
{
    mesh_message m;
    if (tk_call(k, ep, args, kwargs, 60, &m) != 0) {
        CHECK(false, "%s: no reply", what);
        return;
    }
    const char *t = mstr(m.content, "error.type");
    const char *msg = mstr(m.content, "error.message");
    CHECK(state_of(&m) && strcmp(state_of(&m), "ERROR") == 0 && t && strcmp(t, type) == 0 && msg &&
              (!needle || strstr(msg, needle)),
          "%s: got %s", what, error_text(&m));
    printf("  %-22s -> %s: %.160s\n", what, t ? t : "?", msg ? msg : "?");
    mesh_message_free(&m);
}

static void healthy(tk *k, const char *after)
{
    mesh_message m;
    CHECK(tk_health(k, &m) == 0, "health after %s", after);
    if (m.content)
        mesh_message_free(&m);
    mesh_arena *a = mesh_arena_new();
    const mesh_value *r = call_ok(k, &m, "solve", arr(a, 1, S(GLPK_EXAMPLES "/transp.mod")), NULL);
    CHECK(r && close_to(mget(r, "objective")->u.f64, 153.675, 1e-9), "next solve works after %s", after);
    if (m.content)
        mesh_message_free(&m);
    mesh_arena_free(a);
}

static void faults_group(void)
{
    tk k;
    REQUIRE(start(&k, NULL) == 0, "start");
    mesh_arena *a = mesh_arena_new();
    expect_task_error(&k, "syntax error", "solve", arr(a, 1, S("var x >= 0;\nmaximize z: x +;\nend;\n")), NULL,
                      "glpk.ModelError", "model.mod:2");
    healthy(&k, "a syntax error");
    expect_task_error(&k, "missing data file", "solve", arr(a, 2, S(GLPK_EXAMPLES "/transp.mod"), S("/nonexistent/transp.dat")),
                      NULL, "glpk.FileNotFoundError", "/nonexistent/transp.dat");
    expect_task_error(&k, "data error", "solve", arr(a, 2, S("param n; var x <= n; maximize z: x; end;"), S("param n := 1;\nparam n := 2;\nend;\n")),
                      NULL, "glpk.DataError", "data1.dat");
    expect_task_error(&k, "failing check", "solve", arr(a, 1, S("param n := 3; check n > 5; var x; end;")), NULL,
                      "glpk.ModelError", "check");
    expect_task_error(&k, "bad option", "solve", arr(a, 1, S(GLPK_EXAMPLES "/transp.mod")),
                      kw(a, 1, "options", kw(a, 1, "method", S("magic"))), "ValueError", "method");
    /* infeasible and unbounded LPs are results (with the default presolver and without it), and
     * errors with require_optimal; a MIP whose relaxation is unbounded or infeasible likewise */
    mesh_message m;
    const mesh_value *r;
    struct {
        const char *model;
        bool presolve;
        const char *status;
    } st[] = {
        {"var x >= 0; minimize z: x; s.t. c: x <= -1; end;", false, "infeasible"},
        {"var x >= 0; maximize z: x; s.t. c: x >= 1; end;", false, "unbounded"},
        {"var x >= 0; minimize z: x; s.t. c: x <= -1; end;", true, "infeasible"},
        {"var x >= 0; maximize z: x; s.t. c: x >= 1; end;", true, "unbounded"},
        {"var x >= 0, integer; minimize z: x; s.t. c: x <= -1; end;", true, "infeasible"},
        {"var x >= 0, integer; maximize z: x; s.t. c: x >= 1; end;", true, "unbounded"},
    };
    for (size_t i = 0; i < sizeof st / sizeof st[0]; i++) {
        r = call_ok(&k, &m, "solve", arr(a, 1, S(st[i].model)), kw(a, 1, "options", kw(a, 1, "presolve", B(st[i].presolve))));
        CHECK(r && strcmp(mstr(r, "status"), st[i].status) == 0, "%s (presolve %d): status %s, expected %s", st[i].model,
              st[i].presolve, r ? mstr(r, "status") : "-", st[i].status);
        if (m.content)
            mesh_message_free(&m);
    }
    expect_task_error(&k, "infeasible, required", "solve", arr(a, 1, S("var x >= 0; minimize z: x; s.t. c: x <= -1; end;")),
                      kw(a, 1, "options", kw(a, 1, "require_optimal", B(true))), "glpk.SolverError", "infeasible");
    /* GLPK's fatal error handler (memory limit) on the general lane */
    char *big = big_lp(120);
    expect_task_error(&k, "fatal error (solve)", "solve", arr(a, 1, S(big)), kw(a, 1, "options", kw(a, 1, "mem_limit", I(1))),
                      "glpk.FatalError", "memory");
    healthy(&k, "a GLPK fatal error on the general lane");
    /* ... and on the LP lane: loaded handles are invalidated */
    r = call_ok(&k, &m, "load", arr(a, 2, S(MESH_TEST_MODELS "/warm.mod"), S(MESH_TEST_MODELS "/warm.dat")), NULL);
    int64_t h = r ? mint(r, "handle", 0) : 0;
    if (m.content)
        mesh_message_free(&m);
    expect_task_error(&k, "fatal error (load)", "load", arr(a, 1, S(big)), kw(a, 1, "options", kw(a, 1, "mem_limit", I(1))),
                      "glpk.FatalError", "handles are invalidated");
    expect_task_error(&k, "lost handle", "solve_handle", arr(a, 1, I(h)), NULL, "glpk.HandleError", "no longer valid");
    r = call_ok(&k, &m, "release", arr(a, 1, I(h)), NULL);
    CHECK(r != NULL, "a lost handle can be released");
    if (m.content)
        mesh_message_free(&m);
    r = call_ok(&k, &m, "load", arr(a, 2, S(MESH_TEST_MODELS "/warm.mod"), S(MESH_TEST_MODELS "/warm.dat")), NULL);
    int64_t h2 = r ? mint(r, "handle", 0) : 0;
    if (m.content)
        mesh_message_free(&m);
    r = call_ok(&k, &m, "solve_handle", arr(a, 1, I(h2)), NULL);
    CHECK(r && strcmp(mstr(r, "status"), "optimal") == 0, "LP lane works again after the fatal error");
    if (m.content)
        mesh_message_free(&m);
    free(big);
    expect_task_error(&k, "unknown handle", "get_duals", arr(a, 1, I(999999)), NULL, "glpk.HandleError", "unknown handle");
    healthy(&k, "all faults");
    mesh_arena_free(a);
    stop(&k);
}

/* ======================================================================================== */
/* fuzz                                                                                      */
/* ======================================================================================== */

static uint64_t fz = 0x2545F4914F6CDD1Dull;
static uint64_t frnd(void)
{
    fz ^= fz << 13;
    fz ^= fz >> 7;
    fz ^= fz << 17;
    return fz;
}

static void rnd_bytes(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)frnd();
}

static void drain(void *s, long *replies)
{
    mesh_frames fr = {0};
    while (mesh_recv(s, &fr, ZMQ_DONTWAIT) == 1)
        (*replies)++;
    mesh_frames_free(&fr);
}

static void fuzz_group(void)
{
    tk k;
    REQUIRE(start(&k, NULL) == 0, "start");
    mesh_arena *a = mesh_arena_new();
    /* templates: encoded valid messages to mutate */
    const char *types[] = {"health_request", "submit_request", "get_request", "status_request", "cancel_request", "kernel_info_request"};
    mesh_value *contents[] = {
        mesh_v_map(a, 0),
        kw(a, 8, "task_id", S("fuzz"), "endpoint", S("add"), "args", arr(a, 2, F(1), F(2)), "kwargs", mesh_v_map(a, 0),
           "priority", I(5), "timeout", mesh_v_nil(a), "retries", I(0), "metadata", mesh_v_map(a, 0)),
        kw(a, 3, "task_id", S("fuzz"), "timeout", F(0), "keep", B(false)),
        kw(a, 1, "task_ids", arr(a, 2, S("fuzz"), I(3))),
        kw(a, 1, "task_id", S("nope")),
        mesh_v_map(a, 0),
    };
    mesh_frames tmpl[6] = {{0}};
    for (int i = 0; i < 6; i++) {
        mesh_header h = {.id = "00112233445566778899aabbccddeeff", .type = types[i], .session = "fuzz"};
        mesh_envelope_encode(&k.key, &h, contents[i], &tmpl[i]);
    }
    void *socks[3] = {k.health, k.submit, k.get};
    const long N = 120000;
    long replies = 0, sent = 0;
    uint8_t buf[600], hbuf[600];
    double t0 = test_now();
    for (long it = 0; it < N; it++) {
        void *s = socks[it % 3];
        int t = (int)(frnd() % 6);
        mesh_frames fr = {0};
        int mode = (int)(frnd() % 10);
        size_t n;
        switch (mode) {
        case 0: /* random frames, unsigned */
            for (int f = (int)(frnd() % 7); f > 0; f--) {
                n = frnd() % 80;
                rnd_bytes(buf, n);
                mesh_frames_push(&fr, mesh_buf_copy(buf, n));
            }
            if (fr.n == 0)
                mesh_frames_push(&fr, mesh_buf_copy("", 0));
            break;
        case 1: /* valid frames, bad signature */
            for (size_t f = 0; f < tmpl[t].n; f++)
                mesh_frames_push(&fr, mesh_buf_copy(tmpl[t].f[f]->data, tmpl[t].f[f]->size));
            fr.f[1]->data[frnd() % 32] ^= 1;
            break;
        case 2:   /* signed random content */
        case 3: { /* signed mutated content / header */
            const mesh_buf *hdr = tmpl[t].f[2], *cnt = tmpl[t].f[3];
            size_t hl = hdr->size, cl = cnt->size;
            memcpy(hbuf, hdr->data, hl);
            if (mode == 2) {
                cl = frnd() % 200;
                rnd_bytes(buf, cl);
            } else {
                memcpy(buf, cnt->data, cl);
                for (int f = 1 + (int)(frnd() % 4); f > 0; f--) {
                    bool in_header = frnd() % 3 == 0;
                    uint8_t *p = in_header ? hbuf : buf;
                    size_t len = in_header ? hl : cl;
                    if (len == 0)
                        continue;
                    size_t pos = frnd() % len;
                    if (frnd() % 4 == 0) {
                        if (in_header)
                            hl = pos;
                        else
                            cl = pos;
                    } else {
                        p[pos] = (uint8_t)frnd();
                    }
                }
            }
            uint8_t sig[32];
            mesh_sign(&k.key, hbuf, hl, buf, cl, sig);
            mesh_frames_push(&fr, mesh_buf_copy("MESH/1", 6));
            mesh_frames_push(&fr, mesh_buf_copy(sig, 32));
            mesh_frames_push(&fr, mesh_buf_copy(hbuf, hl));
            mesh_frames_push(&fr, mesh_buf_copy(buf, cl));
            break;
        }
        case 4: { /* signed, unknown type or version */
            mesh_header h = {.id = "abc", .type = frnd() % 2 ? "bogus_request" : "health_reply", .session = "fuzz"};
            mesh_envelope_encode(&k.key, &h, mesh_v_map(a, 0), &fr);
            if (frnd() % 2) {
                mesh_buf_unref(fr.f[0]);
                fr.f[0] = mesh_buf_copy("MESH/7", 6);
            }
            break;
        }
        case 5: { /* signed hostile content: deep nesting / huge claimed lengths */
            size_t cl;
            static const uint8_t hostile[][8] = {{0xdd, 0xff, 0xff, 0xff, 0xff}, {0xdf, 0x7f, 0xff, 0xff, 0xff},
                                                 {0xc6, 0xff, 0xff, 0xff, 0xf0}, {0xdb, 0xff, 0xff, 0xff, 0xff},
                                                 {0xc9, 0xff, 0xff, 0xff, 0xff, 0x01}};
            if (frnd() % 2) {
                cl = 200 + frnd() % 300;
                memset(buf, 0x91, cl);
                buf[cl - 1] = 0xc0;
            } else {
                memcpy(buf, hostile[frnd() % 5], 8);
                cl = 8;
            }
            const mesh_buf *hdr = tmpl[t].f[2];
            uint8_t sig[32];
            mesh_sign(&k.key, hdr->data, hdr->size, buf, cl, sig);
            mesh_frames_push(&fr, mesh_buf_copy("MESH/1", 6));
            mesh_frames_push(&fr, mesh_buf_copy(sig, 32));
            mesh_frames_push(&fr, mesh_buf_copy(hdr->data, hdr->size));
            mesh_frames_push(&fr, mesh_buf_copy(buf, cl));
            break;
        }
        case 6: /* valid message with surplus buffer frames */
            for (size_t f = 0; f < tmpl[t].n; f++)
                mesh_frames_push(&fr, mesh_buf_ref(tmpl[t].f[f]));
            for (int f = 1 + (int)(frnd() % 3); f > 0; f--)
                mesh_frames_push(&fr, mesh_buf_copy(buf, frnd() % 100));
            break;
        case 7: /* truncated frame lists */
            for (size_t f = 0; f < tmpl[t].n && f < frnd() % 4; f++)
                mesh_frames_push(&fr, mesh_buf_ref(tmpl[t].f[f]));
            if (fr.n == 0)
                mesh_frames_push(&fr, mesh_buf_copy("MESH/1", 6));
            break;
        default: /* random tag-like first frame, rest random */
            mesh_frames_push(&fr, mesh_buf_copy("MESH/", 5 + frnd() % 2));
            for (int f = (int)(frnd() % 5); f > 0; f--) {
                n = frnd() % 40;
                rnd_bytes(buf, n);
                mesh_frames_push(&fr, mesh_buf_copy(buf, n));
            }
        }
        if (it % 20000 == 19999) { /* now and then: far too many frames */
            for (int f = 0; f < 5000; f++)
                mesh_frames_push(&fr, mesh_buf_copy("x", 1));
        }
        int src = tk_send_frames(s, &fr);
        mesh_frames_free(&fr);
        if (src != 0) {
            CHECK(false, "send failed after %ld messages: the kernel stopped reading (exit %d)", sent, tk_wait_exit(&k, 0));
            break;
        }
        sent++;
        if ((it & 255) == 0)
            for (int i = 0; i < 3; i++)
                drain(socks[i], &replies);
    }
    double dt = test_now() - t0;
    /* the kernel must still answer health and work */
    /* health is answered by its own thread at once; wait until the I/O thread has worked
     * through the backlog (the rejected counter stops moving) */
    mesh_message m;
    bool ok = false;
    long long last = -1, rejected = -1;
    double th = test_now();
    for (int tries = 0; tries < 200; tries++) {
        for (int i = 0; i < 3; i++)
            drain(socks[i], &replies);
        if (tk_health(&k, &m) != 0)
            break;
        ok = true;
        rejected = mint(m.content, "rejected", -1);
        mesh_message_free(&m);
        if (rejected == last)
            break;
        last = rejected;
        nanosleep(&(struct timespec){0, 200 * 1000 * 1000}, NULL);
    }
    printf("fuzz: %ld malformed messages sent in %.1f s, processed after %.1f s more; %ld replies; %lld rejected\n",
           sent, dt, test_now() - th, replies, rejected);
    CHECK(ok, "health answered after the fuzz");
    CHECK(rejected >= N / 2, "rejected counter %lld", rejected);
    CHECK(tk_wait_exit(&k, 0) < 0, "kernel still running");
    const mesh_value *r = call_ok(&k, &m, "add", arr(a, 2, F(2), F(3)), NULL);
    CHECK(r && r->u.f64 == 5, "a normal call works after the fuzz");
    if (m.content)
        mesh_message_free(&m);
    for (int i = 0; i < 6; i++)
        mesh_frames_free(&tmpl[i]);
    mesh_arena_free(a);
    stop(&k);
}

/* ======================================================================================== */
/* lifecycle                                                                                 */
/* ======================================================================================== */

static int run_kernel_with_file(const char *content)
{
    char path[] = "/tmp/mesh-conn-XXXXXX";
    int fd = mkstemp(path);
    if (content && write(fd, content, strlen(content)) < 0)
        return -1;
    close(fd);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", 1);
        dup2(devnull, 2);
        setenv("MESH_CONNECTION_FILE", content ? path : "/nonexistent/connection.json", 1);
        execl(MESH_KERNEL_BIN, MESH_KERNEL_BIN, (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    unlink(path);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static bool wait_for_state(tk *k, const char *task_id, const char *state, double timeout);

static void lifecycle_group(void)
{
    /* exit 2: missing or bad connection file */
    CHECK(run_kernel_with_file(NULL) == 2, "missing connection file -> 2");
    CHECK(run_kernel_with_file("{\"protocol\": \"MESH/1\"") == 2, "bad connection file -> 2");

    /* exit 3: registration refused, or never answered */
    tk k;
    tk_options refuse = {.refuse = true};
    CHECK(tk_start(&k, &refuse) == 1, "registration refused");
    CHECK(tk_wait_exit(&k, 10) == 3, "refused -> exit 3 (got %d)", k.exit_code);
    tk_close(&k);
    static const char *const short_reg[] = {"MESH_REGISTRATION_TIMEOUT=1", NULL};
    tk_options silent = {.no_register_reply = true, .env = short_reg};
    double t0 = test_now();
    CHECK(tk_start(&k, &silent) == 1, "no register_reply");
    CHECK(tk_wait_exit(&k, 10) == 3, "no register_reply -> exit 3 (got %d)", k.exit_code);
    printf("no register_reply: exit 3 after %.1f s\n", test_now() - t0);
    tk_close(&k);

    /* SIGTERM while idle and while a task runs */
    mesh_arena *a = mesh_arena_new();
    mesh_message m;
    REQUIRE(start(&k, NULL) == 0, "start");
    t0 = test_now();
    kill(k.pid, SIGTERM);
    int code = tk_wait_exit(&k, 5);
    CHECK(code == 0 && test_now() - t0 < 2, "SIGTERM idle -> exit %d in %.2f s", code, test_now() - t0);
    tk_close(&k);
    REQUIRE(start(&k, NULL) == 0, "start");
    char id[33];
    tk_id(id);
    tk_submit(&k, id, "sleep", arr(a, 1, F(30)), NULL, 5, -1, &m);
    mesh_message_free(&m);
    char *big = big_lp(350);
    tk_id(id);
    tk_submit(&k, id, "solve", arr(a, 1, S(big)), NULL, 5, -1, &m);
    mesh_message_free(&m);
    struct timespec ts = {1, 500 * 1000 * 1000};
    nanosleep(&ts, NULL);
    t0 = test_now();
    kill(k.pid, SIGTERM);
    code = tk_wait_exit(&k, 10);
    CHECK(code == 0 && test_now() - t0 < 3, "SIGTERM during a sleep and a solve -> exit %d in %.2f s", code, test_now() - t0);
    printf("SIGTERM with running tasks: exit %d after %.2f s\n", code, test_now() - t0);
    tk_close(&k);

    /* parent death -> exit 4 */
    pid_t parent = fork();
    if (parent == 0) {
        pause();
        _exit(0);
    }
    tk_options po = {.parent_pid = parent};
    REQUIRE(tk_start(&k, &po) == 0, "start with a parent");
    kill(parent, SIGKILL);
    waitpid(parent, NULL, 0);
    t0 = test_now();
    code = tk_wait_exit(&k, 5);
    CHECK(code == 4, "parent died -> exit %d after %.2f s", code, test_now() - t0);
    tk_close(&k);

    /* ipc transport: the kernel binds ipc:// endpoints inside ipc_dir */
    tk_options io = {.ipc = true};
    REQUIRE(tk_start(&k, &io) == 0, "start with ipc");
    CHECK(strncmp(k.addr_submit, "ipc://", 6) == 0 && strstr(k.addr_submit, k.dir), "ipc address %s", k.addr_submit);
    const mesh_value *r = call_ok(&k, &m, "add", arr(a, 2, F(1), F(2)), NULL);
    CHECK(r && r->u.f64 == 3, "call over ipc");
    if (m.content)
        mesh_message_free(&m);
    stop(&k);

    /* retention: at most MESH_MAX_RETAINED unfetched results, each for MESH_RESULT_TTL seconds */
    static const char *const ret_env[] = {"MESH_RESULT_TTL=1", "MESH_MAX_RETAINED=3", NULL};
    REQUIRE(start(&k, ret_env) == 0, "start");
    char rid[5][33];
    for (int i = 0; i < 5; i++) {
        tk_id(rid[i]);
        tk_submit(&k, rid[i], "add", arr(a, 2, F(i), F(1)), NULL, 5, -1, &m);
        mesh_message_free(&m);
        nanosleep(&(struct timespec){0, 30 * 1000 * 1000}, NULL);
    }
    nanosleep(&(struct timespec){0, 200 * 1000 * 1000}, NULL);
    CHECK(tk_get(&k, rid[0], 0, true, &m) == 0 && mint(m.content, "error.code", 0) == MESH_UNKNOWN_TASK,
          "oldest result evicted beyond max_retained: %s", error_text(&m));
    mesh_message_free(&m);
    CHECK(tk_get(&k, rid[4], 0, true, &m) == 0 && result_of(&m), "newest result retained");
    mesh_message_free(&m);
    nanosleep(&(struct timespec){1, 300 * 1000 * 1000}, NULL);
    CHECK(tk_get(&k, rid[4], 0, true, &m) == 0 && mint(m.content, "error.code", 0) == MESH_UNKNOWN_TASK,
          "result expired after result_ttl: %s", error_text(&m));
    mesh_message_free(&m);
    stop(&k);

    /* shutdown_request: drains within grace, refuses new work, reports shutting_down */
    REQUIRE(start(&k, NULL) == 0, "start");
    char sid[33], qid[33];
    tk_id(sid);
    tk_submit(&k, sid, "sleep", arr(a, 1, F(0.6)), NULL, 5, -1, &m);
    mesh_message_free(&m);
    /* running, not queued: a shutdown cancels queued tasks (protocol 6.8), and a worker may not
     * have taken the task yet when the shutdown arrives */
    CHECK(wait_for_state(&k, sid, "STARTED", 5), "sleep task running before the shutdown");
    tk_request(&k, k.submit, "shutdown_request", kw(a, 1, "grace", F(5)), 5, &m);
    CHECK(mget(m.content, "accepted") && mget(m.content, "accepted")->u.b, "shutdown accepted");
    mesh_message_free(&m);
    CHECK(tk_health(&k, &m) == 0 && strcmp(mstr(m.content, "status"), "shutting_down") == 0, "health: shutting_down");
    mesh_message_free(&m);
    tk_id(qid);
    tk_submit(&k, qid, "add", arr(a, 2, F(1), F(1)), NULL, 5, -1, &m);
    CHECK(mint(m.content, "error.code", 0) == MESH_KERNEL_SHUTTING_DOWN, "KERNEL_SHUTTING_DOWN");
    mesh_message_free(&m);
    CHECK(tk_get(&k, sid, 5, false, &m) == 0 && result_of(&m), "running task drained during grace");
    mesh_message_free(&m);
    code = tk_wait_exit(&k, 5);
    CHECK(code == 0, "exit 0 after shutdown (%d)", code);
    tk_close(&k);

    /* shutdown with a short grace cancels the running task */
    REQUIRE(start(&k, NULL) == 0, "start");
    tk_id(sid);
    tk_submit(&k, sid, "sleep", arr(a, 1, F(30)), NULL, 5, -1, &m);
    mesh_message_free(&m);
    nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    tk_request(&k, k.submit, "shutdown_request", kw(a, 1, "grace", F(0.2)), 5, &m);
    mesh_message_free(&m);
    CHECK(tk_get(&k, sid, 5, false, &m) == 0 && strcmp(state_of(&m), "CANCELLED") == 0, "cancelled after grace");
    mesh_message_free(&m);
    code = tk_wait_exit(&k, 5);
    CHECK(code == 0, "exit 0 (%d)", code);
    tk_close(&k);
    free(big);
    mesh_arena_free(a);
}

/* ======================================================================================== */
/* cancel                                                                                    */
/* ======================================================================================== */

static bool wait_for_log(tk *k, const char *id, const char *needle, double timeout)
{
    mesh_arena *a = mesh_arena_new();
    double end = test_now() + timeout;
    bool found = false;
    while (!found && test_now() < end) {
        mesh_message m;
        if (tk_request(k, k->submit, "status_request", kw(a, 1, "task_ids", arr(a, 1, S(id))), 5, &m) != 0)
            break;
        const mesh_value *t = &mget(m.content, "tasks")->u.a.items[0];
        const mesh_value *log = mget(t, "log");
        for (uint32_t i = 0; log && i < log->u.a.n; i++)
            if (strstr(log->u.a.items[i].u.s.ptr, needle))
                found = true;
        mesh_message_free(&m);
        if (!found)
            nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    }
    mesh_arena_free(a);
    return found;
}

static double cancel_and_wait(tk *k, const char *id, mesh_message *m)
{
    mesh_arena *a = mesh_arena_new();
    double t0 = test_now();
    mesh_message c;
    if (tk_request(k, k->submit, "cancel_request", kw(a, 1, "task_id", S(id)), 5, &c) == 0) {
        CHECK(mget(c.content, "cancelled")->u.b, "cancel_reply cancelled");
        mesh_message_free(&c);
    }
    tk_get(k, id, 10, false, m);
    mesh_arena_free(a);
    return test_now() - t0;
}

static void cancel_group(void)
{
    tk k;
    REQUIRE(start(&k, NULL) == 0, "start");
    mesh_arena *a = mesh_arena_new();
    mesh_message m;
    char id[33];

    /* sleep */
    tk_id(id);
    tk_submit(&k, id, "sleep", arr(a, 1, F(30)), NULL, 5, -1, &m);
    mesh_message_free(&m);
    nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    double dt = cancel_and_wait(&k, id, &m);
    CHECK(strcmp(state_of(&m), "CANCELLED") == 0 && mint(m.content, "error.code", 0) == MESH_TASK_CANCELLED && dt < 0.5,
          "sleep cancelled in %.3f s", dt);
    mesh_message_free(&m);
    printf("cancel sleep: %.3f s\n", dt);

    /* a long simplex solve (general lane): cancelled between time slices */
    char *big = big_lp(350);
    tk_id(id);
    tk_submit(&k, id, "solve", arr(a, 1, S(big)), NULL, 5, -1, &m);
    mesh_message_free(&m);
    CHECK(wait_for_log(&k, id, "obj =", 30), "simplex started");
    dt = cancel_and_wait(&k, id, &m);
    CHECK(strcmp(state_of(&m), "CANCELLED") == 0 && dt < 1.0, "simplex cancelled in %.3f s (%s)", dt, state_of(&m));
    printf("cancel simplex (general lane): %.3f s\n", dt);
    mesh_message_free(&m);

    /* interior point: cancelled through the terminal hook (environment freed) */
    tk_id(id);
    tk_submit(&k, id, "solve", arr(a, 1, S(big)), kw(a, 1, "options", kw(a, 1, "method", S("interior"))), 5, -1, &m);
    mesh_message_free(&m);
    CHECK(wait_for_log(&k, id, "rpi =", 30), "interior-point iterations started");
    dt = cancel_and_wait(&k, id, &m);
    CHECK(strcmp(state_of(&m), "CANCELLED") == 0 && dt < 1.0, "interior point cancelled in %.3f s (%s)", dt, state_of(&m));
    printf("cancel interior point (general lane, terminal-hook abort): %.3f s\n", dt);
    mesh_message_free(&m);
    /* the MathProg translation of a big model: the same abort path */
    char *bigger = big_lp(600);
    tk_id(id);
    tk_submit(&k, id, "solve", arr(a, 1, S(bigger)), NULL, 5, -1, &m);
    mesh_message_free(&m);
    CHECK(wait_for_log(&k, id, "Generating cost", 30), "translation started");
    dt = cancel_and_wait(&k, id, &m);
    /* GLPK calls the terminal hook only between translation phases, 0.8-1.0 s apart here and
     * up to 1.53 s on a slow day (2026-12-07); translating this model alone takes 4.5 s
     * (glpsol --check), so the bound still shows the abort */
    CHECK(strcmp(state_of(&m), "CANCELLED") == 0 && dt < 2.5, "translation cancelled in %.3f s (%s)", dt, state_of(&m));
    printf("cancel MathProg translation (general lane, terminal-hook abort): %.3f s\n", dt);
    mesh_message_free(&m);
    free(bigger);
    healthy(&k, "cancelled solves");

    /* task timeout on a solve */
    tk_id(id);
    tk_submit(&k, id, "solve", arr(a, 1, S(big)), NULL, 5, 1.0, &m);
    mesh_message_free(&m);
    tk_get(&k, id, 30, false, &m);
    CHECK(strcmp(state_of(&m), "ERROR") == 0 && mint(m.content, "error.code", 0) == MESH_TASK_TIMEOUT, "solve timeout: %s",
          error_text(&m));
    mesh_message_free(&m);

    /* solver time limit: a result with status time_limit */
    const mesh_value *r = call_ok(&k, &m, "solve", arr(a, 1, S(big)), kw(a, 1, "options", kw(a, 1, "time_limit", F(0.5))));
    CHECK(r && strcmp(mstr(r, "status"), "time_limit") == 0, "time_limit status: %s", r ? mstr(r, "status") : "-");
    if (m.content)
        mesh_message_free(&m);

    /* the LP lane: cancel a handle solve, the handle stays usable */
    r = call_ok(&k, &m, "load", arr(a, 1, S(big)), NULL);
    int64_t h = r ? mint(r, "handle", 0) : 0;
    if (m.content)
        mesh_message_free(&m);
    tk_id(id);
    tk_submit(&k, id, "solve_handle", arr(a, 1, I(h)), NULL, 5, -1, &m);
    mesh_message_free(&m);
    CHECK(wait_for_log(&k, id, "obj =", 30), "handle simplex started");
    dt = cancel_and_wait(&k, id, &m);
    CHECK(strcmp(state_of(&m), "CANCELLED") == 0 && dt < 1.0, "handle solve cancelled in %.3f s", dt);
    printf("cancel simplex (LP lane): %.3f s\n", dt);
    mesh_message_free(&m);
    r = call_ok(&k, &m, "solve_handle", arr(a, 2, I(h), B(true)), NULL);
    CHECK(r && strcmp(mstr(r, "status"), "optimal") == 0 && mget(r, "warm")->u.b,
          "handle solves to optimality after the cancel, warm from the basis the cancelled solve reached");
    if (m.content)
        mesh_message_free(&m);
    free(big);
    mesh_arena_free(a);
    stop(&k);
}

/* ======================================================================================== */
/* proxies (protocol section 9): LP objects, the conformance objects, errors, lifetimes       */
/* ======================================================================================== */

/* A reference from a reply, copied into a so that it outlives the reply. */
static mesh_value *ref_copy(mesh_arena *a, const mesh_value *v)
{
    if (!v || v->kind != MESH_EXT || v->u.ext.type != 3)
        return NULL;
    mesh_value *c = mesh_arena_alloc(a, sizeof *c);
    uint8_t *d = mesh_arena_alloc(a, v->u.ext.len + 1);
    memcpy(d, v->u.ext.data, v->u.ext.len);
    *c = *v;
    c->u.ext.data = d;
    return c;
}

/* A reference built by hand: ext 3 [id, type_name, kernel_id]. */
static mesh_value *ref_make(mesh_arena *a, uint64_t id, const char *type, const char *kernel)
{
    mesh_value *payload = arr(a, 3, mesh_v_uint(a, id), S(type), S(kernel));
    mesh_encoder e;
    mesh_encoder_init(&e);
    e.inline_all = true;
    mesh_encode(&e, payload);
    mesh_value *v = mesh_arena_alloc(a, sizeof *v);
    uint8_t *d = mesh_arena_alloc(a, e.size);
    memcpy(d, e.data, e.size);
    v->kind = MESH_EXT;
    v->u.ext.type = 3;
    v->u.ext.data = d;
    v->u.ext.len = (uint32_t)e.size;
    mesh_encoder_destroy(&e);
    return v;
}

static uint64_t ref_id(const mesh_value *v)
{
    if (!v || v->kind != MESH_EXT || v->u.ext.type != 3)
        return 0;
    mesh_arena *t = mesh_arena_new();
    mesh_value *x = NULL;
    mesh_decode_error err;
    uint64_t id = 0;
    if (mesh_decode(t, v->u.ext.data, v->u.ext.len, NULL, &x, &err) == MESH_DECODE_OK && x->kind == MESH_ARRAY &&
        x->u.a.n == 3)
        id = x->u.a.items[0].kind == MESH_UINT ? x->u.a.items[0].u.u : (uint64_t)x->u.a.items[0].u.i;
    mesh_arena_free(t);
    return id;
}

static mesh_value *root_ref(tk *k, mesh_arena *a, const char *name)
{
    mesh_message m;
    mesh_value *r = ref_copy(a, call_ok(k, &m, "mesh.root", arr(a, 1, S(name)), NULL));
    if (m.content)
        mesh_message_free(&m);
    CHECK(r, "mesh.root(%s) returns a reference", name);
    return r;
}

/* target.name(*args, **kwargs) that must succeed; the result lives until *m is freed. */
static const mesh_value *method_ok(tk *k, mesh_message *m, mesh_value *target, const char *name, mesh_value *args,
                                   mesh_value *kwargs)
{
    mesh_arena *a = mesh_arena_new();
    const mesh_value *r = call_ok(k, m, "mesh.call_method",
                                  arr(a, 4, target, S(name), args ? args : arr(a, 0), kwargs ? kwargs : mesh_v_map(a, 0)), NULL);
    mesh_arena_free(a);
    return r;
}

/* A new object of an exported type (a reference copied into a). */
static mesh_value *construct(tk *k, mesh_arena *a, mesh_value *type, mesh_value *args, mesh_value *kwargs)
{
    mesh_message m;
    mesh_value *r = ref_copy(a, call_ok(k, &m, "mesh.call", arr(a, 3, type, args ? args : arr(a, 0),
                                                                 kwargs ? kwargs : mesh_v_map(a, 0)), NULL));
    if (m.content)
        mesh_message_free(&m);
    return r;
}

static const mesh_value *attr_ok(tk *k, mesh_message *m, mesh_value *target, const char *name)
{
    mesh_arena *a = mesh_arena_new();
    const mesh_value *r = call_ok(k, m, "mesh.get_attr", arr(a, 2, target, S(name)), NULL);
    mesh_arena_free(a);
    return r;
}

static int64_t live_objects(tk *k)
{
    mesh_arena *a = mesh_arena_new();
    mesh_message m;
    const mesh_value *r = call_ok(k, &m, "mesh.objects", arr(a, 0), NULL);
    int64_t n = r ? mint(r, "objects", -1) : -1;
    if (m.content)
        mesh_message_free(&m);
    mesh_arena_free(a);
    return n;
}

static void release_refs(tk *k, int n, ...)
{
    mesh_arena *a = mesh_arena_new();
    mesh_value *ids = mesh_v_array(a, (uint32_t)n);
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        mesh_array_push(a, ids, mesh_v_uint(a, ref_id(va_arg(ap, const mesh_value *))));
    va_end(ap);
    mesh_message m;
    call_ok(k, &m, "mesh.release", arr(a, 1, ids), NULL);
    if (m.content)
        mesh_message_free(&m);
    mesh_arena_free(a);
}

/* A proxy operation that must fail with `code`, as a rejected submit or as the task's error. */
static void op_fails(tk *k, const char *what, const char *op, mesh_value *args, int code, const char *needle)
{
    mesh_message m;
    if (tk_call(k, op, args, NULL, 60, &m) != 0) {
        CHECK(false, "%s: no reply", what);
        return;
    }
    const char *msg = mstr(m.content, "error.message");
    int64_t got = mint(m.content, "error.code", -1);
    CHECK(got == code && msg && (!needle || strstr(msg, needle)), "%s: expected code %d%s%s, got %s", what, code,
          needle ? " mentioning " : "", needle ? needle : "", error_text(&m));
    printf("  %-34s -> %lld %s: %.150s\n", what, (long long)got, mstr(m.content, "error.type"), msg ? msg : "?");
    mesh_message_free(&m);
}

/* Polls mesh.objects (which also renews this session's lease) until it reaches `want`. */
static double wait_objects(tk *k, int64_t want, double timeout, int64_t *got)
{
    double t0 = test_now();
    while ((*got = live_objects(k)) != want && test_now() - t0 < timeout)
        nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    return test_now() - t0;
}

/* What the proxy group and its valgrind run share: an LP loaded, modified and re-solved through
 * its proxy, with the same results as the task endpoints. */
static void lp_object_case(tk *k, mesh_arena *a)
{
    mesh_message m;
    mesh_value *solver = root_ref(k, a, "solver");
    REQUIRE(solver, "solver root");
    mesh_value *lp = ref_copy(a, method_ok(k, &m, solver, "Load", arr(a, 2, S(MESH_TEST_MODELS "/warm.mod"),
                                                                       S(MESH_TEST_MODELS "/warm.dat")), NULL));
    if (m.content)
        mesh_message_free(&m);
    REQUIRE(lp, "solver.Load returns a reference");
    const mesh_value *r = attr_ok(k, &m, lp, "Rows");
    CHECK(r && r->kind == MESH_INT && r->u.i == 6, "LP.Rows");
    if (m.content)
        mesh_message_free(&m);
    r = attr_ok(k, &m, lp, "columns"); /* case and underscores are ignored */
    CHECK(r && r->kind == MESH_INT && r->u.i == 4, "LP.Columns");
    if (m.content)
        mesh_message_free(&m);
    r = attr_ok(k, &m, lp, "Status");
    CHECK(r && r->kind == MESH_STR && strcmp(r->u.s.ptr, "unsolved") == 0, "LP.Status before solving");
    if (m.content)
        mesh_message_free(&m);

    r = method_ok(k, &m, lp, "Solve", NULL, NULL);
    CHECK(r && strcmp(mstr(r, "status"), "optimal") == 0 && !mget(r, "warm")->u.b, "first Solve: cold, optimal");
    double first = r ? mget(r, "objective")->u.f64 : NAN;
    if (m.content)
        mesh_message_free(&m);
    r = call_ok(k, &m, "solve", arr(a, 2, S(MESH_TEST_MODELS "/warm.mod"), S(MESH_TEST_MODELS "/warm.dat")),
                kw(a, 1, "options", kw(a, 1, "presolve", B(false))));
    CHECK(r && close_to(mget(r, "objective")->u.f64, first, 1e-12), "LP.Solve equals the solve endpoint");
    if (m.content)
        mesh_message_free(&m);
    r = attr_ok(k, &m, lp, "Objective");
    CHECK(r && r->kind == MESH_F64 && r->u.f64 == first, "LP.Objective after Solve");
    if (m.content)
        mesh_message_free(&m);

    /* rows as a positional array, values by name; the snake_case spelling finds SetRowBounds */
    r = method_ok(k, &m, lp, "set_row_bounds", arr(a, 1, arr(a, 2, S("capacity[r1]"), S("capacity[r2]"))),
                  kw(a, 1, "values", arr(a, 2, F(31.5), F(61.25))));
    CHECK(r && mint(r, "updated", 0) == 2, "SetRowBounds updated 2 rows");
    if (m.content)
        mesh_message_free(&m);
    r = method_ok(k, &m, lp, "Solve", NULL, NULL);
    CHECK(r && strcmp(mstr(r, "status"), "optimal") == 0 && mget(r, "warm")->u.b, "second Solve: warm, optimal");
    double warm = r ? mget(r, "objective")->u.f64 : NAN;
    if (m.content)
        mesh_message_free(&m);
    char *changed = warm_data(31.5, 61.25);
    r = call_ok(k, &m, "solve", arr(a, 2, S(MESH_TEST_MODELS "/warm.mod"), S(changed)), NULL);
    CHECK(r && close_to(mget(r, "objective")->u.f64, warm, 1e-9), "warm LP.Solve equals a cold solve of the changed data");
    if (m.content)
        mesh_message_free(&m);
    free(changed);
    r = method_ok(k, &m, lp, "Variables", NULL, NULL);
    const mesh_value *make = r ? mesh_map_get(r, "make") : NULL;
    CHECK(make && make->kind == MESH_TABLE && make->u.t.nrows == 4, "LP.Variables: the make table");
    if (m.content)
        mesh_message_free(&m);
    r = method_ok(k, &m, lp, "Duals", arr(a, 1, S("capacity")), NULL);
    CHECK(r && mesh_map_get(r, "capacity") && !mesh_map_get(r, "balance"), "LP.Duals(filter)");
    if (m.content)
        mesh_message_free(&m);
    r = method_ok(k, &m, lp, "SetObjectiveCoefficients", arr(a, 2, S("make[c]"), arr(a, 1, F(9.5))), NULL);
    CHECK(r && mint(r, "updated", 0) == 1, "SetObjectiveCoefficients");
    if (m.content)
        mesh_message_free(&m);
    r = method_ok(k, &m, lp, "Solve", NULL, kw(a, 2, "warm", B(false), "options", kw(a, 1, "msg_level", S("off"))));
    CHECK(r && !mget(r, "warm")->u.b && mget(r, "objective")->u.f64 > warm, "cold Solve with a higher profit");
    if (m.content)
        mesh_message_free(&m);
    release_refs(k, 2, lp, solver);
    op_fails(k, "LP after release", "mesh.call_method", arr(a, 4, lp, S("Solve"), arr(a, 0), mesh_v_map(a, 0)),
             MESH_PROXY_UNKNOWN_OBJECT, "released");
}

static void proxy_group(void)
{
    static const char *const env[] = {"MESH_PROXY_LEASE=2", "MESH_RESULT_TTL=1", NULL};
    tk k;
    REQUIRE(start(&k, env) == 0, "start");
    mesh_arena *a = mesh_arena_new();
    mesh_message m;
    CHECK(live_objects(&k) == 0, "the table starts empty");

    lp_object_case(&k, a);
    CHECK(live_objects(&k) == 0, "releasing the LP and the solver empties the table");

    /* errors, each with its reserved code */
    mesh_value *solver = root_ref(&k, a, "solver");
    mesh_value *lp = ref_copy(a, method_ok(&k, &m, solver, "Load", arr(a, 1, S(GLPK_EXAMPLES "/transp.mod")), NULL));
    if (m.content)
        mesh_message_free(&m);
    REQUIRE(lp, "Load transp");
    mesh_value *none = arr(a, 0), *nokw = mesh_v_map(a, 0);
    const mesh_value *r0;
    op_fails(&k, "unknown method", "mesh.call_method", arr(a, 4, lp, S("Optimize"), none, nokw), MESH_PROXY_UNKNOWN_MEMBER,
             "Optimize");
    op_fails(&k, "unknown attribute", "mesh.get_attr", arr(a, 2, lp, S("Gap")), MESH_PROXY_UNKNOWN_MEMBER, "Gap");
    op_fails(&k, "method read as attribute", "mesh.get_attr", arr(a, 2, lp, S("Solve")), MESH_PROXY_UNKNOWN_MEMBER,
             "method");
    op_fails(&k, "read-only attribute", "mesh.set_attr", arr(a, 3, lp, S("Status"), S("optimal")),
             MESH_PROXY_UNKNOWN_MEMBER, "read-only");
    op_fails(&k, "wrong argument type", "mesh.call_method",
             arr(a, 4, lp, S("SetRowBounds"), arr(a, 2, S("supply*"), S("fifty")), nokw), MESH_BAD_ARGUMENTS, "values");
    op_fails(&k, "surplus argument", "mesh.call_method", arr(a, 4, lp, S("Variables"), arr(a, 2, S("x"), S("y")), nokw),
             MESH_BAD_ARGUMENTS, "Variables");
    op_fails(&k, "missing argument", "mesh.call_method", arr(a, 4, solver, S("Load"), none, nokw), MESH_BAD_ARGUMENTS,
             "model");
    op_fails(&k, "underscore name", "mesh.get_attr", arr(a, 2, lp, S("__class__")), MESH_PROXY_FORBIDDEN, "'_'");
    op_fails(&k, "System.Object member", "mesh.call_method", arr(a, 4, lp, S("GetType"), none, nokw),
             MESH_PROXY_FORBIDDEN, "System.Object");
    op_fails(&k, "deref of an LP", "mesh.deref", arr(a, 1, lp), MESH_PROXY_NOT_DATA, "glpk.LP");
    op_fails(&k, "calling an instance", "mesh.call", arr(a, 3, lp, none, nokw), MESH_PROXY_FORBIDDEN, "cannot be called");
    op_fails(&k, "not exported", "mesh.root", arr(a, 1, S("os")), MESH_PROXY_NOT_EXPORTED, "solver");
    op_fails(&k, "unknown object id", "mesh.call_method",
             arr(a, 4, ref_make(a, 987654, "glpk.LP", k.kernel_id), S("Solve"), none, nokw), MESH_PROXY_UNKNOWN_OBJECT,
             "987654");
    op_fails(&k, "another kernel's reference", "mesh.call_method",
             arr(a, 4, ref_make(a, ref_id(lp), "glpk.LP", "elsewhere"), S("Solve"), none, nokw),
             MESH_PROXY_UNKNOWN_OBJECT, "elsewhere");
    mesh_value bad = *lp;
    bad.u.ext.len = 1;
    op_fails(&k, "malformed reference", "mesh.get_attr", arr(a, 2, &bad, S("Rows")), MESH_BAD_ARGUMENTS, "malformed");
    op_fails(&k, "target not a reference", "mesh.get_attr", arr(a, 2, S("lp"), S("Rows")), MESH_BAD_ARGUMENTS, "target");
    op_fails(&k, "bad release ids", "mesh.release", arr(a, 1, arr(a, 1, I(-3))), MESH_BAD_ARGUMENTS, "non-negative");
    /* ids nobody holds (0 included, which no object ever gets) are ignored */
    call_ok(&k, &m, "mesh.release", arr(a, 1, arr(a, 3, I(0), I(987654), I(0))), NULL);
    if (m.content)
        mesh_message_free(&m);
    r0 = attr_ok(&k, &m, lp, "Rows");
    CHECK(r0 && r0->kind == MESH_INT, "releasing ids nobody holds leaves the LP alone");
    if (m.content)
        mesh_message_free(&m);
    /* the handle endpoints leave an LP object's handle alone (handles count loads: this is the 2nd) */
    expect_task_error(&k, "handle of an LP object", "solve_handle", arr(a, 1, I(2)), NULL, "glpk.HandleError", "proxy");
    /* a reference passed to an ordinary endpoint comes back as a reference: one more count */
    const mesh_value *r = call_ok(&k, &m, "echo", arr(a, 1, arr(a, 2, lp, I(7))), NULL);
    CHECK(r && r->kind == MESH_ARRAY && ref_id(&r->u.a.items[0]) == ref_id(lp), "echo(lp) returns the same object");
    if (m.content)
        mesh_message_free(&m);
    release_refs(&k, 1, lp);
    r = attr_ok(&k, &m, lp, "Status");
    CHECK(r, "still held once after one release");
    if (m.content)
        mesh_message_free(&m);
    release_refs(&k, 2, lp, solver);
    CHECK(live_objects(&k) == 0, "table empty");

    /* the conformance object graph: references as positional and named arguments */
    mesh_value *Policy = root_ref(&k, a, "Policy"), *Records = root_ref(&k, a, "Records");
    mesh_value *Calculator = root_ref(&k, a, "Calculator"), *Counter = root_ref(&k, a, "Counter");
    mesh_value *pol = construct(&k, a, Policy, arr(a, 1, F(0.25)), NULL);
    mesh_value *rec = construct(&k, a, Records, arr(a, 1, arr(a, 3, F(10), F(20), F(30))), NULL);
    mesh_value *calc = construct(&k, a, Calculator, NULL, kw(a, 2, "records", rec, "policy", pol));
    REQUIRE(pol && rec && calc, "Policy, Records, Calculator");
    r = method_ok(&k, &m, calc, "run", NULL, NULL);
    CHECK(r && r->kind == MESH_F64 && r->u.f64 == 15.0, "Calculator.run = 0.25 * 60");
    if (m.content)
        mesh_message_free(&m);
    op_fails(&k, "argument of the wrong class", "mesh.call", arr(a, 3, Calculator, arr(a, 2, pol, pol), nokw),
             MESH_BAD_ARGUMENTS, "records");
    r = attr_ok(&k, &m, calc, "policy");
    CHECK(r && ref_id(r) == ref_id(pol), "Calculator.policy is the same Policy object");
    if (m.content)
        mesh_message_free(&m);
    release_refs(&k, 1, pol); /* the count from calc.policy */
    release_refs(&k, 1, pol); /* the client's own: the Calculator still holds the Policy */
    r = method_ok(&k, &m, calc, "run", NULL, NULL);
    CHECK(r && r->kind == MESH_F64 && r->u.f64 == 15.0, "the Calculator keeps its Policy alive");
    if (m.content)
        mesh_message_free(&m);
    r = attr_ok(&k, &m, calc, "policy");
    uint64_t again = r ? ref_id(r) : 0;
    CHECK(again && again != ref_id(pol), "handed out again under a new id (ids are never reused)");
    if (m.content)
        mesh_message_free(&m);
    mesh_value *counter = construct(&k, a, Counter, arr(a, 1, I(5)), NULL);
    op_fails(&k, "type as a result", "mesh.call_method", arr(a, 4, counter, S("machinery"), none, nokw),
             MESH_PROXY_FORBIDDEN, "type");
    op_fails(&k, "members of a type", "mesh.get_attr", arr(a, 2, Counter, S("value")), MESH_PROXY_FORBIDDEN, "type");
    mesh_value *store = root_ref(&k, a, "store");
    call_ok(&k, &m, "mesh.set_item", arr(a, 3, store, S("n"), I(7)), NULL);
    if (m.content)
        mesh_message_free(&m);
    r = call_ok(&k, &m, "mesh.deref", arr(a, 1, store), NULL);
    CHECK(r && r->kind == MESH_MAP && mint(r, "n", 0) == 7, "deref(store)");
    if (m.content)
        mesh_message_free(&m);
    expect_task_error(&k, "store: missing key", "mesh.get_item", arr(a, 2, store, S("missing")), NULL, "KeyError", "missing");
    expect_task_error(&k, "store: a reference", "mesh.set_item", arr(a, 3, store, S("x"), counter), NULL, "ValueError",
                      "plain data");
    mesh_value *ids = mesh_v_array(a, 8);
    mesh_value *held[] = {Policy, Records, Calculator, Counter, rec, calc, counter, store};
    for (size_t i = 0; i < sizeof held / sizeof held[0]; i++)
        mesh_array_push(a, ids, mesh_v_uint(a, ref_id(held[i])));
    mesh_array_push(a, ids, mesh_v_uint(a, again));
    call_ok(&k, &m, "mesh.release", arr(a, 1, ids), NULL);
    if (m.content)
        mesh_message_free(&m);
    CHECK(live_objects(&k) == 0, "everything released");

    /* a result nobody fetches: its references are given back when the result expires (TTL 1 s) */
    Counter = root_ref(&k, a, "Counter");
    char id[33];
    tk_id(id);
    tk_submit(&k, id, "mesh.call", arr(a, 3, Counter, arr(a, 1, I(1)), nokw), NULL, 5, -1, &m);
    mesh_message_free(&m);
    int64_t got;
    double dt = wait_objects(&k, 2, 5, &got);
    CHECK(got == 2, "the unfetched result's Counter is in the table (%lld objects)", (long long)got);
    dt = wait_objects(&k, 1, 5, &got);
    CHECK(got == 1, "and leaves it when the result expires (%lld objects after %.2f s)", (long long)got, dt);
    release_refs(&k, 1, Counter);

    /* a session that goes silent loses its references after the lease (2 s), LP objects too */
    char mine[sizeof k.session];
    memcpy(mine, k.session, sizeof mine);
    snprintf(k.session, sizeof k.session, "silent-client");
    mesh_value *sl = root_ref(&k, a, "solver");
    mesh_value *slp = sl ? ref_copy(a, method_ok(&k, &m, sl, "Load", arr(a, 1, S(GLPK_EXAMPLES "/transp.mod")), NULL)) : NULL;
    if (m.content)
        mesh_message_free(&m);
    mesh_value *sc = construct(&k, a, root_ref(&k, a, "Counter"), NULL, NULL);
    memcpy(k.session, mine, sizeof mine);
    CHECK(slp && sc, "the silent session holds an LP and a Counter");
    double t0 = test_now();
    CHECK(live_objects(&k) == 4, "solver, LP, Counter type and Counter");
    wait_objects(&k, 0, 10, &got);
    dt = test_now() - t0;
    CHECK(got == 0 && dt > 1.0 && dt < 4.5, "freed by the lease: %lld objects after %.2f s", (long long)got, dt);
    printf("silent session's references released after %.2f s (lease 2 s)\n", dt);
    healthy(&k, "lease expiry");

    mesh_arena_free(a);
    stop(&k);
}

/* ======================================================================================== */
/* calls (protocol section 6.2): submit with call: true, answered by one get_reply            */
/* ======================================================================================== */

/* Every message received on the submit socket, in order of arrival. */
typedef struct {
    mesh_message m[64];
    int n;
} inbox;

static const mesh_message *inbox_find(const inbox *in, const char *parent_id)
{
    for (int i = 0; i < in->n; i++)
        if (in->m[i].parent_id && strcmp(in->m[i].parent_id, parent_id) == 0)
            return &in->m[i];
    return NULL;
}

static int inbox_count(const inbox *in, const char *parent_id)
{
    int n = 0;
    for (int i = 0; i < in->n; i++)
        if (in->m[i].parent_id && strcmp(in->m[i].parent_id, parent_id) == 0)
            n++;
    return n;
}

/* Receives into `in` until a message answering parent_id is there (waiting up to `wait` s,
 * scaled under valgrind) and returns it; parent_id NULL: receives for `wait` s (unscaled: a
 * quiet period in which nothing more may arrive) and returns NULL. */
static const mesh_message *inbox_wait(tk *k, inbox *in, const char *parent_id, double wait)
{
    const mesh_message *found = parent_id ? inbox_find(in, parent_id) : NULL;
    double end = test_now() + (parent_id ? wait * k->scale : wait);
    while (!found && in->n < (int)(sizeof in->m / sizeof in->m[0])) {
        double left = end - test_now();
        if (left <= 0 || tk_recv(k, k->submit, left, &in->m[in->n]) != 0)
            break;
        const mesh_message *m = &in->m[in->n++];
        if (parent_id && m->parent_id && strcmp(m->parent_id, parent_id) == 0)
            found = m;
    }
    return found;
}

static void inbox_clear(inbox *in)
{
    for (int i = 0; i < in->n; i++)
        mesh_message_free(&in->m[i]);
    in->n = 0;
}

/* Sends a submit_request with `call` = true (1), false (0) or absent (-1) and a timeout (< 0:
 * nil); req_id receives the request's id. */
static int send_submit(tk *k, const char *task_id, const char *endpoint, mesh_value *args, mesh_value *kwargs,
                       int priority, double timeout, int call, char req_id[33])
{
    mesh_arena *a = mesh_arena_new();
    mesh_value *c = kw(a, 8, "task_id", S(task_id), "endpoint", S(endpoint), "args", args ? args : arr(a, 0),
                       "kwargs", kwargs ? kwargs : mesh_v_map(a, 0), "priority", I(priority),
                       "timeout", timeout >= 0 ? F(timeout) : mesh_v_nil(a), "retries", I(0),
                       "metadata", mesh_v_map(a, 0));
    if (call >= 0)
        mesh_map_put(a, c, "call", B(call == 1));
    int rc = tk_send(k, k->submit, "submit_request", c, req_id);
    mesh_arena_free(a);
    return rc;
}

/* Checks that m is the call's answer: a get_reply to req_id, done, for task_id, in `state`. */
static void check_call_answer(const mesh_message *m, const char *what, const char *req_id, const char *task_id,
                              const char *state)
{
    CHECK(m, "%s: answered", what);
    if (!m)
        return;
    const mesh_value *done = mget(m->content, "done");
    CHECK(strcmp(m->type, "get_reply") == 0, "%s: answered by a get_reply (%s)", what, m->type);
    CHECK(m->parent_id && strcmp(m->parent_id, req_id) == 0, "%s: parent_id is the submit's id", what);
    CHECK(done && done->kind == MESH_BOOL && done->u.b, "%s: done", what);
    CHECK(mstr(m->content, "task_id") && strcmp(mstr(m->content, "task_id"), task_id) == 0 &&
              mstr(m->content, "task.task_id") && strcmp(mstr(m->content, "task.task_id"), task_id) == 0,
          "%s: task_id and task record", what);
    CHECK(state_of(m) && strcmp(state_of(m), state) == 0, "%s: state %s, expected %s (%s)", what,
          state_of(m) ? state_of(m) : "nil", state, error_text(m));
}

/* A get for a task that is gone answers at once with done: true, task: nil and `code`. */
static void check_gone(tk *k, const char *what, const char *task_id, int code)
{
    mesh_message m;
    double t0 = test_now();
    if (tk_get(k, task_id, 5, false, &m) != 0) {
        CHECK(false, "%s: get answered", what);
        return;
    }
    const mesh_value *done = mget(m.content, "done"), *task = mget(m.content, "task");
    CHECK(done && done->u.b && task && task->kind == MESH_NIL && mint(m.content, "error.code", 0) == code &&
              test_now() - t0 < 1 * k->scale,
          "%s: get answered at once with done, task nil, error %d (%s after %.2f s)", what, code, error_text(&m),
          test_now() - t0);
    mesh_message_free(&m);
}

/* Polls status_request until task_id is in `state`. Only for moments when nothing else is
 * expected on the submit socket: tk_request drops other messages. */
static bool wait_for_state(tk *k, const char *task_id, const char *state, double timeout)
{
    mesh_arena *a = mesh_arena_new();
    double end = test_now() + timeout * k->scale;
    bool ok = false;
    while (!ok && test_now() < end) {
        mesh_message m;
        if (tk_request(k, k->submit, "status_request", kw(a, 1, "task_ids", arr(a, 1, S(task_id))), 5, &m) != 0)
            break;
        const mesh_value *tasks = mget(m.content, "tasks");
        const char *st = tasks && tasks->u.a.n == 1 ? mstr(&tasks->u.a.items[0], "state") : NULL;
        ok = st && strcmp(st, state) == 0;
        mesh_message_free(&m);
        if (!ok)
            nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    }
    mesh_arena_free(a);
    return ok;
}

/* Cancels task_id with a cancel_request on the submit socket, its reply kept in `in`. */
static void cancel_in(tk *k, inbox *in, const char *task_id, const char *what)
{
    mesh_arena *a = mesh_arena_new();
    char rid[33];
    tk_send(k, k->submit, "cancel_request", kw(a, 1, "task_id", S(task_id)), rid);
    const mesh_message *c = inbox_wait(k, in, rid, 5);
    const mesh_value *cancelled = c ? mget(c->content, "cancelled") : NULL;
    CHECK(c && strcmp(c->type, "cancel_reply") == 0 && cancelled && cancelled->u.b, "%s: cancel_reply cancelled", what);
    mesh_arena_free(a);
}

static void call_group(void)
{
    static const char *const env[] = {"MESH_MAX_CONCURRENCY=1", NULL};
    tk k;
    REQUIRE(start(&k, env) == 0, "start");
    mesh_arena *a = mesh_arena_new();
    mesh_message m;
    inbox in = {0};
    const mesh_message *r;
    char id[33], id2[33], rid[33], rid2[33];

    /* accepted: exactly one message, the get_reply on the submit socket; no submit_reply */
    tk_id(id);
    REQUIRE(send_submit(&k, id, "add", arr(a, 1, F(1.25)), kw(a, 1, "b", I(2)), 5, -1, 1, rid) == 0, "send call");
    r = inbox_wait(&k, &in, rid, 10);
    check_call_answer(r, "call add", rid, id, "COMPLETED");
    CHECK(r && result_of(r) && result_of(r)->kind == MESH_F64 && result_of(r)->u.f64 == 3.25, "call add: result");
    CHECK(r && !mget(r->content, "error"), "call add: no error");
    inbox_wait(&k, &in, NULL, 0.2);
    CHECK(in.n == 1, "call add: exactly one message on the submit socket (%d)", in.n);
    inbox_clear(&in);
    /* answered as a get without keep: the task is forgotten */
    check_gone(&k, "after the call", id, MESH_UNKNOWN_TASK);
    REQUIRE(tk_request(&k, k.submit, "status_request", kw(a, 1, "task_ids", arr(a, 1, S(id))), 5, &m) == 0, "status");
    CHECK(mget(m.content, "tasks") && mget(m.content, "tasks")->u.a.items[0].kind == MESH_NIL,
          "status of a call's task after its answer: nil");
    mesh_message_free(&m);

    /* rejected: the usual submit_reply, and nothing else */
    struct {
        const char *ep;
        mesh_value *args;
        int priority, code;
    } bad[] = {
        {"no_such_endpoint", NULL, 5, MESH_UNKNOWN_ENDPOINT},
        {"add", arr(a, 3, F(1), F(2), F(3)), 5, MESH_BAD_ARGUMENTS},
        {"add", arr(a, 2, F(1), F(2)), 11, MESH_BAD_ARGUMENTS},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tk_id(id);
        REQUIRE(send_submit(&k, id, bad[i].ep, bad[i].args, NULL, bad[i].priority, -1, 1, rid) == 0, "send bad call");
        r = inbox_wait(&k, &in, rid, 10);
        const mesh_value *acc = r ? mget(r->content, "accepted") : NULL;
        CHECK(r && strcmp(r->type, "submit_reply") == 0 && acc && acc->kind == MESH_BOOL && !acc->u.b &&
                  mint(r->content, "error.code", 0) == bad[i].code && strcmp(mstr(r->content, "task_id"), id) == 0,
              "bad call %zu: submit_reply accepted: false with %d (%s)", i, bad[i].code,
              r ? error_text(r) : "no answer");
        inbox_wait(&k, &in, NULL, 0.2);
        CHECK(in.n == 1, "bad call %zu: exactly one message (%d)", i, in.n);
        inbox_clear(&in);
        check_gone(&k, "get for a rejected call", id, bad[i].code);
    }

    /* the handler's error and a task timeout come back as the answer */
    tk_id(id);
    send_submit(&k, id, "fail", arr(a, 1, S("boom")), NULL, 5, -1, 1, rid);
    r = inbox_wait(&k, &in, rid, 10);
    check_call_answer(r, "call fail", rid, id, "ERROR");
    CHECK(r && mstr(r->content, "error.type") && strcmp(mstr(r->content, "error.type"), "ValueError") == 0 &&
              mint(r->content, "error.code", -1) == 0 && !mget(r->content, "result"),
          "call fail: the handler's error");
    inbox_clear(&in);
    tk_id(id);
    send_submit(&k, id, "sleep", arr(a, 1, F(5)), NULL, 5, 0.2, 1, rid);
    r = inbox_wait(&k, &in, rid, 10);
    check_call_answer(r, "call with a timeout", rid, id, "ERROR");
    CHECK(r && mint(r->content, "error.code", 0) == MESH_TASK_TIMEOUT, "call with a timeout: TASK_TIMEOUT");
    inbox_clear(&in);

    /* progress messages arrive before the answer; still no submit_reply */
    tk_id(id);
    send_submit(&k, id, "progress", arr(a, 1, I(3)), NULL, 5, -1, 1, rid);
    r = inbox_wait(&k, &in, rid, 10);
    check_call_answer(r, "call progress", rid, id, "COMPLETED");
    inbox_wait(&k, &in, NULL, 0.2);
    int nprog = 0, nlate = 0, nother = 0;
    for (int i = 0; i < in.n; i++) {
        if (&in.m[i] == r)
            continue;
        if (strcmp(in.m[i].type, "progress") != 0 || !mstr(in.m[i].content, "task_id") ||
            strcmp(mstr(in.m[i].content, "task_id"), id) != 0)
            nother++;
        else if (&in.m[i] < r)
            nprog++;
        else
            nlate++;
    }
    CHECK(nprog == 3 && nlate == 0 && nother == 0,
          "call progress: 3 progress messages before the answer, nothing else (%d, %d after, %d other)", nprog,
          nlate, nother);
    inbox_clear(&in);

    /* cancel while queued (one worker, busy) and while running */
    tk_id(id);
    tk_id(id2);
    send_submit(&k, id, "sleep", arr(a, 1, F(30)), NULL, 5, -1, 1, rid);
    send_submit(&k, id2, "sleep", arr(a, 1, F(30)), NULL, 5, -1, 1, rid2);
    CHECK(wait_for_state(&k, id, "STARTED", 5) && wait_for_state(&k, id2, "QUEUED", 1), "one call runs, one is queued");
    double t0 = test_now();
    cancel_in(&k, &in, id2, "queued call");
    r = inbox_wait(&k, &in, rid2, 5);
    check_call_answer(r, "queued call cancelled", rid2, id2, "CANCELLED");
    CHECK(r && mint(r->content, "error.code", 0) == MESH_TASK_CANCELLED && test_now() - t0 < 1 * k.scale,
          "queued call cancelled: TASK_CANCELLED at once (%.2f s)", test_now() - t0);
    t0 = test_now();
    cancel_in(&k, &in, id, "running call");
    r = inbox_wait(&k, &in, rid, 5);
    check_call_answer(r, "running call cancelled", rid, id, "CANCELLED");
    CHECK(r && mint(r->content, "error.code", 0) == MESH_TASK_CANCELLED && test_now() - t0 < 1 * k.scale,
          "running call cancelled: TASK_CANCELLED (%.2f s)", test_now() - t0);
    inbox_wait(&k, &in, NULL, 0.2);
    CHECK(in.n == 4 && inbox_count(&in, rid) == 1 && inbox_count(&in, rid2) == 1,
          "cancelled calls: two cancel_replies and one answer each (%d messages)", in.n);
    inbox_clear(&in);
    check_gone(&k, "after a cancelled call", id, MESH_UNKNOWN_TASK);

    /* other gets for a call's task: one that times out meanwhile does not end the call (whose
     * answer has no deadline); one still waiting is answered with it */
    tk_id(id);
    send_submit(&k, id, "sleep", arr(a, 1, F(0.8)), NULL, 5, -1, 1, rid);
    REQUIRE(tk_get(&k, id, 0.2, false, &m) == 0, "short get");
    const mesh_value *done = mget(m.content, "done");
    CHECK(done && !done->u.b && state_of(&m), "a get that times out: done: false with the task record");
    mesh_message_free(&m);
    inbox_wait(&k, &in, NULL, 0.1);
    CHECK(in.n == 0, "the call is not answered when a get for its task times out (%d)", in.n);
    char gid[33];
    tk_send(&k, k.get, "get_request", kw(a, 3, "task_id", S(id), "timeout", F(10), "keep", B(true)), gid);
    r = inbox_wait(&k, &in, rid, 10);
    check_call_answer(r, "call with a get waiting", rid, id, "COMPLETED");
    CHECK(r && result_of(r) && result_of(r)->u.f64 == 0.8, "call with a get waiting: result");
    bool got_get = false;
    while (!got_get && tk_recv(&k, k.get, 5 * k.scale, &m) == 0) {
        if (m.parent_id && strcmp(m.parent_id, gid) == 0) {
            got_get = true;
            CHECK(mget(m.content, "done")->u.b && result_of(&m) && result_of(&m)->u.f64 == 0.8,
                  "the waiting get is answered too, on the get socket");
        }
        mesh_message_free(&m);
    }
    CHECK(got_get, "the waiting get is answered");
    inbox_wait(&k, &in, NULL, 0.2);
    CHECK(in.n == 1, "call with a get waiting: one message on the submit socket (%d)", in.n);
    inbox_clear(&in);
    /* the call did not keep the task (keep on the get does not matter) */
    check_gone(&k, "after a call with a kept get", id, MESH_UNKNOWN_TASK);

    /* a get without keep waiting with the call: both answered when the task ends */
    tk_id(id);
    send_submit(&k, id, "sleep", arr(a, 1, F(0.2)), NULL, 5, -1, 1, rid);
    REQUIRE(tk_get(&k, id, 10, false, &m) == 0, "get for a call's task");
    CHECK(result_of(&m) && result_of(&m)->u.f64 == 0.2, "get for a call's task: result");
    mesh_message_free(&m);
    r = inbox_wait(&k, &in, rid, 10);
    check_call_answer(r, "call with a get", rid, id, "COMPLETED");
    CHECK(r && result_of(r) && result_of(r)->u.f64 == 0.2, "call with a get: result");
    inbox_clear(&in);

    /* calls pipelined with a get each (keep: false) sent right behind: a get may find the task
     * already ended before the kernel has answered the call, and take the result away; the call
     * must still get it. Gets get the result, or UNKNOWN_TASK when the call's answer came first. */
    {
        enum { NPIPE = 2000 };
        char (*cid)[33] = malloc(NPIPE * sizeof *cid);
        char (*crid)[33] = malloc(NPIPE * sizeof *crid);
        for (int i = 0; i < NPIPE; i++) {
            tk_id(cid[i]);
            send_submit(&k, cid[i], "add", arr(a, 2, F(i), F(0.5)), NULL, 5, -1, 1, crid[i]);
            tk_send(&k, k.get, "get_request", kw(a, 3, "task_id", S(cid[i]), "timeout", F(60), "keep", B(false)), rid);
        }
        int calls_ok = 0, calls_other = 0, gets_result = 0, gets_unknown = 0, gets_other = 0;
        for (int i = 0; i < NPIPE; i++) {
            if (tk_recv(&k, k.submit, 10 * k.scale, &m) != 0)
                break;
            const char *tid = mstr(m.content, "task_id");
            int j = -1;
            for (int x = 0; tid && x < NPIPE && j < 0; x++)
                if (strcmp(cid[x], tid) == 0)
                    j = x;
            if (j >= 0 && strcmp(m.type, "get_reply") == 0 && m.parent_id && strcmp(m.parent_id, crid[j]) == 0 &&
                result_of(&m) && result_of(&m)->u.f64 == j + 0.5)
                calls_ok++;
            else
                calls_other++;
            mesh_message_free(&m);
        }
        for (int i = 0; i < NPIPE; i++) {
            if (tk_recv(&k, k.get, 10 * k.scale, &m) != 0)
                break;
            if (result_of(&m))
                gets_result++;
            else if (mint(m.content, "error.code", 0) == MESH_UNKNOWN_TASK && mget(m.content, "done")->u.b)
                gets_unknown++;
            else
                gets_other++;
            mesh_message_free(&m);
        }
        printf("%d pipelined calls with gets: %d calls answered with their result (%d otherwise); gets: %d results, "
               "%d UNKNOWN_TASK, %d other\n",
               NPIPE, calls_ok, calls_other, gets_result, gets_unknown, gets_other);
        CHECK(calls_ok == NPIPE && calls_other == 0, "every pipelined call answered with its result (%d of %d)", calls_ok,
              NPIPE);
        CHECK(gets_result + gets_unknown == NPIPE && gets_other == 0, "every get answered (%d + %d of %d)", gets_result,
              gets_unknown, NPIPE);
        inbox_wait(&k, &in, NULL, 0.2);
        CHECK(in.n == 0, "nothing more on the submit socket (%d)", in.n);
        inbox_clear(&in);
        free(cid);
        free(crid);
    }

    /* call: false, and call absent: a plain submit, the result fetched with a get */
    for (int call = 0; call >= -1; call--) {
        tk_id(id);
        send_submit(&k, id, "add", arr(a, 2, F(2), F(0.5)), NULL, 5, -1, call, rid);
        r = inbox_wait(&k, &in, rid, 10);
        const mesh_value *acc = r ? mget(r->content, "accepted") : NULL;
        CHECK(r && strcmp(r->type, "submit_reply") == 0 && acc && acc->u.b && strcmp(mstr(r->content, "state"), "QUEUED") == 0,
              "call %s: submit_reply accepted", call ? "absent" : "false");
        inbox_wait(&k, &in, NULL, 0.3);
        CHECK(in.n == 1, "call %s: only the submit_reply (%d)", call ? "absent" : "false", in.n);
        inbox_clear(&in);
        REQUIRE(tk_get(&k, id, 10, false, &m) == 0, "get");
        CHECK(result_of(&m) && result_of(&m)->u.f64 == 2.5, "call %s: result fetched with a get", call ? "absent" : "false");
        mesh_message_free(&m);
    }

    /* a call with the id of a live task: DUPLICATE_TASK; the first call is still answered */
    tk_id(id);
    send_submit(&k, id, "sleep", arr(a, 1, F(0.3)), NULL, 5, -1, 1, rid);
    send_submit(&k, id, "add", arr(a, 2, F(1), F(1)), NULL, 5, -1, 1, rid2);
    r = inbox_wait(&k, &in, rid2, 10);
    CHECK(r && strcmp(r->type, "submit_reply") == 0 && mint(r->content, "error.code", 0) == MESH_DUPLICATE_TASK,
          "duplicate call: DUPLICATE_TASK");
    r = inbox_wait(&k, &in, rid, 10);
    check_call_answer(r, "call with a duplicate", rid, id, "COMPLETED");
    CHECK(r && result_of(r) && result_of(r)->u.f64 == 0.3, "call with a duplicate: result");
    inbox_clear(&in);

    /* shutdown: a queued call is answered CANCELLED at once, a running one after the grace */
    tk_id(id);
    tk_id(id2);
    send_submit(&k, id, "sleep", arr(a, 1, F(30)), NULL, 5, -1, 1, rid);
    send_submit(&k, id2, "sleep", arr(a, 1, F(30)), NULL, 5, -1, 1, rid2);
    CHECK(wait_for_state(&k, id, "STARTED", 5), "call running before the shutdown");
    char sid[33];
    t0 = test_now();
    tk_send(&k, k.submit, "shutdown_request", kw(a, 1, "grace", F(0.5)), sid);
    r = inbox_wait(&k, &in, rid2, 5);
    check_call_answer(r, "queued call at shutdown", rid2, id2, "CANCELLED");
    CHECK(test_now() - t0 < 0.5 * k.scale, "queued call at shutdown: answered before the grace ends (%.2f s)",
          test_now() - t0);
    r = inbox_wait(&k, &in, rid, 10);
    check_call_answer(r, "running call at shutdown", rid, id, "CANCELLED");
    CHECK(inbox_find(&in, sid), "shutdown_reply");
    inbox_clear(&in);
    int code = tk_wait_exit(&k, 10 * k.scale);
    CHECK(code == 0, "kernel exit code %d after shutdown_request", code);
    tk_close(&k);
    mesh_arena_free(a);
}

/* ======================================================================================== */
/* idle spin (MESH_IDLE_SPIN_US)                                                             */
/* ======================================================================================== */

/* utime + stime of a process in seconds (all its threads), -1 when unreadable. */
static double cpu_seconds(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    /* fields after "(comm)", which may itself hold spaces: state is field 3, utime 14, stime 15 */
    const char *p = strrchr(buf, ')');
    unsigned long long ut, st;
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* CPU the kernel uses over `seconds` of wall time from now. */
static double cpu_over(tk *k, double seconds)
{
    double c0 = cpu_seconds(k->pid);
    struct timespec ts = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
    nanosleep(&ts, NULL);
    double c1 = cpu_seconds(k->pid);
    return c0 < 0 || c1 < 0 ? -1 : c1 - c0;
}

/* Calls the way a busy client does, so that the I/O thread and both general workers spin:
 * back-to-back calls, then a burst of submits fetched afterwards. */
static void some_calls(tk *k, mesh_arena *a)
{
    mesh_message m;
    for (int i = 0; i < 50; i++) {
        const mesh_value *r = call_ok(k, &m, "add", arr(a, 2, F(i), F(1)), NULL);
        CHECK(r && r->u.f64 == i + 1, "add %d", i);
        if (m.content)
            mesh_message_free(&m);
    }
    char ids[20][33];
    for (int i = 0; i < 20; i++) {
        tk_id(ids[i]);
        CHECK(tk_submit(k, ids[i], "add", arr(a, 2, F(i), F(2)), NULL, 5, -1, &m) == 0, "submit %d", i);
        mesh_message_free(&m);
    }
    for (int i = 0; i < 20; i++) {
        CHECK(tk_get(k, ids[i], 10, false, &m) == 0 && result_of(&m) && result_of(&m)->u.f64 == i + 2,
              "get %d: %s", i, error_text(&m));
        mesh_message_free(&m);
    }
}

/* Runs the kernel with one extra environment entry and a connection file whose registration
 * address answers nothing (so a kernel that starts anyway exits 3 within 1 s). Returns the exit
 * code; err receives what the kernel wrote to stderr. */
static int run_kernel_env(const char *entry, char *err, size_t errlen)
{
    char dir[] = "/tmp/mesh-env-XXXXXX";
    err[0] = 0;
    if (!mkdtemp(dir))
        return -1;
    char conn[64], log[64];
    snprintf(conn, sizeof conn, "%s/connection.json", dir);
    snprintf(log, sizeof log, "%s/stderr", dir);
    FILE *f = fopen(conn, "w");
    if (!f)
        return -1;
    fprintf(f, "{\"protocol\": \"MESH/1\", \"kernel_id\": \"glpk-env\", \"key\": \"\", "
               "\"registration\": \"tcp://127.0.0.1:9\"}\n");
    fclose(f);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 2);
        setenv("MESH_CONNECTION_FILE", conn, 1);
        setenv("MESH_REGISTRATION_TIMEOUT", "1", 1);
        putenv((char *)entry);
        execl(MESH_KERNEL_BIN, MESH_KERNEL_BIN, (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    char *text = read_text(log);
    snprintf(err, errlen, "%s", text ? text : "");
    free(text);
    unlink(log);
    unlink(conn);
    rmdir(dir);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void idle_spin_group(void)
{
    /* a bad value stops the kernel at start-up, naming the variable and the value */
    static const char *const bad[] = {"MESH_IDLE_SPIN_US=abc", "MESH_IDLE_SPIN_US=-5", "MESH_IDLE_SPIN_US=1.5",
                                      "MESH_IDLE_SPIN_US=200us", "MESH_IDLE_SPIN_US=1000001"};
    char err[1024];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int code = run_kernel_env(bad[i], err, sizeof err);
        const char *value = strchr(bad[i], '=') + 1;
        CHECK(code == 6, "%s: exit code %d, want 6", bad[i], code);
        CHECK(strstr(err, "MESH_IDLE_SPIN_US") && strstr(err, value), "%s: stderr names the variable and the value: %s",
              bad[i], err);
    }

    mesh_arena *a = mesh_arena_new();
    tk k;
    /* the default window (set explicitly: the suite may run with MESH_IDLE_SPIN_US=0): after the
     * calls the kernel must go back to sleep. A spin that never ends costs about a second of CPU
     * per spinning thread here. */
    static const char *const env[] = {"MESH_MAX_CONCURRENCY=2", "MESH_IDLE_SPIN_US=200", NULL};
    REQUIRE(start(&k, env) == 0, "start");
    some_calls(&k, a);
    nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
    double idle = cpu_over(&k, 1.0);
    printf("idle spin 200 us: CPU over 1 s idle after calls: %.0f ms\n", idle * 1e3);
    CHECK(idle >= 0 && idle < 0.1, "CPU time of an idle kernel: %.3f s in 1 s", idle);
    mesh_message m;
    const mesh_value *r = call_ok(&k, &m, "add", arr(a, 2, F(2), F(3)), NULL);
    CHECK(r && r->u.f64 == 5, "a call after the idle second");
    if (m.content)
        mesh_message_free(&m);
    stop(&k);

    /* a long window shows that the value is used (the kernel does spin after a call) and that
     * the spin still ends */
    static const char *const long_env[] = {"MESH_MAX_CONCURRENCY=2", "MESH_IDLE_SPIN_US=300000", NULL};
    REQUIRE(start(&k, long_env) == 0, "start");
    some_calls(&k, a);
    double busy = cpu_over(&k, 0.25);
    nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
    idle = cpu_over(&k, 1.0);
    printf("idle spin 300 ms: CPU %.0f ms in the 250 ms after calls, %.0f ms over the next 1 s idle\n", busy * 1e3,
           idle * 1e3);
    CHECK(busy > 0.02, "spinning after calls: %.3f s of CPU in 0.25 s", busy);
    CHECK(idle >= 0 && idle < 0.1, "CPU time after a 300 ms spin ended: %.3f s in 1 s", idle);
    stop(&k);
    mesh_arena_free(a);
}

/* ======================================================================================== */
/* valgrind: the kernel under valgrind (MESH_KERNEL_WRAPPER), a representative subset        */
/* ======================================================================================== */

static void valgrind_group(void)
{
    if (!getenv("MESH_KERNEL_WRAPPER"))
        fprintf(stderr, "note: MESH_KERNEL_WRAPPER not set; running the subset without valgrind\n");
    tk k;
    REQUIRE(start(&k, NULL) == 0, "start");
    mesh_arena *a = mesh_arena_new();
    mesh_message m;
    uint64_t shape[1] = {500};
    mesh_value *nd = mesh_v_ndarray(a, MESH_DT_FLOAT64, 1, shape);
    const mesh_value *r = call_ok(&k, &m, "echo", arr(a, 1, kw(a, 2, "nd", nd, "t", mesh_v_timestamp(a, 5, 6))), NULL);
    CHECK(r && r->kind == MESH_MAP, "echo");
    if (m.content)
        mesh_message_free(&m);
    r = call_ok(&k, &m, "scale", arr(a, 2, nd, F(3)), NULL);
    if (m.content)
        mesh_message_free(&m);
    r = call_ok(&k, &m, "solve", arr(a, 1, S(GLPK_EXAMPLES "/transp.mod")), NULL);
    CHECK(r && close_to(mget(r, "objective")->u.f64, 153.675, 1e-9), "transp");
    if (m.content)
        mesh_message_free(&m);
    r = call_ok(&k, &m, "solve", arr(a, 1, S(MESH_TEST_MODELS "/tables.mod")), NULL);
    CHECK(r && mesh_map_get(mget(r, "tables"), "result.csv"), "tables");
    if (m.content)
        mesh_message_free(&m);
    expect_task_error(&k, "syntax error", "solve", arr(a, 1, S("var x;\nminimize z: x +;\nend;")), NULL, "glpk.ModelError", NULL);
    r = call_ok(&k, &m, "load", arr(a, 2, S(MESH_TEST_MODELS "/warm.mod"), S(MESH_TEST_MODELS "/warm.dat")), NULL);
    int64_t h = r ? mint(r, "handle", 0) : 0;
    if (m.content)
        mesh_message_free(&m);
    r = call_ok(&k, &m, "solve_handle", arr(a, 1, I(h)), NULL);
    if (m.content)
        mesh_message_free(&m);
    r = call_ok(&k, &m, "set_row_bounds", arr(a, 3, I(h), S("capacity*"), arr(a, 1, F(50))), NULL);
    if (m.content)
        mesh_message_free(&m);
    r = call_ok(&k, &m, "solve_handle", arr(a, 1, I(h)), NULL);
    CHECK(r && mget(r, "warm")->u.b, "warm solve");
    if (m.content)
        mesh_message_free(&m);
    r = call_ok(&k, &m, "get_variables", arr(a, 1, I(h)), NULL);
    if (m.content)
        mesh_message_free(&m);
    /* a second handle that stays loaded until shutdown (freed by the LP lane's thread exit) */
    r = call_ok(&k, &m, "load", arr(a, 2, S(MESH_TEST_MODELS "/warm.mod"), S(MESH_TEST_MODELS "/warm.dat")), NULL);
    if (m.content)
        mesh_message_free(&m);
    r = call_ok(&k, &m, "release", arr(a, 1, I(h)), NULL);
    if (m.content)
        mesh_message_free(&m);
    /* GLPK fatal error: longjmp + glp_free_env must not leak */
    char *big = big_lp(60);
    expect_task_error(&k, "fatal error", "solve", arr(a, 1, S(big)), kw(a, 1, "options", kw(a, 1, "mem_limit", I(1))),
                      "glpk.FatalError", NULL);
    free(big);
    char id[33];
    tk_id(id);
    tk_submit(&k, id, "sleep", arr(a, 1, F(60)), NULL, 5, -1, &m);
    mesh_message_free(&m);
    nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL);
    cancel_and_wait(&k, id, &m);
    CHECK(state_of(&m) && strcmp(state_of(&m), "CANCELLED") == 0, "cancel under valgrind");
    mesh_message_free(&m);
    /* calls (section 6.2): answered, refused, cancelled, and one still running at shutdown */
    inbox in = {0};
    char rid[33];
    tk_id(id);
    send_submit(&k, id, "echo", arr(a, 1, nd), NULL, 5, -1, 1, rid);
    const mesh_message *cr = inbox_wait(&k, &in, rid, 10);
    check_call_answer(cr, "call under valgrind", rid, id, "COMPLETED");
    CHECK(cr && result_of(cr) && mesh_value_equal(result_of(cr), nd), "call under valgrind: result");
    inbox_clear(&in);
    tk_id(id);
    send_submit(&k, id, "no_such_endpoint", NULL, NULL, 5, -1, 1, rid);
    cr = inbox_wait(&k, &in, rid, 10);
    CHECK(cr && strcmp(cr->type, "submit_reply") == 0 && mint(cr->content, "error.code", 0) == MESH_UNKNOWN_ENDPOINT,
          "refused call under valgrind");
    inbox_clear(&in);
    tk_id(id);
    send_submit(&k, id, "sleep", arr(a, 1, F(60)), NULL, 5, -1, 1, rid);
    CHECK(wait_for_state(&k, id, "STARTED", 10), "call started under valgrind");
    cancel_in(&k, &in, id, "call under valgrind");
    check_call_answer(inbox_wait(&k, &in, rid, 10), "cancelled call under valgrind", rid, id, "CANCELLED");
    inbox_clear(&in);
    tk_id(id);
    send_submit(&k, id, "sleep", arr(a, 1, F(60)), NULL, 5, -1, 1, rid);
    CHECK(wait_for_state(&k, id, "STARTED", 10), "call running at shutdown under valgrind");
    mesh_arena_free(a);
    int code = tk_shutdown(&k, 1, 60);
    CHECK(code == 0, "kernel exit code %d (97 = valgrind found errors or leaks)", code);
    tk_close(&k);
}

/* The proxy paths under valgrind (MESH_KERNEL_WRAPPER): LP objects loaded, solved and released,
 * invalidated by a GLPK fatal error, expired with a silent session's lease and left alive at exit;
 * an object graph partly released. The kernel's exit code is valgrind's verdict. */
static void valgrind_proxy_group(void)
{
    if (!getenv("MESH_KERNEL_WRAPPER"))
        fprintf(stderr, "note: MESH_KERNEL_WRAPPER not set; running the subset without valgrind\n");
    static const char *const env[] = {"MESH_PROXY_LEASE=3", NULL};
    tk k;
    REQUIRE(start(&k, env) == 0, "start");
    mesh_arena *a = mesh_arena_new();
    mesh_message m;
    lp_object_case(&k, a);

    mesh_value *Policy = root_ref(&k, a, "Policy"), *Records = root_ref(&k, a, "Records");
    mesh_value *Calculator = root_ref(&k, a, "Calculator");
    mesh_value *pol = construct(&k, a, Policy, arr(a, 1, F(0.5)), NULL);
    mesh_value *rec = construct(&k, a, Records, arr(a, 1, arr(a, 2, F(1), F(2))), NULL);
    mesh_value *calc = construct(&k, a, Calculator, arr(a, 1, pol), kw(a, 1, "records", rec));
    REQUIRE(calc, "Calculator");
    release_refs(&k, 2, pol, rec); /* the Calculator, left alive until exit, keeps both */
    const mesh_value *r = method_ok(&k, &m, calc, "run", NULL, NULL);
    CHECK(r && r->kind == MESH_F64 && r->u.f64 == 1.5, "run");
    if (m.content)
        mesh_message_free(&m);

    /* a GLPK fatal error on the LP lane frees its environment: LP objects fail clearly, and
     * releasing them frees what is left */
    mesh_value *solver = root_ref(&k, a, "solver");
    mesh_value *doomed = ref_copy(a, method_ok(&k, &m, solver, "Load", arr(a, 1, S(GLPK_EXAMPLES "/transp.mod")), NULL));
    if (m.content)
        mesh_message_free(&m);
    char *big = big_lp(60);
    expect_task_error(&k, "fatal error (LP lane)", "load", arr(a, 1, S(big)), kw(a, 1, "options", kw(a, 1, "mem_limit", I(1))),
                      "glpk.FatalError", NULL);
    free(big);
    expect_task_error(&k, "LP object after it", "mesh.call_method", arr(a, 4, doomed, S("Solve"), arr(a, 0), mesh_v_map(a, 0)),
                      NULL, "glpk.HandleError", "no longer valid");
    release_refs(&k, 1, doomed);

    /* a silent session's LP and Counter, freed by the lease on their lanes */
    int64_t base = live_objects(&k), got;
    char mine[sizeof k.session];
    memcpy(mine, k.session, sizeof mine);
    snprintf(k.session, sizeof k.session, "silent-client");
    mesh_value *sl = root_ref(&k, a, "solver");
    mesh_value *slp = sl ? ref_copy(a, method_ok(&k, &m, sl, "Load", arr(a, 1, S(GLPK_EXAMPLES "/transp.mod")), NULL)) : NULL;
    if (m.content)
        mesh_message_free(&m);
    r = slp ? method_ok(&k, &m, slp, "Solve", NULL, NULL) : NULL;
    CHECK(r && strcmp(mstr(r, "status"), "optimal") == 0, "the silent session's LP solved");
    if (m.content)
        mesh_message_free(&m);
    mesh_value *sc = construct(&k, a, root_ref(&k, a, "Counter"), NULL, NULL);
    memcpy(k.session, mine, sizeof mine);
    CHECK(sc && live_objects(&k) > base, "the silent session holds objects");
    double dt = wait_objects(&k, base, 30, &got);
    CHECK(got == base, "the lease freed them (%lld objects, %lld before, after %.1f s)", (long long)got, (long long)base, dt);

    /* an LP object still held at exit */
    mesh_value *kept = ref_copy(a, method_ok(&k, &m, solver, "Load", arr(a, 1, S(GLPK_EXAMPLES "/transp.mod")), NULL));
    if (m.content)
        mesh_message_free(&m);
    CHECK(kept, "an LP kept until exit");
    mesh_arena_free(a);
    int code = tk_shutdown(&k, 1, 120);
    CHECK(code == 0, "kernel exit code %d (97 = valgrind found errors or leaks)", code);
    tk_close(&k);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_kernel GROUP\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    const char *g = argv[1];
    double t0 = test_now();
    if (!strcmp(g, "protocol"))
        protocol_group();
    else if (!strcmp(g, "glpk_examples"))
        glpk_examples_group();
    else if (!strcmp(g, "warm_start"))
        warm_start_group();
    else if (!strcmp(g, "tables"))
        tables_group();
    else if (!strcmp(g, "faults"))
        faults_group();
    else if (!strcmp(g, "fuzz"))
        fuzz_group();
    else if (!strcmp(g, "lifecycle"))
        lifecycle_group();
    else if (!strcmp(g, "cancel"))
        cancel_group();
    else if (!strcmp(g, "proxy"))
        proxy_group();
    else if (!strcmp(g, "call"))
        call_group();
    else if (!strcmp(g, "idle_spin"))
        idle_spin_group();
    else if (!strcmp(g, "valgrind"))
        valgrind_group();
    else if (!strcmp(g, "valgrind_proxy"))
        valgrind_proxy_group();
    else {
        fprintf(stderr, "unknown group %s\n", g);
        return 2;
    }
    printf("group %s: %.1f s\n", g, test_now() - t0);
    return test_summary(g);
}
