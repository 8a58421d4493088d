"""Parses Bicep files with tree-sitter-bicep and prints what tipstream's tests read from them.

For each file: syntax errors (ERROR and MISSING nodes, with line and column), and the parameter,
variable, resource and output declarations, their values as JSON where they are literals
(objects, arrays, strings without interpolation, numbers, booleans, null) and as
{"expr": "<source>"} where they are expressions. A resource declared with `for` or `if` gives
its body object and the loop or condition. Exits 1 when a file has a syntax error.
"""
import json
import sys

import tree_sitter
import tree_sitter_bicep

PARSER = tree_sitter.Parser(tree_sitter.Language(tree_sitter_bicep.language()))


def text(node):
    return node.text.decode("utf8")


def value(node):
    kind = node.type
    if kind == "object":
        out = {}
        for prop in node.named_children:
            if prop.type != "object_property":
                continue
            key_node, value_node = prop.named_children[0], prop.named_children[-1]
            key = value(key_node) if key_node.type == "string" else text(key_node)
            out[key if isinstance(key, str) else text(key_node)] = value(value_node)
        return out
    if kind == "array":
        return [value(child) for child in node.named_children if child.type not in ("comment",)]
    if kind == "string":
        parts = node.named_children
        if all(part.type in ("string_content", "escape_sequence") for part in parts):
            return "".join(text(part) if part.type == "string_content" else json.loads('"' + text(part).replace("\\'", "'") + '"') for part in parts)
        return {"expr": text(node)}
    if kind == "number":
        return int(text(node))
    if kind == "boolean":
        return text(node) == "true"
    if kind == "null":
        return None
    if kind == "parenthesized_expression" and node.named_child_count == 1:
        return value(node.named_children[0])
    return {"expr": text(node)}


def syntax_errors(node, out):
    if node.type == "ERROR" or node.is_missing:
        row, column = node.start_point
        out.append(f"line {row + 1}, column {column + 1}: {'missing ' + node.type if node.is_missing else 'unexpected ' + text(node)[:40]!r}")
    for child in node.children:
        syntax_errors(child, out)


def declaration(node):
    named = node.named_children
    kind = node.type
    if kind == "parameter_declaration":
        entry = {"name": text(named[0]), "type": text(named[1])}
        if len(named) > 2:
            entry["default"] = value(named[2])
        return "params", entry
    if kind == "variable_declaration":
        return "variables", {"name": text(named[0]), "value": value(named[-1])}
    if kind == "output_declaration":
        return "outputs", {"name": text(named[0]), "type": text(named[1]), "value": value(named[-1])}
    if kind == "resource_declaration":
        body = named[-1]
        entry = {"symbol": text(named[0]), "type": value(named[1])}
        if body.type == "for_statement":
            entry["loop"] = text(body).split(":", 1)[0].strip("[ ")
            body = next(child for child in body.named_children if child.type == "object")
        elif body.type == "if_statement":
            entry["condition"] = text(body.named_children[0])
            body = next(child for child in body.named_children if child.type == "object")
        entry["body"] = value(body)
        return "resources", entry
    return None, None


def parse(path):
    with open(path, "rb") as handle:
        tree = PARSER.parse(handle.read())
    result = {"file": path, "errors": [], "params": [], "variables": [], "resources": [], "outputs": []}
    syntax_errors(tree.root_node, result["errors"])
    for node in tree.root_node.named_children:
        group, entry = declaration(node)
        if group is not None:
            result[group].append(entry)
    return result


def main():
    results = [parse(path) for path in sys.argv[1:]]
    print(json.dumps(results))
    sys.exit(1 if any(result["errors"] for result in results) else 0)


if __name__ == "__main__":
    main()
