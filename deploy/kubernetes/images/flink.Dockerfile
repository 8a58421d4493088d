# tipstream/flink: the official Flink 2.2.1 image (the one docker-compose.yml and the containers
# stack use) with the job's connector jars in lib/, for the JobManager, the TaskManagers and the
# SQL Gateway. build.sh puts the jars the local stack downloaded and verified into connectors/.
# Not built by the tests (docs/deploy.md, "What was checked here").
FROM flink:2.2.1-scala_2.12-java17
COPY connectors/*.jar /opt/flink/lib/
# Flink's Prometheus reporter ships as a plugin in the distribution; make it loadable.
RUN mkdir -p /opt/flink/plugins/metrics-prometheus \
 && (cp /opt/flink/opt/flink-metrics-prometheus-*.jar /opt/flink/plugins/metrics-prometheus/ 2>/dev/null || true)
