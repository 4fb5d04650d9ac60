// The build report (site-core/src/plan/report.rs) in a real headless Chromium: the sample site's
// dist/report.html as `make build` wrote it, and swagger-ui-dist's (a real package of large
// bundles and source maps) as `site-dev report` renders it through the same function.
//
// "The totals match the package" means, for each page:
//   - files, embedded bytes and files kept in S3 are what the packed site says: `bootstrap info`
//     of the built dist/bootstrap (it reads the index embedded in the binary), or what
//     `site-dev report` prints of the site it packed in memory;
//   - for the sample site, the objects and bytes in S3 are the binary's deploy facts and
//     dist/offload/manifest.json;
//   - the rows add up to the totals: their sizes are the files' sizes on disk and sum to the
//     site's bytes, their "In package" and "In S3" cells sum to the bytes embedded and in S3;
//   - every file the planner serves from the folder (walk.rs's rules: no dotfiles but
//     .well-known/, no top-level _headers or _redirects) is one row, and no other.
//
// Env: REPORT (default dist/report.html), BOOTSTRAP (dist/bootstrap), DEV_TOOL (site-dev),
// CHROMIUM (default /usr/bin/chromium).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";

const root = resolve(import.meta.dirname, "../..");
const REPORT = process.env.REPORT ?? join(root, "dist/report.html");
const BOOTSTRAP = process.env.BOOTSTRAP ?? join(root, "dist/bootstrap");
const DEV_TOOL = process.env.DEV_TOOL ?? join(root, "target/dev/release/site-dev");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SWAGGER = join(import.meta.dirname, "node_modules/swagger-ui-dist");

let browser, scratch;

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), "report-browser-"));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox", "--disable-gpu", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/// The files the planner serves from `dir` (walk.rs), as site path -> size on disk.
function servedFiles(dir) {
  const files = new Map();
  const walk = (abs, site) => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const top = site === "";
      if (entry.name.startsWith(".") && !(top && entry.name === ".well-known")) continue;
      if (top && (entry.name === "_headers" || entry.name === "_redirects")) continue;
      const path = join(abs, entry.name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path, `${site}/${entry.name}`);
      else if (stat.isFile()) files.set(`${site}/${entry.name}`, stat.size);
    }
  };
  walk(dir, "");
  return files;
}

/// `files: 16`-style lines (bootstrap info, site-dev report) as an object.
function facts(text) {
  const get = (label) => {
    const m = text.match(new RegExp(`^${label}: (\\d+)$`, "m"));
    assert.ok(m, `no "${label}" in:\n${text}`);
    return Number(m[1]);
  };
  return { files: get("files"), embedded: get("embedded bytes"), s3Files: get("files kept in S3") };
}

const number = (text) => (text.trim() === "" ? 0 : Number(text.replaceAll(",", "")));
const sum = (values) => values.reduce((a, b) => a + b, 0);

/// Opens the report file in Chromium: its totals, its rows (cells' text), what it logged as an
/// error, and every request it made besides the page itself.
async function openReport(file) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const url = pathToFileURL(file).href;
  const errors = [];
  const requests = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (r) => r.url() !== url && requests.push(r.url()));
  await page.goto(url, { waitUntil: "load" });
  const seen = await page.evaluate(() => ({
    totals: Object.fromEntries(
      [...document.querySelectorAll("[data-total]")].map((b) => [b.dataset.total, b.textContent]),
    ),
    rows: [...document.querySelectorAll("#files table.rows tr")].map((tr) =>
      [...tr.cells].map((c) => c.textContent),
    ),
    title: document.title,
  }));
  // Give a late request or error the chance to show.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 100))));
  await context.close();
  const totals = Object.fromEntries(Object.entries(seen.totals).map(([k, v]) => [k, number(v)]));
  const rows = seen.rows.map(([path, size, encodings, cache, type, keptIn, pkg, s3]) => ({
    path, size: number(size), encodings, cache, type, keptIn, pkg: number(pkg), s3: number(s3),
  }));
  return { totals, rows, errors, requests, title: seen.title };
}

/// Every served file is one row, with its size on disk; the sizes add up to the site's bytes.
function assertEveryFileListed(report, dir) {
  const onDisk = servedFiles(dir);
  const listed = report.rows.map((r) => r.path);
  assert.deepEqual([...listed].sort(), [...onDisk.keys()].sort());
  assert.equal(new Set(listed).size, listed.length, "no file listed twice");
  for (const r of report.rows) assert.equal(r.size, onDisk.get(r.path), `size of ${r.path}`);
  assert.equal(report.totals["files"], onDisk.size);
  assert.equal(report.totals["site-bytes"], sum([...onDisk.values()]));
}

/// The rows add up to the totals of the package and S3.
function assertRowsAddUp(report) {
  assert.equal(sum(report.rows.map((r) => r.pkg)), report.totals["embedded-bytes"]);
  assert.equal(sum(report.rows.map((r) => r.s3)), report.totals["s3-bytes"]);
  const inS3 = report.rows.filter((r) => r.keptIn.includes("S3"));
  assert.equal(inS3.length, report.totals["s3-files"]);
}

function assertLoadsNothing(report) {
  assert.deepEqual(report.errors, [], "console errors");
  assert.deepEqual(report.requests, [], "requests besides the page");
}

test("sample site: make build's report lists every file of the site", async () => {
  const report = await openReport(REPORT);
  assert.equal(report.title, "Build report: site");
  assertEveryFileListed(report, join(root, "site"));
  const names = report.rows.map((r) => r.path);
  assert.ok(names.includes("/docs/release notes.txt"), "a name with a space is text");
});

test("sample site: the report's totals are what dist/bootstrap and dist/offload hold", async () => {
  const report = await openReport(REPORT);
  const info = execFileSync(BOOTSTRAP, ["info"], { encoding: "utf8" });
  const built = facts(info);
  const deploy = JSON.parse(info.match(/^alb-static-site-deploy-info (\{.*\})$/m)[1]);
  const manifest = JSON.parse(readFileSync(join(root, "dist/offload/manifest.json"), "utf8"));
  assert.equal(report.totals["files"], built.files);
  assert.equal(report.totals["embedded-bytes"], built.embedded);
  assert.equal(report.totals["embedded-bytes"], deploy.embedded_bytes);
  assert.equal(report.totals["site-bytes"], deploy.site_bytes);
  assert.equal(report.totals["s3-files"], built.s3Files);
  assert.equal(report.totals["s3-objects"], deploy.offload_objects);
  assert.equal(report.totals["s3-objects"], manifest.objects.length);
  assert.equal(report.totals["s3-bytes"], deploy.offload_bytes);
  assert.equal(report.totals["s3-bytes"], sum(manifest.objects.map((o) => o.bytes)));
  assertRowsAddUp(report);
  // The sample site keeps its one Set-Cookie warning: the page shows the build's warnings.
  assert.ok(report.totals["warnings"] >= 1);
});

test("sample site: the report loads nothing and logs no error", async () => {
  assertLoadsNothing(await openReport(REPORT));
});

test("sample site: the Lambda neither embeds the report nor serves it", () => {
  const binary = readFileSync(BOOTSTRAP);
  assert.equal(binary.indexOf("alb-static-site build report"), -1, "the report's marker is not in the binary");
  assert.ok(readFileSync(REPORT, "utf8").includes("alb-static-site build report"));
  const event = JSON.parse(readFileSync(join(root, "events/health.json"), "utf8"));
  for (const path of ["/report.html", "/_dev/report"]) {
    const file = join(scratch, "event.json");
    writeFileSync(file, JSON.stringify({ ...event, path }));
    const out = execFileSync(BOOTSTRAP, ["invoke", file], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const reply = JSON.parse(out);
    assert.equal(reply.statusCode, 404, path);
  }
});

/// swagger-ui-dist's report through `site-dev report`, with what it says of the packed site.
function swaggerReport() {
  const out = join(scratch, "swagger-report.html");
  const run = spawnSync(
    DEV_TOOL,
    ["report", "--site", SWAGGER, "--config", join(import.meta.dirname, "swagger.toml"),
      "--cache", join(root, "target/dev-cache"), "--out", out],
    { encoding: "utf8" },
  );
  assert.equal(run.status, 0, run.stderr);
  return { out, packed: facts(run.stderr) };
}

test("swagger-ui-dist: the report lists every file, its totals are the packed site's", async () => {
  const { out, packed } = swaggerReport();
  const report = await openReport(out);
  assertEveryFileListed(report, SWAGGER);
  assert.equal(report.totals["files"], packed.files);
  assert.equal(report.totals["embedded-bytes"], packed.embedded);
  assert.equal(report.totals["s3-files"], packed.s3Files);
  assertRowsAddUp(report);
  // swagger.toml's package budget sends the largest files to S3, with every encoding.
  const inS3 = report.rows.filter((r) => r.keptIn === "S3");
  assert.ok(inS3.length > 0, "some files are kept in S3");
  for (const r of inS3) {
    assert.equal(r.pkg, 0, `${r.path} adds nothing to the package`);
    assert.match(r.encodings, /^identity · gzip [\d,]+ \d+% · br [\d,]+ \d+%$/, r.path);
  }
  assert.ok(report.totals["embedded-bytes"] <= 3_000_000, "within swagger.toml's budget");
  assert.ok(report.totals["warnings"] >= 1, "the files kept in S3 are a warning");
});

test("swagger-ui-dist: the report loads nothing and logs no error", async () => {
  const { out } = swaggerReport();
  assertLoadsNothing(await openReport(out));
});
