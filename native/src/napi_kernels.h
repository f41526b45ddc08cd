// N-API entry points (declared here, registered in addon.cc). Arguments are validated again here
// because a wrong length must become a JS exception, never an out-of-bounds write.
#pragma once
#include <napi.h>

namespace armml {

Napi::Value CpuInfoJs(const Napi::CallbackInfo& info);
Napi::Value VariantsJs(const Napi::CallbackInfo& info);
Napi::Value GemmJs(const Napi::CallbackInfo& info);
Napi::Value GemmAsyncJs(const Napi::CallbackInfo& info);
Napi::Value Conv2dJs(const Napi::CallbackInfo& info);
Napi::Value BinaryJs(const Napi::CallbackInfo& info);
Napi::Value UnaryJs(const Napi::CallbackInfo& info);
Napi::Value Pool2dJs(const Napi::CallbackInfo& info);
Napi::Value SoftmaxJs(const Napi::CallbackInfo& info);
Napi::Value LayerNormJs(const Napi::CallbackInfo& info);
/** Implemented in napi_peak.cc. */
Napi::Value MeasurePeakJs(const Napi::CallbackInfo& info);

}  // namespace armml
