#!/usr/bin/env python3
"""Prints the handler benchmark as a markdown table: each case's cost against its floor.

usage: criterion-table.py CRITERION_DIR   (e.g. target/bench/criterion)
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1]) / "handler"


def mean_ns(kind, case):
    est = json.loads((root / kind / case / "new" / "estimates.json").read_text())
    return est["mean"]["point_estimate"], est["mean"]["confidence_interval"]


def fmt(ns):
    return f"{ns / 1000:.2f} µs" if ns >= 1000 else f"{ns:.0f} ns"


cases = sorted(p.name for p in (root / "handle_and_serialize").iterdir() if p.is_dir() and p.name != "report")
print("| case | handle + serialize | floor: serialize ready-made | ratio |")
print("|---|---|---|---|")
for case in cases:
    ours, _ = mean_ns("handle_and_serialize", case)
    floor, _ = mean_ns("serialize_ready_made", case)
    print(f"| {case} | {fmt(ours)} | {fmt(floor)} | {ours / floor:.2f}x |")
