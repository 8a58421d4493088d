"""Validates a stream of rendered Kubernetes manifests (YAML on stdin) offline.

Core and apps/batch/rbac kinds: kubernetes-validate's bundled OpenAPI schemas of the Kubernetes
version given as the first argument, strict (an unknown field is an error, as `kubectl apply
--validate=strict` makes it). FlinkDeployment: tipstream's schema derived from the operator's CRD
(flinkdeployment.schema.json, or the file given as the second argument), and its pod templates
as core v1 PodTemplates. Prints one JSON object: {"checked": [...], "errors": [...]}; exits 1
when there is an error.
"""
import json
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml


def pod_template_errors(template, where, version):
    """A FlinkDeployment's podTemplate, checked as the template of a core v1 PodTemplate."""
    body = {k: v for k, v in template.items() if k not in ("apiVersion", "kind")}
    wrapper = {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "check"}, "template": body}
    return [f"{where}: {message}" for message in core_errors(wrapper, version)]


def core_errors(doc, version):
    try:
        kubernetes_validate.validate(doc, version, strict=True)
    except kubernetes_validate.ValidationError as err:
        path = ".".join(str(p) for p in err.path)
        return [f"{path}: {err.message}" if path else err.message]
    except kubernetes_validate.SchemaNotFoundError as err:
        return [f"no schema for {doc.get('apiVersion')}/{doc.get('kind')} in Kubernetes {version}: {err}"]
    return []


def flink_errors(doc, validator, version):
    errors = [
        f"{'.'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    ]
    spec = doc.get("spec") or {}
    templates = [("spec.podTemplate", spec.get("podTemplate"))]
    templates += [(f"spec.{part}.podTemplate", (spec.get(part) or {}).get("podTemplate")) for part in ("jobManager", "taskManager")]
    for where, template in templates:
        if isinstance(template, dict):
            errors += pod_template_errors(template, where, version)
    return errors


def main():
    version = sys.argv[1]
    schema_file = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).with_name("flinkdeployment.schema.json")
    schema = json.loads(schema_file.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    checked, errors = [], []
    for doc in yaml.safe_load_all(sys.stdin):
        if not doc:
            continue
        name = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
        if doc.get("kind") == "FlinkDeployment":
            found = flink_errors(doc, validator, version)
        else:
            found = core_errors(doc, version)
        checked.append(name)
        errors += [f"{name}: {message}" for message in found]
    print(json.dumps({"checked": checked, "errors": errors}))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
