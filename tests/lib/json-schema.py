#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks a hallmark --output json document against docs/schemas/.

    json-schema.py [FILE]     (stdin without FILE)

The document must be exactly one JSON value: an object valid under
envelope.json and under the schema of its "command" (spaces as dashes).
Prints every violation and exits 1 when there is one, 0 otherwise."""
import json
import os
import sys

import jsonschema

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMAS = os.path.join(HERE, "..", "..", "docs", "schemas")


def load(name):
    with open(os.path.join(SCHEMAS, name + ".json"), encoding="utf-8") as f:
        return json.load(f)


def main():
    text = open(sys.argv[1], encoding="utf-8").read() if len(sys.argv) > 1 else sys.stdin.read()
    try:
        doc = json.loads(text)
    except ValueError as e:
        print("json-schema: not one JSON document: %s" % e)
        return 1
    bad = []
    for schema in ("envelope", str(doc.get("command", "?")).replace(" ", "-") if isinstance(doc, dict) else "?"):
        try:
            s = load(schema)
        except OSError:
            bad.append("no schema '%s'" % schema)
            continue
        jsonschema.Draft202012Validator.check_schema(s)
        for e in jsonschema.Draft202012Validator(s).iter_errors(doc):
            bad.append("%s: /%s: %s" % (schema, "/".join(str(p) for p in e.absolute_path), e.message))
    for b in bad:
        print("json-schema: " + b)
    return 1 if bad else 0


sys.exit(main())
