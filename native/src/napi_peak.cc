// measurePeak({threads, ms, bytes?, variant?}) -> {gflops, gflops_per_thread, gbps, threads,
// measured_ms, kernel, isa}. Runs synchronously: callers budget ~100-200 ms for it.
#include <cmath>
#include <stdexcept>
#include <string>

#include "napi_kernels.h"
#include "peak.h"

namespace armml {

namespace {

double get_number(Napi::Env env, const Napi::Object& o, const char* key, double dflt, double lo, double hi) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return dflt;
  if (!v.IsNumber()) throw Napi::TypeError::New(env, std::string(key) + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= lo && d <= hi)) {
    throw Napi::RangeError::New(env, std::string(key) + " must be between " + std::to_string(lo) + " and " +
                                         std::to_string(hi) + ", got " + v.ToString().Utf8Value());
  }
  return d;
}

}  // namespace

Napi::Value MeasurePeakJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "measurePeak options must be an object");
    o = info[0].As<Napi::Object>();
  }
  PeakOptions opts;
  opts.threads = int(get_number(env, o, "threads", 1, 1, 256));
  opts.ms = get_number(env, o, "ms", 100, 1, 60000);
  opts.bytes = size_t(get_number(env, o, "bytes", double(opts.bytes), 0, double(size_t(1) << 34)));
  const Napi::Value variant = o.Get("variant");
  if (!variant.IsUndefined()) {
    if (!variant.IsString()) throw Napi::TypeError::New(env, "variant must be a string");
    opts.variant = variant.As<Napi::String>().Utf8Value();
  }
  PeakResult r;
  try {
    r = measure_peak(opts);
  } catch (const std::invalid_argument& e) {
    throw Napi::Error::New(env, e.what());
  } catch (const std::bad_alloc&) {
    throw Napi::Error::New(env, "measurePeak: could not allocate the " + std::to_string(opts.bytes >> 20) +
                                    " MB bandwidth buffer; pass a smaller bytes");
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("gflops", r.gflops);
  out.Set("gflops_per_thread", r.gflops_per_thread);
  out.Set("gbps", r.gbps);
  out.Set("threads", r.threads);
  out.Set("measured_ms", r.measured_ms);
  out.Set("kernel", r.kernel);
  out.Set("isa", r.isa);
  return out;
}

}  // namespace armml
