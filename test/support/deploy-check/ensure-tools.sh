#!/usr/bin/env bash
# Makes the tools of the offline deploy checks, once per machine and per version of their inputs,
# in the user's cache, and prints where they are (KEY=PATH lines):
#   KUSTOMIZE_RENDER  kustomize/main.go built with Go against sigs.k8s.io/kustomize/api (go.mod)
#   PYTHON            a venv with requirements.txt (kubernetes-validate, tree-sitter-bicep)
# Several test files call it at once: flock lets one build while the others wait, then find it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/tipstream/deploy-check"
mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9

go_bin="$(command -v go || echo /usr/local/go/bin/go)"
[ -x "$go_bin" ] || { echo "deploy checks: Go is needed to build the Kustomize renderer (kustomize/go.mod)" >&2; exit 1; }
kustomize_hash="$(cat "$here/kustomize/main.go" "$here/kustomize/go.mod" "$here/kustomize/go.sum" | sha256sum | cut -c1-16)"
kustomize_render="$cache/kustomize-$kustomize_hash/kustomize-render"
if [ ! -x "$kustomize_render" ]; then
  mkdir -p "$(dirname "$kustomize_render")"
  # GOTOOLCHAIN=local: build with the Go that is here, never download another.
  (cd "$here/kustomize" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly "$go_bin" build -o "$kustomize_render.partial" .) >&2
  mv "$kustomize_render.partial" "$kustomize_render"
fi

python_hash="$(sha256sum "$here/requirements.txt" | cut -c1-16)"
venv="$cache/venv-$python_hash"
if [ ! -f "$venv/.complete" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --only-binary=:all: -r "$here/requirements.txt" >&2
  touch "$venv/.complete"
fi

echo "KUSTOMIZE_RENDER=$kustomize_render"
echo "PYTHON=$venv/bin/python"
