/* main.c - mesh-glpk-kernel: a Mesh kernel serving GLPK/MathProg solves. */
#include <glpk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "glpk_endpoints.h"
#include "mesh/kernel.h"

#ifndef MESH_GLPK_VERSION
#define MESH_GLPK_VERSION "0"
#endif

static long env_long(const char *name, long def)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return def;
    char *end;
    long x = strtol(v, &end, 10);
    return *end || x <= 0 ? def : x;
}

static void usage(void)
{
    fprintf(stderr, "usage: mesh-glpk-kernel [--connection-file PATH]\n"
                    "  (or set MESH_CONNECTION_FILE)\n");
}

int main(int argc, char **argv)
{
    const char *path = getenv("MESH_CONNECTION_FILE");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--connection-file") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else if (strncmp(argv[i], "--connection-file=", 18) == 0) {
            path = argv[i] + 18;
        } else if (strcmp(argv[i], "--version") == 0) {
            printf("mesh-glpk-kernel %s (GLPK %s)\n", MESH_GLPK_VERSION, glp_version());
            return 0;
        } else {
            usage();
            return MESH_EXIT_BAD_CONNECTION_FILE;
        }
    }
    mesh_config cfg;
    char err[512];
    if (mesh_config_load(path, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "mesh-glpk-kernel: %s\n", err);
        return MESH_EXIT_BAD_CONNECTION_FILE;
    }
    if (glpk_endpoints_init(cfg.kernel_id) != 0) {
        fprintf(stderr, "mesh-glpk-kernel: cannot create a temporary directory\n");
        mesh_config_free(&cfg);
        return MESH_EXIT_INTERNAL;
    }
    bool tls = glp_config("TLS") != NULL;
    glp_free_env(); /* glp_config created the main thread's environment */

    mesh_dispatch d;
    mesh_dispatch_init(&d);
    mesh_proxy *px = mesh_proxy_new(cfg.kernel_id);
    if (!px || glpk_endpoints_register(&d, tls) != 0 || conformance_endpoints_register(&d) != 0 ||
        glpk_proxies_export(px) != 0 || conformance_objects_export(px) != 0 || mesh_proxy_register(px, &d) != 0) {
        fprintf(stderr, "mesh-glpk-kernel: cannot register endpoints\n");
        mesh_proxy_free(px);
        mesh_dispatch_free(&d);
        glpk_endpoints_fini();
        mesh_config_free(&cfg);
        return MESH_EXIT_INTERNAL;
    }

    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int general = (int)env_long("MESH_MAX_CONCURRENCY", cpus > 0 ? cpus : 1);
    const mesh_lane lanes[LANE_COUNT] = {
        [LANE_GENERAL] = {"general", general, glpk_thread_init, glpk_thread_exit},
        [LANE_LP] = {"lp", 1, glpk_thread_init, glpk_thread_exit},
    };
    char impl_version[64];
    snprintf(impl_version, sizeof impl_version, "%s (GLPK %s)", MESH_GLPK_VERSION, glp_version());
    glp_free_env();
    mesh_kernel_options opt = {
        .language = "c",
        .implementation = "mesh-glpk-kernel",
        .implementation_version = impl_version,
        .lanes = lanes,
        .nlanes = LANE_COUNT,
        .result_ttl = (double)env_long("MESH_RESULT_TTL", 600),
        .max_retained = (size_t)env_long("MESH_MAX_RETAINED", 10000),
        .max_queue = (size_t)env_long("MESH_MAX_QUEUE", 10000),
        /* section 3 says 10 s; tests shorten it */
        .registration_timeout = (double)env_long("MESH_REGISTRATION_TIMEOUT", 10),
        .proxy = px,
    };
    int code = mesh_kernel_run(&cfg, &d, &opt);
    /* after the kernel: its lanes' threads are gone, so objects left now free only themselves */
    mesh_proxy_free(px);
    mesh_dispatch_free(&d);
    glpk_endpoints_fini();
    mesh_config_free(&cfg);
    return code;
}
