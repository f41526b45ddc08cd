// The addon's export list, nothing else: implementations live in napi_kernels.cc and napi_calls.cc.
#include <napi.h>

#include "napi_calls.h"
#include "napi_kernels.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("cpuInfo", Napi::Function::New(env, armml::CpuInfoJs, "cpuInfo"));
  exports.Set("variants", Napi::Function::New(env, armml::VariantsJs, "variants"));
  exports.Set("gemm", Napi::Function::New(env, armml::GemmJs, "gemm"));
  exports.Set("gemmAsync", Napi::Function::New(env, armml::GemmAsyncJs, "gemmAsync"));
  exports.Set("conv2d", Napi::Function::New(env, armml::Conv2dJs, "conv2d"));
  exports.Set("binary", Napi::Function::New(env, armml::BinaryJs, "binary"));
  exports.Set("unary", Napi::Function::New(env, armml::UnaryJs, "unary"));
  exports.Set("pool2d", Napi::Function::New(env, armml::Pool2dJs, "pool2d"));
  exports.Set("measurePeak", Napi::Function::New(env, armml::MeasurePeakJs, "measurePeak"));
  // Prepared calls (positional arguments, packed shapes, nanoseconds back): eager's hot path.
  exports.Set("resolveVariant", Napi::Function::New(env, armml::ResolveVariantJs, "resolveVariant"));
  exports.Set("conv2dKernel", Napi::Function::New(env, armml::Conv2dKernelJs, "conv2dKernel"));
  exports.Set("conv2dCall", armml::RawFunction(env, "conv2dCall", armml::Conv2dCall));
  exports.Set("gemmCall", armml::RawFunction(env, "gemmCall", armml::GemmCall));
  exports.Set("binaryCall", armml::RawFunction(env, "binaryCall", armml::BinaryCall));
  exports.Set("unaryCall", armml::RawFunction(env, "unaryCall", armml::UnaryCall));
  return exports;
}

}  // namespace

NODE_API_MODULE(armml, Init)
