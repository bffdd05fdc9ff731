#include "born_isa.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static _Atomic int active_isa = -1;

int born_isa_supported(born_isa isa) {
  switch (isa) {
  case BORN_ISA_GENERIC:
    return 1;
#if defined(__x86_64__) || defined(__i386__)
  case BORN_ISA_AVX2:
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("f16c");
  case BORN_ISA_AVX512:
    __builtin_cpu_init();
    return born_isa_supported(BORN_ISA_AVX2) && __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512vl");
#endif
  default:
    return 0;
  }
}

static born_isa best_isa(void) {
  const char *forced = getenv("BORN_KERNEL");
  if (forced) {
    born_isa wanted = BORN_ISA_GENERIC;
    if (strcmp(forced, "avx512") == 0) wanted = BORN_ISA_AVX512;
    else if (strcmp(forced, "avx2") == 0) wanted = BORN_ISA_AVX2;
    if (born_isa_supported(wanted)) return wanted;
  }
  if (born_isa_supported(BORN_ISA_AVX512)) return BORN_ISA_AVX512;
  if (born_isa_supported(BORN_ISA_AVX2)) return BORN_ISA_AVX2;
  return BORN_ISA_GENERIC;
}

born_isa born_isa_active(void) {
  int isa = atomic_load_explicit(&active_isa, memory_order_relaxed);
  if (isa < 0) {
    isa = (int)best_isa();
    atomic_store_explicit(&active_isa, isa, memory_order_relaxed);
  }
  return (born_isa)isa;
}

int born_isa_set(born_isa isa) {
  if (!born_isa_supported(isa)) return 0;
  atomic_store_explicit(&active_isa, (int)isa, memory_order_relaxed);
  return 1;
}

const char *born_isa_name(born_isa isa) {
  switch (isa) {
  case BORN_ISA_AVX512: return "avx512";
  case BORN_ISA_AVX2: return "avx2";
  default: return "generic";
  }
}
