/* exec_fuse.h — plan-time discovery of node chains that one fast-path kernel call computes
 * (convolution with folded BatchNorm, residual sum and activation as oneDNN post-ops). */
#ifndef CS_EXEC_FUSE_H
#define CS_EXEC_FUSE_H

#include "ops/fusion.h"
#include "plan.h"

/* Fills plan->fusions, plan->fusion_of and plan->pos (plan->order must be set). */
cs_status cs_plan_fuse(const cs_graph *g, cs_plan *plan, cs_error *err);

/* True when running f fused hides no value the caller observes (observe: per value, NULL = none). */
bool cs_fusion_allowed(const cs_graph *g, const cs_fusion *f, const bool *observe);

#endif
