#!/usr/bin/env python3
"""One AWS API call through boto3 (installed with moto), for tests: the independent party that
sets up state our clients then read.

usage: boto3_call.py SERVICE OPERATION [PARAMS_JSON]
Endpoint, region and credentials come from AWS_ENDPOINT_URL / AWS_REGION / AWS_ACCESS_KEY_ID …
A parameter named <Name>Base64 is passed as bytes under <Name>. Prints the result as JSON.
"""
import base64
import json
import sys

import boto3


def main():
    service, operation = sys.argv[1], sys.argv[2]
    params = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    for key in [k for k in params if k.endswith("Base64")]:
        params[key[: -len("Base64")]] = base64.b64decode(params.pop(key))
    result = getattr(boto3.client(service), operation)(**params)
    result.pop("ResponseMetadata", None)
    json.dump(result, sys.stdout, default=lambda o: base64.b64encode(o).decode() if isinstance(o, bytes) else str(o))


if __name__ == "__main__":
    main()
