#!/bin/bash
# kafka-topics.sh from the jars, where apache/kafka has it too (docker-compose.yml's health check).
exec java -Xmx256m -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties -cp '/opt/kafka/libs/*' org.apache.kafka.tools.TopicCommand "$@"
