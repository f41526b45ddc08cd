// Entry points for prepared kernel calls (engine/native.ts prepare*): eager runs the same small
// kernels hundreds of times per inference, so a call takes its arguments by position, its shape
// packed in one Float64Array, its variant as an index into the table, and returns only the
// kernel's nanoseconds. Reading a dozen named properties off an object and building a result
// object of two strings cost several microseconds per call, more than a small kernel itself.
// Lengths are still checked on every call: a stale shape must become an exception, never an
// out-of-bounds write.
#include "napi_calls.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "conv.h"
#include "cpu.h"
#include "eltwise.h"
#include "gemm.h"
#include "variants.h"

namespace armml {

namespace {

struct F32 {
  float* data = nullptr;
  size_t length = 0;
};

template <class Call>
double timed_ns(Call&& call) {
  const auto t0 = std::chrono::steady_clock::now();
  call();
  const auto t1 = std::chrono::steady_clock::now();
  return double(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
}

// The hot calls below are plain napi callbacks: node-addon-api's CallbackInfo allocates for more
// than six arguments and its typed-array accessors query V8 twice per array. Errors are thrown
// as CallError inside and become a pending JS exception at the callback's edge.
struct CallError {
  bool range;
  std::string message;
};

[[noreturn]] void type_error(const std::string& m) { throw CallError{false, m}; }
[[noreturn]] void range_error(const std::string& m) { throw CallError{true, m}; }

constexpr size_t kMaxArgs = 12;

struct RawArgs {
  napi_env env;
  size_t argc = kMaxArgs;
  napi_value argv[kMaxArgs];
  RawArgs(napi_env e, napi_callback_info info, size_t need, const char* usage) : env(e) {
    if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) type_error("bad call");
    if (argc < need) type_error(std::string(usage) + " needs " + std::to_string(need) + " arguments");
  }
  template <class T>
  T* array(size_t i, napi_typedarray_type want, const char* what, size_t& length, bool optional = false) {
    bool is = false;
    napi_is_typedarray(env, argv[i], &is);
    if (!is) {
      napi_valuetype t;
      napi_typeof(env, argv[i], &t);
      if (optional && (t == napi_null || t == napi_undefined)) {
        length = 0;
        return nullptr;
      }
      type_error(std::string(what) + (want == napi_float32_array ? " must be a Float32Array" : want == napi_int32_array ? " must be an Int32Array" : " must be a Float64Array"));
    }
    napi_typedarray_type type;
    void* data = nullptr;
    napi_value buffer;
    size_t offset;
    napi_get_typedarray_info(env, argv[i], &type, &length, &data, &buffer, &offset);
    if (type != want) type_error(std::string(what) + (want == napi_float32_array ? " must be a Float32Array" : want == napi_int32_array ? " must be an Int32Array" : " must be a Float64Array"));
    return static_cast<T*>(data);
  }
  F32 f32(size_t i, const char* what, bool optional = false) {
    F32 r;
    r.data = array<float>(i, napi_float32_array, what, r.length, optional);
    return r;
  }
  double number(size_t i, const char* what) {
    double d;
    if (napi_get_value_double(env, argv[i], &d) != napi_ok) type_error(std::string(what) + " must be a number");
    return d;
  }
  const double* params(size_t i, size_t need) {
    size_t n;
    const double* p = array<double>(i, napi_float64_array, "params", n);
    if (n < need) range_error("params has " + std::to_string(n) + " entries, needs " + std::to_string(need));
    return p;
  }
};

size_t whole(double d, const char* what, double max = 2147483647.0) {
  if (!(d >= 0) || d != std::floor(d) || d > max) range_error(std::string(what) + " must be a non-negative integer");
  return size_t(d);
}

int threads_in(double d) {
  if (!(d >= 1 && d <= 256) || d != std::floor(d)) range_error("threads must be between 1 and 256");
  return int(d);
}

void need(const char* what, size_t have, double n) {
  if (double(have) < n) {
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s has %zu elements but the parameters need %.0f", what, have, n);
    range_error(buf);
  }
}

/** Variant codes: -1 auto, -2 reference, otherwise an index into all_variants(). */
const std::string& request_for(double code) {
  static const std::string kAuto = "auto", kReference = "reference";
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& v : all_variants()) out.emplace_back(v.name);
    return out;
  }();
  if (code == -1) return kAuto;
  if (code == -2) return kReference;
  if (!(code >= 0 && code < double(names.size())) || code != std::floor(code)) range_error("unknown kernel variant code");
  return names[size_t(code)];
}

const KernelVariant& variant_for(const char* family, double code) {
  if (code >= 0 && code < double(all_variants().size()) && code == std::floor(code)) {
    const KernelVariant& v = all_variants()[size_t(code)];
    if (std::strcmp(v.family, family) == 0 && v.supported(cpu_info())) return v;
  }
  try {
    return resolve_variant(family, request_for(code));
  } catch (const std::invalid_argument& e) {
    type_error(e.what());
  }
}

void activation_in(const double* p, Epilogue& ep) {
  ep.act = Activation(whole(p[0], "act", double(size_t(Activation::HardSigmoid))));
  ep.alpha = float(p[1]);
  ep.beta = float(p[2]);
}

Conv2dShape shape_in(const double* p) {
  Conv2dShape s;
  size_t* fields[] = {&s.N,    &s.C,    &s.H,    &s.W,    &s.M,    &s.kH,   &s.kW,    &s.strideH, &s.strideW,
                      &s.padT, &s.padL, &s.padB, &s.padR, &s.dilH, &s.dilW, &s.group, &s.outH,    &s.outW};
  static const char* names[] = {"N",    "C",    "H",    "W",    "M",    "kH",   "kW",    "strideH", "strideW",
                                "padT", "padL", "padB", "padR", "dilH", "dilW", "group", "outH",    "outW"};
  for (size_t i = 0; i < kConvShapeFields; i++) *fields[i] = whole(p[i], names[i]);
  try {
    check_conv2d_shape(s);
  } catch (const std::invalid_argument& e) {
    range_error(std::string("conv2d: ") + e.what());
  }
  return s;
}

/** Runs body (which returns the kernel's ns) and hands the result, or the error, to JS. */
template <class Body>
napi_value guarded(napi_env env, Body&& body) {
  try {
    const double ns = body();
    napi_value out;
    napi_create_double(env, ns, &out);
    return out;
  } catch (const CallError& e) {
    if (e.range) napi_throw_range_error(env, nullptr, e.message.c_str());
    else napi_throw_type_error(env, nullptr, e.message.c_str());
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

}  // namespace

// resolveVariant(family, request) -> {index, name, isa}
Napi::Value ResolveVariantJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) throw Napi::TypeError::New(env, "resolveVariant(family, request) needs two strings");
  const KernelVariant* v;
  try {
    v = &resolve_variant(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::String>().Utf8Value());
  } catch (const std::invalid_argument& e) {
    throw Napi::Error::New(env, e.what());
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("index", double(v - all_variants().data()));
  o.Set("name", v->name);
  o.Set("isa", v->isa);
  return o;
}

// conv2dKernel(params, variantCode) -> {kernel, isa}: what conv2dCall with these params will run.
Napi::Value Conv2dKernelJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array || !info[1].IsNumber())
    throw Napi::TypeError::New(env, "conv2dKernel(params, variant) needs a Float64Array and a number");
  const Napi::Float64Array params = info[0].As<Napi::Float64Array>();
  if (params.ElementLength() < kConvShapeFields) throw Napi::RangeError::New(env, "params is too short");
  KernelChoice k;
  try {
    k = conv2d_plan(shape_in(params.Data()), request_for(info[1].As<Napi::Number>().DoubleValue()));
  } catch (const CallError& e) {
    if (e.range) throw Napi::RangeError::New(env, e.message);
    throw Napi::TypeError::New(env, e.message);
  } catch (const std::invalid_argument& e) {
    throw Napi::Error::New(env, std::string("conv2d: ") + e.what());
  }
  Napi::Object o = Napi::Object::New(env);
  o.Set("kernel", k.kernel);
  o.Set("isa", k.isa);
  return o;
}

// conv2dCall(x, w, bias|null, y, residual|null, params) -> ns
// params: N C H W M kH kW strideH strideW padT padL padB padR dilH dilW group outH outW, act actAlpha actBeta, threads, variant
napi_value Conv2dCall(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    RawArgs args(env, info, 6, "conv2dCall(x, w, bias, y, residual, params)");
    const F32 x = args.f32(0, "x"), w = args.f32(1, "w"), bias = args.f32(2, "bias", true);
    const F32 y = args.f32(3, "y"), residual = args.f32(4, "residual", true);
    const double* p = args.params(5, kConvParams);
    const Conv2dShape s = shape_in(p);
    Epilogue ep;
    activation_in(p + kConvShapeFields, ep);
    const int threads = threads_in(p[kConvShapeFields + 3]);
    const std::string& variant = request_for(p[kConvShapeFields + 4]);
    const double out = double(s.N) * s.M * s.outH * s.outW;
    need("x", x.length, double(s.N) * s.C * s.H * s.W);
    need("w", w.length, double(s.M) * (s.C / s.group) * s.kH * s.kW);
    need("y", y.length, out);
    if (bias.data) need("bias", bias.length, double(s.M));
    if (residual.data) need("residual", residual.length, out), ep.residual = residual.data;
    try {
      return timed_ns([&] { conv2d(s, x.data, w.data, bias.data, y.data, ep, variant, threads); });
    } catch (const std::invalid_argument& e) {
      type_error(std::string("conv2d: ") + e.what());
    }
  });
}

// gemmCall(a, b, c, bias|null, residual|null, params) -> ns
// params: M N K transA transB alpha beta batch strideA strideB strideC, act actAlpha actBeta, threads, variant
napi_value GemmCall(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    RawArgs args(env, info, 6, "gemmCall(a, b, c, bias, residual, params)");
    const F32 a = args.f32(0, "a"), b = args.f32(1, "b"), c = args.f32(2, "c");
    const F32 bias = args.f32(3, "bias", true), residual = args.f32(4, "residual", true);
    const double* p = args.params(5, kGemmParams);
    GemmArgs g;
    g.M = whole(p[0], "M");
    g.N = whole(p[1], "N");
    g.K = whole(p[2], "K");
    g.transA = p[3] != 0;
    g.transB = p[4] != 0;
    g.alpha = float(p[5]);
    g.beta = float(p[6]);
    g.lda = g.transA ? g.M : g.K;
    g.ldb = g.transB ? g.K : g.N;
    g.ldc = g.N;
    GemmBatch bt;
    bt.count = whole(p[7], "batch");
    bt.strideA = whole(p[8], "strideA");
    bt.strideB = whole(p[9], "strideB");
    bt.strideC = whole(p[10], "strideC");
    activation_in(p + 11, g.ep);
    const int threads = threads_in(p[14]);
    const KernelVariant& v = variant_for("matmul_f32", p[15]);
    const auto extent = [](size_t rows, size_t cols, size_t ld) { return rows == 0 || cols == 0 ? 0.0 : double(rows - 1) * ld + cols; };
    const double cspan = bt.count && g.M && g.N ? double(bt.count - 1) * bt.strideC + extent(g.M, g.N, g.ldc) : 0;
    if (bt.count > 0) {
      const double last = double(bt.count - 1);
      need("a", a.length, g.M && g.K ? last * bt.strideA + (g.transA ? extent(g.K, g.M, g.lda) : extent(g.M, g.K, g.lda)) : 0);
      need("b", b.length, g.K && g.N ? last * bt.strideB + (g.transB ? extent(g.N, g.K, g.ldb) : extent(g.K, g.N, g.ldb)) : 0);
      need("c", c.length, cspan);
      if (bt.count > 1 && g.M && g.N && bt.strideC < g.M * g.N) range_error("strideC must be at least M*N so batch outputs do not overlap");
    }
    if (bias.data) need("bias", bias.length, double(g.N)), g.ep.bias_n = bias.data;
    if (residual.data) need("residual", residual.length, cspan), g.ep.residual = residual.data;
    g.ep.ldr = g.ldc;
    g.A = a.data;
    g.B = b.data;
    g.C = c.data;
    return timed_ns([&] { gemm(v, g, bt, threads); });
  });
}

// binaryCall(op, a, b, y, startsA, stepA, startsB, stepB, n, threads, variant) -> ns
napi_value BinaryCall(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    RawArgs args(env, info, 11, "binaryCall(op, a, b, y, startsA, stepA, startsB, stepB, n, threads, variant)");
    const size_t op = whole(args.number(0, "op"), "op", double(size_t(BinaryOp::ScaleShift)));
    const F32 a = args.f32(1, "a"), b = args.f32(2, "b"), y = args.f32(3, "y");
    size_t rows, rowsB;
    const int32_t* sa = args.array<int32_t>(4, napi_int32_array, "startsA", rows);
    const size_t stepA = whole(args.number(5, "stepA"), "stepA", 1);
    const int32_t* sb = args.array<int32_t>(6, napi_int32_array, "startsB", rowsB);
    const size_t stepB = whole(args.number(7, "stepB"), "stepB", 1);
    const size_t n = whole(args.number(8, "n"), "n");
    const int threads = threads_in(args.number(9, "threads"));
    const KernelVariant& v = variant_for("binary_f32", args.number(10, "variant"));
    if (rowsB != rows) range_error("startsA and startsB must have one entry per row");
    // Every row start plus the row's extent must stay inside its operand; ScaleShift reads one
    // (scale, shift) pair per row.
    const size_t spanA = n == 0 ? 0 : (n - 1) * stepA + 1;
    const size_t spanB = BinaryOp(op) == BinaryOp::ScaleShift ? 2 : n == 0 ? 0 : (n - 1) * stepB + 1;
    for (size_t r = 0; r < rows; r++) {
      if (sa[r] < 0 || size_t(sa[r]) + spanA > a.length) range_error("a row start out of range");
      if (sb[r] < 0 || size_t(sb[r]) + spanB > b.length) range_error("b row start out of range");
    }
    need("y", y.length, double(n) * double(rows));
    return timed_ns([&] { binary_rows(v, BinaryOp(op), a.data, sa, stepA, b.data, sb, stepB, y.data, n, rows, threads); });
  });
}

// unaryCall(op, x, y, alpha, beta, threads, variant) -> ns
napi_value UnaryCall(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    RawArgs args(env, info, 7, "unaryCall(op, x, y, alpha, beta, threads, variant)");
    const size_t op = whole(args.number(0, "op"), "op", double(size_t(UnaryOp::Tanh)));
    const F32 x = args.f32(1, "x"), y = args.f32(2, "y");
    const float alpha = float(args.number(3, "alpha")), beta = float(args.number(4, "beta"));
    const int threads = threads_in(args.number(5, "threads"));
    const KernelVariant& v = variant_for("unary_f32", args.number(6, "variant"));
    need("y", y.length, double(x.length));
    return timed_ns([&] { unary_all(v, UnaryOp(op), x.data, y.data, x.length, alpha, beta, threads); });
  });
}

Napi::Function RawFunction(Napi::Env env, const char* name, napi_callback fn) {
  napi_value f;
  NAPI_THROW_IF_FAILED(env, napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f), Napi::Function());
  return Napi::Function(env, f);
}

}  // namespace armml
