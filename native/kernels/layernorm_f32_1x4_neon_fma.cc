// NEON layer normalization (and RMSNorm) over contiguous rows, 4 floats per q register, the same
// three passes as the AVX2 variant: the sum in double, squared deviations from the float mean in
// double, then ((x - mean_f) - (mean - mean_f)) * rstd * gamma + beta.
#include <arm_neon.h>

#include <cmath>

#include "kernels.h"

namespace armml {

namespace {

inline float64x2_t widen_add(float64x2_t s, float32x4_t v) {
  return vaddq_f64(s, vaddq_f64(vcvt_f64_f32(vget_low_f32(v)), vcvt_high_f64_f32(v)));
}

inline float32x4_t load_tail(const float* p, size_t len) {
  float buf[4] = {};
  for (size_t k = 0; k < len; k++) buf[k] = p[k];
  return vld1q_f32(buf);
}

double sum_f64(const float* x, size_t n) {
  float64x2_t s0 = vdupq_n_f64(0.0), s1 = s0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    s0 = widen_add(s0, vld1q_f32(x + i));
    s1 = widen_add(s1, vld1q_f32(x + i + 4));
  }
  for (; i + 4 <= n; i += 4) s0 = widen_add(s0, vld1q_f32(x + i));
  if (i < n) s1 = widen_add(s1, load_tail(x + i, n - i));
  return vaddvq_f64(vaddq_f64(s0, s1));
}

// sum (x - m)^2 with the squares in double (see the AVX2 variant).
inline void sq_add(float64x2_t& s0, float64x2_t& s1, float32x4_t d) {
  const float64x2_t lo = vcvt_f64_f32(vget_low_f32(d)), hi = vcvt_high_f64_f32(d);
  s0 = vfmaq_f64(s0, lo, lo);
  s1 = vfmaq_f64(s1, hi, hi);
}

double sumsq_f64(const float* x, size_t n, float m) {
  const float32x4_t vm = vdupq_n_f32(m);
  float64x2_t s0 = vdupq_n_f64(0.0), s1 = s0, s2 = s0, s3 = s0;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    sq_add(s0, s1, vsubq_f32(vld1q_f32(x + i), vm));
    sq_add(s2, s3, vsubq_f32(vld1q_f32(x + i + 4), vm));
  }
  for (; i + 4 <= n; i += 4) sq_add(s0, s1, vsubq_f32(vld1q_f32(x + i), vm));
  double s = vaddvq_f64(vaddq_f64(vaddq_f64(s0, s1), vaddq_f64(s2, s3)));
  for (; i < n; i++) {
    const double d = double(x[i] - m);
    s += d * d;
  }
  return s;
}

template <bool G, bool B>
void apply(const float* x, float* y, size_t n, float m, float dm, float rstd, const float* g, const float* b) {
  const float32x4_t vm = vdupq_n_f32(m), vdm = vdupq_n_f32(dm), vr = vdupq_n_f32(rstd);
  const auto one = [&](const float* xp, float* yp, const float* gp, const float* bp) {
    float32x4_t t = vmulq_f32(vsubq_f32(vsubq_f32(vld1q_f32(xp), vm), vdm), vr);
    if (G && B) t = vfmaq_f32(vld1q_f32(bp), t, vld1q_f32(gp));
    else if (G) t = vmulq_f32(t, vld1q_f32(gp));
    else if (B) t = vaddq_f32(t, vld1q_f32(bp));
    vst1q_f32(yp, t);
  };
  size_t i = 0;
  for (; i + 4 <= n; i += 4) one(x + i, y + i, G ? g + i : nullptr, B ? b + i : nullptr);
  if (i < n) {
    float tx[4] = {}, ty[4], tg[4] = {}, tb[4] = {};
    const size_t len = n - i;
    for (size_t k = 0; k < len; k++) {
      tx[k] = x[i + k];
      if (G) tg[k] = g[i + k];
      if (B) tb[k] = b[i + k];
    }
    one(tx, ty, tg, tb);
    for (size_t k = 0; k < len; k++) y[i + k] = ty[k];
  }
}

}  // namespace

void layernorm_f32_1x4_neon_fma(const LayerNormArgs& a, size_t r0, size_t r1) {
  const size_t n = a.n;
  if (n == 0) return;
  const auto run = a.gamma ? (a.beta ? apply<true, true> : apply<true, false>) : (a.beta ? apply<false, true> : apply<false, false>);
  for (size_t r = r0; r < r1; r++) {
    const float* x = a.x + r * n;
    const double mean = a.rms ? 0.0 : sum_f64(x, n) / double(n);
    const float mf = float(mean);
    const double dm = mean - double(mf);
    double var = sumsq_f64(x, n, mf) / double(n) - dm * dm;  // E[(x - mf)^2] = var + (mean - mf)^2
    if (var < 0.0) var = 0.0;
    const double rstd = 1.0 / std::sqrt(var + double(a.eps));
    if (a.mean) a.mean[r] = mf;
    if (a.rstd) a.rstd[r] = float(rstd);
    run(x, a.y + r * n, n, mf, float(dm), float(rstd), a.gamma, a.beta);
  }
}

}  // namespace armml
