#!/usr/bin/env bash
# Builds the standalone kernel test (native/test/kernel_test.cc, no Node) for this machine and runs it
# (plus, on x86-64 with qemu-user, on an emulated CPU without AVX2).
# ISA-specific kernel files get their own flags, exactly as in binding.gyp, so the binary still
# runs on CPUs without those extensions (runtime dispatch decides).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/build/kernel-test/native"
mkdir -p "$out"
CXX="${CXX:-g++}"
flags=(-std=c++17 -O2 -pthread -Wall -Wextra)
objs=()
compile() { # file extra-flags...
  local src="$1"; shift
  local obj="$out/$(basename "${src%.cc}").o"
  "$CXX" "${flags[@]}" "$@" -c "$src" -o "$obj"
  objs+=("$obj")
}
for f in "$root"/native/src/{cpu,threadpool,variants,gemm,gemv,conv,eltwise,peak,pool,rows,qgemm}.cc "$root"/native/test/kernel_test.cc; do compile "$f"; done
for f in "$root"/native/kernels/*.cc; do
  case "$f" in
    *_avx2*.cc) [ "$(uname -m)" = x86_64 ] && compile "$f" -mavx2 -mfma ;;
    *_avx512*.cc) [ "$(uname -m)" = x86_64 ] && compile "$f" -mavx512f -mavx2 -mfma ;;
    *_neon*.cc) [ "$(uname -m)" = aarch64 ] && compile "$f" ;;
    *_sve*.cc) [ "$(uname -m)" = aarch64 ] && compile "$f" -march=armv8.2-a+sve ;;
    *) compile "$f" ;;
  esac
done
"$CXX" -pthread "${objs[@]}" -o "$out/kernel_test"
echo "== cpu native =="
status=0
"$out/kernel_test" || status=1
# On x86-64, also prove the dispatch falls back (no SIGILL) on a CPU without AVX2, when qemu is there.
if [ "$(uname -m)" = x86_64 ] && command -v qemu-x86_64-static >/dev/null; then
  echo "== cpu Westmere =="
  qemu-x86_64-static -cpu Westmere "$out/kernel_test" || status=1
fi
exit $status
