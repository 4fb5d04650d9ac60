#!/usr/bin/env python3
"""Scale benchmark: a 10-file site, a 10,000-file / 100 MB site and a 100,000-file / 150 MB
site of mixed files (stdlib only).

usage: tools/bench-scale.py [--big-pages N] [--big-mb M] [--huge-pages N] [--huge-mb M]
                            [--runs R] [--skip-big] [--skip-huge] [--swagger-version V]
                            [--compress-only] [--resume]

Steps (all cargo builds `nice -n 10`, one at a time, release profile as Cargo.toml sets it):
  1. generate with tools/gen-site.py target/scale-sites/small (10 files), big (10,000 files,
     ~100 MB of pages) and huge (100,000 files, ~150 MB: pages, and one file in five a
     stylesheet, script, image or font);
  2. in target/scale-small: build the sample site (this also builds every dependency), count its
     bytes on the wire per encoding by invoking every file with each Accept-Encoding;
  3. for each generated site: delete the build script's encode cache (OUT_DIR/blobs) and build:
     the crate's FULL build (every file encoded, crate compiled and linked; dependencies already
     built); then change one page and build again: the ONE-FILE rebuild. Both with
     `cargo --timings`, whose unit times give the breakdown (build script run, library compile,
     binary: fat LTO and link), and the peak RSS of the largest process the build ran (cargo,
     rustc, the build script, the linker: getrusage of the waited-for children);
  4. build examples/lookup_bench for each site (same SITE_DIR, same target dir);
  5. measure: binary sizes, cold start (process start to first response: `bootstrap invoke`
     of one event, median of R runs), per-request time (lookup_bench time), peak RSS after one
     request and after serving every file once (lookup_bench rss; /usr/bin/time for invoke);
     then each site's cold start and per-request time as a ratio to the 10-file site's;
  6. compression policies (also alone: --compress-only, `make bench-compress`): fetch
     swagger-ui-dist (npm pack, a pinned 5.x) into target/scale-sites/swagger; run
     site-core's example compress_policies on it and on a fixed 10 % of the big site: bytes a
     client receives per Accept-Encoding and the CPU time of encoding, with the policy before
     (brotli 11 for every file) and now; then build the binary for swagger-ui-dist (full build,
     empty blob cache) and count its bytes on the wire per Accept-Encoding as for the sample.

target/scale-big and target/scale-huge start as copies of target/scale-small (dependencies and
build script already compiled), so the big sites' numbers are the crate's own build.
Results: a table on stdout and target/scale-results.json (--compress-only:
target/compress-results.json). Build times are wall seconds, with the CPU seconds of cargo and
everything it ran (build script included) alongside: the machine may be shared.
"""

import argparse
import base64
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "target"
SITES = TARGET / "scale-sites"
GEN = [sys.executable, str(REPO / "tools" / "gen-site.py")]
EDIT_PAGE = 3  # p/0000/000003.html exists in both sites
SWAGGER_VERSION = "5.35.0"  # swagger-ui-dist, pinned so runs compare


def log(msg):
    print(f"[bench-scale {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# Runs argv and prints the peak RSS of its waited-for descendants (the largest one process).
PEAK_RSS = ("import resource, subprocess, sys\n"
            "code = subprocess.run(sys.argv[1:]).returncode\n"
            "print('peak-rss-kb', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,"
            " file=sys.stderr)\n"
            "sys.exit(code)\n")


def cargo_build(target_dir, site_dir, extra=(), timings=False):
    """One release build; returns (seconds, cargo-timings units of this crate or None), the
    units with `cpu_s` and `peak_rss_kb` of the whole build."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("SITE_DIR", "SITE_CONFIG", "SOURCE_DATE_EPOCH", "CARGO_TARGET_DIR")}
    env["SITE_DIR"] = str(site_dir)
    cmd = ["nice", "-n", "10", sys.executable, "-c", PEAK_RSS, "cargo", "build", "--release", "--locked",
           "--target-dir", str(target_dir), *extra]
    if timings:
        cmd.append("--timings")
    log(f"SITE_DIR={site_dir.relative_to(REPO) if site_dir.is_relative_to(REPO) else site_dir} "
        + " ".join(cmd[6:]))
    started, cpu = time.monotonic(), children_cpu()
    p = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    cpu = children_cpu() - cpu
    if p.returncode != 0:
        sys.exit(f"build failed:\n{p.stderr[-5000:]}")
    rss = [int(line.split()[1]) for line in p.stderr.splitlines() if line.startswith("peak-rss-kb ")]
    units = parse_timings(target_dir) if timings else None
    if units is not None:
        units["cpu_s"] = round(cpu, 1)
        units["peak_rss_kb"] = rss[-1] if rss else None
    log(f"  {seconds:.1f} s ({cpu:.1f} s CPU, peak RSS {rss[-1] / 1024 if rss else 0:.0f} MiB)")
    return seconds, units


def children_cpu():
    """User + system CPU seconds of the finished child processes (cargo, rustc, build scripts)."""
    t = os.times()
    return t.children_user + t.children_system


def parse_timings(target_dir):
    """This crate's units from the newest cargo-timing report: {unit: seconds}."""
    reports = sorted((target_dir / "cargo-timings").glob("cargo-timing-*.html"),
                     key=lambda p: p.stat().st_mtime)
    if not reports:
        return None
    text = reports[-1].read_text()
    m = re.search(r"const UNIT_DATA = (\[.*?\]);\n", text, re.S)
    if not m:
        return None
    units = json.loads(m.group(1))
    out = {}
    for u in units:
        if u.get("name") == "alb-static-site":
            label = (u.get("target") or "").strip() or "lib"
            if label == "build-script":
                label = "build script (compile)"
            out[label] = round(u["duration"], 2)
    return out


def clear_blobs(target_dir):
    for d in (target_dir / "release" / "build").glob("alb-static-site-*/out"):
        if (d / "blobs").is_dir():
            shutil.rmtree(d / "blobs")


def copy_bin(target_dir, src, name):
    (target_dir / "bin").mkdir(parents=True, exist_ok=True)
    dst = target_dir / "bin" / name
    shutil.copy2(target_dir / "release" / src, dst)
    return dst


def event(path, accept_encoding=None):
    headers = {"host": "bench.example.com", "accept": "text/html,*/*;q=0.8",
               "x-forwarded-proto": "https"}
    if accept_encoding:
        headers["accept-encoding"] = accept_encoding
    return {"requestContext": {"elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:"
                                       "us-east-1:123456789012:targetgroup/b/6d0ecf831eec9f09"}},
            "httpMethod": "GET", "path": path, "queryStringParameters": {},
            "headers": headers, "body": "", "isBase64Encoded": False}


def invoke(binary, ev):
    p = subprocess.run([str(binary), "invoke", "-"], input=json.dumps(ev).encode(),
                       capture_output=True, check=True)
    return json.loads(p.stdout)


def wire_bytes(binary, site_dir):
    """Sum over the sample site's files of body bytes and response JSON bytes per encoding."""
    out = {}
    files = [p for p in sorted(site_dir.rglob("*")) if p.is_file()
             and not p.name.startswith(".") and p.name not in ("_headers", "_redirects")]
    for enc in ("identity", "gzip", "br"):
        body = json_total = n = 0
        for f in files:
            path = "/" + f.relative_to(site_dir).as_posix()
            r = invoke(binary, event(path, enc))
            if r["statusCode"] in (301, 302, 307, 308):
                loc = next(v for k, v in r["headers"].items() if k.lower() == "location")
                r = invoke(binary, event(loc, enc))
            if r["statusCode"] != 200:
                continue
            raw = base64.b64decode(r["body"]) if r["isBase64Encoded"] else r["body"].encode()
            body += len(raw)
            json_total += len(json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode())
            n += 1
        out[enc] = {"files": n, "body_bytes": body, "response_json_bytes": json_total}
    return out


def cold_start(binary, runs, ev_file):
    """Process start to first response printed: median wall time of `bootstrap invoke FILE`."""
    subprocess.run([str(binary), "invoke", str(ev_file)], capture_output=True, check=True)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([str(binary), "invoke", str(ev_file)], capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return {"median_ms": round(statistics.median(times) * 1000, 2),
            "min_ms": round(min(times) * 1000, 2)}


def max_rss_kb(cmd):
    p = subprocess.run(["/usr/bin/time", "-v", *cmd], capture_output=True, text=True, check=True)
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    return int(m.group(1)) if m else None


def kv(text):
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2:
            out[parts[0]] = float(parts[1])
        elif len(parts) == 3:
            out[f"{parts[0]} {parts[1]}"] = float(parts[2])
        elif len(parts) == 4 and parts[0] == "status":
            out[f"status {parts[1]}"] = f"{parts[2]} ({parts[3]} bytes)"
    return out


def lookup_bench(binary, *args):
    p = subprocess.run([str(binary), *args], capture_output=True, text=True, check=True)
    return kv(p.stdout)


def fetch_swagger(version):
    """swagger-ui-dist@version from npm (npm pack) into target/scale-sites/swagger."""
    d = SITES / "swagger"
    stamp = d / ".version"  # a dotfile: not part of the site
    if stamp.exists() and stamp.read_text() == version:
        return d
    if d.exists():
        shutil.rmtree(d)
    SITES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=TARGET) as tmp:
        p = subprocess.run(["npm", "pack", f"swagger-ui-dist@{version}", "--pack-destination", tmp],
                           capture_output=True, text=True, check=True)
        tgz = Path(tmp) / p.stdout.strip().splitlines()[-1]
        subprocess.run(["tar", "-xzf", str(tgz), "-C", tmp], check=True)
        shutil.move(str(Path(tmp) / "package"), d)
    stamp.write_text(version)
    log(f"fetched swagger-ui-dist@{version} into {d.relative_to(REPO)}")
    return d


def compress_policies(target_dir, site, sample):
    """site-core's example compress_policies on a folder: bytes and CPU per policy."""
    exe = target_dir / "release" / "examples" / "compress_policies"
    cmd = ["nice", "-n", "10", str(exe), str(site), "--sample", str(sample), "--json",
           "--policies", "before,now,now-big"]
    log(" ".join(cmd[3:]))
    return json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def compress_steps(results, save, small_t, big_site, swagger_version):
    """Step 6: the compression policies on swagger-ui-dist and the big site, and the binary
    built for swagger-ui-dist."""
    swagger = fetch_swagger(swagger_version)
    files = [p for p in swagger.rglob("*") if p.is_file() and not p.name.startswith(".")]
    results["site_swagger"] = {"files": len(files), "bytes": sum(p.stat().st_size for p in files),
                               "version": swagger_version}
    c = results.setdefault("compress", {})
    if "swagger" not in c or (big_site and "big_sample" not in c):
        cargo_build(small_t, REPO / "site",
                    ["-p", "site-core", "--features", "plan", "--example", "compress_policies"])
        c["swagger"] = compress_policies(small_t, swagger, 100)
        save()
        if big_site:
            c["big_sample"] = compress_policies(small_t, big_site, 10)
            save()
    r = results.setdefault("swagger", {})
    if "wire" not in r:
        t = TARGET / "scale-swagger"
        if not t.exists():
            log("copying target/scale-small to target/scale-swagger (dependencies, build script)")
            shutil.copytree(small_t, t, symlinks=True)
        clear_blobs(t)
        r["full_build_s"], r["full_units"] = cargo_build(t, swagger, ["--bin", "bootstrap"], True)
        binary = copy_bin(t, "bootstrap", "swagger")
        r["binary_bytes"] = binary.stat().st_size
        r["wire"] = wire_bytes(binary, swagger)
        save()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--big-pages", type=int, default=9997, help="9997 pages + 3 assets = 10,000 files")
    ap.add_argument("--big-mb", type=float, default=100)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--huge-pages", type=int, default=99997,
                    help="99997 extra files + 3 = 100,000 files")
    ap.add_argument("--huge-mb", type=float, default=150)
    ap.add_argument("--skip-big", action="store_true")
    ap.add_argument("--skip-huge", action="store_true")
    ap.add_argument("--swagger-version", default=SWAGGER_VERSION)
    ap.add_argument("--compress-only", action="store_true",
                    help="only step 6 (and the sites and dependencies it needs)")
    ap.add_argument("--resume", action="store_true",
                    help="keep the steps already recorded in target/scale-results.json "
                         "(after a build broke half-way, e.g. by a concurrent edit of src/)")
    a = ap.parse_args()
    saved = TARGET / ("compress-results.json" if a.compress_only else "scale-results.json")
    if a.resume and saved.exists():
        results = json.loads(saved.read_text())
    else:
        results = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "nproc": os.cpu_count(),
                   "loadavg_start": os.getloadavg()}

    def save():
        saved.write_text(json.dumps(results, indent=2))

    sites = {"small": ["--pages", "7"],
             "big": ["--pages", str(a.big_pages), "--total-mb", str(a.big_mb), "--filler", "words"],
             "huge": ["--pages", str(a.huge_pages), "--total-mb", str(a.huge_mb), "--filler",
                      "words", "--mixed", "--js-kb", "40", "--png-kb", "40"]}
    if a.skip_big:
        del sites["big"]
    if a.skip_huge:
        del sites["huge"]
    for name, args in sites.items():
        if f"site_{name}" in results:
            continue
        d = SITES / name
        if d.exists():
            shutil.rmtree(d)
        t = time.monotonic()
        subprocess.run([*GEN, str(d), *args], check=True)
        files = [p for p in d.rglob("*") if p.is_file()]
        results[f"site_{name}"] = {"files": len(files),
                                   "bytes": sum(p.stat().st_size for p in files),
                                   "gen_args": args, "gen_seconds": round(time.monotonic() - t, 1)}
        log(f"generated {name}: {len(files)} files, {results[f'site_{name}']['bytes']} bytes")
        save()

    small_t = TARGET / "scale-small"
    if a.compress_only:
        cargo_build(small_t, REPO / "site", ["--bin", "bootstrap"])
        compress_steps(results, save, small_t, None if a.skip_big else SITES / "big",
                       a.swagger_version)
        results["loadavg_end"] = os.getloadavg()
        save()
        print(json.dumps(results, indent=2))
        report_compress(results)
        return
    # The sample site: dependencies compile here, once.
    if "wire_sample" not in results:
        secs, _ = cargo_build(small_t, REPO / "site", ["--bin", "bootstrap"])
        results["build_sample_with_deps_s"] = round(secs, 1)
        sample = copy_bin(small_t, "bootstrap", "sample")
        results["wire_sample"] = wire_bytes(sample, REPO / "site")
        secs, _ = cargo_build(small_t, REPO / "site", ["--example", "lookup_bench"])
        results["build_example_deps_s"] = round(secs, 1)
        save()

    for name in sites:
        t = TARGET / f"scale-{name}"
        r = results.setdefault(name, {})
        if "binary_bytes" in r:
            continue
        if name != "small" and "full_build_s" not in r:
            if t.exists():
                shutil.rmtree(t)
            log(f"copying target/scale-small to target/scale-{name} (dependencies, build script)")
            shutil.copytree(small_t, t, symlinks=True)
        site = SITES / name
        if "full_build_s" not in r:
            clear_blobs(t)
            r["full_build_s"], r["full_units"] = cargo_build(t, site, ["--bin", "bootstrap"], True)
            copy_bin(t, "bootstrap", name)
            save()
        if "one_file_build_s" not in r:
            subprocess.run([*GEN, str(site), "--edit-page", str(EDIT_PAGE)], check=True,
                           capture_output=True)
            r["one_file_build_s"], r["one_file_units"] = cargo_build(
                t, site, ["--bin", "bootstrap"], True)
            r["one_file_ratio"] = round(r["one_file_build_s"] / r["full_build_s"], 3)
            save()
        binary = copy_bin(t, "bootstrap", name)
        secs, _ = cargo_build(t, site, ["--example", "lookup_bench"])
        r["example_build_s"] = round(secs, 1)
        copy_bin(t, "examples/lookup_bench", f"lookup_bench-{name}")
        r["binary_bytes"] = binary.stat().st_size
        save()

    compress_steps(results, save, small_t, None if a.skip_big else SITES / "big",
                   a.swagger_version)

    paths = ["/", "/p/0000/000003", "/assets/app.5d41402a.js", "/no/such/file.txt"]
    for name in sites:
        t = TARGET / f"scale-{name}"
        binary = t / "bin" / name
        ev_file = SITES / "event-index.json"
        ev_file.write_text(json.dumps(event("/", "gzip, deflate, br")))
        r = results[name]
        log(f"measuring {name}")
        r["info"] = subprocess.run([str(binary), "info"], capture_output=True, text=True).stdout
        r["cold_start"] = cold_start(binary, a.runs, ev_file)
        r["invoke_max_rss_kb"] = max_rss_kb([str(binary), "invoke", str(ev_file)])
        bench = t / "bin" / f"lookup_bench-{name}"
        r["lookup"] = lookup_bench(bench, "time", *paths)
        r["rss"] = lookup_bench(bench, "rss")
        r["rss_all_max_rss_kb"] = max_rss_kb([str(bench), "rss"])
        save()
    small = results["small"]
    for name in sites:
        r = results[name]
        r["cold_start_ratio"] = round(r["cold_start"]["median_ms"]
                                      / small["cold_start"]["median_ms"], 3)
        r["request_ratio"] = {k: round(v / small["lookup"][k], 3) for k, v in r["lookup"].items()
                              if k.startswith("handle") and isinstance(v, float)
                              and small["lookup"].get(k)}
    results["loadavg_end"] = os.getloadavg()

    save()
    print(json.dumps(results, indent=2))
    report(results, list(sites))
    report_compress(results)


def report_compress(res):
    """Bytes a client receives per Accept-Encoding and encoding CPU, before vs now."""
    for name, label in (("swagger", "swagger-ui-dist " + res.get("site_swagger", {}).get("version", "")),
                        ("big_sample", "big site, 10 % sample")):
        c = res.get("compress", {}).get(name)
        if not c:
            continue
        pol = c["policies"]
        print(f"\n{label}: {c['files']} files, {c['bytes']:,} bytes\n")
        print("| | " + " | ".join(pol) + " |")
        print("|---|" + "--:|" * len(pol))
        before = pol["before"]
        for header in before["received"]:
            cells = [f"{p['received'][header]:,} ({p['received'][header] / before['received'][header] - 1:+.2%})"
                     for p in pol.values()]
            print(f"| received, Accept-Encoding: {header} | " + " | ".join(cells) + " |")
        for key, what in (("brotli_cpu_s", "brotli"), ("gzip_cpu_s", "gzip")):
            cells = [f"{p[key]:.2f} ({before[key] / max(p[key], 1e-9):.2f}x)" for p in pol.values()]
            print(f"| {what} CPU, one core (s) | " + " | ".join(cells) + " |")
    sw = res.get("swagger", {})
    if "wire" in sw:
        print(f"\nswagger-ui-dist built: full build {sw['full_build_s']:.1f} s "
              f"({sw['full_units'].get('cpu_s', '-')} s CPU; build script run "
              f"{sw['full_units'].get('build-script (run)', '-')} s), binary {sw['binary_bytes']:,} bytes")
        for enc, w in sw["wire"].items():
            print(f"  {enc}: {w['files']} files, body {w['body_bytes']:,} bytes, "
                  f"response JSON {w['response_json_bytes']:,} bytes")


def report(res, names):
    print("\n| | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))

    def row(label, f):
        vals = []
        for n in names:
            try:
                vals.append(str(f(res[n], res[f"site_{n}"])))
            except (KeyError, TypeError):
                vals.append("-")
        print(f"| {label} | " + " | ".join(vals) + " |")

    row("files / bytes", lambda r, s: f"{s['files']} / {s['bytes']:,}")
    row("full build (s)", lambda r, s: f"{r['full_build_s']:.1f}")
    row("  CPU, cargo and all it ran (s)", lambda r, s: r["full_units"]["cpu_s"])
    row("  of which build script run / lib / bin+LTO link (s)", lambda r, s: " / ".join(
        str(r["full_units"].get(k, "-")) for k in ("build-script (run)", "lib", 'bootstrap "bin"')))
    row("  peak RSS of one build process (MiB)",
        lambda r, s: f"{r['full_units']['peak_rss_kb'] / 1024:.0f}")
    row("one-file rebuild (s)",
        lambda r, s: f"{r['one_file_build_s']:.1f} ({r['one_file_ratio']:.0%})")
    row("  of which build script run / lib / bin+LTO link (s)", lambda r, s: " / ".join(
        str(r["one_file_units"].get(k, "-")) for k in ("build-script (run)", "lib", 'bootstrap "bin"')))
    row("binary (bytes)", lambda r, s: f"{r['binary_bytes']:,}")
    row("cold start, median (ms)", lambda r, s: r["cold_start"]["median_ms"])
    row("  vs the 10-file site", lambda r, s: f"{r['cold_start_ratio']:.3f}x")
    row("route hit / miss (ns)",
        lambda r, s: f"{r['lookup']['route_hit_ns']} / {r['lookup']['route_miss_ns']}")
    row("handle / (ns)", lambda r, s: r["lookup"]["handle_ns /"])
    row("handle /p/0000/000003 (ns)", lambda r, s: r["lookup"]["handle_ns /p/0000/000003"])
    row("handle+serialize / (ns)", lambda r, s: r["lookup"]["handle_serialize_ns /"])
    row("  per request vs the 10-file site (each path)", lambda r, s: ", ".join(
        f"{v:.2f}x" for v in r["request_ratio"].values()))
    row("invoke max RSS (KB)", lambda r, s: r["invoke_max_rss_kb"])
    row("lookup_bench RSS after one request (KB)", lambda r, s: r["rss"]["hwm_after_one_kb"])
    row("peak RSS after every file once (KB)", lambda r, s: r["rss"]["hwm_after_all_kb"])


if __name__ == "__main__":
    main()
