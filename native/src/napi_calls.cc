// Prepared kernel calls (engine/native-calls.ts): eager runs the same small kernels hundreds of
// times per inference, so a call's shape, epilogue, variant and thread count are checked once, in
// a *Prepare function that keeps them in a native object behind a JS external. A run passes that
// handle and the arrays by position and gets the kernel's nanoseconds back: no named properties
// to read and no result object to build, which cost several microseconds per call, more than a
// small kernel itself. Every run still checks each array's type and length against the prepared
// shape: a stale shape must become an exception, never an out-of-bounds access.
#include "napi_calls.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "conv.h"
#include "cpu.h"
#include "eltwise.h"
#include "gemm.h"
#include "qgemm.h"
#include "gemv.h"
#include "threadpool.h"
#include "variants.h"

namespace armml {

namespace {

struct CallError {
  bool range;
  std::string message;
};

[[noreturn]] void type_error(const std::string& m) { throw CallError{false, m}; }
[[noreturn]] void range_error(const std::string& m) { throw CallError{true, m}; }
/** A JS callback a native loop called threw; the exception is pending in the environment. */
struct PendingJs {};

// ---- arguments (plain napi: node-addon-api's CallbackInfo allocates past six arguments and its
// typed-array accessors ask V8 for the same facts more than once) ----

constexpr size_t kMaxArgs = 12;

struct F32 {
  float* data = nullptr;
  size_t length = 0;
};

bool is_nullish(napi_env env, napi_value v) {
  napi_valuetype t;
  return napi_typeof(env, v, &t) == napi_ok && (t == napi_null || t == napi_undefined);
}

/**
 * A float array argument. napi_get_buffer_info reads any ArrayBufferView's memory without
 * napi_get_typedarray_info's walk through every element type (half the cost per array), so
 * the element type is the JS wrapper's to check (engine/native-calls.ts); here the memory is
 * taken as whole, aligned floats, which keeps every access inside the view whatever it is.
 */
F32 f32_of(napi_env env, napi_value v, const char* what, bool optional = false) {
  F32 r;
  void* data = nullptr;
  size_t bytes = 0;
  if (napi_get_buffer_info(env, v, &data, &bytes) == napi_ok) {
    if (reinterpret_cast<uintptr_t>(data) % alignof(float) != 0) type_error(std::string(what) + " must be a Float32Array");
    r.data = static_cast<float*>(data);
    r.length = bytes / sizeof(float);
    return r;
  }
  if (optional && is_nullish(env, v)) return r;
  // Not a view (or a Node that reads only Buffers here): the typed-array path, with its check.
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, &r.length, &data, &buffer, &offset) == napi_ok && type == napi_float32_array) {
    r.data = static_cast<float*>(data);
    return r;
  }
  type_error(std::string(what) + " must be a Float32Array");
}
struct RawArgs {
  napi_env env;
  size_t argc = kMaxArgs;
  napi_value argv[kMaxArgs];
  RawArgs(napi_env e, napi_callback_info info, size_t need, const char* usage) : env(e) {
    if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) type_error("bad call");
    if (argc < need) type_error(std::string(usage) + " needs " + std::to_string(need) + " arguments");
  }
  bool nullish(size_t i) const { return is_nullish(env, argv[i]); }
  void* typed(size_t i, napi_typedarray_type want, const char* kind, const char* what, size_t& length) const {
    napi_typedarray_type type;
    void* data = nullptr;
    napi_value buffer;
    size_t offset;
    if (napi_get_typedarray_info(env, argv[i], &type, &length, &data, &buffer, &offset) != napi_ok || type != want)
      type_error(std::string(what) + " must be " + kind);
    return data;
  }
  /** A float array argument (see f32_of). */
  F32 f32(size_t i, const char* what, bool optional = false) const { return f32_of(env, argv[i], what, optional); }
  std::vector<int32_t> i32(size_t i, const char* what) const {
    size_t n;
    const int32_t* p = static_cast<const int32_t*>(typed(i, napi_int32_array, "an Int32Array", what, n));
    return std::vector<int32_t>(p, p + n);
  }
  const double* params(size_t i, size_t need) const {
    size_t n;
    const double* p = static_cast<const double*>(typed(i, napi_float64_array, "a Float64Array", "params", n));
    if (n < need) range_error("params has " + std::to_string(n) + " entries, needs " + std::to_string(need));
    return p;
  }
  std::string string(size_t i, const char* what) const {
    size_t n = 0;
    if (napi_get_value_string_utf8(env, argv[i], nullptr, 0, &n) != napi_ok) type_error(std::string(what) + " must be a string");
    std::string out(n, '\0');
    napi_get_value_string_utf8(env, argv[i], out.data(), n + 1, &n);
    return out;
  }
  double number(size_t i, const char* what) const {
    double d;
    if (napi_get_value_double(env, argv[i], &d) != napi_ok) type_error(std::string(what) + " must be a number");
    return d;
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

const KernelVariant& variant_for(const char* family, const std::string& request) {
  try {
    return resolve_variant(family, request);
  } catch (const std::invalid_argument& e) {
    type_error(e.what());
  }
}

Epilogue activation_in(const double* p) {
  Epilogue ep;
  ep.act = Activation(whole(p[0], "act", double(size_t(Activation::HardSigmoid))));
  ep.alpha = float(p[1]);
  ep.beta = float(p[2]);
  return ep;
}

template <class Call>
double timed_ns(Call&& call) {
  const auto t0 = std::chrono::steady_clock::now();
  call();
  const auto t1 = std::chrono::steady_clock::now();
  return double(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
}

// ---- prepared calls ----

enum class Kind : uint32_t { Conv2d = 1, Gemm, Binary, Unary, Program };

struct Program;

struct Prepared {
  Kind kind;
  int threads = 1;
  const KernelVariant* variant = nullptr;
  // Elements each operand must have at least (x/a, w/b, y/c; bias; residual).
  double need0 = 0, need1 = 0, need2 = 0, needBias = 0;
  // Conv2d
  Conv2dShape shape;
  std::string request;
  // Gemm
  GemmArgs gemm;
  GemmBatch batch;
  // Binary / unary
  BinaryOp binaryOp = BinaryOp::Add;
  UnaryOp unaryOp = UnaryOp::Relu;
  std::vector<int32_t> startsA, startsB;
  size_t stepA = 0, stepB = 0, n = 0;
  Epilogue ep;  // Conv2d/Gemm: the activation; unary: alpha/beta
  // Gemm whose B is a constant (graph mode's weights): packed once into the kernel's panels on the
  // first run and reused while runs pass the same B array (a different one is packed again).
  bool constantB = false;
  mutable std::unique_ptr<PackedB> packed;
  mutable const float* packedFrom = nullptr;
  // Gemm with quantized constant weights (the int8/int4 modes): B is quantized and packed once
  // into the format of `qvariant` (re-packed if runs pass another B array), A per run.
  const KernelVariant* qvariant = nullptr;
  QuantFormat qformat;
  mutable std::unique_ptr<QPackedB> qpacked;
  // Program: a compiled graph's steps (see programCreate).
  std::unique_ptr<Program> program;
  explicit Prepared(Kind k);
  ~Prepared();
};

// Prepared calls live in a table of this thread (each JS environment runs on one thread); JS holds
// a number, slot + generation * 2^24, and the call object's finalizer frees the slot. A number is
// cheaper to hand over than an external, and a stale or forged one is refused by the generation.
struct CallTable {
  std::vector<std::unique_ptr<Prepared>> slots;
  std::vector<uint32_t> generation;
  std::vector<uint32_t> free;
};
thread_local CallTable calls;
constexpr double kSlots = 16777216.0;

napi_value handle_of(napi_env env, Prepared* p, const std::string& kernel, const char* isa) {
  std::unique_ptr<Prepared> owned(p);
  uint32_t slot;
  if (!calls.free.empty()) {
    slot = calls.free.back();
    calls.free.pop_back();
  } else {
    if (calls.slots.size() >= size_t(kSlots)) range_error("too many prepared calls");
    slot = uint32_t(calls.slots.size());
    calls.slots.emplace_back();
    calls.generation.push_back(0);
  }
  const uint32_t gen = calls.generation[slot] = (calls.generation[slot] + 1) & 0x0fffffff;
  calls.slots[slot] = std::move(owned);
  napi_value out, handle, name, isaValue;
  napi_create_object(env, &out);
  napi_create_double(env, double(gen) * kSlots + slot, &handle);
  napi_create_string_utf8(env, kernel.c_str(), kernel.size(), &name);
  napi_create_string_utf8(env, isa, NAPI_AUTO_LENGTH, &isaValue);
  napi_set_named_property(env, out, "handle", handle);
  napi_set_named_property(env, out, "kernel", name);
  napi_set_named_property(env, out, "isa", isaValue);
  const auto release = [](napi_env, void*, void* hint) {
    const uint32_t s = uint32_t(reinterpret_cast<uintptr_t>(hint));
    calls.slots[s].reset();
    calls.free.push_back(s);
  };
  if (napi_add_finalizer(env, out, nullptr, release, reinterpret_cast<void*>(uintptr_t(slot)), nullptr) != napi_ok) {
    calls.slots[slot].reset();
    calls.free.push_back(slot);
    type_error("could not create a prepared call");
  }
  return out;
}

/** The prepared call behind a handle; a stale or forged handle is refused. */
Prepared& call_of(double h) {
  if (!(h >= 0) || h != std::floor(h)) type_error("handle must be a prepared call");
  const double gen = std::floor(h / kSlots);
  const size_t slot = size_t(h - gen * kSlots);
  if (slot >= calls.slots.size() || !calls.slots[slot] || calls.generation[slot] != uint32_t(gen)) type_error("handle must be a prepared call");
  return *calls.slots[slot];
}

Prepared& prepared_arg(const RawArgs& args, size_t i, Kind kind) {
  double h;
  if (napi_get_value_double(args.env, args.argv[i], &h) != napi_ok) type_error("handle must be a prepared call");
  Prepared& p = call_of(h);
  if (p.kind != kind) type_error("handle is a prepared call of another kind");
  return p;
}

/** A kernel call (not a program) behind a handle: what a program's kernel step runs. */
const Prepared& kernel_call(double h) {
  const Prepared& p = call_of(h);
  if (p.kind == Kind::Program) type_error("a program step must be a kernel call");
  return p;
}

/** Runs body (which builds the result) and hands it, or the error, to JS. */
template <class Body>
napi_value guarded(napi_env env, Body&& body) {
  try {
    return body();
  } catch (const PendingJs&) {
    // A callback threw: its exception is pending and goes to the caller as it is.
  } catch (const CallError& e) {
    if (e.range) napi_throw_range_error(env, nullptr, e.message.c_str());
    else napi_throw_type_error(env, nullptr, e.message.c_str());
  } catch (const std::invalid_argument& e) {
    napi_throw_error(env, nullptr, e.what());
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, (std::string("kernel failed: ") + e.what()).c_str());
  }
  return nullptr;
}

napi_value ns_value(napi_env env, double ns) {
  napi_value out;
  napi_create_double(env, ns, &out);
  return out;
}

// The kernel work of one run of a prepared call on its operands, in the order its *Run entry point
// takes them (conv2d: x w bias y residual; gemm: a b c bias residual; binary: a b y; unary: x y),
// every length checked against the prepared shape. Shared by the entry points and by programs.
void execute(const Prepared& c, const F32* op) {
  switch (c.kind) {
    case Kind::Conv2d: {
      const F32 &x = op[0], &w = op[1], &bias = op[2], &y = op[3], &residual = op[4];
      need("x", x.length, c.need0);
      need("w", w.length, c.need1);
      need("y", y.length, c.need2);
      if (bias.data) need("bias", bias.length, c.needBias);
      Epilogue ep = c.ep;
      if (residual.data) need("residual", residual.length, c.need2), ep.residual = residual.data;
      conv2d(c.shape, x.data, w.data, bias.data, y.data, ep, c.request, c.threads);
      return;
    }
    case Kind::Gemm: {
      const F32 &a = op[0], &b = op[1], &cc = op[2], &bias = op[3], &residual = op[4];
      need("a", a.length, c.need0);
      need("b", b.length, c.need1);
      need("c", cc.length, c.need2);
      GemmArgs g = c.gemm;
      if (bias.data) need("bias", bias.length, c.needBias), g.ep.bias_n = bias.data;
      if (residual.data) need("residual", residual.length, c.need2), g.ep.residual = residual.data;
      g.A = a.data;
      g.B = b.data;
      g.C = cc.data;
      if (c.qvariant) {
        if (!c.qpacked || c.packedFrom != b.data) {
          c.qpacked = std::make_unique<QPackedB>(pack_qweights(c.qformat, b.data, g.ldb, g.transB, g.K, g.N));
          c.packedFrom = b.data;
        }
        qgemm(*c.qvariant, *c.qpacked, g.A, g.lda, g.M, g.C, g.ldc, g.ep, c.threads);
        return;
      }
      if (c.constantB) {
        if (!c.packed || c.packedFrom != b.data) {
          c.packed = std::make_unique<PackedB>(*c.variant, b.data, g.K, g.N, g.ldb, g.transB);
          c.packedFrom = b.data;
        }
        gemm_prepacked(g, *c.packed, c.threads);
      } else {
        gemm(*c.variant, g, c.batch, c.threads);
      }
      return;
    }
    case Kind::Binary: {
      const F32 &a = op[0], &b = op[1], &y = op[2];
      need("a", a.length, c.need0);
      need("b", b.length, c.need1);
      need("y", y.length, c.need2);
      binary_rows(*c.variant, c.binaryOp, a.data, c.startsA.data(), c.stepA, b.data, c.startsB.data(), c.stepB, y.data, c.n,
                  c.startsA.size(), c.threads);
      return;
    }
    case Kind::Unary: {
      const F32 &x = op[0], &y = op[1];
      need("y", y.length, double(x.length));
      unary_all(*c.variant, c.unaryOp, x.data, y.data, x.length, c.ep.alpha, c.ep.beta, c.threads);
      return;
    }
    default:
      type_error("not a kernel call");
  }
}

// ---- programs: a compiled graph run in one addon call ----

// One step of a program: a prepared kernel call on table entries, or a callback into JS for a
// node without a native kernel (it runs there and hands back the arrays of the outputs that
// later kernel steps read).
struct ProgramStep {
  double handle = -1;           // kernel step: the prepared call; -1 for a callback step
  std::vector<int32_t> operand;  // kernel step: table entries in the call's operand order (-1: none)
  std::vector<int32_t> rebind;   // callback step: table entries its returned arrays set
};

// The steps and the arrays they work on: a table of float arrays, fixed at creation (weights and
// the intermediate values kernels write, held by the JS program object) or set by each run (the
// graph's inputs) and by callbacks. The arrays are the per-run state: one program serves one run
// at a time.
struct Program {
  std::vector<ProgramStep> steps;
  std::vector<F32> table;
  std::vector<int32_t> inputs;
};

Prepared::Prepared(Kind k) : kind(k) {}
Prepared::~Prepared() = default;

size_t operand_count(Kind k) { return k == Kind::Conv2d || k == Kind::Gemm ? 5 : k == Kind::Binary ? 3 : 2; }

}  // namespace

// conv2dPrepare(params, variant) -> {handle, kernel, isa}
// params: N C H W M kH kW strideH strideW padT padL padB padR dilH dilW group outH outW, act actAlpha actBeta, threads
napi_value Conv2dPrepare(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    RawArgs args(env, info, 2, "conv2dPrepare(params, variant)");
    const double* p = args.params(0, kConvParams);
    auto call = std::make_unique<Prepared>(Kind::Conv2d);
    Conv2dShape& s = call->shape;
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
    call->ep = activation_in(p + kConvShapeFields);
    call->threads = threads_in(p[kConvShapeFields + 3]);
    call->request = args.string(1, "variant");
    KernelChoice k;
    try {
      k = conv2d_plan(s, call->request);
    } catch (const std::invalid_argument& e) {
      type_error(std::string("conv2d: ") + e.what());
    }
    call->need0 = double(s.N) * s.C * s.H * s.W;
    call->need1 = double(s.M) * (s.C / s.group) * s.kH * s.kW;
    call->need2 = double(s.N) * s.M * s.outH * s.outW;
    call->needBias = double(s.M);
    return handle_of(env, call.release(), k.kernel, k.isa.c_str());
  });
}

// conv2dRun(handle, x, w, bias|null, y, residual|null) -> ns
napi_value Conv2dRun(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    RawArgs args(env, info, 6, "conv2dRun(handle, x, w, bias, y, residual)");
    const Prepared& c = prepared_arg(args, 0, Kind::Conv2d);
    const F32 op[] = {args.f32(1, "x"), args.f32(2, "w"), args.f32(3, "bias", true), args.f32(4, "y"), args.f32(5, "residual", true)};
    return ns_value(env, timed_ns([&] { execute(c, op); }));
  });
}

// gemmPrepare(params, variant) -> {handle, kernel, isa}
// params: M N K transA transB alpha beta batch strideA strideB strideC, act actAlpha actBeta, threads;
// constantB (optional, default false): B is the same, never written array on every run.
// quant (optional): a weight format ("qsi8cx", "qsi4c32"): B is constant and quantized to it once,
// A quantized per row at every run (the int8/int4 modes); one matrix, A not transposed, alpha 1,
// beta 0. The variant then names a variant of that format's family, or "auto".
napi_value GemmPrepare(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    RawArgs args(env, info, 2, "gemmPrepare(params, variant, constantB, quant)");
    const double* p = args.params(0, kGemmParams);
    auto call = std::make_unique<Prepared>(Kind::Gemm);
    GemmArgs& g = call->gemm;
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
    GemmBatch& bt = call->batch;
    bt.count = whole(p[7], "batch");
    bt.strideA = whole(p[8], "strideA");
    bt.strideB = whole(p[9], "strideB");
    bt.strideC = whole(p[10], "strideC");
    g.ep = activation_in(p + 11);
    g.ep.ldr = g.ldc;
    call->threads = threads_in(p[14]);
    const std::string request = args.string(1, "variant");
    if (args.argc > 3 && !args.nullish(3)) {
      try {
        call->qformat = quant_format(args.string(3, "quant"));
      } catch (const std::invalid_argument& e) {
        type_error(e.what());
      }
      const KernelVariant* named = find_variant(request);
      call->qvariant = &variant_for(call->qformat.family, named && std::string(named->family) == call->qformat.family ? request : "auto");
      if (bt.count != 1 || g.transA || g.alpha != 1.0f || g.beta != 0.0f)
        range_error("a quantized GEMM takes one matrix, A not transposed, alpha 1 and beta 0");
      if (g.K > 65536) range_error("a quantized GEMM's depth K must be at most 65536 (its int32 sums would overflow)");
    }
    call->variant = &variant_for("matmul_f32", call->qvariant ? std::string("auto") : request);
    if (args.argc > 2 && !args.nullish(2)) {
      bool cb = false;
      if (napi_get_value_bool(env, args.argv[2], &cb) != napi_ok) type_error("constantB must be a boolean");
      // Packed once only where gemm() would pack: one matrix, a packed micro-kernel, 4+ rows.
      call->constantB = cb && bt.count == 1 && call->variant->matmul_ukernel && g.M >= 4;
    }
    const auto extent = [](size_t rows, size_t cols, size_t ld) { return rows == 0 || cols == 0 ? 0.0 : double(rows - 1) * ld + cols; };
    if (bt.count > 0) {
      const double last = double(bt.count - 1);
      call->need0 = g.M && g.K ? last * bt.strideA + (g.transA ? extent(g.K, g.M, g.lda) : extent(g.M, g.K, g.lda)) : 0;
      call->need1 = g.K && g.N ? last * bt.strideB + (g.transB ? extent(g.N, g.K, g.ldb) : extent(g.K, g.N, g.ldb)) : 0;
      call->need2 = g.M && g.N ? last * bt.strideC + extent(g.M, g.N, g.ldc) : 0;
      if (bt.count > 1 && g.M && g.N && bt.strideC < g.M * g.N) range_error("strideC must be at least M*N so batch outputs do not overlap");
    }
    call->needBias = double(g.N);
    // Products of 1 to 3 rows run on the GEMV kernel gemm() picks for this variant: name that one.
    const KernelVariant* ran = call->variant;
    if (call->qvariant) ran = call->qvariant;
    else if (!ran->matmul_full && g.M > 0 && g.M < 4) ran = &gemv_variant_for(*ran);
    return handle_of(env, call.release(), ran->name, ran->isa);
  });
}

// gemmRun(handle, a, b, c, bias|null, residual|null) -> ns
napi_value GemmRun(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    RawArgs args(env, info, 6, "gemmRun(handle, a, b, c, bias, residual)");
    const Prepared& c = prepared_arg(args, 0, Kind::Gemm);
    const F32 op[] = {args.f32(1, "a"), args.f32(2, "b"), args.f32(3, "c"), args.f32(4, "bias", true), args.f32(5, "residual", true)};
    return ns_value(env, timed_ns([&] { execute(c, op); }));
  });
}

// binaryPrepare(op, startsA, stepA, startsB, stepB, n, threads, variant) -> {handle, kernel, isa}
napi_value BinaryPrepare(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    RawArgs args(env, info, 8, "binaryPrepare(op, startsA, stepA, startsB, stepB, n, threads, variant)");
    auto call = std::make_unique<Prepared>(Kind::Binary);
    call->binaryOp = BinaryOp(whole(args.number(0, "op"), "op", double(size_t(BinaryOp::ScaleShift))));
    call->startsA = args.i32(1, "startsA");
    call->stepA = whole(args.number(2, "stepA"), "stepA", 1);
    call->startsB = args.i32(3, "startsB");
    call->stepB = whole(args.number(4, "stepB"), "stepB", 1);
    call->n = whole(args.number(5, "n"), "n");
    call->threads = threads_in(args.number(6, "threads"));
    call->variant = &variant_for("binary_f32", args.string(7, "variant"));
    const size_t rows = call->startsA.size();
    if (call->startsB.size() != rows) range_error("startsA and startsB must have one entry per row");
    // What each operand must hold: its last row start plus that row's extent. ScaleShift reads one
    // (scale, shift) pair per row.
    const size_t n = call->n;
    const double spanA = n == 0 ? 0 : double((n - 1) * call->stepA + 1);
    const double spanB = call->binaryOp == BinaryOp::ScaleShift ? 2 : n == 0 ? 0 : double((n - 1) * call->stepB + 1);
    for (size_t r = 0; r < rows; r++) {
      if (call->startsA[r] < 0 || call->startsB[r] < 0) range_error("row starts must be non-negative");
      call->need0 = std::max(call->need0, call->startsA[r] + spanA);
      call->need1 = std::max(call->need1, call->startsB[r] + spanB);
    }
    call->need2 = double(n) * double(rows);
    const KernelVariant& v = *call->variant;
    return handle_of(env, call.release(), v.name, v.isa);
  });
}

// binaryRun(handle, a, b, y) -> ns
napi_value BinaryRun(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    RawArgs args(env, info, 4, "binaryRun(handle, a, b, y)");
    const Prepared& c = prepared_arg(args, 0, Kind::Binary);
    const F32 op[] = {args.f32(1, "a"), args.f32(2, "b"), args.f32(3, "y")};
    return ns_value(env, timed_ns([&] { execute(c, op); }));
  });
}

// unaryPrepare(op, alpha, beta, threads, variant) -> {handle, kernel, isa}
napi_value UnaryPrepare(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    RawArgs args(env, info, 5, "unaryPrepare(op, alpha, beta, threads, variant)");
    auto call = std::make_unique<Prepared>(Kind::Unary);
    call->unaryOp = UnaryOp(whole(args.number(0, "op"), "op", double(size_t(UnaryOp::GeluTanh))));
    call->ep.alpha = float(args.number(1, "alpha"));
    call->ep.beta = float(args.number(2, "beta"));
    call->threads = threads_in(args.number(3, "threads"));
    call->variant = &variant_for("unary_f32", args.string(4, "variant"));
    const KernelVariant& v = *call->variant;
    return handle_of(env, call.release(), v.name, v.isa);
  });
}

// unaryRun(handle, x, y) -> ns
napi_value UnaryRun(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    RawArgs args(env, info, 3, "unaryRun(handle, x, y)");
    const Prepared& c = prepared_arg(args, 0, Kind::Unary);
    const F32 op[] = {args.f32(1, "x"), args.f32(2, "y")};
    return ns_value(env, timed_ns([&] { execute(c, op); }));
  });
}

// programCreate(spec, fixed) -> {handle, kernel, isa}
// spec (Float64Array): tableSize, inputCount, input entries..., stepCount, then per step either
// 1, handle, operandCount, operand entries... (a kernel step) or 0, rebindCount, entries... (a
// callback step). fixed: an Array of tableSize Float32Array|null, the arrays set at creation.
napi_value ProgramCreate(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    RawArgs args(env, info, 2, "programCreate(spec, fixed)");
    size_t n = 0;
    const double* p = static_cast<const double*>(args.typed(0, napi_float64_array, "a Float64Array", "spec", n));
    size_t at = 0;
    const auto next = [&](const char* what, double max) {
      if (at >= n) range_error("spec ends early");
      return whole(p[at++], what, max);
    };
    auto prog = std::make_unique<Program>();
    const size_t entries = next("tableSize", 1 << 24);
    prog->table.resize(entries);
    const auto entry = [&](bool optional) {
      const double d = at < n ? p[at] : 0;
      if (optional && d == -1) return at++, int32_t(-1);
      return int32_t(next("table entry", double(entries) - 1));
    };
    const size_t nin = next("inputCount", double(entries));
    for (size_t i = 0; i < nin; i++) prog->inputs.push_back(entry(false));
    const size_t nsteps = next("stepCount", 1 << 24);
    for (size_t i = 0; i < nsteps; i++) {
      ProgramStep st;
      if (next("step type", 1) == 1) {
        if (at >= n) range_error("spec ends early");
        st.handle = p[at++];
        const Prepared& call = kernel_call(st.handle);
        const size_t ops = next("operandCount", 5);
        if (ops != operand_count(call.kind)) range_error("step " + std::to_string(i) + ": wrong operand count for its call");
        for (size_t k = 0; k < ops; k++) st.operand.push_back(entry(true));
      } else {
        const size_t nr = next("rebindCount", double(entries));
        for (size_t k = 0; k < nr; k++) st.rebind.push_back(entry(false));
      }
      prog->steps.push_back(std::move(st));
    }
    if (at != n) range_error("spec has entries past its last step");
    bool isArray = false;
    uint32_t len = 0;
    if (napi_is_array(env, args.argv[1], &isArray) != napi_ok || !isArray || napi_get_array_length(env, args.argv[1], &len) != napi_ok ||
        len != entries)
      type_error("fixed must be an Array with one entry per table entry");
    for (uint32_t i = 0; i < len; i++) {
      napi_value v;
      if (napi_get_element(env, args.argv[1], i, &v) != napi_ok) type_error("fixed: bad entry");
      prog->table[i] = f32_of(env, v, "fixed entry", true);
    }
    auto call = std::make_unique<Prepared>(Kind::Program);
    call->program = std::move(prog);
    return handle_of(env, call.release(), "program", "");
  });
}

// programRun(handle, inputs, callback, times|null) -> ns the kernel steps took
// inputs: the arrays of the input entries, in order. callback(step) runs a callback step and
// returns an Array with the arrays of its rebind entries (or undefined when it has none).
// times (2 per step): each step's start and end, nanoseconds from the run's start.
napi_value ProgramRun(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    RawArgs args(env, info, 4, "programRun(handle, inputs, callback, times)");
    const Prepared& pc = call_of(args.number(0, "handle"));
    if (pc.kind != Kind::Program) type_error("handle must be a program");
    Program& prog = *pc.program;
    bool isArray = false;
    uint32_t len = 0;
    if (napi_is_array(env, args.argv[1], &isArray) != napi_ok || !isArray || napi_get_array_length(env, args.argv[1], &len) != napi_ok ||
        len != prog.inputs.size())
      type_error("inputs must be an Array with one array per program input");
    for (uint32_t i = 0; i < len; i++) {
      napi_value v;
      napi_get_element(env, args.argv[1], i, &v);
      prog.table[prog.inputs[i]] = f32_of(env, v, "input");
    }
    napi_valuetype cbType;
    if (napi_typeof(env, args.argv[2], &cbType) != napi_ok || cbType != napi_function) type_error("callback must be a function");
    double* times = nullptr;
    if (!args.nullish(3)) {
      size_t tn = 0;
      times = static_cast<double*>(args.typed(3, napi_float64_array, "a Float64Array", "times", tn));
      if (tn < 2 * prog.steps.size()) range_error("times needs 2 entries per step");
    }
    napi_value undefined;
    napi_get_undefined(env, &undefined);
    const auto t0 = std::chrono::steady_clock::now();
    const auto since = [&] {
      return double(std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
    };
    double kernelNs = 0;
    F32 op[5];
    for (size_t i = 0; i < prog.steps.size(); i++) {
      const ProgramStep& st = prog.steps[i];
      const double start = since();
      if (st.handle >= 0) {
        const Prepared& call = kernel_call(st.handle);
        for (size_t k = 0; k < st.operand.size(); k++) op[k] = st.operand[k] < 0 ? F32{} : prog.table[st.operand[k]];
        try {
          execute(call, op);
        } catch (const CallError& e) {
          throw CallError{e.range, "step " + std::to_string(i) + ": " + e.message};
        }
        const double end = since();
        kernelNs += end - start;
        if (times) times[2 * i] = start, times[2 * i + 1] = end;
        continue;
      }
      napi_value index, result;
      napi_create_uint32(env, uint32_t(i), &index);
      if (napi_call_function(env, undefined, args.argv[2], 1, &index, &result) != napi_ok) {
        bool pending = false;
        napi_is_exception_pending(env, &pending);
        if (pending) throw PendingJs{};
        type_error("step " + std::to_string(i) + ": the callback failed");
      }
      if (!st.rebind.empty()) {
        uint32_t rn = 0;
        if (napi_is_array(env, result, &isArray) != napi_ok || !isArray || napi_get_array_length(env, result, &rn) != napi_ok ||
            rn != st.rebind.size())
          type_error("step " + std::to_string(i) + ": the callback must return one array per output kernels read");
        for (uint32_t k = 0; k < rn; k++) {
          napi_value v;
          napi_get_element(env, result, k, &v);
          prog.table[st.rebind[k]] = f32_of(env, v, "callback output", true);
        }
      }
      if (times) times[2 * i] = start, times[2 * i + 1] = since();
    }
    return ns_value(env, kernelNs);
  });
}

// poolHold(threads) -> undefined: a model run begins; the pool's workers (threads - 1 of them)
// are woken and keep spinning between its ops until poolRelease().
napi_value PoolHold(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    RawArgs args(env, info, 1, "poolHold(threads)");
    const int threads = threads_in(args.number(0, "threads"));
    ThreadPool::instance().hold(size_t(std::max(threads, 1) - 1));
    return static_cast<napi_value>(nullptr);
  });
}

// poolRelease() -> undefined: the run that held the pool ended (or failed).
napi_value PoolRelease(napi_env env, napi_callback_info) {
  ThreadPool::instance().release();
  return nullptr;
}

Napi::Function RawFunction(Napi::Env env, const char* name, napi_callback fn) {
  napi_value f;
  NAPI_THROW_IF_FAILED(env, napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f), Napi::Function());
  return Napi::Function(env, f);
}

}  // namespace armml
