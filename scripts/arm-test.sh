#!/usr/bin/env bash
# Cross-compiles the standalone kernel test for AArch64 and runs it under qemu-user with several
# CPU models, so Arm dispatch and NEON kernels are tested on an x86 machine:
#   max                 - every feature qemu emulates (dotprod, i8mm, bf16, sve, sve2 ...), 512-bit SVE
#   neoverse-n1         - Armv8.2 with dotprod, no SVE: must fall back, never SIGILL
#   a64fx               - 512-bit SVE without dotprod
#   max,sve-max-vq=1    - 128-bit SVE
#   max,sve-max-vq=2    - 256-bit SVE
#   max,sve-max-vq=4    - 512-bit SVE (the vector-length agnostic kernels must agree at every length)
# Needs g++-aarch64-linux-gnu and qemu-user-static (apt). Prints "== cpu <model> ==" before each run.
# Objects are kept in build/kernel-test/aarch64 and rebuilt when their source or any header changes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/build/kernel-test/aarch64"
mkdir -p "$out"
CXX="${CXX_AARCH64:-aarch64-linux-gnu-g++}"
QEMU="${QEMU_AARCH64:-qemu-aarch64-static}"
for tool in "$CXX" "$QEMU"; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install g++-aarch64-linux-gnu qemu-user-static)" >&2; exit 2; }
done

# Plain armv8-a: the binary must run on every AArch64 core; newer ISA kernels are chosen at run
# time. Each *_sve* kernel file alone gets -march=armv8.2-a+sve (as in binding.gyp). Objects
# compile ARM_TEST_JOBS (2) at a time.
flags=(-std=c++17 -O2 -pthread -Wall -Wextra)
jobs="${ARM_TEST_JOBS:-2}"
stale=""
[ -e "$out/.stamp" ] && [ -z "$(find "$root/native" -name '*.h' -newer "$out/.stamp" | head -1)" ] && [ ! "$0" -nt "$out/.stamp" ] || stale=1
rm -f "$out/.failed"
objs=()
compile() { # file -march
  local src="$1" march="$2"
  local obj="$out/$(basename "${src%.cc}").o"
  objs+=("$obj")
  [ -z "$stale" ] && [ -e "$obj" ] && [ ! "$src" -nt "$obj" ] && return 0
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  { "$CXX" "${flags[@]}" "-march=$march" -c "$src" -o "$obj" || touch "$out/.failed"; } &
}
for f in "$root"/native/src/{cpu,threadpool,variants,gemm,gemv,conv,eltwise,peak,pool,rows,qgemm}.cc "$root"/native/test/kernel_test.cc; do
  compile "$f" armv8-a
done
for f in "$root"/native/kernels/*.cc; do
  case "$f" in
    *_avx2*|*_avx512*) ;;
    *_sve*) compile "$f" armv8.2-a+sve ;;
    *) compile "$f" armv8-a ;;
  esac
done
wait
[ ! -e "$out/.failed" ] || { echo "compile failed" >&2; exit 1; }
touch "$out/.stamp"
"$CXX" -pthread -static "${objs[@]}" -o "$out/kernel_test"

# glibc picks its SVE memcpy/memset for A64FX by MIDR; under qemu those run ~25x slower than its
# generic routines and made the a64fx run the slowest by far. The tunable only changes glibc's
# string functions: the kernel dispatch reads HWCAP and MIDR itself and still selects SVE there.
export GLIBC_TUNABLES=glibc.cpu.name=generic
status=0
for cpu in ${ARM_TEST_CPUS:-max neoverse-n1 a64fx max,sve-max-vq=1 max,sve-max-vq=2 max,sve-max-vq=4}; do
  echo "== cpu $cpu =="
  if ! "$QEMU" -L /usr/aarch64-linux-gnu -cpu "$cpu" "$out/kernel_test"; then
    echo "FAIL cpu $cpu"
    status=1
  fi
done
exit $status
