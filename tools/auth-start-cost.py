#!/usr/bin/env python3
"""Start-up cost of a private site: `bootstrap invoke` of the health event (exec, init, one
answer, exit), median of N runs, with the login off and on (SITE_AUTH_SIGNER set: the settings
are checked and the TLS client for the key fetch is made), alternating, three rounds.

usage: tools/auth-start-cost.py [BOOTSTRAP] [N]   (default dist/bootstrap, 200)
"""
import os
import statistics
import subprocess
import sys
import time

binary = sys.argv[1] if len(sys.argv) > 1 else "dist/bootstrap"
n = int(sys.argv[2]) if len(sys.argv) > 2 else 200
event = os.path.join(os.path.dirname(__file__), "..", "events", "health.json")
off = {k: v for k, v in os.environ.items() if not k.startswith("SITE_AUTH_")}
on = dict(
    off,
    SITE_AUTH_SIGNER="arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/a/0123456789abcdef",
    AWS_REGION="us-east-1",
)


def median_ms(env):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        subprocess.run([binary, "invoke", event], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


for round_ in range(1, 4):
    a, b = median_ms(off), median_ms(on)
    print(f"round {round_}: login off {a:.3f} ms, on {b:.3f} ms: {b / a:.2f}x")
