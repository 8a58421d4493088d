#!/bin/bash
# tipstream/flink entrypoint: the subset of the flink image's environment contract that
# stack/containers/CONTRACT.md lists. FLINK_PROPERTIES holds flat `key: value` lines laid over the
# image's conf/config.base.yaml (a later key wins); ENABLE_BUILT_IN_PLUGINS names jars (";"
# between them) to enable from opt/. The command is `jobmanager`, `taskmanager` or any program.
# TIPSTREAM_RENDER_ONLY=<dir> writes config.yaml there and exits (the unit test).
set -euo pipefail
home="${FLINK_HOME:-/opt/flink}"
out="${TIPSTREAM_RENDER_ONLY:-$home/conf}"
mkdir -p "$out"
{
  cat "$home/conf/config.base.yaml"
  printf '%s\n' "${FLINK_PROPERTIES:-}"
} | awk '
  /^[[:space:]]*(#|$)/ { next }
  {
    at = index($0, ":")
    if (at == 0) { print "FLINK_PROPERTIES: not a `key: value` line: " $0 > "/dev/stderr"; failed = 1; next }
    key = substr($0, 1, at - 1)
    if (!(key in line)) order[++n] = key
    line[key] = $0
  }
  END { if (failed) exit 1; for (i = 1; i <= n; i++) print line[order[i]] }
' >"$out/config.yaml.next"
mv "$out/config.yaml.next" "$out/config.yaml"

IFS=';' read -r -a plugins <<<"${ENABLE_BUILT_IN_PLUGINS:-}"
for jar in "${plugins[@]}"; do
  [ -n "$jar" ] || continue
  if [ -f "$home/opt/$jar" ]; then
    mkdir -p "$home/plugins/${jar%.jar}"
    cp "$home/opt/$jar" "$home/plugins/${jar%.jar}/"
  elif ! compgen -G "$home/plugins/*/$jar" >/dev/null; then
    echo "ENABLE_BUILT_IN_PLUGINS: no $jar in $home/opt or $home/plugins" >&2
    exit 1
  fi
done
if [ -n "${TIPSTREAM_RENDER_ONLY:-}" ]; then exit 0; fi

case "${1:-}" in
  jobmanager) exec "$home/bin/jobmanager.sh" start-foreground ;;
  taskmanager) exec "$home/bin/taskmanager.sh" start-foreground ;;
  '') echo "give a command: jobmanager, taskmanager or a program" >&2; exit 2 ;;
  *) exec "$@" ;;
esac
