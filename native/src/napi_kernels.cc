#include "napi_kernels.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "conv.h"
#include "cpu.h"
#include "eltwise.h"
#include "pool.h"
#include "gemm.h"
#include "rows.h"
#include "variants.h"

namespace armml {

namespace {

[[noreturn]] void throw_type(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }
[[noreturn]] void throw_range(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

size_t get_size(Napi::Env env, const Napi::Object& o, const char* key, size_t dflt, bool required) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) {
    if (required) throw_type(env, std::string(key) + " is required");
    return dflt;
  }
  if (!v.IsNumber()) throw_type(env, std::string(key) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != std::floor(d) || d > 9007199254740991.0)
    throw_range(env, std::string(key) + " must be a non-negative integer, got " + v.ToString().Utf8Value());
  return size_t(d);
}

float get_float(Napi::Env env, const Napi::Object& o, const char* key, float dflt) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return dflt;
  if (!v.IsNumber()) throw_type(env, std::string(key) + " must be a number");
  return v.As<Napi::Number>().FloatValue();
}

bool get_bool(const Napi::Object& o, const char* key) {
  const Napi::Value v = o.Get(key);
  return !v.IsUndefined() && v.ToBoolean().Value();
}

Napi::Float32Array get_f32(Napi::Env env, const Napi::Value& v, const char* what, bool optional = false) {
  if (optional && (v.IsNull() || v.IsUndefined())) return Napi::Float32Array();
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throw_type(env, std::string(what) + " must be a Float32Array");
  return v.As<Napi::Float32Array>();
}

Napi::Object get_object(Napi::Env env, const Napi::CallbackInfo& info, size_t i, const char* what, bool optional) {
  if (info.Length() <= i || info[i].IsUndefined()) {
    if (optional) return Napi::Object::New(env);
    throw_type(env, std::string(what) + " is required");
  }
  if (!info[i].IsObject()) throw_type(env, std::string(what) + " must be an object");
  return info[i].As<Napi::Object>();
}

struct RunOptions {
  std::string variant = "auto";
  int threads = 1;
};

RunOptions get_options(Napi::Env env, const Napi::Object& o) {
  RunOptions r;
  const Napi::Value v = o.Get("variant");
  if (!v.IsUndefined()) {
    if (!v.IsString()) throw_type(env, "variant must be a string");
    r.variant = v.As<Napi::String>().Utf8Value();
  }
  const size_t t = get_size(env, o, "threads", 1, false);
  if (t < 1 || t > 256) throw_range(env, "threads must be between 1 and 256");
  r.threads = int(t);
  return r;
}

// Elements a row-major matrix of rows x cols with leading dimension ld spans.
double extent(size_t rows, size_t cols, size_t ld) { return rows == 0 || cols == 0 ? 0 : double(rows - 1) * ld + cols; }

void check_len(Napi::Env env, const char* what, size_t have, double need) {
  if (double(have) < need) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s has %zu elements but the parameters need %.0f", what, have, need);
    throw_range(env, buf);
  }
}

// Reads the fused epilogue from params: act (Activation number) or relu: true, actAlpha/actBeta,
// and residual (a Float32Array laid out like the output, `need` elements at least).
void parse_epilogue(Napi::Env env, const Napi::Object& p, Epilogue& ep, double need) {
  if (get_bool(p, "relu")) ep.act = Activation::Relu;
  if (p.Has("act")) {
    const size_t act = get_size(env, p, "act", 0, false);
    if (act > size_t(Activation::HardSigmoid)) throw_range(env, "act must be an Activation number (0..9)");
    ep.act = Activation(act);
  }
  ep.alpha = get_float(env, p, "actAlpha", 0.0f);
  ep.beta = get_float(env, p, "actBeta", 0.0f);
  if (p.Has("residual") && !p.Get("residual").IsUndefined() && !p.Get("residual").IsNull()) {
    const Napi::Float32Array r = get_f32(env, p.Get("residual"), "residual");
    check_len(env, "residual", r.ElementLength(), need);
    ep.residual = r.Data();
  }
}

struct GemmCall {
  GemmArgs args;
  GemmBatch batch;
  RunOptions opts;
  const KernelVariant* variant = nullptr;
  const KernelVariant* gemv = nullptr;  // a gemv_f32 variant the caller asked for (M < 4 only)
};

// Parses gemm(a, b, c, bias|null, params, options).
GemmCall parse_gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5) throw_type(env, "gemm(a, b, c, bias, params, options?) needs at least 5 arguments");
  const Napi::Float32Array a = get_f32(env, info[0], "a");
  const Napi::Float32Array b = get_f32(env, info[1], "b");
  Napi::Float32Array c = get_f32(env, info[2], "c");
  const Napi::Float32Array bias = get_f32(env, info[3], "bias", true);
  const Napi::Object p = get_object(env, info, 4, "params", false);
  GemmCall call;
  call.opts = get_options(env, get_object(env, info, 5, "options", true));
  GemmArgs& g = call.args;
  g.M = get_size(env, p, "M", 0, true);
  g.N = get_size(env, p, "N", 0, true);
  g.K = get_size(env, p, "K", 0, true);
  g.transA = get_bool(p, "transA");
  g.transB = get_bool(p, "transB");
  g.alpha = get_float(env, p, "alpha", 1.0f);
  g.beta = get_float(env, p, "beta", 0.0f);
  g.lda = g.transA ? g.M : g.K;
  g.ldb = g.transB ? g.K : g.N;
  g.ldc = g.N;
  GemmBatch& bt = call.batch;
  bt.count = get_size(env, p, "batch", 1, false);
  bt.strideA = get_size(env, p, "strideA", g.M * g.K, false);
  bt.strideB = get_size(env, p, "strideB", g.K * g.N, false);
  bt.strideC = get_size(env, p, "strideC", g.M * g.N, false);
  if (bt.count > 0) {
    const double last = double(bt.count - 1);
    check_len(env, "a", a.ElementLength(),
              g.M && g.K ? last * bt.strideA + (g.transA ? extent(g.K, g.M, g.lda) : extent(g.M, g.K, g.lda)) : 0);
    check_len(env, "b", b.ElementLength(),
              g.K && g.N ? last * bt.strideB + (g.transB ? extent(g.N, g.K, g.ldb) : extent(g.K, g.N, g.ldb)) : 0);
    check_len(env, "c", c.ElementLength(), g.M && g.N ? last * bt.strideC + extent(g.M, g.N, g.ldc) : 0);
    if (bt.count > 1 && g.M && g.N && bt.strideC < g.M * g.N)
      throw_range(env, "strideC must be at least M*N so batch outputs do not overlap");
  }
  if (!bias.IsEmpty()) {
    check_len(env, "bias", bias.ElementLength(), double(g.N));
    g.ep.bias_n = bias.Data();
  }
  parse_epilogue(env, p, g.ep, bt.count && g.M && g.N ? double(bt.count - 1) * bt.strideC + extent(g.M, g.N, g.ldc) : 0);
  g.ep.ldr = g.ldc;
  g.A = a.Data();
  g.B = b.Data();
  g.C = c.Data();
  try {
    // A gemv_f32 variant name runs the product (which must have fewer than 4 rows) with that GEMV
    // kernel; anything else names the matmul_f32 kernel.
    const KernelVariant* named = find_variant(call.opts.variant);
    if (named && std::string(named->family) == "gemv_f32") {
      call.gemv = &resolve_variant("gemv_f32", call.opts.variant);
      if (g.M == 0 || g.M > kGemvMaxM)
        throw std::invalid_argument("gemv_f32 variants run products with 1 to " + std::to_string(kGemvMaxM) +
                                    " rows; M is " + std::to_string(g.M));
      call.variant = &selected_variant("matmul_f32");
    } else {
      call.variant = &resolve_variant("matmul_f32", call.opts.variant);
    }
  } catch (const std::invalid_argument& e) {
    throw Napi::Error::New(env, e.what());
  }
  return call;
}

// Runs the product and returns its kernel time; *ran is the variant that computed it (a gemv_f32
// kernel for M < 4).
double run_gemm(const GemmCall& call, const KernelVariant** ran) {
  const auto t0 = std::chrono::steady_clock::now();
  *ran = &gemm(*call.variant, call.args, call.batch, call.opts.threads, call.gemv);
  const auto t1 = std::chrono::steady_clock::now();
  return double(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
}

Napi::Object run_result(Napi::Env env, const std::string& kernel, const std::string& isa, double ns) {
  Napi::Object r = Napi::Object::New(env);
  r.Set("kernel", kernel);
  r.Set("isa", isa);
  r.Set("ns", ns);
  return r;
}

class GemmWorker : public Napi::AsyncWorker {
 public:
  GemmWorker(Napi::Env env, GemmCall call, const Napi::CallbackInfo& info)
      : Napi::AsyncWorker(env, "armml:gemmAsync"), call_(call), deferred_(Napi::Promise::Deferred::New(env)) {
    // Keep the arrays alive (not garbage collected) until the kernel has finished with them.
    for (size_t i = 0; i < 5; i++) {
      if (info[i].IsObject()) keep_[i] = Napi::Persistent(info[i].As<Napi::Object>());
    }
  }
  Napi::Promise Promise() const { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      ns_ = run_gemm(call_, &ran_);
    } catch (const std::exception& e) {
      SetError(std::string("gemmAsync failed: ") + e.what());
    }
  }
  void OnOK() override { deferred_.Resolve(run_result(Env(), ran_->name, ran_->isa, ns_)); }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  GemmCall call_;
  Napi::Promise::Deferred deferred_;
  Napi::ObjectReference keep_[5];  // a, b, c, bias and params (which holds the residual)
  double ns_ = 0;
  const KernelVariant* ran_ = nullptr;
};

}  // namespace

Napi::Value CpuInfoJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CpuInfo& cpu = cpu_info();
  Napi::Object o = Napi::Object::New(env);
  o.Set("arch", cpu.arch);
  o.Set("vendor", cpu.vendor);
  o.Set("name", cpu.name);
  if (cpu.has_midr) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "0x%08llx", static_cast<unsigned long long>(cpu.midr));
    o.Set("midr", buf);
  }
  Napi::Array isa = Napi::Array::New(env, cpu.isa.size());
  for (size_t i = 0; i < cpu.isa.size(); i++) isa.Set(uint32_t(i), cpu.isa[i]);
  o.Set("isa", isa);
  o.Set("cores", double(cpu.cores));
  return o;
}

Napi::Value VariantsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const auto& table = all_variants();
  Napi::Array out = Napi::Array::New(env, table.size());
  for (size_t i = 0; i < table.size(); i++) {
    const KernelVariant& v = table[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", v.name);
    o.Set("family", v.family);
    o.Set("isa", v.isa);
    o.Set("mr", v.mr);
    o.Set("nr", v.nr);
    o.Set("kr", v.kr);
    o.Set("sr", v.sr);
    o.Set("reference", v.reference);
    o.Set("supported", v.supported(cpu_info()));
    // The conv2d_f32 family holds only the direct reference, which baseline mode runs: eager and
    // graph convolutions run on the selected matmul_f32 (1x1 and im2col) and dwconv2d_f32
    // variants (conv.cc, make_plan), so no conv2d_f32 entry is what a run selects.
    const bool conv_ref = std::string(v.family) == "conv2d_f32";
    o.Set("selected", !conv_ref && &selected_variant(v.family) == &v);
    out.Set(uint32_t(i), o);
  }
  return out;
}

Napi::Value GemmJs(const Napi::CallbackInfo& info) {
  const GemmCall call = parse_gemm(info);
  double ns;
  const KernelVariant* ran = nullptr;
  try {
    ns = run_gemm(call, &ran);
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), std::string("gemm failed: ") + e.what());
  }
  return run_result(info.Env(), ran->name, ran->isa, ns);
}

Napi::Value GemmAsyncJs(const Napi::CallbackInfo& info) {
  const GemmCall call = parse_gemm(info);
  auto* worker = new GemmWorker(info.Env(), call, info);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// conv2d(x, w, bias|null, y, params, options)
Napi::Value Conv2dJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5) throw_type(env, "conv2d(x, w, bias, y, params, options?) needs at least 5 arguments");
  const Napi::Float32Array x = get_f32(env, info[0], "x");
  const Napi::Float32Array w = get_f32(env, info[1], "w");
  const Napi::Float32Array bias = get_f32(env, info[2], "bias", true);
  Napi::Float32Array y = get_f32(env, info[3], "y");
  const Napi::Object p = get_object(env, info, 4, "params", false);
  const RunOptions opts = get_options(env, get_object(env, info, 5, "options", true));
  Conv2dShape s;
  s.N = get_size(env, p, "N", 0, true);
  s.C = get_size(env, p, "C", 0, true);
  s.H = get_size(env, p, "H", 0, true);
  s.W = get_size(env, p, "W", 0, true);
  s.M = get_size(env, p, "M", 0, true);
  s.kH = get_size(env, p, "kH", 0, true);
  s.kW = get_size(env, p, "kW", 0, true);
  s.strideH = get_size(env, p, "strideH", 1, false);
  s.strideW = get_size(env, p, "strideW", 1, false);
  s.padT = get_size(env, p, "padT", 0, false);
  s.padL = get_size(env, p, "padL", 0, false);
  s.padB = get_size(env, p, "padB", 0, false);
  s.padR = get_size(env, p, "padR", 0, false);
  s.dilH = get_size(env, p, "dilH", 1, false);
  s.dilW = get_size(env, p, "dilW", 1, false);
  s.group = get_size(env, p, "group", 1, false);
  s.outH = get_size(env, p, "outH", 0, true);
  s.outW = get_size(env, p, "outW", 0, true);
  Epilogue ep;
  parse_epilogue(env, p, ep, double(s.N) * s.M * s.outH * s.outW);
  try {
    check_conv2d_shape(s);
  } catch (const std::invalid_argument& e) {
    throw_range(env, std::string("conv2d: ") + e.what());
  }
  check_len(env, "x", x.ElementLength(), double(s.N) * s.C * s.H * s.W);
  check_len(env, "w", w.ElementLength(), double(s.M) * (s.C / s.group) * s.kH * s.kW);
  check_len(env, "y", y.ElementLength(), double(s.N) * s.M * s.outH * s.outW);
  if (!bias.IsEmpty()) check_len(env, "bias", bias.ElementLength(), double(s.M));
  KernelChoice k;
  double ns = 0;
  try {
    k = conv2d_plan(s, opts.variant);  // resolve before timing so a bad name fails fast
    const auto t0 = std::chrono::steady_clock::now();
    k = conv2d(s, x.Data(), w.Data(), bias.IsEmpty() ? nullptr : bias.Data(), y.Data(), ep, opts.variant,
               opts.threads);
    const auto t1 = std::chrono::steady_clock::now();
    ns = double(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
  } catch (const std::invalid_argument& e) {
    throw Napi::Error::New(env, std::string("conv2d: ") + e.what());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("conv2d failed: ") + e.what());
  }
  return run_result(env, k.kernel, k.isa, ns);
}

namespace {

size_t get_index(Napi::Env env, const Napi::CallbackInfo& info, size_t i, const char* what) {
  if (info.Length() <= i || !info[i].IsNumber()) throw_type(env, std::string(what) + " must be a number");
  const double d = info[i].As<Napi::Number>().DoubleValue();
  if (!(d >= 0) || d != std::floor(d) || d > 2147483647.0)
    throw_range(env, std::string(what) + " must be a non-negative integer, got " + info[i].ToString().Utf8Value());
  return size_t(d);
}

Napi::Int32Array get_i32(Napi::Env env, const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    throw_type(env, std::string(what) + " must be an Int32Array");
  return v.As<Napi::Int32Array>();
}

// Every row start plus the row's extent must stay inside the operand.
void check_rows(Napi::Env env, const char* what, const Napi::Int32Array& starts, size_t step, size_t n, size_t len) {
  if (step > 1) throw_range(env, std::string(what) + " step must be 0 or 1");
  const size_t span = n == 0 ? 0 : (n - 1) * step + 1;
  for (size_t r = 0; r < starts.ElementLength(); r++) {
    const int32_t s = starts[r];
    if (s < 0 || size_t(s) + span > len) throw_range(env, std::string(what) + " row start out of range");
  }
}

/** The variant an options object asks for, with an unknown or unsupported name as a JS error. */
const KernelVariant& requested_variant(Napi::Env env, const char* family, const std::string& request) {
  try {
    return resolve_variant(family, request);
  } catch (const std::invalid_argument& e) {
    throw Napi::Error::New(env, e.what());
  }
}

/** Runs `call` on the steady clock and returns {kernel, isa, ns} for variant v. */
template <class Call>
Napi::Value timed(Napi::Env env, const KernelVariant& v, Call&& call) {
  const auto t0 = std::chrono::steady_clock::now();
  call();
  const auto t1 = std::chrono::steady_clock::now();
  return run_result(env, v.name, v.isa, double(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
}

}  // namespace

// binary(op, a, b, y, startsA, stepA, startsB, stepB, n, options)
Napi::Value BinaryJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 9) throw_type(env, "binary(op, a, b, y, startsA, stepA, startsB, stepB, n, options?) needs 9 arguments");
  const size_t op = get_index(env, info, 0, "op");
  if (op > size_t(BinaryOp::ScaleShift)) throw_range(env, "unknown binary op " + std::to_string(op));
  const Napi::Float32Array a = get_f32(env, info[1], "a");
  const Napi::Float32Array b = get_f32(env, info[2], "b");
  Napi::Float32Array y = get_f32(env, info[3], "y");
  const Napi::Int32Array sa = get_i32(env, info[4], "startsA");
  const size_t stepA = get_index(env, info, 5, "stepA");
  const Napi::Int32Array sb = get_i32(env, info[6], "startsB");
  const size_t stepB = get_index(env, info, 7, "stepB");
  const size_t n = get_index(env, info, 8, "n");
  const RunOptions opts = get_options(env, get_object(env, info, 9, "options", true));
  const size_t rows = sa.ElementLength();
  if (sb.ElementLength() != rows) throw_range(env, "startsA and startsB must have one entry per row");
  check_rows(env, "a", sa, stepA, n, a.ElementLength());
  // ScaleShift reads one (scale, shift) pair per row.
  if (BinaryOp(op) == BinaryOp::ScaleShift) check_rows(env, "b", sb, 1, 2, b.ElementLength());
  else check_rows(env, "b", sb, stepB, n, b.ElementLength());
  check_len(env, "y", y.ElementLength(), double(n) * double(rows));
  const KernelVariant& v = requested_variant(env, "binary_f32", opts.variant);
  return timed(env, v, [&] {
    binary_rows(v, BinaryOp(op), a.Data(), sa.Data(), stepA, b.Data(), sb.Data(), stepB, y.Data(), n, rows,
                opts.threads);
  });
}

// unary(op, x, y, alpha, beta, options)
Napi::Value UnaryJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5) throw_type(env, "unary(op, x, y, alpha, beta, options?) needs 5 arguments");
  const size_t op = get_index(env, info, 0, "op");
  if (op > size_t(UnaryOp::GeluTanh)) throw_range(env, "unknown unary op " + std::to_string(op));
  const Napi::Float32Array x = get_f32(env, info[1], "x");
  Napi::Float32Array y = get_f32(env, info[2], "y");
  if (!info[3].IsNumber() || !info[4].IsNumber()) throw_type(env, "alpha and beta must be numbers");
  const float alpha = info[3].As<Napi::Number>().FloatValue();
  const float beta = info[4].As<Napi::Number>().FloatValue();
  const RunOptions opts = get_options(env, get_object(env, info, 5, "options", true));
  check_len(env, "y", y.ElementLength(), double(x.ElementLength()));
  const KernelVariant& v = requested_variant(env, "unary_f32", opts.variant);
  return timed(env, v, [&] {
    unary_all(v, UnaryOp(op), x.Data(), y.Data(), x.ElementLength(), alpha, beta, opts.threads);
  });
}

// pool2d(x, y, params {planes, H, W, OH, OW, dilH, dilW, max, includePad}, tapsH, tapsW, options)
// taps* = [start, lo, hi, padded] Int32Arrays of one entry per output row (H) or column (W).
Napi::Value Pool2dJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5) throw_type(env, "pool2d(x, y, params, tapsH, tapsW, options?) needs 5 arguments");
  const Napi::Float32Array x = get_f32(env, info[0], "x");
  Napi::Float32Array y = get_f32(env, info[1], "y");
  const Napi::Object prm = get_object(env, info, 2, "params", false);
  const size_t planes = get_size(env, prm, "planes", 0, true), H = get_size(env, prm, "H", 0, true);
  PoolPlane shape;
  shape.W = get_size(env, prm, "W", 0, true);
  shape.OH = get_size(env, prm, "OH", 0, true);
  shape.OW = get_size(env, prm, "OW", 0, true);
  shape.dilH = get_size(env, prm, "dilH", 1, false);
  shape.dilW = get_size(env, prm, "dilW", 1, false);
  shape.max = get_bool(prm, "max");
  shape.includePad = get_bool(prm, "includePad");
  if (shape.dilH < 1 || shape.dilW < 1) throw_range(env, "dilations must be >= 1");
  check_len(env, "x", x.ElementLength(), double(planes) * double(H) * double(shape.W));
  check_len(env, "y", y.ElementLength(), double(planes) * double(shape.OH) * double(shape.OW));
  // Every tap a table names must be inside the plane: the kernel reads without further checks.
  const int32_t* tables[2][4];
  for (int axis = 0; axis < 2; axis++) {
    const Napi::Value v = info[3 + axis];
    const char* name = axis == 0 ? "tapsH" : "tapsW";
    if (!v.IsArray() || v.As<Napi::Array>().Length() != 4) throw_type(env, std::string(name) + " must be [start, lo, hi, padded]");
    const size_t out = axis == 0 ? shape.OH : shape.OW, len = axis == 0 ? H : shape.W;
    const size_t dil = axis == 0 ? shape.dilH : shape.dilW;
    for (uint32_t k = 0; k < 4; k++) {
      const Napi::Int32Array t = get_i32(env, v.As<Napi::Array>().Get(k), name);
      if (t.ElementLength() != out) throw_range(env, std::string(name) + " tables need one entry per output position");
      tables[axis][k] = t.Data();
    }
    for (size_t o = 0; o < out; o++) {
      const int64_t start = tables[axis][0][o], lo = tables[axis][1][o], hi = tables[axis][2][o];
      if (lo < 0 || hi < lo) throw_range(env, std::string(name) + ": tap range out of order");
      if (hi > lo && (start + lo * int64_t(dil) < 0 || start + (hi - 1) * int64_t(dil) >= int64_t(len)))
        throw_range(env, std::string(name) + ": a tap falls outside the input");
    }
  }
  shape.startH = tables[0][0], shape.loH = tables[0][1], shape.hiH = tables[0][2], shape.padH = tables[0][3];
  shape.startW = tables[1][0], shape.loW = tables[1][1], shape.hiW = tables[1][2], shape.padW = tables[1][3];
  const RunOptions opts = get_options(env, get_object(env, info, 5, "options", true));
  const KernelVariant& v = requested_variant(env, "pool2d_f32", opts.variant);
  return timed(env, v, [&] {
    pool2d_planes(v, shape, x.Data(), y.Data(), planes, H, opts.threads);
  });
}

// Rows of n contiguous values: x must hold a whole number of them.
size_t row_count(Napi::Env env, const Napi::Float32Array& x, size_t n) {
  if (n == 0) throw_range(env, "n must be at least 1");
  if (x.ElementLength() % n != 0) {
    throw_range(env, "x has " + std::to_string(x.ElementLength()) + " elements, not a whole number of rows of " +
                         std::to_string(n));
  }
  return x.ElementLength() / n;
}

// softmax(x, y, params {n, log}, options)
Napi::Value SoftmaxJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3) throw_type(env, "softmax(x, y, params, options?) needs 3 arguments");
  const Napi::Float32Array x = get_f32(env, info[0], "x");
  Napi::Float32Array y = get_f32(env, info[1], "y");
  const Napi::Object p = get_object(env, info, 2, "params", false);
  const RunOptions opts = get_options(env, get_object(env, info, 3, "options", true));
  SoftmaxArgs a;
  a.n = get_size(env, p, "n", 0, true);
  a.rows = row_count(env, x, a.n);
  a.log = get_bool(p, "log");
  check_len(env, "y", y.ElementLength(), double(x.ElementLength()));
  a.x = x.Data();
  a.y = y.Data();
  const KernelVariant& v = requested_variant(env, "softmax_f32", opts.variant);
  return timed(env, v, [&] { softmax_rows(v, a, opts.threads); });
}

// layerNorm(x, y, gamma|null, beta|null, mean|null, rstd|null, params {n, epsilon, rms}, options)
Napi::Value LayerNormJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 7) throw_type(env, "layerNorm(x, y, gamma, beta, mean, rstd, params, options?) needs 7 arguments");
  const Napi::Float32Array x = get_f32(env, info[0], "x");
  Napi::Float32Array y = get_f32(env, info[1], "y");
  const Napi::Float32Array gamma = get_f32(env, info[2], "gamma", true);
  const Napi::Float32Array beta = get_f32(env, info[3], "beta", true);
  Napi::Float32Array mean = get_f32(env, info[4], "mean", true);
  Napi::Float32Array rstd = get_f32(env, info[5], "rstd", true);
  const Napi::Object p = get_object(env, info, 6, "params", false);
  const RunOptions opts = get_options(env, get_object(env, info, 7, "options", true));
  LayerNormArgs a;
  a.n = get_size(env, p, "n", 0, true);
  a.rows = row_count(env, x, a.n);
  a.eps = get_float(env, p, "epsilon", 1e-5f);
  if (!(a.eps >= 0.0f) || std::isinf(a.eps)) throw_range(env, "epsilon must be a finite number >= 0");
  a.rms = get_bool(p, "rms");
  check_len(env, "y", y.ElementLength(), double(x.ElementLength()));
  if (!gamma.IsEmpty()) check_len(env, "gamma", gamma.ElementLength(), double(a.n));
  if (!beta.IsEmpty()) check_len(env, "beta", beta.ElementLength(), double(a.n));
  if (!mean.IsEmpty()) check_len(env, "mean", mean.ElementLength(), double(a.rows));
  if (!rstd.IsEmpty()) check_len(env, "rstd", rstd.ElementLength(), double(a.rows));
  a.x = x.Data();
  a.y = y.Data();
  a.gamma = gamma.IsEmpty() ? nullptr : gamma.Data();
  a.beta = beta.IsEmpty() ? nullptr : beta.Data();
  a.mean = mean.IsEmpty() ? nullptr : mean.Data();
  a.rstd = rstd.IsEmpty() ? nullptr : rstd.Data();
  const KernelVariant& v = requested_variant(env, "layernorm_f32", opts.variant);
  return timed(env, v, [&] { layernorm_rows(v, a, opts.threads); });
}

}  // namespace armml
