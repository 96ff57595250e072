# Shared settings for Morph's scripts (sourced, not executed).
# A cached target dir survives fresh clones on the same machine (CI clones fresh).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/morph/target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
