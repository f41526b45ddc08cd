// SVE vector math for the SVE kernels' epilogues: the same math as vmath_neon.h (Cephes expf
// reduction with a degree-5 polynomial, exact division for sigmoid and tanh), operation for
// operation on whole scalable vectors, so the result does not depend on the vector length and
// matches the NEON kernels; the GELUs run NEON's own code on each 128-bit quarter. SVE FMIN/FMAX propagate NaN like NEON's, and Relu
// selects on a comparison to map NaN to 0.
//
// Include only from files compiled with +sve. Everything here has internal linkage (unnamed
// namespace), so no out-of-line copy compiled with SVE can stand in for a baseline function at
// link time.
#pragma once
#include <arm_sve.h>

#include "kernels.h"
#include "vmath_neon.h"

namespace armml {
namespace vmath_sve {
namespace {

inline svfloat32_t dup(float v) { return svdup_n_f32(v); }

// Bits of `sign` where the mask is set, of `rest` elsewhere (NEON's vbslq with 0x80000000).
inline svfloat32_t copy_sign(svbool_t pg, svfloat32_t rest, svfloat32_t sign) {
  const svuint32_t s = svand_n_u32_x(pg, svreinterpret_u32_f32(sign), 0x80000000u);
  const svuint32_t r = svand_n_u32_x(pg, svreinterpret_u32_f32(rest), 0x7fffffffu);
  return svreinterpret_f32_u32(svorr_u32_x(pg, s, r));
}

// exp for x already clamped to [-88.376, 88.376] (NaN passes through); see vmath_neon.h.
inline svfloat32_t exp_clamped(svbool_t pg, svfloat32_t x) {
  const svfloat32_t fx = svrintm_f32_x(pg, svmla_f32_x(pg, dup(0.5f), x, dup(1.44269504088896341f)));
  svfloat32_t r = svmls_f32_x(pg, x, fx, dup(0.693359375f));
  r = svmls_f32_x(pg, r, fx, dup(-2.12194440e-4f));
  svfloat32_t p = dup(1.9875691500e-4f);
  p = svmla_f32_x(pg, dup(1.3981999507e-3f), p, r);
  p = svmla_f32_x(pg, dup(8.3334519073e-3f), p, r);
  p = svmla_f32_x(pg, dup(4.1665795894e-2f), p, r);
  p = svmla_f32_x(pg, dup(1.6666665459e-1f), p, r);
  p = svmla_f32_x(pg, dup(5.0000001201e-1f), p, r);
  p = svmla_f32_x(pg, svadd_f32_x(pg, r, dup(1.0f)), p, svmul_f32_x(pg, r, r));
  const svint32_t n = svadd_s32_x(pg, svcvt_s32_f32_x(pg, fx), svdup_n_s32(127));
  return svmul_f32_x(pg, p, svreinterpret_f32_s32(svlsl_n_s32_x(pg, n, 23)));
}

inline svfloat32_t clamp_exp_arg(svbool_t pg, svfloat32_t x) {
  return svmax_f32_x(pg, svmin_f32_x(pg, x, dup(88.3762626647949f)), dup(-88.3762626647949f));
}

inline svfloat32_t sigmoid(svbool_t pg, svfloat32_t x) {
  const svfloat32_t e = exp_clamped(pg, clamp_exp_arg(pg, svneg_f32_x(pg, x)));
  return svdiv_f32_x(pg, dup(1.0f), svadd_f32_x(pg, dup(1.0f), e));
}

inline svfloat32_t tanh(svbool_t pg, svfloat32_t x) {
  const svfloat32_t ax = svabs_f32_x(pg, x);
  const svfloat32_t e = exp_clamped(pg, svmin_f32_x(pg, svadd_f32_x(pg, ax, ax), dup(44.0f)));
  svfloat32_t big = svsub_f32_x(pg, dup(1.0f), svdiv_f32_x(pg, dup(2.0f), svadd_f32_x(pg, e, dup(1.0f))));
  big = copy_sign(pg, big, x);
  const svfloat32_t z = svmul_f32_x(pg, x, x);
  svfloat32_t p = dup(-5.70498872745e-3f);
  p = svmla_f32_x(pg, dup(2.06390887954e-2f), p, z);
  p = svmla_f32_x(pg, dup(-5.37397155531e-2f), p, z);
  p = svmla_f32_x(pg, dup(1.33314422036e-1f), p, z);
  p = svmla_f32_x(pg, dup(-3.33332819422e-1f), p, z);
  const svfloat32_t small = svmla_f32_x(pg, x, svmul_f32_x(pg, p, z), x);
  const svfloat32_t r = svsel_f32(svcmplt_f32(pg, ax, dup(0.625f)), small, big);
  return svsel_f32(svcmpeq_f32(pg, x, x), r, x);  // NaN stays NaN
}

inline svfloat32_t relu(svbool_t pg, svfloat32_t v) { return svsel_f32(svcmpgt_n_f32(pg, v, 0.0f), v, dup(0.0f)); }

/** One epilogue activation on the lanes of pg (see Activation in kernels.h). */
inline svfloat32_t activate(svbool_t pg, svfloat32_t v, Activation act, float alpha, float beta) {
  const svfloat32_t zero = dup(0.0f);
  const svfloat32_t one = dup(1.0f);
  const svfloat32_t half = dup(0.5f);
  switch (act) {
    case Activation::None:
      return v;
    case Activation::Relu:
      return relu(pg, v);
    case Activation::Clip:
      return svmin_f32_x(pg, svmax_f32_x(pg, v, dup(alpha)), dup(beta));
    case Activation::Sigmoid:
      return sigmoid(pg, v);
    case Activation::SiLU:
      return svmul_f32_x(pg, v, sigmoid(pg, v));
    case Activation::HardSwish:
      return svmul_f32_x(
          pg, v, svmax_f32_x(pg, zero, svmin_f32_x(pg, one, svadd_f32_x(pg, svdiv_f32_x(pg, v, dup(6.0f)), half))));
    case Activation::Gelu:
    case Activation::GeluTanh: {
      // The GELUs take NEON's code on each 128-bit quarter (NEON is part of every SVE core): it
      // forms its arguments in double and splits them across two floats, and this keeps every
      // vector length bit for bit on the NEON kernels' results.
      alignas(16) float lanes[64];  // 2048 bits, the widest SVE vector
      svst1_f32(svptrue_b32(), lanes, v);
      for (size_t i = 0; i < svcntw(); i += 4)
        vst1q_f32(lanes + i, vmath_neon::activate(vld1q_f32(lanes + i), act, alpha, beta));
      return svld1_f32(svptrue_b32(), lanes);
    }
    case Activation::LeakyRelu:
      return svsel_f32(svcmplt_n_f32(pg, v, 0.0f), svmul_f32_x(pg, v, dup(alpha)), v);
    case Activation::HardSigmoid:
      return svmax_f32_x(pg, zero, svmin_f32_x(pg, one, svmla_f32_x(pg, dup(beta), dup(alpha), v)));
  }
  return v;
}

}  // namespace
}  // namespace vmath_sve
}  // namespace armml
