#include "qgemm.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "threadpool.h"

namespace armml {

QuantFormat quant_format(const std::string& name) {
  if (name == "qsi8cx") return {8, 0, "matmul_qai8dxp_qsi8cxp"};
  if (name == "qsi4c32") return {4, kQkBlock, "matmul_qai8dxp_qsi4c32p"};
  throw std::invalid_argument("unknown weight format '" + name + "' (formats: qsi8cx, qsi4c32)");
}

QPackedB pack_qweights(const QuantFormat& f, const float* B, size_t ldb, bool transB, size_t K, size_t N) {
  QPackedB p;
  p.K = K;
  p.N = N;
  p.kp = std::max<size_t>(kQkBlock, (K + kQkBlock - 1) / kQkBlock * kQkBlock);
  p.group = f.group ? f.group : p.kp;
  p.panels = (N + kQnr - 1) / kQnr;
  const size_t gbytes = qpanel_group_bytes(f.bits, p.group);
  p.panel_bytes = gbytes * (p.kp / p.group);
  p.data.assign(p.panels * p.panel_bytes, 0);
  const auto at = [&](size_t k, size_t n) -> float {
    if (k >= K || n >= N) return 0.0f;
    return transB ? B[n * ldb + k] : B[k * ldb + n];
  };
  const int qmax = f.bits == 8 ? 127 : 7;
  for (size_t pi = 0; pi < p.panels; pi++) {
    for (size_t gi = 0; gi < p.kp / p.group; gi++) {
      uint8_t* g = p.data.data() + pi * p.panel_bytes + gi * gbytes;
      float* scale = reinterpret_cast<float*>(g + p.group * kQnr * f.bits / 8);
      int32_t* sum = reinterpret_cast<int32_t*>(scale + kQnr);
      for (size_t j = 0; j < kQnr; j++) {
        const size_t n = pi * kQnr + j;
        float amax = 0.0f;
        for (size_t d = 0; d < p.group; d++) amax = std::max(amax, std::fabs(at(gi * p.group + d, n)));
        const float s = amax / float(qmax);
        const float inv = s > 0.0f ? 1.0f / s : 0.0f;
        scale[j] = s;
        int32_t total = 0;
        for (size_t d = 0; d < p.group; d++) {
          const float w = at(gi * p.group + d, n);
          const int q = std::max(-qmax, std::min(qmax, int(std::lrint(w * inv))));
          total += q;
          // Element e = 2j + (d & 1) of step d / 2 (kernels.h).
          const size_t step = d / 2, e = 2 * j + (d & 1);
          if (f.bits == 8) {
            g[step * 32 + e] = uint8_t(int8_t(q));
          } else {
            uint8_t& byte = g[step * 16 + (e & 15)];
            byte = uint8_t(e < 16 ? (byte & 0xf0) | (q & 0x0f) : (byte & 0x0f) | ((q & 0x0f) << 4));
          }
        }
        sum[j] = total;
      }
    }
  }
  return p;
}

void quantize_rows(const float* A, size_t lda, size_t M, size_t K, size_t kp, int16_t* q, float* scale, int32_t* zero) {
  for (size_t r = 0; r < M; r++) {
    const float* a = A + r * lda;
    float lo = 0.0f, hi = 0.0f, nonfinite = 0.0f;
    for (size_t k = 0; k < K; k++) {
      lo = std::min(lo, a[k]);
      hi = std::max(hi, a[k]);
      nonfinite += a[k] * 0.0f;  // NaN once any value is NaN or infinite (min/max skip NaN)
    }
    int16_t* qr = q + r * kp;
    const float s = (hi - lo) / 255.0f;
    if (!(s > 0.0f) || !std::isfinite(s) || nonfinite != 0.0f) {
      // A row of zeros computes as zeros. No int8 code holds NaN or infinity: such a row's
      // outputs are NaN, as an fp32 product's would be, so the reference check reports them.
      std::fill(qr, qr + kp, int16_t(0));
      scale[r] = std::isfinite(s) && nonfinite == 0.0f ? 0.0f : std::numeric_limits<float>::quiet_NaN();
      zero[r] = 0;
      continue;
    }
    const float inv = 1.0f / s;
    // lo maps to -128 (rounded so that 0 is exactly representable).
    const int z = std::max(-128, std::min(127, int(std::lrint(-128.0f - lo * inv))));
    for (size_t k = 0; k < K; k++) qr[k] = int16_t(std::max(-128, std::min(127, int(std::lrint(a[k] * inv)) + z)));
    std::fill(qr + K, qr + kp, int16_t(0));
    scale[r] = s;
    zero[r] = z;
  }
}

void qgemm(const KernelVariant& v, const QPackedB& b, const float* A, size_t lda, size_t M, float* C, size_t ldc,
           const Epilogue& ep, int threads) {
  if (!v.qmatmul) throw std::invalid_argument(std::string(v.name) + " is not a quantized matmul variant");
  if (M == 0 || b.N == 0) return;
  thread_local std::vector<int16_t> q;
  thread_local std::vector<float> scale;
  thread_local std::vector<int32_t> zero;
  q.resize(M * b.kp);
  scale.resize(M);
  zero.resize(M);
  quantize_rows(A, lda, M, b.K, b.kp, q.data(), scale.data(), zero.data());
  const int16_t* qa = q.data();
  const float* sa = scale.data();
  const int32_t* za = zero.data();
  const auto panel = [&](size_t pi) {
    const size_t n0 = pi * kQnr;
    QMatmulTile t;
    t.cols = std::min(kQnr, b.N - n0);
    t.kp = b.kp;
    t.group = b.group;
    t.lda = b.kp;
    t.b = b.data.data() + pi * b.panel_bytes;
    t.ldc = ldc;
    for (size_t m0 = 0; m0 < M; m0 += 4) {
      t.rows = std::min<size_t>(4, M - m0);
      t.a = qa + m0 * b.kp;
      t.a_scale = sa + m0;
      t.a_zero = za + m0;
      t.c = C + m0 * ldc + n0;
      Epilogue e = ep;
      if (e.bias_n) e.bias_n += n0;
      if (e.residual) e.residual += m0 * e.ldr + n0;
      t.ep = epilogue_empty(e) ? nullptr : &e;
      v.qmatmul(t);
    }
  };
  // One task per panel; a second thread pays once the product has enough integer work.
  const double work = double(M) * double(b.N) * double(b.kp);
  const int t = work < 2.0e5 ? 1 : std::min<int>(threads, int(b.panels));
  if (t <= 1) {
    for (size_t pi = 0; pi < b.panels; pi++) panel(pi);
    return;
  }
  ThreadPool::instance().parallel_for(b.panels, t, panel);
}

}  // namespace armml
