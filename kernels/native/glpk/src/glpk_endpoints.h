/* glpk_endpoints.h - the solver endpoints and the conformance endpoints of mesh-glpk-kernel. */
#ifndef GLPK_ENDPOINTS_H
#define GLPK_ENDPOINTS_H

#include <stdbool.h>

#include "mesh/dispatch.h"
#include "mesh/proxy.h"

enum { LANE_GENERAL = 0, LANE_LP = 1, LANE_COUNT = 2 };

/* Creates the kernel's private temporary directory and records the working directory. */
int glpk_endpoints_init(const char *kernel_id);
/* Removes the temporary directory. */
void glpk_endpoints_fini(void);

/* Registers solve, load, set_row_bounds, set_objective_coefficients, solve_handle,
 * get_variables, get_duals, release. When GLPK was built without thread-local environments
 * (glp_config("TLS") == NULL), stateless solves run on the LP lane too. */
int glpk_endpoints_register(mesh_dispatch *d, bool glpk_tls);

/* Lane thread hooks: per-thread GLPK state (handles live on the LP lane's thread). */
void *glpk_thread_init(int lane, int index);
void glpk_thread_exit(int lane, int index, void *data);

/* Exports `solver`: solver.Load(model, data=nil, options=nil) returns an LP object with
 * SetRowBounds, SetObjectiveCoefficients, Solve, Variables, Duals and the attributes Status,
 * Objective, Rows, Columns (README, "LP objects"). */
int glpk_proxies_export(mesh_proxy *px);

/* The proxy conformance objects of docs/conformance.md: Counter, Policy, Records, Calculator
 * (types) and store (an instance). */
int conformance_objects_export(mesh_proxy *px);

/* echo, add, concat, sum_array, scale, transpose, make_table, table_echo, fail, sleep,
 * progress, log, order, pid (docs/conformance.md). */
int conformance_endpoints_register(mesh_dispatch *d);

#endif
