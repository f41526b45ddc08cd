// The addon's export list, nothing else: implementations live in napi_kernels.cc.
#include <napi.h>

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
  exports.Set("softmax", Napi::Function::New(env, armml::SoftmaxJs, "softmax"));
  exports.Set("layerNorm", Napi::Function::New(env, armml::LayerNormJs, "layerNorm"));
  exports.Set("measurePeak", Napi::Function::New(env, armml::MeasurePeakJs, "measurePeak"));
  return exports;
}

}  // namespace

NODE_API_MODULE(armml, Init)
