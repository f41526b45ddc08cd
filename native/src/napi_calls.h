// N-API entry points for prepared kernel calls (engine/native-calls.ts), registered in addon.cc:
// plain napi callbacks (RawFunction wraps one). The packed parameter layouts here and in
// engine/native-calls.ts must agree.
#pragma once
#include <napi.h>

#include <cstddef>

namespace armml {

/** Conv2dShape fields at the start of conv2dPrepare's params (N C H W M kH kW strideH strideW padT padL padB padR dilH dilW group outH outW). */
constexpr size_t kConvShapeFields = 18;
/** conv2dPrepare params: the shape, then act actAlpha actBeta, threads. */
constexpr size_t kConvParams = kConvShapeFields + 4;
/** gemmPrepare params: M N K transA transB alpha beta batch strideA strideB strideC act actAlpha actBeta threads. */
constexpr size_t kGemmParams = 15;

napi_value Conv2dPrepare(napi_env env, napi_callback_info info);
napi_value Conv2dRun(napi_env env, napi_callback_info info);
napi_value GemmPrepare(napi_env env, napi_callback_info info);
napi_value GemmRun(napi_env env, napi_callback_info info);
napi_value BinaryPrepare(napi_env env, napi_callback_info info);
napi_value BinaryRun(napi_env env, napi_callback_info info);
napi_value UnaryPrepare(napi_env env, napi_callback_info info);
napi_value UnaryRun(napi_env env, napi_callback_info info);
napi_value ProgramCreate(napi_env env, napi_callback_info info);
napi_value ProgramRun(napi_env env, napi_callback_info info);
napi_value PoolHold(napi_env env, napi_callback_info info);
napi_value PoolRelease(napi_env env, napi_callback_info info);
Napi::Function RawFunction(Napi::Env env, const char* name, napi_callback fn);

}  // namespace armml
