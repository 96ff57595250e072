#!/usr/bin/env bash
# A real OCI registry for Morph's tests and demos: Debian's `docker-registry`
# package (distribution 2.x), on 127.0.0.1 only, with throwaway storage.
#
#   scripts/registry.sh install      install the package if it is missing
#   scripts/registry.sh start DIR    start one on a free port; storage, config,
#                                    log, pid and address (DIR/addr) live in DIR;
#                                    prints the address (127.0.0.1:PORT)
#   scripts/registry.sh stop DIR     stop the one started in DIR
#
# Tests spawn the binary themselves (they own the process) after running
# `install`; CI runs `install` before the tests. Fails loudly when the package
# cannot be installed.
set -euo pipefail

REGISTRY_BIN="${MORPH_REGISTRY_BIN:-docker-registry}"

have_registry() {
    command -v "$REGISTRY_BIN" >/dev/null 2>&1 || [ -x /usr/bin/docker-registry ]
}

install_registry() {
    if have_registry; then
        return 0
    fi
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    # The package's service must not start on :5000 by itself.
    $sudo env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq docker-registry >/dev/null
    if ! have_registry; then
        echo "error: docker-registry is still missing after apt-get install" >&2
        exit 1
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

write_config() { # DIR PORT
    cat >"$1/config.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $1/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$2
YAML
}

start_registry() { # DIR
    local dir port bin
    dir="$(mkdir -p "$1" && cd "$1" && pwd)"
    mkdir -p "$dir/storage"
    bin="$(command -v "$REGISTRY_BIN" || echo /usr/bin/docker-registry)"
    for _ in 1 2 3 4 5; do
        port="$(free_port)"
        write_config "$dir" "$port"
        "$bin" serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
        echo $! >"$dir/pid"
        for _ in $(seq 1 100); do
            if curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; then
                echo "127.0.0.1:$port" | tee "$dir/addr"
                return 0
            fi
            if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then break; fi
            sleep 0.1
        done
        kill "$(cat "$dir/pid")" 2>/dev/null || true
    done
    echo "error: the registry did not start; see $dir/registry.log" >&2
    exit 1
}

case "${1:-}" in
    install) install_registry ;;
    start) install_registry; start_registry "${2:?usage: registry.sh start DIR}" ;;
    stop) kill "$(cat "${2:?usage: registry.sh stop DIR}/pid")" 2>/dev/null || true ;;
    *) echo "usage: $0 install | start DIR | stop DIR" >&2; exit 2 ;;
esac
