// Standalone kernel test (no Node): prints the detected CPU, ISA features and selected variants,
// then checks every supported variant against the reference kernels on awkward shapes.
// Built natively by scripts/kernel-test.sh and cross-built for AArch64 by scripts/arm-test.sh.
// Output lines are "key: value" / "PASS name ..." / "FAIL name ..." so tests can parse them.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "../src/conv.h"
#include "../src/cpu.h"
#include "../src/eltwise.h"
#include "../src/gemm.h"
#include "../src/gemv.h"
#include "../src/pool.h"
#include "../src/peak.h"
#include "../src/qgemm.h"
#include "../src/rows.h"
#include "../src/variants.h"

using namespace armml;

namespace {

int failures = 0;
int checks = 0;

std::vector<float> random_vec(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

double max_rel_err(const std::vector<float>& got, const std::vector<float>& want) {
  double worst = 0.0;
  for (size_t i = 0; i < got.size(); i++) {
    const double d = std::fabs(double(got[i]) - double(want[i])) / (1.0 + std::fabs(double(want[i])));
    if (!(d <= worst)) worst = d;  // NaN propagates as a failure
  }
  return worst;
}

void report(bool ok, const std::string& what, double err) {
  checks++;
  if (!ok) failures++;
  if (!ok) std::printf("FAIL %s err=%.3g\n", what.c_str(), err);
}

void test_gemm(const KernelVariant& v, std::mt19937& rng) {
  struct Case {
    size_t M, N, K;
    bool ta, tb;
    float alpha, beta;
    bool bias, relu;
    size_t batch;
  };
  const Case cases[] = {
      {1, 1, 1, false, false, 1, 0, false, false, 1},   {7, 13, 5, false, false, 1, 0, false, false, 1},
      {65, 33, 129, false, false, 1, 0, false, false, 1}, {17, 31, 300, true, false, 0.5f, 0, true, false, 1},
      {33, 19, 64, false, true, 1, 1, false, true, 1},  {50, 70, 40, true, true, 2, 0.5f, true, true, 1},
      {9, 24, 10, false, false, 1, 0, false, false, 3}, {130, 140, 70, false, false, 1, 0, true, false, 2},
      {3, 5, 0, false, false, 1, 0.5f, true, false, 1},
      // Primes and sizes one past the 6x16, 14x32 and 8x12 tiles and the kc blocks.
      {97, 101, 389, false, false, 1, 0, true, false, 1}, {15, 33, 193, false, true, 1, 0, false, false, 1},
      {29, 65, 257, true, false, 1, 1, true, true, 1},    {13, 97, 385, false, false, 1, 0, false, false, 1},
      {1, 37, 11, false, false, 1, 0, true, false, 1},    {2, 200, 31, false, true, 1, 0, false, true, 2},
  };
  size_t index = 0;
  for (const Case& tc : cases) {
    // Every activation in turn, with per-row bias and a residual on some cases.
    const size_t ci = index++;
    const Activation act = tc.relu ? Activation::Relu : Activation(ci % (size_t(Activation::HardSigmoid) + 1));
    const bool bias_m = ci % 2 == 1, residual = ci % 3 == 0;
    for (int threads : {1, 2}) {
      const size_t sa = tc.M * tc.K, sb = tc.K * tc.N, sc = tc.M * tc.N;
      auto A = random_vec(sa * tc.batch, rng), B = random_vec(sb * tc.batch, rng);
      auto bias = random_vec(tc.N, rng);
      auto C0 = random_vec(sc * tc.batch, rng);
      auto rowbias = random_vec(tc.M, rng), res = random_vec(sc * tc.batch, rng);
      auto got = C0, want = C0;
      GemmArgs g;
      g.M = tc.M;
      g.N = tc.N;
      g.K = tc.K;
      g.transA = tc.ta;
      g.transB = tc.tb;
      g.lda = tc.ta ? tc.M : tc.K;
      g.ldb = tc.tb ? tc.K : tc.N;
      g.ldc = tc.N;
      g.alpha = tc.alpha;
      g.beta = tc.beta;
      g.ep.bias_n = tc.bias ? bias.data() : nullptr;
      g.ep.bias_m = bias_m ? rowbias.data() : nullptr;
      g.ep.residual = residual ? res.data() : nullptr;
      g.ep.ldr = tc.N;
      g.ep.act = act;
      g.ep.alpha = act == Activation::Clip ? -0.25f : 0.1f;
      g.ep.beta = act == Activation::Clip ? 0.5f : 0.5f;
      g.A = A.data();
      g.B = B.data();
      GemmBatch b{tc.batch, sa, sb, sc};
      g.C = got.data();
      gemm(v, g, b, threads);
      g.C = want.data();
      gemm(resolve_variant("matmul_f32", "reference"), g, b, 1);
      const double err = max_rel_err(got, want);
      char what[160];
      std::snprintf(what, sizeof what, "%s M=%zu N=%zu K=%zu ta=%d tb=%d batch=%zu act=%d bias_m=%d res=%d threads=%d",
                    v.name, tc.M, tc.N, tc.K, tc.ta, tc.tb, tc.batch, int(act), bias_m, residual, threads);
      report(err < 1e-4, what, err);
      // The same product with B packed once up front (graph mode's weights).
      if (v.matmul_ukernel && tc.batch == 1) {
        const PackedB packed(v, B.data(), tc.K, tc.N, g.ldb, tc.tb);
        auto pre = C0;
        g.C = pre.data();
        gemm_prepacked(g, packed, threads);
        const double perr = max_rel_err(pre, want);
        report(perr < 1e-4, std::string("prepacked ") + what, perr);
      }
    }
  }
}

// One GEMV-shaped product (M < 4) through the gemv driver with variant v, against the reference
// GEMM. `ci` picks the epilogue, alpha/beta and transA so the case grid covers every combination.
struct GemvCase {
  size_t M, N, K;
  bool tb;
  size_t batch = 1;
  size_t strideB = 1;  // 0 shares B across the batch
};

void check_gemv(const KernelVariant& v, const GemvCase& tc, size_t ci, Activation act, bool all_epilogue, int threads,
                std::mt19937& rng) {
  const float alphas[] = {1.0f, 0.5f, -2.0f}, betas[] = {0.0f, 1.0f, 0.25f};
  const bool ta = ci % 5 == 0;
  const bool bias_n = all_epilogue || ci % 2 == 0, bias_m = all_epilogue || ci % 3 == 1;
  const bool residual = all_epilogue || ci % 4 < 2;
  const size_t sa = tc.M * tc.K, sb = tc.strideB ? tc.K * tc.N : 0, sc = tc.M * tc.N;
  auto A = random_vec(std::max<size_t>(1, sa * tc.batch), rng);
  auto B = random_vec(std::max<size_t>(1, tc.K * tc.N * (tc.strideB ? tc.batch : 1)), rng);
  auto bias = random_vec(tc.N, rng), rowbias = random_vec(tc.M, rng);
  auto res = random_vec(std::max<size_t>(1, sc * tc.batch), rng);
  auto C0 = random_vec(std::max<size_t>(1, sc * tc.batch), rng);
  auto got = C0, want = C0;
  GemmArgs g;
  g.M = tc.M;
  g.N = tc.N;
  g.K = tc.K;
  g.transA = ta;
  g.transB = tc.tb;
  g.lda = ta ? tc.M : tc.K;
  g.ldb = tc.tb ? tc.K : tc.N;
  g.ldc = tc.N;
  g.alpha = alphas[ci % 3];
  g.beta = betas[(ci / 3) % 3];
  g.ep.bias_n = bias_n ? bias.data() : nullptr;
  g.ep.bias_m = bias_m ? rowbias.data() : nullptr;
  g.ep.residual = residual ? res.data() : nullptr;
  g.ep.ldr = tc.N;
  g.ep.act = act;
  g.ep.alpha = act == Activation::Clip ? -0.25f : 0.1f;
  g.ep.beta = 0.5f;
  g.A = A.data();
  g.B = B.data();
  const GemmBatch b{tc.batch, sa, sb, sc};
  g.C = got.data();
  gemv(v, g, b, threads);
  g.C = want.data();
  gemm(resolve_variant("matmul_f32", "reference"), g, b, 1);
  const double err = max_rel_err(got, want);
  char what[200];
  std::snprintf(what, sizeof what, "%s M=%zu N=%zu K=%zu ta=%d tb=%d batch=%zu alpha=%g beta=%g act=%d bias_n=%d bias_m=%d res=%d threads=%d",
                v.name, tc.M, tc.N, tc.K, ta, tc.tb, tc.batch, g.alpha, g.beta, int(act), bias_n, bias_m, residual, threads);
  report(err < 1e-4, what, err);
}

// A quantized matmul variant: within its format's error of the fp32 product (rms relative error
// 1% for int8 per channel, 10% for 4-bit per group of 32 on uniform data) and, the integer sums
// being exact, equal to the family's portable variant up to float rounding; with bias, residual
// and ReLU, and on one and two threads.
void test_qmatmul(const KernelVariant& v, std::mt19937& rng) {
  const bool int8 = std::string(v.family) == "matmul_qai8dxp_qsi8cxp";
  const QuantFormat f = quant_format(int8 ? "qsi8cx" : "qsi4c32");
  const double bound = int8 ? 0.02 : 0.15;
  const KernelVariant* portable = nullptr;
  for (const auto& o : all_variants())
    if (std::string(o.family) == v.family && std::string(o.isa) == "portable") portable = &o;
  struct Case {
    size_t M, N, K;
    bool tb;
  };
  const Case cases[] = {{1, 37, 70, false}, {1, 64, 256, true}, {3, 16, 32, false}, {4, 17, 33, true}, {7, 50, 200, true}, {65, 130, 333, false}};
  for (const Case& c : cases) {
    std::vector<float> a = random_vec(c.M * c.K, rng), b = random_vec(c.K * c.N, rng), bias = random_vec(c.N, rng),
                       res = random_vec(c.M * c.N, rng);
    for (auto& x : a) x += 0.25f;  // an asymmetric range
    const QPackedB pb = pack_qweights(f, b.data(), c.tb ? c.K : c.N, c.tb, c.K, c.N);
    for (int threads : {1, 2})
      for (bool fused : {false, true}) {
        Epilogue ep;
        if (fused) ep.bias_n = bias.data(), ep.residual = res.data(), ep.ldr = c.N, ep.act = Activation::Relu;
        std::vector<float> got(c.M * c.N, NAN), base(c.M * c.N, NAN), want(c.M * c.N);
        qgemm(v, pb, a.data(), c.K, c.M, got.data(), c.N, ep, threads);
        qgemm(*portable, pb, a.data(), c.K, c.M, base.data(), c.N, ep, 1);
        double e2 = 0, r2 = 0;
        for (size_t i = 0; i < c.M; i++)
          for (size_t j = 0; j < c.N; j++) {
            double sum = 0;
            for (size_t k = 0; k < c.K; k++) sum += double(a[i * c.K + k]) * double(c.tb ? b[j * c.K + k] : b[k * c.N + j]);
            if (fused) sum = std::max(0.0, sum + bias[j] + res[i * c.N + j]);
            const double d = got[i * c.N + j] - sum;
            e2 += std::isnan(d) ? 1e30 : d * d;
            r2 += sum * sum;
          }
        const double rel = std::sqrt(e2 / std::max(r2, 1e-30));
        const std::string what = std::string(v.name) + " " + std::to_string(c.M) + "x" + std::to_string(c.N) + "x" +
                                 std::to_string(c.K) + (c.tb ? " transB" : "") + (fused ? " fused" : "") + " threads=" +
                                 std::to_string(threads);
        report(rel < bound, what + " vs fp32", rel);
        const double agree = max_rel_err(got, base);
        report(agree < 1e-5, what + " vs portable", agree);
      }
  }
}

void test_gemv(const KernelVariant& v, std::mt19937& rng) {
  const size_t sizes[] = {1, 3, 7, 17, 64, 65, 129, 1000};
  constexpr int kActs = int(Activation::HardSigmoid) + 1;
  size_t ci = 0;
  for (size_t K : sizes)
    for (size_t N : sizes)
      for (bool tb : {false, true})
        for (size_t M = 1; M <= kGemvMaxM; M++, ci++)
          check_gemv(v, {M, N, K, tb}, ci, Activation(ci % kActs), false, 1 + int(ci % 2), rng);
  // Every activation with every epilogue part at once; K = 0 (only beta * C and the epilogue).
  for (int act = 0; act < kActs; act++)
    for (bool tb : {false, true}) {
      check_gemv(v, {3, 129, 65, tb}, size_t(act), Activation(act), true, 2, rng);
      check_gemv(v, {2, 37, 0, tb}, size_t(act), Activation(act), true, 1, rng);
    }
  // Large enough to be split over two threads (uneven chunk edges), and batches (shared B too).
  for (bool tb : {false, true}) {
    for (size_t M = 1; M <= kGemvMaxM; M++) check_gemv(v, {M, 1001, 300, tb}, M, Activation(M), false, 2, rng);
    check_gemv(v, {2, 300, 257, tb, 3, 1}, 4, Activation::Relu, false, 2, rng);
    check_gemv(v, {1, 513, 300, tb, 4, 0}, 5, Activation::None, true, 2, rng);
  }
}

// A fingerprint of one fixed product per activation (K = 64: a single depth block whatever the
// tile, so the blocking cannot change the rounding): each output is the same chain of fused
// multiply-adds and the same epilogue math in every packed kernel, so the vector-length agnostic
// SVE kernel must print the same digest at every vector length, and the NEON kernel's.
void print_digest(const KernelVariant& v) {
  std::mt19937 rng(7);
  const size_t M = 19, N = 45, K = 64;
  auto A = random_vec(M * K, rng), B = random_vec(K * N, rng), bm = random_vec(M, rng), bn = random_vec(N, rng);
  auto res = random_vec(M * N, rng);
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the output bits
  for (int act = 0; act <= int(Activation::HardSigmoid); act++) {
    std::vector<float> C(M * N);
    GemmArgs g;
    g.M = M, g.N = N, g.K = K, g.A = A.data(), g.lda = K, g.B = B.data(), g.ldb = N, g.C = C.data(), g.ldc = N;
    g.ep.bias_m = bm.data(), g.ep.bias_n = bn.data(), g.ep.residual = res.data(), g.ep.ldr = N;
    g.ep.act = Activation(act);
    g.ep.alpha = act == int(Activation::Clip) ? -0.25f : 0.1f;
    g.ep.beta = 0.5f;
    gemm(v, g, GemmBatch{}, 1);
    for (float x : C) {
      uint32_t bits;
      std::memcpy(&bits, &x, sizeof bits);
      for (int byte = 0; byte < 4; byte++) h = (h ^ ((bits >> (8 * byte)) & 0xff)) * 1099511628211ull;
    }
  }
  std::printf("digest %s: %016llx\n", v.name, static_cast<unsigned long long>(h));
}

void test_conv(const std::string& variant, bool depthwise_only, std::mt19937& rng) {
  struct Case {
    size_t N, C, H, W, M, k, stride, pad, dil, group;
  };
  const Case cases[] = {
      {1, 3, 9, 11, 4, 3, 1, 1, 1, 1},  {2, 4, 8, 8, 6, 1, 1, 0, 1, 2},   {1, 5, 12, 13, 7, 3, 2, 1, 1, 1},
      {1, 8, 10, 19, 8, 3, 1, 1, 1, 8}, {1, 6, 17, 23, 6, 3, 2, 1, 1, 6}, {1, 4, 11, 14, 4, 5, 1, 2, 2, 4},
      {2, 3, 7, 9, 3, 3, 3, 0, 1, 3},   {1, 2, 6, 6, 4, 2, 1, 0, 2, 1},   {1, 16, 9, 33, 16, 5, 2, 2, 1, 16},
      // Depthwise rows wide enough for the 4-vector blocks (32 outputs on AVX2, 16 on NEON) plus
      // the single-vector and scalar tails, at stride 1, stride 2 and dilation 2.
      {1, 8, 6, 70, 8, 3, 1, 1, 1, 8}, {1, 8, 7, 131, 8, 3, 2, 1, 1, 8}, {1, 4, 9, 80, 4, 3, 1, 2, 2, 4},
      {1, 4, 7, 40, 4, 3, 1, 1, 1, 4}, {1, 3, 6, 67, 3, 5, 1, 2, 1, 3},
  };
  for (const Case& tc : cases) {
    Conv2dShape s;
    s.N = tc.N;
    s.C = tc.C;
    s.H = tc.H;
    s.W = tc.W;
    s.M = tc.M;
    s.kH = s.kW = tc.k;
    s.strideH = s.strideW = tc.stride;
    s.padT = s.padL = s.padB = s.padR = tc.pad;
    s.dilH = s.dilW = tc.dil;
    s.group = tc.group;
    const size_t ek = (tc.k - 1) * tc.dil + 1;
    s.outH = (tc.H + 2 * tc.pad - ek) / tc.stride + 1;
    s.outW = (tc.W + 2 * tc.pad - ek) / tc.stride + 1;
    const bool depthwise = s.group == s.C && s.M == s.C;
    if (depthwise_only && !depthwise) continue;
    auto x = random_vec(s.N * s.C * s.H * s.W, rng);
    auto w = random_vec(s.M * (s.C / s.group) * s.kH * s.kW, rng);
    auto bias = random_vec(s.M, rng);
    std::vector<float> got(s.N * s.M * s.outH * s.outW), want(got.size());
    auto res = random_vec(got.size(), rng);
    for (int e = 0; e < 4; e++) {
      // none, ReLU, residual + ReLU (a ResNet block's tail), HardSwish (MobileNet-v3)
      Epilogue ep;
      ep.act = e == 0 ? Activation::None : e == 3 ? Activation::HardSwish : Activation::Relu;
      ep.residual = e == 2 ? res.data() : nullptr;
      const KernelChoice k = conv2d(s, x.data(), w.data(), bias.data(), got.data(), ep, variant, 2);
      conv2d(s, x.data(), w.data(), bias.data(), want.data(), ep, "reference", 1);
      const double err = max_rel_err(got, want);
      char what[200];
      std::snprintf(what, sizeof what, "%s C=%zu HxW=%zux%zu M=%zu k=%zu s=%zu p=%zu d=%zu g=%zu epilogue=%d",
                    k.kernel.c_str(), s.C, s.H, s.W, s.M, tc.k, tc.stride, tc.pad, tc.dil, tc.group, e);
      report(err < 1e-4, what, err);
    }
  }
}

// The GEMM paths of conv (im2col from the padded, phase-split image; strided 1x1 from the image)
// against the reference on the geometry that image is made of: strides and dilations differing
// between height and width, asymmetric pads, kernels wider than tall and taller than wide, the
// 7x7 stride-2 stem, output rows shorter and longer than a panel (segments crossing rows), and
// groups; threads 1 and 2.
void test_conv_geometry(const std::string& variant, std::mt19937& rng) {
  struct Geo {
    size_t kH, kW, sH, sW, dH, dW, t, l, b, r;
  };
  const Geo geos[] = {{3, 3, 1, 2, 1, 1, 1, 1, 1, 1}, {3, 3, 2, 1, 1, 2, 0, 2, 1, 0}, {7, 7, 2, 2, 1, 1, 3, 3, 3, 3},
                      {1, 3, 1, 1, 1, 1, 0, 1, 0, 1}, {3, 1, 1, 3, 2, 1, 2, 0, 0, 0}, {2, 2, 2, 2, 1, 1, 0, 0, 1, 1},
                      {1, 1, 2, 2, 1, 1, 0, 0, 0, 0}, {1, 1, 1, 2, 1, 1, 1, 0, 0, 1}, {5, 3, 1, 1, 1, 2, 2, 2, 2, 2}};
  const size_t widths[] = {1, 5, 29, 33, 70};
  size_t index = 0;
  for (const Geo& g : geos) {
    for (size_t wi = 0; wi < std::size(widths); wi++, index++) {
      Conv2dShape s;
      s.N = index % 3 == 0 ? 2 : 1;
      s.group = index % 4 == 1 ? 2 : 1;
      s.C = s.group * (1 + index % 5);
      s.M = s.group * (3 + index % 17);
      s.H = 3 + index % 9, s.W = widths[wi];
      s.kH = g.kH, s.kW = g.kW, s.strideH = g.sH, s.strideW = g.sW, s.dilH = g.dH, s.dilW = g.dW;
      s.padT = g.t, s.padL = g.l, s.padB = g.b, s.padR = g.r;
      const size_t eh = (g.kH - 1) * g.dH + 1, ew = (g.kW - 1) * g.dW + 1;
      if (s.H + g.t + g.b < eh || s.W + g.l + g.r < ew) continue;
      s.outH = (s.H + g.t + g.b - eh) / g.sH + 1;
      s.outW = (s.W + g.l + g.r - ew) / g.sW + 1;
      auto x = random_vec(s.N * s.C * s.H * s.W, rng);
      auto w = random_vec(s.M * (s.C / s.group) * s.kH * s.kW, rng);
      auto bias = random_vec(s.M, rng);
      std::vector<float> got(s.N * s.M * s.outH * s.outW), want(got.size());
      Epilogue ep;
      ep.act = Activation::Relu;
      conv2d(s, x.data(), w.data(), bias.data(), want.data(), ep, "reference", 1);
      const int threads = 1 + int(index % 2);
      const KernelChoice k = conv2d(s, x.data(), w.data(), bias.data(), got.data(), ep, variant, threads);
      const double err = max_rel_err(got, want);
      char what[240];
      std::snprintf(what, sizeof what,
                    "%s geometry N=%zu C=%zu M=%zu HxW=%zux%zu k=%zux%zu s=%zu,%zu d=%zu,%zu pads=%zu,%zu,%zu,%zu g=%zu threads=%d",
                    k.kernel.c_str(), s.N, s.C, s.M, s.H, s.W, g.kH, g.kW, g.sH, g.sW, g.dH, g.dW, g.t, g.l, g.b, g.r,
                    s.group, threads);
      report(err < 1e-4, what, err);
    }
  }
}

// Depthwise against the reference conv on the shapes the kernels' edges are made of: 3x3 and 5x5
// (the fast paths) and 7x7, 3x5, dilation 2 and stride 3 (the generic path); strides 1 and 2;
// asymmetric pads 0..2; widths of 1, odd, prime and wider than four vectors (partial and border
// column blocks, interior runs); heights giving every tail of the row blocks; every activation
// (the exp-based ones run after the store), with and without bias and a residual; batches whose
// planes cross images; threads 1 and 2 (few planes: the rows are split into bands).
void test_depthwise(const std::string& variant, std::mt19937& rng) {
  struct Geo {
    size_t kH, kW, s, dil;
  };
  const Geo geos[] = {{3, 3, 1, 1}, {3, 3, 2, 1}, {5, 5, 1, 1}, {5, 5, 2, 1},
                      {7, 7, 1, 1}, {3, 5, 1, 1}, {3, 3, 1, 2}, {3, 3, 3, 1}};
  struct Pads {
    size_t t, l, b, r;
  };
  const Pads pads[] = {{1, 1, 1, 1}, {0, 0, 0, 0}, {2, 2, 2, 2}, {0, 1, 2, 0}, {2, 0, 1, 2}, {1, 2, 0, 1}};
  const size_t widths[] = {1, 7, 13, 31, 67, 131};
  const size_t heights[] = {1, 2, 5, 9, 17, 23};
  size_t index = 0;
  for (const Geo& g : geos) {
    for (size_t pi = 0; pi < std::size(pads); pi++) {
      const Pads& pd = pads[pi];
      const size_t W = widths[(index + pi) % std::size(widths)], H = heights[(index * 5 + pi) % std::size(heights)];
      const size_t ci = index++;
      Conv2dShape s;
      s.N = ci % 3 == 0 ? 2 : 1;
      s.C = s.M = s.group = ci % 4 == 0 ? 2 : 3 + ci % 7;
      s.H = H, s.W = W;
      s.kH = g.kH, s.kW = g.kW;
      s.strideH = s.strideW = g.s;
      s.dilH = s.dilW = g.dil;
      s.padT = pd.t, s.padL = pd.l, s.padB = pd.b, s.padR = pd.r;
      const size_t eh = (g.kH - 1) * g.dil + 1, ew = (g.kW - 1) * g.dil + 1;
      if (H + pd.t + pd.b < eh || W + pd.l + pd.r < ew) continue;
      s.outH = (H + pd.t + pd.b - eh) / g.s + 1;
      s.outW = (W + pd.l + pd.r - ew) / g.s + 1;
      auto x = random_vec(s.N * s.C * H * W, rng);
      auto w = random_vec(s.C * g.kH * g.kW, rng);
      auto bias = random_vec(s.C, rng);
      auto res = random_vec(s.N * s.C * s.outH * s.outW, rng);
      for (int e = 0; e < 2; e++) {
        Epilogue ep;
        ep.act = Activation((ci * 2 + e) % (size_t(Activation::HardSigmoid) + 1));
        ep.alpha = ep.act == Activation::Clip ? -0.25f : 0.2f;
        ep.beta = 0.5f;
        ep.residual = (ci + e) % 2 ? res.data() : nullptr;
        const float* b = (ci + e) % 3 == 2 ? nullptr : bias.data();
        std::vector<float> want(res.size());
        conv2d(s, x.data(), w.data(), b, want.data(), ep, "reference", 1);
        for (int threads : {1, 2}) {
          std::vector<float> got(res.size(), NAN);
          const KernelChoice k = conv2d(s, x.data(), w.data(), b, got.data(), ep, variant, threads);
          const double err = max_rel_err(got, want);
          char what[240];
          std::snprintf(what, sizeof what,
                        "%s N=%zu C=%zu HxW=%zux%zu k=%zux%zu s=%zu d=%zu pads=%zu,%zu,%zu,%zu act=%d bias=%d res=%d threads=%d",
                        k.kernel.c_str(), s.N, s.C, H, W, g.kH, g.kW, g.s, g.dil, pd.t, pd.l, pd.b, pd.r, int(ep.act),
                        b != nullptr, ep.residual != nullptr, threads);
          report(err < 1e-4 && k.kernel.rfind("dwconv2d_f32_", 0) == 0, what, err);
        }
      }
    }
  }
  // Planes large enough to be split over threads: many planes (runs of planes per task) and few
  // planes (bands of rows), 3x3 and 5x5, MobileNet-sized.
  struct Big {
    size_t C, HW, k, s;
  };
  for (const Big& bg : {Big{2, 64, 3, 1}, Big{24, 28, 3, 2}, Big{3, 40, 5, 1}, Big{16, 14, 5, 2}}) {
    Conv2dShape s;
    s.C = s.M = s.group = bg.C;
    s.H = s.W = bg.HW;
    s.kH = s.kW = bg.k;
    s.strideH = s.strideW = bg.s;
    s.padT = s.padL = s.padB = s.padR = bg.k / 2;
    s.outH = s.outW = (bg.HW + 2 * (bg.k / 2) - bg.k) / bg.s + 1;
    auto x = random_vec(s.C * s.H * s.W, rng), w = random_vec(s.C * bg.k * bg.k, rng), bias = random_vec(s.C, rng);
    auto res = random_vec(s.C * s.outH * s.outW, rng);
    Epilogue ep;
    ep.act = Activation::SiLU;
    ep.residual = res.data();
    std::vector<float> got(res.size()), want(res.size());
    conv2d(s, x.data(), w.data(), bias.data(), want.data(), ep, "reference", 1);
    const KernelChoice k = conv2d(s, x.data(), w.data(), bias.data(), got.data(), ep, variant, 2);
    const double err = max_rel_err(got, want);
    report(err < 1e-4, k.kernel + " threaded C=" + std::to_string(bg.C) + " HW=" + std::to_string(bg.HW) + " k=" +
                           std::to_string(bg.k) + " s=" + std::to_string(bg.s),
           err);
  }
}

}  // namespace


// Binary rows in every operand shape (vector/vector, vector/scalar, scalar/vector) and odd
// lengths, threaded, against the scalar reference.
void test_binary(const KernelVariant& v, std::mt19937& rng) {
  const KernelVariant& ref = resolve_variant("binary_f32", "reference");
  for (int op = 0; op <= int(BinaryOp::Div); op++) {
    for (size_t n : {size_t(1), size_t(7), size_t(33), size_t(100003)}) {
      for (int shape = 0; shape < 3; shape++) {
        const size_t rows = 3;
        auto a = random_vec(n * rows, rng), b = random_vec(n * rows, rng);
        for (auto& x : b) x += x < 0 ? -0.5f : 0.5f;  // keep divisors away from 0
        std::vector<int32_t> sa(rows), sb(rows);
        const size_t stepA = shape == 2 ? 0 : 1, stepB = shape == 1 ? 0 : 1;
        for (size_t r = 0; r < rows; r++) {
          sa[r] = int32_t(r * n);
          sb[r] = int32_t(r * n);
        }
        std::vector<float> got(n * rows), want(n * rows);
        binary_rows(v, BinaryOp(op), a.data(), sa.data(), stepA, b.data(), sb.data(), stepB, got.data(), n, rows, 2);
        binary_rows(ref, BinaryOp(op), a.data(), sa.data(), stepA, b.data(), sb.data(), stepB, want.data(), n, rows, 1);
        const double err = max_rel_err(got, want);
        report(err == 0.0, std::string(v.name) + " op=" + std::to_string(op) + " n=" + std::to_string(n), err);
      }
    }
  }
  // ScaleShift: per-row (scale, shift) pairs, the BatchNormalization layout; contiguous and
  // repeated-scalar a.
  for (size_t n : {size_t(1), size_t(7), size_t(33), size_t(100003)}) {
    for (size_t stepA : {size_t(1), size_t(0)}) {
      const size_t rows = 5;
      auto a = random_vec(n * rows, rng), pairs = random_vec(2 * rows, rng);
      std::vector<int32_t> sa(rows), sb(rows);
      for (size_t r = 0; r < rows; r++) {
        sa[r] = int32_t(r * n);
        sb[r] = int32_t(2 * r);
      }
      std::vector<float> got(n * rows), want(n * rows);
      binary_rows(v, BinaryOp::ScaleShift, a.data(), sa.data(), stepA, pairs.data(), sb.data(), 0, got.data(), n, rows, 2);
      binary_rows(ref, BinaryOp::ScaleShift, a.data(), sa.data(), stepA, pairs.data(), sb.data(), 0, want.data(), n, rows, 1);
      bool exact = true;
      for (size_t i = 0; i < n * rows; i++) {
        const size_t r = i / n, k = i % n;
        exact = exact && want[i] == std::fma(a[r * n + k * stepA], pairs[2 * r], pairs[2 * r + 1]);
      }
      const double err = max_rel_err(got, want);
      report(err == 0.0 && exact, std::string(v.name) + " ScaleShift stepA=" + std::to_string(stepA) + " n=" + std::to_string(n), err);
    }
  }
}

// Activations over a wide input range (including exp overflow/underflow and tanh's polynomial
// range), against libm; Erf and the GELUs against the double-precision reference within 1e-5
// relative, or 2e-7 absolute where the result is near 0 (|y| < 1e-2), with NaN where it is NaN.
void test_unary(const KernelVariant& v, std::mt19937& rng) {
  const KernelVariant& ref = resolve_variant("unary_f32", "reference");
  std::uniform_real_distribution<float> dist(-100.0f, 100.0f);
  std::vector<float> x(4099);
  for (size_t i = 0; i < x.size(); i++) x[i] = i % 3 == 0 ? dist(rng) : dist(rng) / 50.0f;
  // Edges: zeros, infinities, NaN, tiny and huge values, the series/erfc switch of erf (|x| = 0.5,
  // and x = +-0.5 sqrt 2 for GELU), exp's overflow and underflow bounds.
  const float edges[] = {0.0f,   -0.0f, INFINITY, -INFINITY, NAN,    1e-30f, -1e-30f, 1e-40f, -1e-40f, 1e20f,
                         -1e20f, 3e38f, -3e38f,   0.5f,      -0.5f,  0.4999f, 0.5001f, 0.7071f, -0.7072f, 88.7f,
                         -87.4f, 9.0f,  -9.0f,    13.0f,     -13.0f, 20.0f,  -20.0f,  -5.5f,  5.5f,    -1.0f};
  for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) x[i] = edges[i];
  for (int op = 0; op <= int(UnaryOp::GeluTanh); op++) {
    std::vector<float> got(x.size()), want(x.size());
    unary_all(v, UnaryOp(op), x.data(), got.data(), x.size(), 0.2f, 0.5f, 2);
    unary_all(ref, UnaryOp(op), x.data(), want.data(), x.size(), 0.2f, 0.5f, 1);
    const bool precise = op >= int(UnaryOp::Erf);
    double err = 0.0;
    bool nan_ok = true;
    for (size_t i = 0; i < x.size(); i++) {
      const double w = want[i], g = got[i];
      if (std::isnan(w) || std::isnan(g)) {
        if (precise && std::isnan(w) != std::isnan(g)) nan_ok = false;
        if (precise) continue;
      }
      if (std::isinf(w) && g == w) continue;
      double d;
      if (precise) {
        const double diff = std::fabs(g - w);
        d = std::fabs(w) < 1e-2 && diff <= 2e-7 ? 0.0 : diff / std::fabs(w);
      } else {
        d = std::fabs(g - w) / (1e-6 + std::fabs(w));
      }
      if (!(d <= err)) err = d;
    }
    report(err < 1e-5 && nan_ok, std::string(v.name) + " op=" + std::to_string(op) + (nan_ok ? "" : " NaN mismatch"), err);
  }
}

// Rows of these lengths: 1, a few, one below/at/above a vector, long, and one past a 4096 block.
const size_t kRowLengths[] = {1, 3, 7, 8, 9, 31, 64, 1000, 4097};

// |got - want| / |want|, with an absolute floor of `atol`; NaN must match NaN.
double rel_err_nan(const std::vector<float>& got, const std::vector<float>& want, double atol) {
  double worst = 0.0;
  for (size_t i = 0; i < got.size(); i++) {
    if (std::isnan(want[i]) || std::isnan(got[i])) {
      if (std::isnan(want[i]) != std::isnan(got[i])) return INFINITY;
      continue;
    }
    if (got[i] == want[i]) continue;
    const double d = std::fabs(double(got[i]) - double(want[i])) / (atol + std::fabs(double(want[i])));
    if (!(d <= worst)) worst = d;
  }
  return worst;
}

// Softmax and LogSoftmax against the double-precision reference: random rows, rows with huge
// (+-1e30) and tiny values (stability: the max is subtracted first), rows with -inf entries,
// and the NaN rules of the TypeScript op (NaN, +inf, or only -inf in a row: the row is NaN).
void test_softmax(const KernelVariant& v, std::mt19937& rng) {
  const KernelVariant& ref = resolve_variant("softmax_f32", "reference");
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (size_t n : kRowLengths) {
    for (int kind = 0; kind < 5; kind++) {
      const size_t rows = n > 1000 ? 5 : 23;
      std::vector<float> x(n * rows);
      for (size_t i = 0; i < x.size(); i++) {
        const float u = dist(rng);
        switch (kind) {
          case 0: x[i] = 10.0f * u; break;                             // ordinary logits
          case 1: x[i] = 1e30f * u; break;                             // huge: exp(x) alone would overflow
          case 2: x[i] = 1e-30f * u; break;                            // tiny: uniform rows
          case 3: x[i] = 80.0f * u + (i % 7 == 0 ? 1e4f : 0.0f); break;  // far-apart values, exp underflow
          default: x[i] = i % 5 == 1 ? -INFINITY : 20.0f * u; break;   // masked (-inf) positions
        }
      }
      if (kind == 4 && rows > 3) {
        // Row 0: a NaN; row 1: +inf; row 2: only -inf. All three rows become NaN.
        x[n / 2] = NAN;
        x[n + n / 3] = INFINITY;
        for (size_t i = 0; i < n; i++) x[2 * n + i] = -INFINITY;
      }
      for (bool log : {false, true}) {
        SoftmaxArgs a;
        a.x = x.data();
        a.n = n;
        a.rows = rows;
        a.log = log;
        std::vector<float> got(x.size(), -7.0f), want(x.size());
        a.y = want.data();
        softmax_rows(ref, a, 1);
        a.y = got.data();
        softmax_rows(v, a, 2);
        // Softmax: relative 1e-5 above 1e-30 (below, exp's flush to 0 may show). LogSoftmax: the
        // values are x - max - log(sum), within a few ulp of the largest term.
        const double err = rel_err_nan(got, want, log ? 1e-6 : 1e-30);
        const bool nan_rows = kind != 4 || rows <= 3 || (std::isnan(got[0]) && std::isnan(got[n]) && std::isnan(got[2 * n]));
        report(err < 1e-5 && nan_rows,
               std::string(v.name) + (log ? " log" : "") + " kind=" + std::to_string(kind) + " n=" + std::to_string(n), err);
        // In place (y = x) gives the same values.
        std::vector<float> inplace = x;
        a.x = inplace.data();
        a.y = inplace.data();
        softmax_rows(v, a, 2);
        bool same = true;
        for (size_t i = 0; i < x.size(); i++) same = same && (inplace[i] == got[i] || (std::isnan(inplace[i]) && std::isnan(got[i])));
        report(same, std::string(v.name) + (log ? " log" : "") + " in place n=" + std::to_string(n), same ? 0.0 : 1.0);
      }
    }
  }
  // Many short rows spread over threads, and one long row.
  for (const auto& shape : {std::pair<size_t, size_t>{70001, 3}, std::pair<size_t, size_t>{1, 200003}}) {
    const size_t rows = shape.first, n = shape.second;
    std::vector<float> x = random_vec(rows * n, rng), got(rows * n), want(rows * n);
    SoftmaxArgs a;
    a.x = x.data();
    a.n = n;
    a.rows = rows;
    a.y = want.data();
    softmax_rows(ref, a, 1);
    a.y = got.data();
    softmax_rows(v, a, 2);
    const double err = rel_err_nan(got, want, 1e-30);
    report(err < 1e-5, std::string(v.name) + " rows=" + std::to_string(rows) + " n=" + std::to_string(n), err);
  }
}

// LayerNorm and RMSNorm against the double-precision reference, with and without gamma/beta,
// on rows with a large offset (mean 1000, std 1: the mean must be accurate), constant rows
// (variance 0: y = beta), and NaN/inf rows (the whole row NaN, like the TypeScript op).
void test_layernorm(const KernelVariant& v, std::mt19937& rng) {
  const KernelVariant& ref = resolve_variant("layernorm_f32", "reference");
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (size_t n : kRowLengths) {
    for (int kind = 0; kind < 4; kind++) {
      const size_t rows = n > 1000 ? 5 : 19;
      std::vector<float> x(n * rows);
      for (size_t i = 0; i < x.size(); i++) {
        const float u = dist(rng);
        switch (kind) {
          case 0: x[i] = 3.0f * u; break;
          case 1: x[i] = 1000.0f + u; break;
          case 2: x[i] = 1e-20f * u; break;
          default: x[i] = (i / n) % 2 ? 2.5f : 5.0f * u; break;  // odd rows constant
        }
      }
      if (kind == 3 && rows > 2) {
        x[n / 2] = NAN;             // row 0
        if (rows > 4) x[4 * n] = INFINITY;  // row 4
      }
      const auto gamma = random_vec(n, rng), beta = random_vec(n, rng);
      for (int flags = 0; flags < 8; flags++) {
        const bool rms = flags & 1, g = flags & 2, b = flags & 4;
        LayerNormArgs a;
        a.x = x.data();
        a.n = n;
        a.rows = rows;
        a.rms = rms;
        a.eps = kind == 2 ? 1e-45f : 1e-5f;
        a.gamma = g ? gamma.data() : nullptr;
        a.beta = b ? beta.data() : nullptr;
        std::vector<float> got(x.size(), -7.0f), want(x.size()), gm(rows), gr(rows), wm(rows), wr(rows);
        a.y = want.data();
        a.mean = wm.data();
        a.rstd = wr.data();
        layernorm_rows(ref, a, 1);
        a.y = got.data();
        a.mean = gm.data();
        a.rstd = gr.data();
        layernorm_rows(v, a, 2);
        // 1e-5 relative to the larger of |y| and |beta| (where beta cancels the normalized value,
        // y = fma(t, gamma, beta) keeps t's rounding, a few ulp of beta), 1e-6 absolute near 0.
        double err = std::max(rel_err_nan(gm, wm, 1e-30), rel_err_nan(gr, wr, 1e-30));
        for (size_t i = 0; i < x.size(); i++) {
          if (std::isnan(want[i]) || std::isnan(got[i])) {
            if (std::isnan(want[i]) != std::isnan(got[i])) err = INFINITY;
            continue;
          }
          const double scale = std::max(std::fabs(double(want[i])), b ? std::fabs(double(beta[i % n])) : 0.0);
          const double d = std::fabs(double(got[i]) - double(want[i])) / (1e-6 + scale);
          if (!(d <= err)) err = d;
        }
        report(err < 1e-5, std::string(v.name) + (rms ? " rms" : "") + (g ? " gamma" : "") + (b ? " beta" : "") +
                               " kind=" + std::to_string(kind) + " n=" + std::to_string(n), err);
      }
    }
  }
  for (const auto& shape : {std::pair<size_t, size_t>{50001, 3}, std::pair<size_t, size_t>{1, 200003}, std::pair<size_t, size_t>{64, 768}}) {
    const size_t rows = shape.first, n = shape.second;
    std::vector<float> x = random_vec(rows * n, rng), got(rows * n), want(rows * n);
    const auto gamma = random_vec(n, rng), beta = random_vec(n, rng);
    LayerNormArgs a;
    a.x = x.data();
    a.n = n;
    a.rows = rows;
    a.gamma = gamma.data();
    a.beta = beta.data();
    a.y = want.data();
    layernorm_rows(ref, a, 1);
    a.y = got.data();
    layernorm_rows(v, a, 2);
    double err = 0.0;
    for (size_t i = 0; i < x.size(); i++) {
      const double d = std::fabs(double(got[i]) - double(want[i])) / (1e-6 + std::max(std::fabs(double(want[i])), std::fabs(double(beta[i % n]))));
      if (!(d <= err)) err = d;
    }
    report(err < 1e-5, std::string(v.name) + " rows=" + std::to_string(rows) + " n=" + std::to_string(n), err);
  }
}

// The probe's chain has a closed form (c <- c*a + b converges to b / (1 - a)), so its sum is
// checkable; the measurement itself must only be positive (qemu timings mean nothing).
void test_peak(const KernelVariant& v) {
  float sink = 0.0f;
  const double flops = v.peak(20000, 0.5f, 0.5f, &sink);
  const double lanes = double(v.mr) * v.nr;
  report(flops == 2.0 * 20000 * lanes, std::string(v.name) + " flop count", flops);
  report(std::fabs(sink - lanes) < 1e-3 * lanes, std::string(v.name) + " chain value", sink);
  const double gflops = measure_fma_gflops(v, 2, 5);
  report(gflops > 0, std::string(v.name) + " gflops", gflops);
}

// Pooling against a direct loop over every kernel position (bounds checked there, not by tap
// tables): max exact, average with the same double sum.
void test_pool(const KernelVariant& v, std::mt19937& rng) {
  struct Case {
    size_t H, W, k, s, d, pad;
    bool max, include_pad;
  };
  for (const Case c : {Case{28, 28, 2, 2, 1, 0, true, false}, Case{14, 15, 3, 3, 1, 1, true, false}, Case{9, 7, 3, 1, 2, 2, false, false},
                       Case{9, 7, 3, 2, 1, 1, false, true}, Case{5, 33, 5, 1, 1, 2, true, false}}) {
    const size_t planes = 6;
    const size_t OH = (c.H + 2 * c.pad - ((c.k - 1) * c.d + 1)) / c.s + 1, OW = (c.W + 2 * c.pad - ((c.k - 1) * c.d + 1)) / c.s + 1;
    auto x = random_vec(planes * c.H * c.W, rng);
    // Tap tables in the closed form engine/ops/nn/pool.ts uses.
    auto taps = [&](size_t len, size_t out, std::vector<int32_t>& st, std::vector<int32_t>& lo, std::vector<int32_t>& hi,
                    std::vector<int32_t>& pd) {
      for (size_t o = 0; o < out; o++) {
        const long start = long(o * c.s) - long(c.pad);
        auto upto = [&](long pos) {
          const long r = pos - start;
          const long f = r >= 0 ? r / long(c.d) : -((-r + long(c.d) - 1) / long(c.d));
          return std::min<long>(long(c.k), std::max<long>(0, f + 1));
        };
        auto ceil_div = [&](long a) { return a >= 0 ? (a + long(c.d) - 1) / long(c.d) : -((-a) / long(c.d)); };
        const long l = std::min<long>(long(c.k), std::max<long>(0, ceil_div(0 - start)));
        st.push_back(int32_t(start));
        lo.push_back(int32_t(l));
        hi.push_back(int32_t(std::max<long>(l, upto(long(len) - 1))));
        pd.push_back(int32_t(std::max<long>(0, upto(long(len + c.pad) - 1) - std::min<long>(long(c.k), std::max<long>(0, ceil_div(-long(c.pad) - start))))));
      }
    };
    std::vector<int32_t> sh, lh, hh, ph, sw, lw, hw, pw;
    taps(c.H, OH, sh, lh, hh, ph);
    taps(c.W, OW, sw, lw, hw, pw);
    PoolPlane shape;
    shape.W = c.W, shape.OH = OH, shape.OW = OW, shape.dilH = c.d, shape.dilW = c.d;
    shape.startH = sh.data(), shape.loH = lh.data(), shape.hiH = hh.data(), shape.padH = ph.data();
    shape.startW = sw.data(), shape.loW = lw.data(), shape.hiW = hw.data(), shape.padW = pw.data();
    shape.max = c.max, shape.includePad = c.include_pad;
    std::vector<float> got(planes * OH * OW, -1.0f), want(planes * OH * OW);
    pool2d_planes(v, shape, x.data(), got.data(), planes, c.H, 2);
    for (size_t p = 0; p < planes; p++)
      for (size_t oh = 0; oh < OH; oh++)
        for (size_t ow = 0; ow < OW; ow++) {
          double s = 0.0, n = 0.0, padded = 0.0;
          float m = -INFINITY;
          for (size_t i = 0; i < c.k; i++)
            for (size_t j = 0; j < c.k; j++) {
              const long h = long(oh * c.s + i * c.d) - long(c.pad), w = long(ow * c.s + j * c.d) - long(c.pad);
              const bool in_h = h >= -long(c.pad) && h < long(c.H + c.pad), in_w = w >= -long(c.pad) && w < long(c.W + c.pad);
              if (in_h && in_w) padded += 1.0;
              if (h < 0 || w < 0 || h >= long(c.H) || w >= long(c.W)) continue;
              const float val = x[(p * c.H + size_t(h)) * c.W + size_t(w)];
              m = std::max(m, val);
              s += val;
              n += 1.0;
            }
          want[(p * OH + oh) * OW + ow] = c.max ? m : float(s / (c.include_pad ? padded : n));
        }
    const double err = max_rel_err(got, want);
    report(err <= (c.max ? 0.0 : 1e-6), std::string(v.name) + (c.max ? " max" : " avg") + " H=" + std::to_string(c.H) + " k=" + std::to_string(c.k), err);
  }
}

int main() {
  // Line-buffered even into a pipe: a crash (SIGILL) then still shows how far the run got.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const CpuInfo& cpu = cpu_info();
  std::printf("arch: %s\nvendor: %s\nname: %s\n", cpu.arch.c_str(), cpu.vendor.c_str(), cpu.name.c_str());
  if (cpu.has_midr) std::printf("midr: 0x%08llx\n", static_cast<unsigned long long>(cpu.midr));
  std::string isa;
  for (const auto& f : cpu.isa) isa += (isa.empty() ? "" : ",") + f;
  std::printf("isa: %s\n", isa.c_str());
  for (const char* family :
       {"matmul_f32", "gemv_f32", "conv2d_f32", "dwconv2d_f32", "binary_f32", "unary_f32", "peak_f32", "pool2d_f32",
        "softmax_f32", "layernorm_f32", "matmul_qai8dxp_qsi8cxp", "matmul_qai8dxp_qsi4c32p"})
    std::printf("selected %s: %s\n", family, selected_variant(family).name);

  std::mt19937 rng(42);
  for (const auto& v : all_variants()) {
    if (!v.supported(cpu)) {
      std::printf("SKIP %s (needs %s)\n", v.name, v.isa);
      continue;
    }
    const int before = failures, before_checks = checks;
    const std::string family = v.family;
    if (family == "binary_f32") {
      test_binary(v, rng);
      std::printf("%s %s checks=%d\n", failures == before ? "PASS" : "FAIL", v.name, checks - before_checks);
      continue;
    }
    if (family == "pool2d_f32") {
      test_pool(v, rng);
      std::printf("%s %s checks=%d\n", failures == before ? "PASS" : "FAIL", v.name, checks - before_checks);
      continue;
    }
    if (v.qmatmul) {
      test_qmatmul(v, rng);
      std::printf("%s %s checks=%d\n", failures == before ? "PASS" : "FAIL", v.name, checks - before_checks);
      continue;
    }
    if (family == "gemv_f32") {
      test_gemv(v, rng);
      std::printf("%s %s checks=%d\n", failures == before ? "PASS" : "FAIL", v.name, checks - before_checks);
      continue;
    }
    if (family == "peak_f32") {
      test_peak(v);
      std::printf("%s %s checks=%d\n", failures == before ? "PASS" : "FAIL", v.name, checks - before_checks);
      continue;
    }
    if (family == "unary_f32") {
      test_unary(v, rng);
      std::printf("%s %s checks=%d\n", failures == before ? "PASS" : "FAIL", v.name, checks - before_checks);
      continue;
    }
    if (family == "softmax_f32" || family == "layernorm_f32") {
      if (family == "softmax_f32") test_softmax(v, rng);
      else test_layernorm(v, rng);
      std::printf("%s %s checks=%d\n", failures == before ? "PASS" : "FAIL", v.name, checks - before_checks);
      continue;
    }
    if (family == "matmul_f32") {
      if (v.matmul_ukernel) std::printf("tile %s: %dx%d\n", v.name, v.mr, v.nr);
      if (v.matmul_ukernel) print_digest(v);
      test_gemm(v, rng);
      test_conv(v.name, false, rng);
      if (v.matmul_ukernel) test_conv_geometry(v.name, rng);
    } else if (family == "dwconv2d_f32") {
      test_conv(v.name, true, rng);
      test_depthwise(v.name, rng);
    } else {
      test_conv(v.name, false, rng);
    }
    test_conv("auto", false, rng);
    std::printf("%s %s checks=%d\n", failures == before ? "PASS" : "FAIL", v.name, checks - before_checks);
  }
  const double gbps = measure_read_gbps(2, size_t(8) << 20, 5);
  report(gbps > 0, "read bandwidth", gbps);
  std::printf("peak: %s %.1f GB/s\n", selected_variant("peak_f32").name, gbps);
  std::printf("summary: %d checks, %d failures\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
