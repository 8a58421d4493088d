#!/usr/bin/env bash
# Podman as the Docker engine behind testcontainers, on a machine with no Docker (stack/CONTAINERS.md).
#
#   eval "$(stack/podman/service.sh start)"   # writes containers.conf, starts the API service, prints the exports
#   stack/podman/service.sh stop              # stops the service it started, by its pid
#
# Everything lives in one folder of its own ($TIPSTREAM_PODMAN_DIR, default
# ${TIPSTREAM_STATE_DIR:-~/.local/state/tipstream}/podman): nothing under /etc is edited. The
# settings are the ones this kind of machine needs (../shared/NOTES.md, "Containers on Podman"):
# runc (crun refuses hybrid cgroups), cgroupfs, file events, netavark, and raised ulimits.
set -euo pipefail
dir="${TIPSTREAM_PODMAN_DIR:-${TIPSTREAM_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/tipstream}/podman}"
conf="$dir/containers.conf"
socket="$dir/podman.sock"
pidfile="$dir/service.pid"

exports() {
  cat <<EXPORTS
export CONTAINERS_CONF='$conf'
export DOCKER_HOST='unix://$socket'
export TESTCONTAINERS_RYUK_DISABLED=true
export TESTCONTAINERS_HOST_OVERRIDE=127.0.0.1
EXPORTS
}

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

case "${1:-}" in
  start)
    command -v podman >/dev/null || { echo "podman is not installed (on Debian: apt-get install podman)" >&2; exit 1; }
    mkdir -p "$dir"
    # The containers' open-file limit is this shell's hard limit: more is refused, less starves Kafka and Cassandra.
    nofile="$(ulimit -Hn)"
    [ "$nofile" != unlimited ] || nofile=1048576
    cat >"$conf" <<CONF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[network]
network_backend = "netavark"
CONF
    if ! running; then
      rm -f "$socket"
      CONTAINERS_CONF="$conf" nohup podman system service --time=0 "unix://$socket" >"$dir/service.log" 2>&1 &
      echo $! >"$pidfile"
      for _ in $(seq 1 100); do
        if [ -S "$socket" ] && curl -sf --unix-socket "$socket" http://d/_ping >/dev/null 2>&1; then break; fi
        running || { echo "podman system service exited; see $dir/service.log" >&2; exit 1; }
        sleep 0.1
      done
      curl -sf --unix-socket "$socket" http://d/_ping >/dev/null || { echo "podman system service does not answer on $socket; see $dir/service.log" >&2; exit 1; }
    fi
    exports
    ;;
  stop)
    if running; then
      pid="$(cat "$pidfile")"
      kill "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -f "$pidfile" "$socket"
    ;;
  env) exports ;;
  *)
    echo "usage: $0 start | stop | env" >&2
    exit 2
    ;;
esac
