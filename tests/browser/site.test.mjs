// The sample site in a real headless Chromium, served by `make local`'s stand-in for ALB + the
// Lambda Runtime API (local-alb) in front of the real bootstrap binary.
//
// Env: LOCAL_ALB and BOOTSTRAP (paths to the built binaries), CHROMIUM (default /usr/bin/chromium).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import net from "node:net";
import { chromium } from "playwright-core";

const root = resolve(import.meta.dirname, "../..");
const LOCAL_ALB = process.env.LOCAL_ALB ?? join(root, "target/release/local-alb");
const BOOTSTRAP = process.env.BOOTSTRAP ?? join(root, "target/release/bootstrap");
const SPA_BOOTSTRAP = process.env.SPA_BOOTSTRAP ?? join(root, "target/sites/bin/browser-spa");
const PRIVATE_BOOTSTRAP =
  process.env.PRIVATE_BOOTSTRAP ?? join(root, "target/sites/bin/browser-private");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

let server, serverLog = "", browser, base;
let spaServer, spaBase;
let privateServer, privateBase;

function freePort() {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.unref();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

async function waitForServer(url, ms) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const r = await fetch(url);
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`local-alb did not answer ${url} in ${ms} ms; its log:\n${serverLog}`);
}

function startLocalAlb(bootstrap, port, flags = []) {
  const child = spawn(LOCAL_ALB, ["--listen", `127.0.0.1:${port}`, ...flags, "--", bootstrap], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.on("data", (d) => (serverLog += d));
  child.stderr.on("data", (d) => (serverLog += d));
  return child;
}

before(async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = startLocalAlb(BOOTSTRAP, port);
  const spaPort = await freePort();
  spaBase = `http://127.0.0.1:${spaPort}`;
  spaServer = startLocalAlb(SPA_BOOTSTRAP, spaPort);
  await waitForServer(`${base}/health`, 20_000);
  await waitForServer(`${spaBase}/health`, 20_000);
  const privatePort = await freePort();
  privateBase = `http://127.0.0.1:${privatePort}`;
  privateServer = startLocalAlb(PRIVATE_BOOTSTRAP, privatePort, ["--login"]);
  await waitForServer(`${privateBase}/_local-alb/login`, 20_000);
  // launch() runs Chromium headless with a fresh temporary --user-data-dir of its own.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
});

after(async () => {
  await browser?.close();
  server?.kill("SIGTERM");
  spaServer?.kill("SIGTERM");
  privateServer?.kill("SIGTERM");
});

async function openHome() {
  const context = await browser.newContext({ viewport: { width: 1024, height: 700 } });
  const page = await context.newPage();
  const response = await page.goto(`${base}/`, { waitUntil: "load" });
  await page.evaluate(() => document.fonts.ready);
  return { context, page, response };
}

test("home page renders with its title and a screenshot that is not blank", async () => {
  const { context, page, response } = await openHome();
  assert.equal(response.status(), 200);
  assert.equal(await page.title(), "ALB Static Site");
  const png = await page.screenshot({ fullPage: false });
  // Count distinct colours in the rendered pixels: a blank page has one or two.
  const colours = await page.evaluate(async (b64) => {
    const blob = await (await fetch(`data:image/png;base64,${b64}`)).blob();
    const bitmap = await createImageBitmap(blob);
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext("2d");
    ctx.drawImage(bitmap, 0, 0);
    const data = ctx.getImageData(0, 0, bitmap.width, bitmap.height).data;
    const seen = new Set();
    for (let i = 0; i < data.length; i += 4 * 7) seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    return seen.size;
  }, png.toString("base64"));
  assert.ok(colours > 50, `screenshot has only ${colours} colours`);
  await context.close();
});

test("stylesheet is applied", async () => {
  const { context, page } = await openHome();
  const colour = await page.$eval("h1", (h) => getComputedStyle(h).color);
  assert.equal(colour, "rgb(20, 60, 110)");
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, "rgb(251, 250, 247)");
  await context.close();
});

test("script ran", async () => {
  const { context, page } = await openHome();
  assert.equal(await page.textContent("#js-status"), "JavaScript ran.");
  assert.equal(await page.getAttribute("html", "data-app"), "ready");
  await context.close();
});

test("image decoded", async () => {
  const { context, page } = await openHome();
  const size = await page.$eval("#logo", (img) => [img.complete, img.naturalWidth, img.naturalHeight]);
  assert.deepEqual(size, [true, 240, 120]);
  await context.close();
});

test("web font loaded", async () => {
  const { context, page } = await openHome();
  const fonts = await page.evaluate(async () => {
    await document.fonts.load('16px "Site Sans"');
    return [...document.fonts].map((f) => [f.family.replaceAll('"', ""), f.status]);
  });
  assert.deepEqual(fonts.find(([family]) => family === "Site Sans"), ["Site Sans", "loaded"]);
  assert.ok(await page.evaluate(() => document.fonts.check('16px "Site Sans"')));
  await context.close();
});

test("assets arrive compressed and decoded by the browser", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const pending = [];
  page.on("response", (r) =>
    pending.push(r.allHeaders().then((h) => [new URL(r.url()).pathname, h["content-encoding"] ?? "identity"])),
  );
  await page.goto(`${base}/`, { waitUntil: "load" });
  const encodings = Object.fromEntries(await Promise.all(pending));
  assert.ok(["br", "gzip"].includes(encodings["/css/site.css"]), JSON.stringify(encodings));
  assert.equal(encodings["/img/logo.png"], "identity");
  await context.close();
});

test("reload revalidates the page with a 304", async () => {
  const { context, page } = await openHome();
  // Chromium shows a revalidated page as its cached 200; local-alb's access log shows what
  // the function answered on the wire.
  const mark = serverLog.length;
  const again = await page.reload({ waitUntil: "load" });
  assert.ok([200, 304].includes(again.status()));
  assert.equal(await page.title(), "ALB Static Site");
  await new Promise((r) => setTimeout(r, 200));
  const reloadLog = serverLog.slice(mark);
  assert.match(reloadLog, /GET \/ 304 /, `access log during the reload:\n${reloadLog}`);
  await context.close();
});

test("cookie from _headers reaches document.cookie", async () => {
  const { context, page } = await openHome();
  const cookies = await page.evaluate(() => document.cookie);
  assert.match(cookies, /(^|; )visited=yes(;|$)/);
  await context.close();
});

test("missing page shows the site's 404 page with status 404", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await page.goto(`${base}/no-such-page`);
  assert.equal(response.status(), 404);
  assert.equal(await page.textContent("#not-found"), "Page not found");
  const colour = await page.$eval("h1", (h) => getComputedStyle(h).color);
  assert.equal(colour, "rgb(20, 60, 110)", "the 404 page is styled too");
  await context.close();
});

test("folder without slash redirects and lands on its index", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await page.goto(`${base}/docs/guide?lang=en`);
  assert.equal(response.status(), 200);
  assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, "/docs/guide/?lang=en");
  assert.equal(await page.title(), "Guide · ALB Static Site");
  await context.close();
});

test("clean URL and _redirects rules work in the browser", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${base}/about.html`);
  assert.equal(new URL(page.url()).pathname, "/about");
  await page.goto(`${base}/posts/first-post`);
  assert.equal(new URL(page.url()).pathname, "/blog/first-post");
  assert.equal(await page.title(), "First post · ALB Static Site");
  const rewrite = await page.goto(`${base}/old-home`);
  assert.equal(rewrite.status(), 200);
  assert.equal(new URL(page.url()).pathname, "/old-home");
  assert.equal(await page.title(), "ALB Static Site");
  await context.close();
});

test("links on the home page all work", async () => {
  const { context, page } = await openHome();
  const hrefs = await page.$$eval("main a", (as) => as.map((a) => a.getAttribute("href")));
  for (const href of hrefs) {
    const r = await page.goto(`${base}${href}`);
    const want = href === "/no-such-page" ? 404 : 200;
    assert.equal(r.status(), want, href);
  }
  await context.close();
});

test("single-page app: a deep link loads the shell and its router renders the route", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const response = await page.goto(`${spaBase}/settings/profile?tab=2`);
  assert.equal(response.status(), 200);
  assert.equal(await page.title(), "SPA");
  await page.waitForFunction(() => document.getElementById("route").textContent.startsWith("/"));
  assert.equal(await page.textContent("#route"), "/settings/profile");
  await context.close();
});

test("single-page app: a missing asset is a 404, never the HTML shell", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${spaBase}/`);
  const missing = await page.evaluate(async () => {
    const r = await fetch("/assets/chunk.0badc0de.js");
    return [r.status, r.headers.get("content-type"), (await r.text()).includes("Single-page app")];
  });
  assert.equal(missing[0], 404);
  assert.equal(missing[2], false, "the 404 body is not the app shell");
  await context.close();
});

test("private site: log in through the load balancer, see a private page, log out", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // No session: the load balancer sends the browser to log in first.
  await page.goto(`${privateBase}/about`);
  assert.match(page.url(), /\/_local-alb\/login\?redirect=/);
  await page.fill("input[name=email]", "alice@example.com");
  const [landed] = await Promise.all([
    page.waitForNavigation(),
    page.click("button[type=submit]"),
  ]);
  // Back on the page asked for, answered by the function after it verified the signed login.
  assert.equal(new URL(page.url()).pathname, "/about");
  assert.equal(landed.status(), 200);
  assert.match(landed.headers()["cache-control"], /^private/);
  assert.ok((await page.textContent("body")).length > 0);
  const cookies = await context.cookies();
  assert.ok(cookies.some((c) => c.name === "AWSELBAuthSessionCookie-0"), "session cookie set");
  // Logging out expires the session cookie; the next page asks for a login again.
  await page.goto(`${privateBase}/logout`);
  assert.match(page.url(), /\/_local-alb\/login/);
  const after = await context.cookies();
  assert.ok(!after.some((c) => c.name === "AWSELBAuthSessionCookie-0"), "session cookie expired");
  await context.close();
});

// make dev's editing loop in a real browser: the dev tool (DEV_TOOL: make test-browser passes the
// test build's; otherwise make dev's) serves
// a scratch copy of the sample site; an edit on disk reloads the open tab by itself.
test("make dev: an edited page reloads itself in the open tab", async () => {
  const { mkdtempSync, cpSync, readFileSync, writeFileSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const DEV_TOOL = process.env.DEV_TOOL ?? join(root, "target/dev/release/site-dev");
  const scratch = mkdtempSync(join(tmpdir(), "site-dev-browser-"));
  cpSync(join(root, "site"), join(scratch, "site"), { recursive: true });
  writeFileSync(join(scratch, "site.toml"), "# defaults\n");
  let devLog = "";
  const dev = spawn(
    DEV_TOOL,
    ["serve", "--listen", "127.0.0.1:0", "--site", join(scratch, "site"),
      "--config", join(scratch, "site.toml"), "--cache", join(root, "target/dev-cache")],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  dev.stderr.on("data", (d) => (devLog += d));
  const context = await browser.newContext();
  try {
    const until = Date.now() + 20_000;
    let port;
    while (!(port = devLog.match(/ at http:\/\/127\.0\.0\.1:(\d+)\//)?.[1])) {
      assert.ok(Date.now() < until, `site-dev did not start:\n${devLog}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}/about`, { waitUntil: "load" });
    // The page is listening for changes before the edit.
    await page.waitForFunction(() => window.__siteDev !== undefined, null, { timeout: 20_000 });
    const file = join(scratch, "site", "about.html");
    writeFileSync(file, readFileSync(file, "utf8").replace("</h1>", " (edited in dev)</h1>"));
    await page.waitForFunction(
      () => document.querySelector("h1")?.textContent.includes("(edited in dev)"),
      null,
      { timeout: 20_000 },
    );
  } finally {
    await context.close();
    dev.kill("SIGTERM");
    rmSync(scratch, { recursive: true, force: true });
  }
});
