#!/usr/bin/env bash
# Cross-compiles the standalone kernel test for AArch64 and runs it under qemu-user with several
# CPU models, so Arm dispatch and NEON kernels are tested on an x86 machine:
#   max                 - every feature qemu emulates (dotprod, i8mm, bf16, sve, sve2 ...)
#   neoverse-n1         - Armv8.2 with dotprod, no SVE: must fall back, never SIGILL
#   a64fx               - SVE without dotprod
#   max,sve-max-vq=2    - 256-bit SVE
# Needs g++-aarch64-linux-gnu and qemu-user-static (apt). Prints "== cpu <model> ==" before each run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/build/kernel-test/aarch64"
mkdir -p "$out"
CXX="${CXX_AARCH64:-aarch64-linux-gnu-g++}"
QEMU="${QEMU_AARCH64:-qemu-aarch64-static}"
for tool in "$CXX" "$QEMU"; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install g++-aarch64-linux-gnu qemu-user-static)" >&2; exit 2; }
done

srcs=("$root"/native/src/{cpu,threadpool,variants,gemm,gemv,conv,eltwise,peak,pool,rows}.cc "$root"/native/test/kernel_test.cc)
for f in "$root"/native/kernels/*.cc; do
  case "$f" in *_avx2*|*_avx512*) ;; *) srcs+=("$f") ;; esac
done
# Plain armv8-a: the binary must run on every AArch64 core; newer ISA kernels are chosen at run time.
"$CXX" -std=c++17 -O2 -march=armv8-a -pthread -static "${srcs[@]}" -o "$out/kernel_test"

status=0
for cpu in ${ARM_TEST_CPUS:-max neoverse-n1 a64fx max,sve-max-vq=2}; do
  echo "== cpu $cpu =="
  if ! "$QEMU" -L /usr/aarch64-linux-gnu -cpu "$cpu" "$out/kernel_test"; then
    echo "FAIL cpu $cpu"
    status=1
  fi
done
exit $status
