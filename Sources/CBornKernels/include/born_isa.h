// Instruction-set selection for Born's C kernels.
//
// Every kernel family has a generic C variant and, on x86-64, AVX2+FMA and AVX-512 variants.
// The variant is chosen once from the CPU's features; the environment variable BORN_KERNEL
// (generic | avx2 | avx512) forces one, and born_isa_set() switches at run time so that tests
// can compare every available variant with the generic one.
#ifndef BORN_ISA_H
#define BORN_ISA_H

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  BORN_ISA_GENERIC = 0,
  BORN_ISA_AVX2 = 1,
  BORN_ISA_AVX512 = 2,
} born_isa;

/// 1 when this CPU can run kernels of `isa`, else 0.
int born_isa_supported(born_isa isa);

/// The variant in use: BORN_KERNEL if set and supported, else the best the CPU supports.
born_isa born_isa_active(void);

/// Forces a variant. Returns 0 (and changes nothing) when the CPU does not support it.
int born_isa_set(born_isa isa);

/// "generic", "avx2" or "avx512".
const char *born_isa_name(born_isa isa);

#ifdef __cplusplus
}
#endif
#endif
