# Shared settings for Morph's scripts (sourced, not executed).
# A cached target dir survives fresh clones on the same machine (CI clones fresh).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/morph/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Exports MORPH_BIN, the `morph` binary a client test drives: as given, else
# the debug build (built when missing; rebuild it yourself after changing
# Rust code when running a client script alone).
use_morph_bin() {
    if [ -z "${MORPH_BIN:-}" ]; then
        MORPH_BIN="$CARGO_TARGET_DIR/debug/morph"
        if [ ! -x "$MORPH_BIN" ]; then
            cargo build -p morph-cli --locked --quiet
        fi
    fi
    export MORPH_BIN
}
