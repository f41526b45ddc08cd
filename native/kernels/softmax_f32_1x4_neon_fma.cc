// NEON softmax over contiguous rows, 4 floats per q register, the same three passes as the AVX2
// variant: max, exp(x - max) on the vector exp of vmath_neon.h with the sum in double, then the
// scale (or x - max - log(sum)). The last n % 4 elements go through a buffer padded with -inf.
#include <arm_neon.h>

#include <cmath>

#include "kernels.h"
#include "vmath_neon.h"

namespace armml {

namespace {

using namespace vmath_neon;

// exp(x) for x <= 0: no overflow handling; below -87.3 the result is 0 (NaN passes through).
inline float32x4_t exp_nonpos(float32x4_t x) {
  const float32x4_t y = exp_clamped(vmaxq_f32(x, dup(-87.3f)));
  return vbslq_f32(vcltq_f32(x, dup(-87.3f)), dup(0.0f), y);
}

inline void add_f64(float64x2_t& s0, float64x2_t& s1, float32x4_t e) {
  s0 = vaddq_f64(s0, vcvt_f64_f32(vget_low_f32(e)));
  s1 = vaddq_f64(s1, vcvt_high_f64_f32(e));
}

void row(const float* x, float* y, size_t n, bool log) {
  const size_t n4 = n / 4 * 4, tail = n - n4;
  float buf[4];
  if (tail) {
    for (size_t k = 0; k < 4; k++) buf[k] = k < tail ? x[n4 + k] : -INFINITY;
  }
  // Max (NEON's FMAX propagates NaN, which then makes the whole row NaN, as in the TypeScript op).
  float32x4_t m0 = dup(-INFINITY), m1 = m0, m2 = m0, m3 = m0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    m0 = vmaxq_f32(m0, vld1q_f32(x + i));
    m1 = vmaxq_f32(m1, vld1q_f32(x + i + 4));
    m2 = vmaxq_f32(m2, vld1q_f32(x + i + 8));
    m3 = vmaxq_f32(m3, vld1q_f32(x + i + 12));
  }
  for (; i < n4; i += 4) m0 = vmaxq_f32(m0, vld1q_f32(x + i));
  if (tail) m1 = vmaxq_f32(m1, vld1q_f32(buf));
  const float mx = vmaxvq_f32(vmaxq_f32(vmaxq_f32(m0, m1), vmaxq_f32(m2, m3)));
  const float32x4_t vm = dup(mx);
  float64x2_t s0 = vdupq_n_f64(0.0), s1 = s0, s2 = s0, s3 = s0;
  i = 0;
  for (; i + 8 <= n; i += 8) {
    const float32x4_t e0 = exp_nonpos(vsubq_f32(vld1q_f32(x + i), vm));
    const float32x4_t e1 = exp_nonpos(vsubq_f32(vld1q_f32(x + i + 4), vm));
    if (!log) {
      vst1q_f32(y + i, e0);
      vst1q_f32(y + i + 4, e1);
    }
    add_f64(s0, s1, e0);
    add_f64(s2, s3, e1);
  }
  for (; i < n4; i += 4) {
    const float32x4_t e = exp_nonpos(vsubq_f32(vld1q_f32(x + i), vm));
    if (!log) vst1q_f32(y + i, e);
    add_f64(s0, s1, e);
  }
  float32x4_t etail = dup(0.0f);
  if (tail) {
    etail = exp_nonpos(vsubq_f32(vld1q_f32(buf), vm));
    add_f64(s2, s3, etail);
  }
  const double sum = vaddvq_f64(vaddq_f64(vaddq_f64(s0, s1), vaddq_f64(s2, s3)));
  if (log) {
    const float32x4_t vl = dup(float(std::log(sum)));
    for (i = 0; i < n4; i += 4) vst1q_f32(y + i, vsubq_f32(vsubq_f32(vld1q_f32(x + i), vm), vl));
    if (tail) vst1q_f32(buf, vsubq_f32(vsubq_f32(vld1q_f32(buf), vm), vl));
  } else {
    const float32x4_t vs = dup(float(1.0 / sum));
    for (i = 0; i < n4; i += 4) vst1q_f32(y + i, vmulq_f32(vld1q_f32(y + i), vs));
    if (tail) vst1q_f32(buf, vmulq_f32(etail, vs));
  }
  for (size_t k = 0; k < tail; k++) y[n4 + k] = buf[k];
}

}  // namespace

void softmax_f32_1x4_neon_fma(const SoftmaxArgs& a, size_t r0, size_t r1) {
  if (a.n == 0) return;
  for (size_t r = r0; r < r1; r++) row(a.x + r * a.n, a.y + r * a.n, a.n, a.log);
}

}  // namespace armml
