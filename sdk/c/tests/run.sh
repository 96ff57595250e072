#!/usr/bin/env bash
# Runs the C SDK's native unit tests (sdk/c/tests/morph_test.c) with the
# host's C compiler under AddressSanitizer and UBSan: the JSON reader and
# writer, the version-2 result blocks and the capability wire shapes.
# Prints "sdk/c: N passed, M failed"; exits non-zero on a failure.
set -euo pipefail
cd "$(dirname "$0")"
CC="${CC:-cc}"
out="$(mktemp -d "${TMPDIR:-/tmp}/morph-sdk-c.XXXXXX")"
trap 'rm -rf "$out"' EXIT
"$CC" -std=c11 -g -O1 -Wall -Wextra -Werror \
    -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
    -o "$out/morph_test" morph_test.c -lm
"$out/morph_test"
