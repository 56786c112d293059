/* weight_cmp.c — the words of each weight status, and setting a comparison's status as a value. */
#include "weight_cmp.h"

#include <stdio.h>

static const char *const status_names[] = {"identical", "identical after layout change", "identical after BN folding",
                                           "fp16 rounding", "quantization", "different", "incomparable"};

const char *cs_weight_status_name(cs_weight_status s)
{
    return s >= CS_W_IDENTICAL && s <= CS_W_INCOMPARABLE ? status_names[s] : "incomparable";
}

void cs_weight_set_status(cs_weight_cmp *out, cs_weight_status s)
{
    out->code = s;
    snprintf(out->status, sizeof out->status, "%s", cs_weight_status_name(s));
}
