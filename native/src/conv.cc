#include "conv.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "../kernels/activation_ref.h"
#include "gemm.h"
#include "threadpool.h"

namespace armml {

namespace {


enum class Path { Reference, Depthwise, Gemm1x1, Im2col };

struct Plan {
  Path path;
  const KernelVariant* variant;
};

bool is_depthwise(const Conv2dShape& s) { return s.group == s.C && s.M == s.C && s.group > 1; }
bool is_pointwise(const Conv2dShape& s) {
  return s.kH == 1 && s.kW == 1 && s.strideH == 1 && s.strideW == 1 && s.padT == 0 && s.padL == 0 && s.padB == 0 &&
         s.padR == 0;
}

Plan make_plan(const Conv2dShape& s, const std::string& request) {
  const KernelVariant* forced = nullptr;
  if (request == "reference") return {Path::Reference, &resolve_variant("conv2d_f32", "reference")};
  if (!request.empty() && request != "auto") {
    forced = find_variant(request);
    if (!forced) {
      throw std::invalid_argument("unknown conv2d kernel variant '" + request +
                                  "'; use auto, reference, or a conv2d_f32/dwconv2d_f32/matmul_f32 variant name");
    }
    forced = &resolve_variant(forced->family, request);  // checks CPU support
    const std::string family = forced->family;
    if (family == "conv2d_f32") return {Path::Reference, forced};
    if (family == "dwconv2d_f32") {
      if (!is_depthwise(s)) throw std::invalid_argument("variant '" + request + "' only runs depthwise convolutions");
      return {Path::Depthwise, forced};
    }
    if (family != "matmul_f32") throw std::invalid_argument("variant '" + request + "' is not a convolution kernel");
  }
  if (!forced && is_depthwise(s)) return {Path::Depthwise, &selected_variant("dwconv2d_f32")};
  const KernelVariant* mm = forced ? forced : &selected_variant("matmul_f32");
  return {is_pointwise(s) ? Path::Gemm1x1 : Path::Im2col, mm};
}

KernelChoice describe(const Plan& p) {
  switch (p.path) {
    case Path::Reference:
    case Path::Depthwise:
      return {p.variant->name, p.variant->isa};
    case Path::Gemm1x1:
      return {std::string("conv2d_f32_gemm+") + p.variant->name, p.variant->isa};
    case Path::Im2col:
      return {std::string("conv2d_f32_im2col+") + p.variant->name, p.variant->isa};
  }
  return {"", ""};
}

void run_depthwise(const Conv2dShape& s, const KernelVariant& v, const float* x, const float* w, const float* bias,
                   float* y, const Epilogue& ep, int threads) {
  const size_t planes = s.N * s.C;
  const size_t xw = s.W + s.padL + s.padR;
  const size_t xh = s.H + s.padT + s.padB;
  const size_t tasks = std::min(planes, size_t(std::max(threads, 1)) * 4);
  ThreadPool::instance().parallel_for(tasks, threads, [&](size_t t) {
    // 16 floats of slack: vector loads near the last row may read (and discard) past its end.
    std::vector<float> padded(xw * xh + 16, 0.0f);
    DwPlane p;
    p.x = padded.data();
    p.xw = xw;
    p.outH = s.outH;
    p.outW = s.outW;
    p.kH = s.kH;
    p.kW = s.kW;
    p.strideH = s.strideH;
    p.strideW = s.strideW;
    p.dilH = s.dilH;
    p.dilW = s.dilW;
    // The kernels fuse ReLU; other activations and the residual run on the plane while it is in cache.
    const bool fused = ep.act == Activation::Relu && !ep.residual;
    const bool post = !fused && (ep.act != Activation::None || ep.residual);
    p.relu = fused;
    for (size_t plane = planes * t / tasks; plane < planes * (t + 1) / tasks; plane++) {
      const size_t c = plane % s.C;
      const float* src = x + plane * s.H * s.W;
      for (size_t r = 0; r < s.H; r++)
        std::memcpy(padded.data() + (r + s.padT) * xw + s.padL, src + r * s.W, s.W * sizeof(float));
      p.w = w + c * s.kH * s.kW;
      p.bias = bias ? bias[c] : 0.0f;
      p.y = y + plane * s.outH * s.outW;
      v.dwconv(p);
      if (post) {
        Epilogue pe = ep;
        if (ep.residual) pe.residual = ep.residual + plane * s.outH * s.outW, pe.ldr = s.outW;
        epilogue_ref(pe, p.y, s.outW, s.outH, s.outW);
      }
    }
  });
}

// Writes GEMM B panels straight from the image (implicit im2col): row k = (c, ky, kx) of the
// unfolded input, column q = output position. Skipping the materialized column matrix saves a
// full write + read of K x P floats, and each thread packs only the columns it multiplies.
void im2col_pack(const Conv2dShape& s, const float* xg, size_t p0, size_t kc, size_t j0, size_t nc, size_t nr,
                 float* out) {
  const size_t taps = s.kH * s.kW;
  const long H = long(s.H), W = long(s.W), sW = long(s.strideW);
  constexpr size_t kMaxNr = 128;  // 2 vectors of 2048-bit SVE
  long iy_base[kMaxNr], ix_base[kMaxNr];
  for (size_t jp = 0; jp < nc; jp += nr) {
    const size_t cols = std::min(nr, nc - jp);
    float* panel = out + jp * kc;
    const size_t q0 = j0 + jp;
    const size_t oy0 = q0 / s.outW, ox0 = q0 % s.outW;
    // Most panels lie within one output row: each k then reads a strided run of one input row.
    const bool one_row = ox0 + cols <= s.outW;
    if (!one_row) {
      size_t oy = oy0, ox = ox0;
      for (size_t l = 0; l < cols; l++) {
        iy_base[l] = long(oy * s.strideH) - long(s.padT);
        ix_base[l] = long(ox * s.strideW) - long(s.padL);
        if (++ox == s.outW) {
          ox = 0;
          oy++;
        }
      }
    }
    size_t c = p0 / taps, ky = (p0 % taps) / s.kW, kx = p0 % s.kW;
    for (size_t k = 0; k < kc; k++) {
      float* dst = panel + k * nr;
      const float* xc = xg + c * s.H * s.W;
      const long dy = long(ky * s.dilH), dx = long(kx * s.dilW);
      if (one_row) {
        const long iy = long(oy0 * s.strideH) - long(s.padT) + dy;
        size_t lo = cols, hi = cols;
        if (iy >= 0 && iy < H) {
          const long ix0 = long(ox0 * s.strideW) - long(s.padL) + dx;
          // Lanes l with 0 <= ix0 + l*sW < W.
          lo = ix0 >= 0 ? 0 : size_t((-ix0 + sW - 1) / sW);
          hi = W - ix0 <= 0 ? 0 : size_t((W - ix0 + sW - 1) / sW);
          lo = std::min(lo, cols);
          hi = std::min(std::max(hi, lo), cols);
          const float* src = xc + iy * W + ix0;
          if (sW == 1) {
            std::memcpy(dst + lo, src + lo, (hi - lo) * sizeof(float));
          } else {
            for (size_t l = lo; l < hi; l++) dst[l] = src[long(l) * sW];
          }
        } else {
          lo = hi = 0;
        }
        for (size_t l = 0; l < lo; l++) dst[l] = 0.0f;
        for (size_t l = hi; l < nr; l++) dst[l] = 0.0f;
      } else {
        for (size_t l = 0; l < cols; l++) {
          const long iy = iy_base[l] + dy, ix = ix_base[l] + dx;
          dst[l] = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? xc[iy * W + ix] : 0.0f;
        }
        for (size_t l = cols; l < nr; l++) dst[l] = 0.0f;
      }
      if (++kx == s.kW) {
        kx = 0;
        if (++ky == s.kH) {
          ky = 0;
          c++;
        }
      }
    }
  }
}

void run_gemm_conv(const Conv2dShape& s, const Plan& plan, const float* x, const float* w, const float* bias,
                   float* y, const Epilogue& ep, int threads) {
  const size_t cg = s.C / s.group, mg = s.M / s.group;
  const size_t K = cg * s.kH * s.kW;
  const size_t P = s.outH * s.outW;
  if (plan.variant->nr > 128) throw std::invalid_argument(std::string(plan.variant->name) + ": tile too wide for im2col");
  for (size_t n = 0; n < s.N; n++) {
    for (size_t g = 0; g < s.group; g++) {
      const float* xg = x + (n * s.C + g * cg) * s.H * s.W;
      GemmArgs a;
      a.M = mg;
      a.K = K;
      a.N = P;
      a.A = w + g * mg * K;
      a.lda = K;
      a.ldc = P;
      a.C = y + (n * s.M + g * mg) * P;
      a.ep.bias_m = bias ? bias + g * mg : nullptr;
      a.ep.act = ep.act;
      a.ep.alpha = ep.alpha;
      a.ep.beta = ep.beta;
      if (ep.residual) a.ep.residual = ep.residual + (n * s.M + g * mg) * P, a.ep.ldr = P;
      if (plan.path == Path::Gemm1x1 || plan.variant->matmul_full) {
        // 1x1 stride 1 unpadded: the image already is B. The reference GEMM (forced variant) has no
        // panel format, so it gets a materialized column matrix: 1-wide panels are B transposed.
        std::vector<float> col;
        if (plan.path == Path::Gemm1x1) {
          a.B = xg;
          a.ldb = P;
        } else {
          col.resize(K * P);
          im2col_pack(s, xg, 0, K, 0, P, 1, col.data());
          a.B = col.data();
          a.transB = true;
          a.ldb = K;
        }
        gemm(*plan.variant, a, GemmBatch{}, threads);
        continue;
      }
      gemm_packed_b(
          *plan.variant, a,
          [&](size_t p0, size_t kc, size_t j0, size_t nc, size_t nr, float* out) {
            im2col_pack(s, xg, p0, kc, j0, nc, nr, out);
          },
          threads);
    }
  }
}

}  // namespace

void check_conv2d_shape(const Conv2dShape& s) {
  if (s.group == 0 || s.C % s.group || s.M % s.group) throw std::invalid_argument("group must divide C and M");
  if (s.kH == 0 || s.kW == 0 || s.strideH == 0 || s.strideW == 0 || s.dilH == 0 || s.dilW == 0)
    throw std::invalid_argument("kernel size, strides and dilations must be positive");
  const size_t eh = (s.kH - 1) * s.dilH + 1, ew = (s.kW - 1) * s.dilW + 1;
  const size_t ph = s.H + s.padT + s.padB, pw = s.W + s.padL + s.padR;
  const size_t oh = ph >= eh ? (ph - eh) / s.strideH + 1 : 0;
  const size_t ow = pw >= ew ? (pw - ew) / s.strideW + 1 : 0;
  if (oh != s.outH || ow != s.outW) {
    throw std::invalid_argument("output size " + std::to_string(s.outH) + "x" + std::to_string(s.outW) +
                                " does not match input, kernel, pads and strides (expected " + std::to_string(oh) +
                                "x" + std::to_string(ow) + ")");
  }
}

KernelChoice conv2d_plan(const Conv2dShape& s, const std::string& variant) { return describe(make_plan(s, variant)); }

KernelChoice conv2d(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y,
                    const Epilogue& ep, const std::string& variant, int threads) {
  check_conv2d_shape(s);
  const Plan plan = make_plan(s, variant);
  if (s.N * s.M * s.outH * s.outW == 0) return describe(plan);
  switch (plan.path) {
    case Path::Reference:
      plan.variant->conv_full(s, x, w, bias, y, ep);
      break;
    case Path::Depthwise:
      run_depthwise(s, *plan.variant, x, w, bias, y, ep, threads);
      break;
    case Path::Gemm1x1:
    case Path::Im2col:
      run_gemm_conv(s, plan, x, w, bias, y, ep, threads);
      break;
  }
  return describe(plan);
}

}  // namespace armml
