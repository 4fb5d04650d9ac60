#!/usr/bin/env python3
"""Generates a synthetic site for benchmarks and scale tests (stdlib only, deterministic).

usage: gen-site.py OUT [--pages N] [--js-kb K] [--png-kb K] [--total-mb M] [--filler chars|words]
                   [--mixed] [--edit-page I]

- index.html (small page), app.<hash>.js (K KB of realistic, compressible JavaScript),
  photo.png (a valid PNG of about K KB of noise: incompressible, served as base64),
- N-1 extra pages under p/NNNN/... so the site has N pages; with --total-mb the extra pages
  are padded so the whole site weighs about M MB.
- --filler: the padding, "chars" (default: random letters, compresses to about 60%) or "words"
  (random words, compresses to about 30% like real pages, and generates about 5x faster).
- --mixed: one extra file in five is an asset instead of a page, in turn a stylesheet, a script
  (both compressible), an image (PNG noise) and a font (random bytes named .woff2: neither is
  compressible), each of a page's size, like the mix of a documentation site. Extra page I is
  still p/NNNN/I.html when I % 5 != 4 (so page 3, which --edit-page and the benchmarks use).
- --edit-page I: only change extra page I of an existing site (append one HTML comment), so a
  rebuild has exactly one changed file; writes nothing else.
"""
import argparse
import os
import random
import struct
import zlib


def js_bundle(kb, rng):
    words = ["render", "state", "props", "element", "update", "value", "index", "handler",
             "component", "effect", "memo", "context", "dispatch", "reducer", "node", "child"]
    out, size, n = [], 0, 0
    while size < kb * 1024:
        a, b, c = rng.choice(words), rng.choice(words), rng.choice(words)
        line = (f"function {a}{n}({b}, {c}) {{ const {a}_{n} = {b}.{c} + {rng.randint(0, 99999)};"
                f" if ({a}_{n} > {rng.randint(0, 999)}) {{ return {c}({a}_{n}, \"{b}-{n}\"); }}"
                f" return {b}; }}\n")
        out.append(line)
        size += len(line)
        n += 1
    return "".join(out)[: kb * 1024]


def png(kb, rng):
    width = 256
    row = width * 3
    height = max(1, (kb * 1024) // row)
    raw = b"".join(b"\x00" + rng.randbytes(row) for _ in range(height))

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 1))
            + chunk(b"IEND", b""))


WORDS = ("the a of to and in is it that for on with as was at by this be from or are an not have "
         "static site lambda load balancer request response page cache header server bytes file "
         "build time query route path index folder image script style table content encoding "
         "first second third value number example result system user data model method").split()


def words_filler(n, rng):
    """About n characters of random words in lines of 12, like the text of a page."""
    out, size = [], 0
    while size < n:
        line = " ".join(rng.choices(WORDS, k=12)) + "\n"
        out.append(line)
        size += len(line)
    return "".join(out)[:n]


def page(title, body):
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<link rel=\"stylesheet\" href=\"/site.css\"></head>\n<body><h1>{title}</h1>\n{body}\n"
            "</body></html>\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--pages", type=int, default=1)
    ap.add_argument("--js-kb", type=int, default=200)
    ap.add_argument("--png-kb", type=int, default=500)
    ap.add_argument("--total-mb", type=float, default=0)
    ap.add_argument("--filler", choices=["chars", "words"], default="chars")
    ap.add_argument("--mixed", action="store_true")
    ap.add_argument("--edit-page", type=int, default=None)
    a = ap.parse_args()
    if a.edit_page is not None:
        i = a.edit_page
        path = os.path.join(a.out, f"p/{i // 100:04d}/{i:06d}.html")
        with open(path, "a") as f:
            f.write(f"<!-- edited {os.urandom(4).hex()} -->\n")
        print(path)
        return
    rng = random.Random(42)
    os.makedirs(a.out, exist_ok=True)

    def write(rel, data):
        path = os.path.join(a.out, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        mode = "wb" if isinstance(data, bytes) else "w"
        with open(path, mode) as f:
            f.write(data)

    para = "<p>" + " ".join(rng.choice(["static", "site", "lambda", "load", "balancer", "fast",
                                        "cache", "bytes", "page", "served"]) for _ in range(120)) + "</p>"
    write("index.html", page("Benchmark home", para))
    write("site.css", "body{font:16px/1.5 system-ui;margin:2rem auto;max-width:40rem}\n" * 20)
    write("assets/app.5d41402a.js", js_bundle(a.js_kb, rng))
    write("photo.png", png(a.png_kb, rng))
    extra = max(0, a.pages - 1)
    pad = 0
    if a.total_mb and extra:
        pad = max(0, int(a.total_mb * 1024 * 1024 / extra) - len(para) - 200)
    for i in range(extra):
        folder = f"p/{i // 100:04d}"
        if a.mixed and i % 5 == 4:
            write_asset(write, folder, i, pad + len(para), rng)
            continue
        if not pad:
            filler = ""
        elif a.filler == "words":
            filler = words_filler(pad, rng)
        else:
            filler = "".join(rng.choice("abcdefghij klmnop\n") for _ in range(pad))
        write(f"{folder}/{i:06d}.html", page(f"Page {i}", para + f"<pre>{filler}</pre>"))


def write_asset(write, folder, i, size, rng):
    """Extra file i as an asset of about `size` bytes: css, js, png, woff2 in turn."""
    kind = (i // 5) % 4
    if kind == 0:
        rule = f".c{i} {{ margin: 0 auto; padding: 1rem; color: #333; font: 16px/1.5 serif }}\n"
        write(f"{folder}/{i:06d}.css", (rule * (size // len(rule) + 1))[:size])
    elif kind == 1:
        write(f"{folder}/{i:06d}.js", js_bundle(max(1, size // 1024), rng))
    elif kind == 2:
        write(f"{folder}/{i:06d}.png", png(max(1, size // 1024), rng))
    else:
        write(f"{folder}/{i:06d}.woff2", b"wOF2" + rng.randbytes(max(0, size - 4)))


if __name__ == "__main__":
    main()
