#!/bin/bash
# tipstream/cassandra entrypoint: the subset of the cassandra image's environment contract that
# stack/containers/CONTRACT.md lists (MAX_HEAP_SIZE, HEAP_NEWSIZE, CASSANDRA_CLUSTER_NAME,
# CASSANDRA_DC, CASSANDRA_RACK, CASSANDRA_ENDPOINT_SNITCH), one node listening on the container's
# address. TIPSTREAM_RENDER_ONLY=<dir> writes cassandra.yaml and cassandra-rackdc.properties there
# and exits (the unit test).
set -euo pipefail
home="${CASSANDRA_HOME:-/opt/cassandra}"
out="${TIPSTREAM_RENDER_ONLY:-$home/conf}"
mkdir -p "$out"
address="${TIPSTREAM_ADDRESS:-$(hostname -i | cut -d' ' -f1)}"
escape() { printf '%s' "$1" | sed -e 's/[\/&|]/\\&/g'; }
sed -e "s|__ADDRESS__|$(escape "$address")|g" \
  -e "s|__CLUSTER_NAME__|$(escape "${CASSANDRA_CLUSTER_NAME:-Test Cluster}")|g" \
  -e "s|__ENDPOINT_SNITCH__|$(escape "${CASSANDRA_ENDPOINT_SNITCH:-SimpleSnitch}")|g" \
  "$home/conf/cassandra.template.yaml" >"$out/cassandra.yaml"
printf 'dc=%s\nrack=%s\n' "${CASSANDRA_DC:-datacenter1}" "${CASSANDRA_RACK:-rack1}" >"$out/cassandra-rackdc.properties"
if [ -n "${TIPSTREAM_RENDER_ONLY:-}" ]; then exit 0; fi

heap="${MAX_HEAP_SIZE:-1024M}"
mapfile -t jvm <"$home/conf/jvm17.options"
exec java "-Xms$heap" "-Xmx$heap" "-Xmn${HEAP_NEWSIZE:-256M}" "${jvm[@]}" \
  "-Dcassandra.config=file://$home/conf/cassandra.yaml" \
  -Dcassandra.storagedir=/var/lib/cassandra -Dcassandra.logdir=/var/log/cassandra -Dcassandra-foreground=yes \
  "-Dlogback.configurationFile=$home/conf/logback.xml" \
  -Dcassandra.skip_wait_for_gossip_to_settle=0 -Dcassandra.ring_delay_ms=0 \
  -cp "$home/conf:$home/lib/*" org.apache.cassandra.service.CassandraDaemon
