#!/bin/bash
# tipstream/kafka entrypoint: the subset of apache/kafka's environment contract that
# stack/containers/CONTRACT.md lists. Every KAFKA_* variable but the JVM ones is a broker setting,
# named as apache/kafka names them: KAFKA_LOG_DIRS is log.dirs ("_" is ".", "__" is "_", "___" is
# "-"). TIPSTREAM_RENDER_ONLY=<dir> writes server.properties there and exits (the unit test).
set -euo pipefail
home=/opt/kafka
out="${TIPSTREAM_RENDER_ONLY:-$home/config}"
mkdir -p "$out"
props="$out/server.properties"
: >"$props"
for var in $(compgen -e | sort); do
  case "$var" in
    KAFKA_HEAP_OPTS | KAFKA_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_LOG4J_OPTS | KAFKA_GC_LOG_OPTS | KAFKA_JMX_OPTS | KAFKA_DEBUG) continue ;;
    KAFKA_*) ;;
    *) continue ;;
  esac
  key="$(printf '%s' "${var#KAFKA_}" | tr '[:upper:]' '[:lower:]' | sed -e 's/___/-/g' -e 's/__/\x01/g' -e 's/_/./g' -e 's/\x01/_/g')"
  printf '%s=%s\n' "$key" "${!var}" >>"$props"
done
grep -q '^log\.dirs=' "$props" || printf 'log.dirs=/var/lib/kafka/data\n' >>"$props"
if [ -n "${TIPSTREAM_RENDER_ONLY:-}" ]; then exit 0; fi

classpath="$home/libs/*"
log4j="-Dlog4j2.configurationFile=$home/config/log4j2.properties"
logdir="$(sed -n 's/^log\.dirs=//p' "$props" | cut -d, -f1)"
if [ ! -f "$logdir/meta.properties" ]; then
  # apache/kafka's default cluster id when CLUSTER_ID is unset.
  java -cp "$classpath" "$log4j" kafka.tools.StorageTool format -t "${CLUSTER_ID:-5L6g3nShT-eMCtK--X86sw}" -c "$props" --ignore-formatted
fi
# shellcheck disable=SC2086 # KAFKA_HEAP_OPTS holds several options
exec java ${KAFKA_HEAP_OPTS:--Xmx1g -Xms1g} -XX:+UseG1GC "$log4j" -cp "$classpath" kafka.Kafka "$props"
