{
  # The native addon `armml`. ISA-specific kernel files are compiled in their own static
  # libraries (gyp cflags are per target) so only they get -mavx2/-mfma/-mavx512f (x64) or
  # -march=armv8.2-a+sve (arm64); the rest of the addon stays at the baseline ISA and runtime
  # dispatch picks kernels, so the build runs on any x86-64 or AArch64 core.
  "variables": {
    "armml_portable_kernels": [
      "native/kernels/matmul_f32_1x1_scalar_ref.cc",
      "native/kernels/matmul_f32_4x8_portable.cc",
      "native/kernels/conv2d_f32_1x1_scalar_ref.cc",
      "native/kernels/dwconv2d_f32_4x4_portable.cc",
      "native/kernels/binary_f32_1x1_scalar_ref.cc",
      "native/kernels/unary_f32_1x1_scalar_ref.cc",
      "native/kernels/peak_f32_8x4_portable.cc",
      "native/kernels/pool2d_f32_1x1_portable.cc",
      "native/kernels/gemv_f32_1x1_scalar_ref.cc",
      "native/kernels/gemv_f32_1x8_portable.cc",
      "native/kernels/softmax_f32_1x1_scalar_ref.cc",
      "native/kernels/layernorm_f32_1x1_scalar_ref.cc",
      "native/kernels/matmul_qai8dxp_qsi8cxp_4x16_portable.cc",
      "native/kernels/matmul_qai8dxp_qsi4c32p_4x16_portable.cc"
    ]
  },
  "targets": [
    {
      "target_name": "armml",
      "sources": [
        "native/src/addon.cc",
        "native/src/napi_kernels.cc",
        "native/src/napi_calls.cc",
        "native/src/cpu.cc",
        "native/src/threadpool.cc",
        "native/src/variants.cc",
        "native/src/gemm.cc",
        "native/src/gemv.cc",
        "native/src/conv.cc",
        "native/src/eltwise.cc",
        "native/src/peak.cc",
        "native/src/pool.cc",
        "native/src/rows.cc",
        "native/src/qgemm.cc",
        "native/src/napi_peak.cc",
        "<@(armml_portable_kernels)"
      ],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "cflags_cc": ["-std=c++17", "-O3"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "OTHER_CPLUSPLUSFLAGS": ["-O3"]
      },
      "conditions": [
        ["target_arch=='x64'", { "dependencies": ["armml_kernels_avx2", "armml_kernels_avx512"] }],
        ["target_arch=='arm64'", { "dependencies": ["armml_kernels_neon", "armml_kernels_sve"] }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "armml_kernels_avx2",
          "type": "static_library",
          "sources": [
            "native/kernels/matmul_f32_6x16_avx2_fma.cc",
            "native/kernels/dwconv2d_f32_4x8_avx2_fma.cc",
            "native/kernels/binary_f32_1x8_avx2_fma.cc",
            "native/kernels/unary_f32_1x8_avx2_fma.cc",
            "native/kernels/peak_f32_12x8_avx2_fma.cc",
            "native/kernels/gemv_f32_1x32_avx2_fma.cc",
            "native/kernels/softmax_f32_1x8_avx2_fma.cc",
            "native/kernels/layernorm_f32_1x8_avx2_fma.cc",
            "native/kernels/matmul_qai8dxp_qsi8cxp_4x16_avx2.cc",
            "native/kernels/matmul_qai8dxp_qsi4c32p_4x16_avx2.cc"
          ],
          "cflags_cc": ["-std=c++17", "-O3", "-fPIC", "-mavx2", "-mfma"],
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "OTHER_CPLUSPLUSFLAGS": ["-O3", "-mavx2", "-mfma"]
          }
        },
        {
          "target_name": "armml_kernels_avx512",
          "type": "static_library",
          "sources": [
            "native/kernels/matmul_f32_14x32_avx512.cc",
            "native/kernels/dwconv2d_f32_8x16_avx512.cc",
            "native/kernels/peak_f32_16x16_avx512.cc",
            "native/kernels/gemv_f32_1x64_avx512.cc",
            "native/kernels/softmax_f32_1x16_avx512.cc",
            "native/kernels/layernorm_f32_1x16_avx512.cc"
          ],
          "cflags_cc": ["-std=c++17", "-O3", "-fPIC", "-mavx512f", "-mavx2", "-mfma"],
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "OTHER_CPLUSPLUSFLAGS": ["-O3", "-mavx512f", "-mavx2", "-mfma"]
          }
        }
      ]
    }],
    ["target_arch=='arm64'", {
      "targets": [
        {
          "target_name": "armml_kernels_neon",
          "type": "static_library",
          "sources": [
            "native/kernels/matmul_f32_8x12_neon_fma.cc",
            "native/kernels/dwconv2d_f32_8x4_neon_fma.cc",
            "native/kernels/binary_f32_1x4_neon_fma.cc",
            "native/kernels/unary_f32_1x4_neon_fma.cc",
            "native/kernels/peak_f32_16x4_neon_fma.cc",
            "native/kernels/gemv_f32_1x16_neon_fma.cc",
            "native/kernels/softmax_f32_1x4_neon_fma.cc",
            "native/kernels/layernorm_f32_1x4_neon_fma.cc"
          ],
          "cflags_cc": ["-std=c++17", "-O3", "-fPIC"],
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "OTHER_CPLUSPLUSFLAGS": ["-O3"]
          }
        },
        {
          "target_name": "armml_kernels_sve",
          "type": "static_library",
          "sources": [
            "native/kernels/matmul_f32_8x2vl_sve.cc",
            "native/kernels/peak_f32_20x1vl_sve.cc"
          ],
          "cflags_cc": ["-std=c++17", "-O3", "-fPIC", "-march=armv8.2-a+sve"],
          "xcode_settings": {
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "OTHER_CPLUSPLUSFLAGS": ["-O3", "-march=armv8.2-a+sve"]
          }
        }
      ]
    }]
  ]
}
