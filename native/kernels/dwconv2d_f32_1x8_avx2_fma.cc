// AVX2+FMA depthwise plane: 8 adjacent outputs per ymm, one FMA per filter tap. Unit stride loads
// 8 consecutive inputs; stride 2 loads 16 and keeps the even lanes (shuffle + lane permute), which
// covers the downsampling layers of MobileNet-style nets. Other strides use the scalar tail path.
// Four vectors (32 outputs) are in flight at once: one chain of dependent FMAs per vector would
// wait on FMA latency (measured ~10% of peak); four independent chains keep the FMA units busy.
// Each output still sums its taps in the same order, so results do not change.
#include <immintrin.h>

#include "kernels.h"

namespace armml {

namespace {

inline __m256 load_stride2(const float* p) {
  const __m256 lo = _mm256_loadu_ps(p);
  const __m256 hi = _mm256_loadu_ps(p + 8);
  const __m256 even = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
  return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(even), _MM_SHUFFLE(3, 1, 2, 0)));
}

inline float scalar_output(const DwPlane& p, size_t oy, size_t ox) {
  float acc = p.bias;
  for (size_t ky = 0; ky < p.kH; ky++) {
    const float* xrow = p.x + (oy * p.strideH + ky * p.dilH) * p.xw + ox * p.strideW;
    for (size_t kx = 0; kx < p.kW; kx++) acc += p.w[ky * p.kW + kx] * xrow[kx * p.dilW];
  }
  return p.relu && acc < 0.0f ? 0.0f : acc;
}

}  // namespace

void dwconv2d_f32_1x8_avx2_fma(const DwPlane& p) {
  const bool vector = p.strideW == 1 || p.strideW == 2;
  const __m256 zero = _mm256_setzero_ps();
  for (size_t oy = 0; oy < p.outH; oy++) {
    float* yrow = p.y + oy * p.outW;
    size_t ox = 0;
    if (vector) {
      const size_t step = p.strideW * 8;
      for (; ox + 32 <= p.outW; ox += 32) {
        __m256 a0 = _mm256_set1_ps(p.bias), a1 = a0, a2 = a0, a3 = a0;
        for (size_t ky = 0; ky < p.kH; ky++) {
          const float* xrow = p.x + (oy * p.strideH + ky * p.dilH) * p.xw + ox * p.strideW;
          const float* wrow = p.w + ky * p.kW;
          for (size_t kx = 0; kx < p.kW; kx++) {
            const __m256 wv = _mm256_set1_ps(wrow[kx]);
            const float* xp = xrow + kx * p.dilW;
            if (p.strideW == 1) {
              a0 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xp), a0);
              a1 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xp + step), a1);
              a2 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xp + 2 * step), a2);
              a3 = _mm256_fmadd_ps(wv, _mm256_loadu_ps(xp + 3 * step), a3);
            } else {
              a0 = _mm256_fmadd_ps(wv, load_stride2(xp), a0);
              a1 = _mm256_fmadd_ps(wv, load_stride2(xp + step), a1);
              a2 = _mm256_fmadd_ps(wv, load_stride2(xp + 2 * step), a2);
              a3 = _mm256_fmadd_ps(wv, load_stride2(xp + 3 * step), a3);
            }
          }
        }
        if (p.relu) {
          a0 = _mm256_max_ps(a0, zero), a1 = _mm256_max_ps(a1, zero);
          a2 = _mm256_max_ps(a2, zero), a3 = _mm256_max_ps(a3, zero);
        }
        _mm256_storeu_ps(yrow + ox, a0);
        _mm256_storeu_ps(yrow + ox + 8, a1);
        _mm256_storeu_ps(yrow + ox + 16, a2);
        _mm256_storeu_ps(yrow + ox + 24, a3);
      }
      for (; ox + 8 <= p.outW; ox += 8) {
        __m256 acc = _mm256_set1_ps(p.bias);
        for (size_t ky = 0; ky < p.kH; ky++) {
          const float* xrow = p.x + (oy * p.strideH + ky * p.dilH) * p.xw + ox * p.strideW;
          const float* wrow = p.w + ky * p.kW;
          if (p.strideW == 1) {
            for (size_t kx = 0; kx < p.kW; kx++)
              acc = _mm256_fmadd_ps(_mm256_set1_ps(wrow[kx]), _mm256_loadu_ps(xrow + kx * p.dilW), acc);
          } else {
            for (size_t kx = 0; kx < p.kW; kx++)
              acc = _mm256_fmadd_ps(_mm256_set1_ps(wrow[kx]), load_stride2(xrow + kx * p.dilW), acc);
          }
        }
        if (p.relu) acc = _mm256_max_ps(acc, zero);
        _mm256_storeu_ps(yrow + ox, acc);
      }
    }
    for (; ox < p.outW; ox++) yrow[ox] = scalar_output(p, oy, ox);
  }
}

}  // namespace armml
