#include "conv.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "gemm.h"
#include "gemv.h"
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

KernelChoice describe(const Plan& p, const Conv2dShape& s) {
  switch (p.path) {
    case Path::Reference:
    case Path::Depthwise:
      return {p.variant->name, p.variant->isa};
    case Path::Gemm1x1: {
      // Fewer than 4 output channels per group: gemm() runs the product as a GEMV.
      const size_t mg = s.M / s.group;
      const KernelVariant& v = mg > 0 && mg <= kGemvMaxM && !p.variant->matmul_full ? gemv_variant_for(*p.variant) : *p.variant;
      return {std::string("conv2d_f32_gemm+") + v.name, v.isa};
    }
    case Path::Im2col:
      return {std::string("conv2d_f32_im2col+") + p.variant->name, p.variant->isa};
  }
  return {"", ""};
}

// Depthwise: the kernel reads the planes in place (borders are its job) and applies the whole
// epilogue, so this only splits the work. Tasks are runs of whole planes (a plane's input and
// output stay in L2 while one thread works through its row blocks, and consecutive planes are
// consecutive memory); when there are too few planes to give every thread several tasks, planes
// are also cut into bands of output rows (multiples of the kernels' 4-row blocks). Nothing is
// allocated per call or per task.
void run_depthwise(const Conv2dShape& s, const KernelVariant& v, const float* x, const float* w, const float* bias,
                   float* y, const Epilogue& ep, int threads) {
  const size_t planes = s.N * s.C, plane_in = s.H * s.W, plane_out = s.outH * s.outW;
  DwconvArgs base;
  base.H = s.H, base.W = s.W, base.outH = s.outH, base.outW = s.outW;
  base.kH = s.kH, base.kW = s.kW, base.strideH = s.strideH, base.strideW = s.strideW;
  base.dilH = s.dilH, base.dilW = s.dilW, base.padT = s.padT, base.padL = s.padL;
  base.ep.act = ep.act, base.ep.alpha = ep.alpha, base.ep.beta = ep.beta;
  // Planes [p0, p1) (cut where a new image starts: filters and biases go by channel), rows [r0, r1).
  auto run = [&](size_t p0, size_t p1, size_t r0, size_t r1) {
    while (p0 < p1) {
      const size_t c = p0 % s.C, count = std::min(p1 - p0, s.C - c);
      DwconvArgs a = base;
      a.x = x + p0 * plane_in;
      a.w = w + c * s.kH * s.kW;
      a.y = y + p0 * plane_out;
      a.channels = count;
      a.oy0 = r0, a.oy1 = r1;
      a.ep.bias_m = bias ? bias + c : nullptr;
      a.ep.residual = ep.residual ? ep.residual + p0 * plane_out : nullptr;
      v.dwconv(a);
      p0 += count;
    }
  };
  // Below ~64K multiply-adds a second thread costs more than it saves.
  const size_t macs = planes * plane_out * s.kH * s.kW;
  const size_t nt = macs < (size_t(1) << 16) ? 1 : size_t(std::max(threads, 1));
  if (nt == 1) {
    run(0, planes, 0, s.outH);
    return;
  }
  const size_t want = nt * 4;
  if (planes >= want) {
    ThreadPool::instance().parallel_for(want, int(nt), [&](size_t t) {
      run(planes * t / want, planes * (t + 1) / want, 0, s.outH);
    });
    return;
  }
  const size_t bands_wanted = (want + planes - 1) / planes;
  size_t band = (s.outH + bands_wanted - 1) / bands_wanted;
  band = std::max<size_t>(4, (band + 3) / 4 * 4);
  const size_t bands = (s.outH + band - 1) / band;
  ThreadPool::instance().parallel_for(planes * bands, int(nt), [&](size_t t) {
    const size_t plane = t / bands, r0 = (t % bands) * band;
    run(plane, plane + 1, r0, std::min(s.outH, r0 + band));
  });
}

// Writes GEMM B panels straight from the image (implicit im2col): row k = (c, ky, kx) of the
// unfolded input, column q = output position. Skipping the materialized column matrix saves a
// full write + read of K x P floats, and each thread packs only the columns it multiplies.
// A panel's nr columns are split into segments that each lie in one output row; for every k a
// segment reads a strided run of one input row (a plain copy at stride 1), with zeros where the
// taps fall into the padding.
struct Im2colSegment {
  size_t lane, len;  // lanes [lane, lane+len) of the panel
  long iy0, ix0;     // input row/column of the segment's first lane for tap (0, 0)
};

// Splits the output positions [q0, q0 + cols) of one panel into runs that each lie in one output
// row, calling emit(index, first lane, length, row, column of the first) for each; returns how many.
template <class Emit>
size_t row_runs(const Conv2dShape& s, size_t q0, size_t cols, Emit&& emit) {
  size_t n = 0;
  for (size_t l = 0; l < cols;) {
    const size_t q = q0 + l, oy = q / s.outW, ox = q % s.outW;
    const size_t len = std::min(cols - l, s.outW - ox);
    emit(n++, l, len, oy, ox);
    l += len;
  }
  return n;
}

// The unfolded row after (c, ky, kx): the next tap, then the next channel.
inline void next_tap(const Conv2dShape& s, size_t& c, size_t& ky, size_t& kx) {
  if (++kx == s.kW) {
    kx = 0;
    if (++ky == s.kH) {
      ky = 0;
      c++;
    }
  }
}

inline void copy_lanes(float* dst, const float* src, size_t n, long stride) {
  if (stride == 1) {
    for (size_t l = 0; l < n; l++) dst[l] = src[l];
  } else {
    for (size_t l = 0; l < n; l++) dst[l] = src[long(l) * stride];
  }
}

// NR is the panel width when known at compile time (0: use nr): a whole-panel segment inside
// the image at unit stride is then a fixed-size copy the compiler turns into a few vector moves.
template <size_t NR>
void im2col_pack_nr(const Conv2dShape& s, const float* xg, size_t p0, size_t kc, size_t j0, size_t nc, size_t nr,
                    float* out) {
  const size_t taps = s.kH * s.kW;
  const long H = long(s.H), W = long(s.W), sW = long(s.strideW);
  constexpr size_t kMaxSegments = 129;  // nr <= 128 columns (2 vectors of 2048-bit SVE): at most nr + 1 output rows
  Im2colSegment seg[kMaxSegments];
  for (size_t jp = 0; jp < nc; jp += nr) {
    const size_t cols = std::min(nr, nc - jp);
    float* panel = out + jp * kc;
    const size_t nseg = row_runs(s, j0 + jp, cols, [&](size_t g, size_t l, size_t len, size_t oy, size_t ox) {
      seg[g] = {l, len, long(oy * s.strideH) - long(s.padT), long(ox * s.strideW) - long(s.padL)};
    });
    size_t c = p0 / taps, ky = (p0 % taps) / s.kW, kx = p0 % s.kW;
    for (size_t k = 0; k < kc; k++) {
      float* dst = panel + k * nr;
      const float* xc = xg + c * s.H * s.W;
      const long dy = long(ky * s.dilH), dx = long(kx * s.dilW);
      for (size_t g = 0; g < nseg; g++) {
        const Im2colSegment& sg = seg[g];
        float* d = dst + sg.lane;
        const long iy = sg.iy0 + dy;
        if (iy < 0 || iy >= H) {
          std::memset(d, 0, sg.len * sizeof(float));
          continue;
        }
        const long ix0 = sg.ix0 + dx;
        // Lanes l with 0 <= ix0 + l*sW < W (no division at unit stride, the common case).
        size_t lo, hi;
        if (sW == 1) {
          lo = ix0 >= 0 ? 0 : size_t(-ix0);
          hi = W - ix0 <= 0 ? 0 : size_t(W - ix0);
        } else {
          lo = ix0 >= 0 ? 0 : size_t((-ix0 + sW - 1) / sW);
          hi = W - ix0 <= 0 ? 0 : size_t((W - ix0 + sW - 1) / sW);
        }
        lo = std::min(lo, sg.len);
        hi = std::min(std::max(hi, lo), sg.len);
        for (size_t l = 0; l < lo; l++) d[l] = 0.0f;
        const float* src = xc + iy * W + ix0;
        if (NR && sW == 1 && lo == 0 && hi == NR) {
          for (size_t l = 0; l < NR; l++) d[l] = src[l];
          continue;
        }
        copy_lanes(d + lo, src + long(lo) * sW, hi - lo, sW);
        for (size_t l = hi; l < sg.len; l++) d[l] = 0.0f;
      }
      for (size_t l = cols; l < nr; l++) dst[l] = 0.0f;
      next_tap(s, c, ky, kx);
    }
  }
}

void im2col_pack(const Conv2dShape& s, const float* xg, size_t p0, size_t kc, size_t j0, size_t nc, size_t nr,
                 float* out) {
  switch (nr) {
    case 16: return im2col_pack_nr<16>(s, xg, p0, kc, j0, nc, nr, out);
    case 32: return im2col_pack_nr<32>(s, xg, p0, kc, j0, nc, nr, out);
    default: return im2col_pack_nr<0>(s, xg, p0, kc, j0, nc, nr, out);
  }
}

// The image of one group rearranged once per call so that every segment im2col copies is one
// contiguous run: each plane gets its zero padding (no bounds checks while packing), and each
// padded row is split into its strideW column phases (phase p holds columns p, p+sW, ...), so at
// stride 2 the lanes of a segment, which read every second column, are consecutive in one phase.
// A tap (ky, kx) reads phase (kx*dilW) % sW at offset (kx*dilW) / sW. Built by the calling thread,
// read by every thread of the product.
struct PhasedImage {
  const float* data;
  size_t Hp, Wph, sW;
  const float* plane(size_t c, size_t phase) const { return data + (c * sW + phase) * Hp * Wph; }
};

// Floats copied per chunk: a run of len floats is copied in whole chunks, so up to kChunk - 1
// floats past its end are written (fixed up by what is packed after) and read (slack below).
constexpr size_t kChunk = 16;

thread_local std::vector<float> t_phased;

PhasedImage build_phased(const Conv2dShape& s, const float* xg, size_t channels) {
  const size_t sW = s.strideW, Hp = s.H + s.padT + s.padB, Wp = s.W + s.padL + s.padR;
  const size_t Wph = (Wp + sW - 1) / sW;
  t_phased.resize(channels * sW * Hp * Wph + kChunk);
  float* out = t_phased.data();
  for (size_t c = 0; c < channels; c++) {
    const float* xc = xg + c * s.H * s.W;
    for (size_t p = 0; p < sW; p++) {
      for (size_t r = 0; r < Hp; r++, out += Wph) {
        const long iy = long(r) - long(s.padT);
        if (iy < 0 || iy >= long(s.H)) {
          std::fill(out, out + Wph, 0.0f);
          continue;
        }
        const float* row = xc + size_t(iy) * s.W;
        if (sW == 1) {
          std::fill(out, out + s.padL, 0.0f);
          std::memcpy(out + s.padL, row, s.W * sizeof(float));
          std::fill(out + s.padL + s.W, out + Wph, 0.0f);
          continue;
        }
        for (size_t j = 0; j < Wph; j++) {
          const long ix = long(j * sW + p) - long(s.padL);
          out[j] = ix >= 0 && ix < long(s.W) ? row[ix] : 0.0f;
        }
      }
    }
  }
  std::fill(out, out + kChunk, 0.0f);
  return {t_phased.data(), Hp, Wph, sW};
}

// The panels of im2col_pack from a PhasedImage: per k, each segment is a chunked copy of one run.
// On x86-64 a clone per vector width makes each chunk one or two moves instead of four.
#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void im2col_pack_phased(const Conv2dShape& s, const PhasedImage& im, size_t p0, size_t kc, size_t j0, size_t nc,
                        size_t nr, float* out) {
  const size_t taps = s.kH * s.kW;
  constexpr size_t kMaxSegments = 129;  // as in im2col_pack_nr
  struct Segment {
    size_t lane, len, off;  // lanes [lane, lane+len) read im.plane(...) + tap offset + off
  } seg[kMaxSegments];
  const size_t total = (nc + nr - 1) / nr * nr * kc;  // floats this call writes: the chunks' spill must stay inside
  // Offsets of tap (c, ky, kx) from im.data: c * plane_c + ky * row_ky + tap_x[kx].
  const size_t plane_c = im.sW * im.Hp * im.Wph, row_ky = s.dilH * im.Wph;
  thread_local std::vector<size_t> tap_x;
  tap_x.resize(s.kW);
  for (size_t kx = 0; kx < s.kW; kx++) {
    const size_t dx = kx * s.dilW;
    tap_x[kx] = (dx % im.sW) * im.Hp * im.Wph + dx / im.sW;
  }
  for (size_t jp = 0; jp < nc; jp += nr) {
    const size_t cols = std::min(nr, nc - jp);
    float* panel = out + jp * kc;
    const size_t nseg = row_runs(s, j0 + jp, cols, [&](size_t g, size_t l, size_t len, size_t oy, size_t ox) {
      seg[g] = {l, len, oy * s.strideH * im.Wph + ox};
    });
    size_t c = p0 / taps, ky = (p0 % taps) / s.kW, kx = p0 % s.kW;
    for (size_t k = 0; k < kc; k++) {
      float* dst = panel + k * nr;
      const float* base = im.data + c * plane_c + ky * row_ky + tap_x[kx];
      for (size_t g = 0; g < nseg; g++) {
        float* d = dst + seg[g].lane;
        const float* src = base + seg[g].off;
        const size_t len = seg[g].len;
        size_t o = 0;
        for (; o + kChunk <= len; o += kChunk) std::memcpy(d + o, src + o, kChunk * sizeof(float));
        if (o < len) {
          if (size_t(d - out) + o + kChunk <= total) {
            std::memcpy(d + o, src + o, kChunk * sizeof(float));
          } else {
            for (; o < len; o++) d[o] = src[o];
          }
        }
      }
      for (size_t l = cols; l < nr; l++) dst[l] = 0.0f;
      next_tap(s, c, ky, kx);
    }
  }
}

void run_gemm_conv(const Conv2dShape& s, const Plan& plan, const float* x, const float* w, const float* bias,
                   float* y, const Epilogue& ep, int threads) {
  const size_t cg = s.C / s.group, mg = s.M / s.group;
  const size_t K = cg * s.kH * s.kW;
  const size_t P = s.outH * s.outW;
  const size_t taps = s.kH * s.kW;
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
      if (taps == 1) {
        // A strided 1x1 reads each input value at most once: rearranging the image costs more
        // than the bounds checks it saves.
        gemm_packed_b(
            *plan.variant, a,
            [&](size_t p0, size_t kc, size_t j0, size_t nc, size_t nr, float* out) {
              im2col_pack(s, xg, p0, kc, j0, nc, nr, out);
            },
            threads);
        continue;
      }
      const PhasedImage im = build_phased(s, xg, cg);
      gemm_packed_b(
          *plan.variant, a,
          [&](size_t p0, size_t kc, size_t j0, size_t nc, size_t nr, float* out) {
            im2col_pack_phased(s, im, p0, kc, j0, nc, nr, out);
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

KernelChoice conv2d_plan(const Conv2dShape& s, const std::string& variant) { return describe(make_plan(s, variant), s); }

KernelChoice conv2d(const Conv2dShape& s, const float* x, const float* w, const float* bias, float* y,
                    const Epilogue& ep, const std::string& variant, int threads) {
  check_conv2d_shape(s);
  const Plan plan = make_plan(s, variant);
  if (s.N * s.M * s.outH * s.outW == 0) return describe(plan, s);
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
  return describe(plan, s);
}

}  // namespace armml
