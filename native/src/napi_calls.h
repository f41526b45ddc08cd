// N-API entry points for prepared kernel calls (engine/native.ts prepare*), registered in addon.cc.
// The packed parameter layouts here and in engine/native.ts must agree.
#pragma once
#include <napi.h>

#include <cstddef>

namespace armml {

/** Conv2dShape fields at the start of conv2dCall's params (N C H W M kH kW strideH strideW padT padL padB padR dilH dilW group outH outW). */
constexpr size_t kConvShapeFields = 18;
/** conv2dCall params: the shape, then act actAlpha actBeta, threads, variant code. */
constexpr size_t kConvParams = kConvShapeFields + 5;
/** gemmCall params: M N K transA transB alpha beta batch strideA strideB strideC act actAlpha actBeta threads variant. */
constexpr size_t kGemmParams = 16;

Napi::Value ResolveVariantJs(const Napi::CallbackInfo& info);
Napi::Value Conv2dKernelJs(const Napi::CallbackInfo& info);

// The calls themselves are plain napi callbacks (see napi_calls.cc); RawFunction wraps one.
napi_value Conv2dCall(napi_env env, napi_callback_info info);
napi_value GemmCall(napi_env env, napi_callback_info info);
napi_value BinaryCall(napi_env env, napi_callback_info info);
napi_value UnaryCall(napi_env env, napi_callback_info info);
Napi::Function RawFunction(Napi::Env env, const char* name, napi_callback fn);

}  // namespace armml
