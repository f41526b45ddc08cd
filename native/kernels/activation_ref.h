// Scalar epilogue math on libm: the oracle the vector epilogues are tested against, and what the
// portable and reference kernels apply. NaN handling matches the TypeScript ops (Relu maps NaN to
// 0, the rest keep it).
#pragma once
#include <algorithm>
#include <cmath>

#include "kernels.h"

namespace armml {
// Internal linkage: files built for different ISAs (AVX2 and AVX-512, baseline and SVE) each keep
// their own copy, so the linker can never hand one ISA's callers a copy compiled for another.
namespace {

/** erf on libm in double, rounded once to float. */
inline float erf_ref(float v) { return float(std::erf(double(v))); }

/**
 * GELU, 0.5 x (1 + erf(x / sqrt 2)), written as 0.5 x erfc(-x / sqrt 2) in double: no cancellation
 * in 1 + erf for negative x, so the float result is the correctly rounded one (NaN for -inf, like
 * the TypeScript op's -inf * 0).
 */
inline float gelu_ref(float v) {
  const double x = v;
  return float(0.5 * x * std::erfc(-x * 0.70710678118654752440));
}

/**
 * The tanh approximation of GELU in double, as x / (1 + exp(-2u)) with u = sqrt(2/pi) (x + 0.044715 x^3),
 * which equals 0.5 x (1 + tanh u) without its cancellation for negative x.
 */
inline float gelu_tanh_ref(float v) {
  const double x = v;
  const double u2 = 1.5957691216057307117597842397375 * (x + 0.044715 * x * x * x);
  return float(x / (1.0 + std::exp(-u2)));
}

inline float activate_ref(Activation act, float v, float alpha, float beta) {
  switch (act) {
    case Activation::None:
      return v;
    case Activation::Relu:
      return v > 0.0f ? v : 0.0f;
    case Activation::Clip:
      return std::isnan(v) ? v : std::min(std::max(v, alpha), beta);
    case Activation::Sigmoid:
      return 1.0f / (1.0f + std::exp(-v));
    case Activation::SiLU:
      return v / (1.0f + std::exp(-v));
    case Activation::HardSwish:
      return std::isnan(v) ? v : v * std::max(0.0f, std::min(1.0f, v / 6.0f + 0.5f));
    case Activation::Gelu:
      return gelu_ref(v);
    case Activation::GeluTanh:
      return gelu_tanh_ref(v);
    case Activation::LeakyRelu:
      return v < 0.0f ? v * alpha : v;
    case Activation::HardSigmoid: {
      const float h = alpha * v + beta;
      return std::isnan(h) ? h : std::max(0.0f, std::min(1.0f, h));
    }
  }
  return v;
}

/** Applies `ep` to a rows x cols tile at c (row stride ldc) in place; c already holds the sums. */
inline void epilogue_ref(const Epilogue& ep, float* c, size_t ldc, size_t rows, size_t cols) {
  for (size_t i = 0; i < rows; i++) {
    float* ci = c + i * ldc;
    const float bm = ep.bias_m ? ep.bias_m[i] : 0.0f;
    for (size_t j = 0; j < cols; j++) {
      float v = ci[j];
      if (ep.bias_m) v += bm;
      if (ep.bias_n) v += ep.bias_n[j];
      if (ep.residual) v += ep.residual[i * ep.ldr + j];
      ci[j] = activate_ref(ep.act, v, ep.alpha, ep.beta);
    }
  }
}

}  // namespace
}  // namespace armml
