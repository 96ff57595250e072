#!/usr/bin/env bash
# Installs the C-to-wasm toolchain that builds the C guests (sdk/c,
# examples/c-hello, runtime-wasm/tests/c-guest) from Debian's packages:
#   clang, lld                 the compiler and wasm-ld
#   wasi-libc                  libc for wasm32-wasi (/usr/include/wasm32-wasi and
#                              /usr/lib/wasm32-wasi: Debian's clang needs no --sysroot)
#   libclang-rt-dev-wasm32     compiler-rt builtins for wasm32
#   binaryen, wabt             wasm-opt; wasm-objdump and wasm2wat to inspect
# Idempotent: silent and quick when everything is installed; `apt-get update`
# runs only when something is missing. Runs apt as root, else through sudo
# when there is one.
set -euo pipefail

PACKAGES=(clang lld wasi-libc libclang-rt-dev-wasm32 binaryen wabt)

if ! command -v dpkg-query >/dev/null 2>&1; then
    # Not Debian: trust a toolchain already on PATH, else say what is needed.
    for tool in clang wasm-ld; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "wasm-toolchain.sh: no dpkg here and no $tool on PATH; install clang, lld," \
                "wasi-libc and compiler-rt for wasm32 (or wasi-sdk) yourself" >&2
            exit 1
        fi
    done
    exit 0
fi

installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for p in "${PACKAGES[@]}"; do
    installed "$p" || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "wasm-toolchain.sh: missing ${missing[*]}; run as root or install sudo" >&2
    exit 1
fi

echo "wasm-toolchain.sh: downloading and installing Debian packages (apt-get, once): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
