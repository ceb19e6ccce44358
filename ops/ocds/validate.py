#!/usr/bin/env python3
"""Validates what the marketplace publishes against the OCDS 1.1 schemas kept in schema/ (see
pin.py for where they come from). Nothing is fetched: every `$ref` resolves to a kept file.

    validate.py release-package FILE...   each FILE a release package (JSON)
    validate.py record-package FILE...    each FILE a record package (JSON)
    validate.py releases FILE...          each FILE JSON Lines, one release per line

Exits 1 listing every error, with where it is, when anything does not validate.
"""

import json
import pathlib
import sys

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

SCHEMA = pathlib.Path(__file__).resolve().parent / "schema"


def load(name):
    return json.loads((SCHEMA / name).read_text())


def registry():
    resources = []
    for name in ["release-schema.json", "release-package-schema.json", "record-package-schema.json"]:
        schema = load(name)
        resources.append((schema["id"], Resource.from_contents(schema, default_specification=DRAFT4)))
    return Registry().with_resources(resources)


def validator(name, reg):
    checker = jsonschema.Draft4Validator.FORMAT_CHECKER
    return jsonschema.Draft4Validator(load(name), registry=reg, format_checker=checker)


def documents(kind, path):
    text = pathlib.Path(path).read_text()
    if kind == "releases":
        return [(f"{path}:{n}", json.loads(line)) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    return [(path, json.loads(text))]


def main(argv):
    schemas = {
        "release-package": "release-package-schema.json",
        "record-package": "record-package-schema.json",
        "releases": "release-schema.json",
    }
    if len(argv) < 3 or argv[1] not in schemas:
        sys.exit(__doc__)
    check = validator(schemas[argv[1]], registry())
    errors, count = 0, 0
    for path in argv[2:]:
        for where, document in documents(argv[1], path):
            count += 1
            for error in sorted(check.iter_errors(document), key=lambda e: list(e.absolute_path)):
                errors += 1
                place = "/".join(str(p) for p in error.absolute_path)
                print(f"{where}: /{place}: {error.message}", file=sys.stderr)
    if count == 0:
        sys.exit(f"nothing to validate in {argv[2:]}")
    if errors:
        sys.exit(f"{errors} errors in {count} documents")
    print(f"{count} {argv[1]} documents valid against OCDS 1.1")


if __name__ == "__main__":
    main(sys.argv)
