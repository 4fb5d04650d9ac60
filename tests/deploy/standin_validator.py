"""STAND-IN for local-alb's check_response (the real one is a cargo example; most tests use this
to avoid cargo): the rules of ALB responses that the fake packages' answers can break.
Reads the response JSON on stdin; exit 0 when acceptable, 1 with the reason."""
import json
import sys

multi = "--multi-value" in sys.argv[1:]
try:
    r = json.load(sys.stdin)
except ValueError as e:
    sys.exit(f"not JSON: {e}")
if not isinstance(r, dict) or not isinstance(r.get("statusCode"), int):
    sys.exit("statusCode missing or not a number")
if not isinstance(r.get("body", ""), str):
    sys.exit("body is not a string")
if multi and "headers" in r and "multiValueHeaders" not in r:
    sys.exit("multi-value mode: headers must be in multiValueHeaders")
