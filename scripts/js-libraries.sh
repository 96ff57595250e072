#!/usr/bin/env bash
# The npm libraries of the JS library tests (cli/tests/js-libraries/, issue 29),
# bundled the way the author docs say (docs/npm-libraries.md): Debian's
# `esbuild` and `node-*` packages, so no npm registry is needed.
#
#   scripts/js-libraries.sh            install what is missing, then bundle
#                                      every test package's src/main.js into
#                                      its dist/main.js (gitignored build output)
#   scripts/js-libraries.sh install    only install the packages
#   scripts/js-libraries.sh bundle     only bundle
#
# CI runs it before `cargo test`; the tests fail (they do not skip) when a
# bundle is missing. Fails loudly when a package cannot be installed or a
# bundle cannot be built.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian package -> the directory it installs under /usr/share/nodejs.
PACKAGES=(
    "esbuild:"
    "node-lodash:lodash"
    "node-moment:moment"
    "node-ajv:ajv"
    "node-marked:marked"
    "node-markdown-it:markdown-it"
    "node-js-yaml:js-yaml"
    "node-yaml:yaml"
    "node-d3-dsv:d3-dsv"
    "node-uuid:uuid"
    "node-semver:semver"
    "node-qs:qs"
    "node-ms:ms"
    "node-he:he"
    "node-mustache:mustache"
    "handlebars:handlebars"
)
NODE_LIBS=/usr/share/nodejs
LIBRARIES_DIR=cli/tests/js-libraries

missing_packages() {
    local entry package dir
    for entry in "${PACKAGES[@]}"; do
        package="${entry%%:*}"
        dir="${entry#*:}"
        if [ -z "$dir" ]; then
            command -v "$package" >/dev/null 2>&1 || echo "$package"
        elif [ ! -f "$NODE_LIBS/$dir/package.json" ]; then
            echo "$package"
        fi
    done
}

install_packages() {
    local missing
    missing="$(missing_packages)"
    if [ -z "$missing" ]; then
        return 0
    fi
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086 # one package name per word
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
    missing="$(missing_packages)"
    if [ -n "$missing" ]; then
        echo "error: still missing after apt-get install: $missing" >&2
        exit 1
    fi
}

# The command of docs/npm-libraries.md, run in the package's directory: one
# ES module; `--platform=browser` resolves like a bundler for a runtime without
# Node (a package's `browser` field and condition, then `module`, then `main`
# for packages that declare only `main`) and honours the `browser` maps with
# which packages swap out their Node-only files. `--external:fs`: handlebars
# `require`s fs inside its `require.extensions` hook, a path never taken
# without Node, so the call may stay in the bundle (it would throw if reached).
# `--define:global=globalThis`: Node's name for the global object, which
# handlebars (and many packages) read at load.
# The packages are found through NODE_PATH (Debian's /usr/share/nodejs; an
# author's own node_modules needs no NODE_PATH).
bundle_package() { # DIR
    (
        cd "$1"
        NODE_PATH="$NODE_LIBS" esbuild src/main.js \
            --bundle --format=esm --platform=browser \
            --define:global=globalThis --external:fs \
            --log-level=warning --outfile=dist/main.js
    )
}

bundle_all() {
    local dir
    for dir in "$LIBRARIES_DIR"/*/; do
        [ -f "$dir/src/main.js" ] || continue
        bundle_package "$dir"
    done
}

case "${1:-all}" in
install) install_packages ;;
bundle) bundle_all ;;
all)
    install_packages
    bundle_all
    ;;
*)
    echo "usage: $0 [install|bundle]" >&2
    exit 2
    ;;
esac
