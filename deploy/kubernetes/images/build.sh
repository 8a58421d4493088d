#!/usr/bin/env bash
# Builds tipstream's two images for Kubernetes and pushes them to REGISTRY (e.g. an ACR login
# server), under the names deploy/kubernetes/overlays/azure/kustomization.yaml expects.
#   deploy/kubernetes/images/build.sh myregistry.azurecr.io [docker|podman]
# The connector jars come from the local stack's cache (`tipstream stack fetch` downloads and
# verifies them). Not run by the tests.
set -euo pipefail
registry="${1:?usage: build.sh REGISTRY [docker|podman]}"
engine="${2:-docker}"
root="$(cd "$(dirname "$0")/../../.." && pwd)"
cache="${TIPSTREAM_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/tipstream}"
context="$(mktemp -d)"
trap 'rm -rf "$context"' EXIT
mkdir -p "$context/connectors"
cp "$cache"/flink-connectors-2.2.1/*.jar "$context/connectors/"
"$engine" build -f "$root/deploy/kubernetes/images/flink.Dockerfile" -t "$registry/tipstream/flink:2.2.1" "$context"
"$engine" build -f "$root/deploy/kubernetes/images/tipstream.Dockerfile" -t "$registry/tipstream/tipstream:0.1.0" "$root"
"$engine" push "$registry/tipstream/flink:2.2.1"
"$engine" push "$registry/tipstream/tipstream:0.1.0"
