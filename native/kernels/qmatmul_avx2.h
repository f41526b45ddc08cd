// The AVX2 quantized tile (kernels.h, QMatmulTile): VPMADDWD on int16 pairs, exact for int8 and
// int4 weights alike. Per depth pair one broadcast of each row's two activations and two
// 8-column weight vectors (VPMOVSXBW for int8; for int4 one VPMOVZXBW and shifts give both
// nibbles); 2 x rows int32 accumulators, scaled per group, then the fp32 epilogue of the GEMM
// kernels on the registers. Each matmul_qai8dxp_*_avx2.cc instantiates it (compiled -mavx2 -mfma).
#pragma once
#include <immintrin.h>

#include <cstdint>
#include <cstring>

#include "kernels.h"
#include "vmath_avx2.h"

namespace armml {
namespace {

template <int Bits, int MR>
void qmatmul_tile_avx2_rows(const QMatmulTile& t) {
  __m256 out[MR][2];
  for (int r = 0; r < MR; r++) out[r][0] = out[r][1] = _mm256_setzero_ps();
  const size_t gbytes = qpanel_group_bytes(Bits, t.group);
  const uint8_t* g = t.b;
  for (size_t k0 = 0; k0 < t.kp; k0 += t.group, g += gbytes) {
    __m256i acc[MR][2];
    for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
    const int16_t* a = t.a + k0;
    for (size_t s = 0; s < t.group / 2; s++) {
      __m256i b0, b1;
      if (Bits == 8) {
        b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(g + s * 32)));
        b1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(g + s * 32 + 16)));
      } else {
        const __m256i x = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(g + s * 16)));
        b0 = _mm256_srai_epi16(_mm256_slli_epi16(x, 12), 12);
        b1 = _mm256_srai_epi16(_mm256_slli_epi16(x, 8), 12);
      }
#pragma GCC unroll 4
      for (int r = 0; r < MR; r++) {
        int32_t pair;
        std::memcpy(&pair, a + r * t.lda + 2 * s, sizeof pair);
        const __m256i av = _mm256_set1_epi32(pair);
        acc[r][0] = _mm256_add_epi32(acc[r][0], _mm256_madd_epi16(av, b0));
        acc[r][1] = _mm256_add_epi32(acc[r][1], _mm256_madd_epi16(av, b1));
      }
    }
    const float* scale = reinterpret_cast<const float*>(g + t.group * kQnr * Bits / 8);
    const int32_t* sum = reinterpret_cast<const int32_t*>(scale + kQnr);
    const __m256 s0 = _mm256_loadu_ps(scale), s1 = _mm256_loadu_ps(scale + 8);
    const __m256i c0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sum));
    const __m256i c1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(sum + 8));
    for (int r = 0; r < MR; r++) {
      const __m256i z = _mm256_set1_epi32(t.a_zero[r]);
      const __m256i v0 = _mm256_sub_epi32(acc[r][0], _mm256_mullo_epi32(z, c0));
      const __m256i v1 = _mm256_sub_epi32(acc[r][1], _mm256_mullo_epi32(z, c1));
      out[r][0] = _mm256_fmadd_ps(s0, _mm256_cvtepi32_ps(v0), out[r][0]);
      out[r][1] = _mm256_fmadd_ps(s1, _mm256_cvtepi32_ps(v1), out[r][1]);
    }
  }
  for (int r = 0; r < MR; r++) {
    const __m256 sa = _mm256_set1_ps(t.a_scale[r]);
    out[r][0] = _mm256_mul_ps(out[r][0], sa);
    out[r][1] = _mm256_mul_ps(out[r][1], sa);
  }
  if (t.cols == kQnr)
    vmath_avx2::store_tile<MR, 2>(out, t.c, t.ldc, false, t.ep);
  else
    vmath_avx2::store_tile_cols<MR, 2>(out, t.c, t.ldc, t.cols, false, t.ep);
}

template <int Bits>
void qmatmul_tile_avx2(const QMatmulTile& t) {
  switch (t.rows) {
    case 1: return qmatmul_tile_avx2_rows<Bits, 1>(t);
    case 2: return qmatmul_tile_avx2_rows<Bits, 2>(t);
    case 3: return qmatmul_tile_avx2_rows<Bits, 3>(t);
    default: return qmatmul_tile_avx2_rows<Bits, 4>(t);
  }
}

}  // namespace
}  // namespace armml
