#include "conv.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "gemm.h"
#include "threadpool.h"

namespace armml {

namespace {

// Upper bound on the im2col scratch matrix (floats); larger outputs are processed in column chunks.
constexpr size_t kColBudget = size_t(4) << 20;

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
                   float* y, bool relu, int threads) {
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
    p.relu = relu;
    for (size_t plane = planes * t / tasks; plane < planes * (t + 1) / tasks; plane++) {
      const size_t c = plane % s.C;
      const float* src = x + plane * s.H * s.W;
      for (size_t r = 0; r < s.H; r++)
        std::memcpy(padded.data() + (r + s.padT) * xw + s.padL, src + r * s.W, s.W * sizeof(float));
      p.w = w + c * s.kH * s.kW;
      p.bias = bias ? bias[c] : 0.0f;
      p.y = y + plane * s.outH * s.outW;
      v.dwconv(p);
    }
  });
}

// Rows (c, ky, kx) x output columns [p0, p0+np) of the unfolded input of image n, group g.
void im2col(const Conv2dShape& s, const float* xg, size_t cg, size_t p0, size_t np, float* col) {
  for (size_t c = 0; c < cg; c++) {
    const float* xc = xg + c * s.H * s.W;
    for (size_t ky = 0; ky < s.kH; ky++) {
      for (size_t kx = 0; kx < s.kW; kx++) {
        float* row = col + ((c * s.kH + ky) * s.kW + kx) * np;
        for (size_t q = 0; q < np; q++) {
          const size_t p = p0 + q;
          const size_t oy = p / s.outW, ox = p % s.outW;
          const long iy = long(oy * s.strideH + ky * s.dilH) - long(s.padT);
          const long ix = long(ox * s.strideW + kx * s.dilW) - long(s.padL);
          row[q] = (iy >= 0 && iy < long(s.H) && ix >= 0 && ix < long(s.W)) ? xc[iy * long(s.W) + ix] : 0.0f;
        }
      }
    }
  }
}

void run_gemm_conv(const Conv2dShape& s, const Plan& plan, const float* x, const float* w, const float* bias,
                   float* y, bool relu, int threads) {
  const size_t cg = s.C / s.group, mg = s.M / s.group;
  const size_t K = cg * s.kH * s.kW;
  const size_t P = s.outH * s.outW;
  const size_t chunk = std::max<size_t>(1, std::min(P, kColBudget / std::max<size_t>(K, 1)));
  std::vector<float> col(plan.path == Path::Im2col ? K * chunk : 0);
  for (size_t n = 0; n < s.N; n++) {
    for (size_t g = 0; g < s.group; g++) {
      const float* xg = x + (n * s.C + g * cg) * s.H * s.W;
      GemmArgs a;
      a.M = mg;
      a.K = K;
      a.A = w + g * mg * K;
      a.lda = K;
      a.bias_m = bias ? bias + g * mg : nullptr;
      a.relu = relu;
      a.ldc = P;
      float* yg = y + (n * s.M + g * mg) * P;
      if (plan.path == Path::Gemm1x1) {
        a.N = P;
        a.B = xg;
        a.ldb = P;
        a.C = yg;
        gemm(*plan.variant, a, GemmBatch{}, threads);
        continue;
      }
      for (size_t p0 = 0; p0 < P; p0 += chunk) {
        const size_t np = std::min(chunk, P - p0);
        im2col(s, xg, cg, p0, np, col.data());
        a.N = np;
        a.B = col.data();
        a.ldb = np;
        a.C = yg + p0;
        gemm(*plan.variant, a, GemmBatch{}, threads);
      }
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

KernelChoice conv2d(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y, bool relu,
                    const std::string& variant, int threads) {
  check_conv2d_shape(s);
  const Plan plan = make_plan(s, variant);
  if (s.N * s.M * s.outH * s.outW == 0) return describe(plan);
  switch (plan.path) {
    case Path::Reference:
      plan.variant->conv_full(s, x, w, bias, y, relu);
      break;
    case Path::Depthwise:
      run_depthwise(s, *plan.variant, x, w, bias, y, relu, threads);
      break;
    case Path::Gemm1x1:
    case Path::Im2col:
      run_gemm_conv(s, plan, x, w, bias, y, relu, threads);
      break;
  }
  return describe(plan);
}

}  // namespace armml
