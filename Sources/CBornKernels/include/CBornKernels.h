// Umbrella header of Born's C micro-kernels.
#ifndef CBORNKERNELS_H
#define CBORNKERNELS_H

#include "born_isa.h"
#include "born_gemm.h"
#include "born_vmath.h"
#include "born_update.h"
#include "born_conv.h"

#endif
