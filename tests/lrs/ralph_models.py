"""Validate JSON documents with Ralph's xAPI models; runs inside Ralph's own virtualenv.

A JSON-lines server on stdin/stdout: each request names a model by its dotted path and gives the
data; each answer says whether it is valid and gives Ralph's parsed form (JSON mode, no nulls).
"""

import importlib
import json
import sys


def main() -> None:
    """Answer one validation request per input line until stdin closes."""
    for line in sys.stdin:
        request = json.loads(line)
        module_name, _, class_name = request["model"].rpartition(".")
        model = getattr(importlib.import_module(module_name), class_name)
        try:
            parsed = model(**request["data"])
        except Exception as error:
            answer = {"ok": False, "error": str(error)}
        else:
            answer = {"ok": True, "parsed": json.loads(parsed.model_dump_json(exclude_none=True))}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
