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
  exports.Set("softmax", Napi::Function::New(env, armml::SoftmaxJs, "softmax"));
  exports.Set("layerNorm", Napi::Function::New(env, armml::LayerNormJs, "layerNorm"));
  exports.Set("measurePeak", Napi::Function::New(env, armml::MeasurePeakJs, "measurePeak"));
  // Prepared calls (a native handle per call shape, positional arrays, nanoseconds back): eager's hot path.
  exports.Set("conv2dPrepare", armml::RawFunction(env, "conv2dPrepare", armml::Conv2dPrepare));
  exports.Set("conv2dRun", armml::RawFunction(env, "conv2dRun", armml::Conv2dRun));
  exports.Set("gemmPrepare", armml::RawFunction(env, "gemmPrepare", armml::GemmPrepare));
  exports.Set("gemmRun", armml::RawFunction(env, "gemmRun", armml::GemmRun));
  exports.Set("binaryPrepare", armml::RawFunction(env, "binaryPrepare", armml::BinaryPrepare));
  exports.Set("binaryRun", armml::RawFunction(env, "binaryRun", armml::BinaryRun));
  exports.Set("unaryPrepare", armml::RawFunction(env, "unaryPrepare", armml::UnaryPrepare));
  exports.Set("unaryRun", armml::RawFunction(env, "unaryRun", armml::UnaryRun));
  // Programs: graph mode's compiled steps, one addon call per inference.
  exports.Set("programCreate", armml::RawFunction(env, "programCreate", armml::ProgramCreate));
  exports.Set("programRun", armml::RawFunction(env, "programRun", armml::ProgramRun));
  exports.Set("poolHold", armml::RawFunction(env, "poolHold", armml::PoolHold));
  exports.Set("poolRelease", armml::RawFunction(env, "poolRelease", armml::PoolRelease));
  return exports;
}

}  // namespace

NODE_API_MODULE(armml, Init)
