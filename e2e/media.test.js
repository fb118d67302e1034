// A real Matrix client against the example media server: matrix-js-sdk uploads with
// uploadContent, reads getMediaConfig(true), and fetches the download and a 96x96 crop thumbnail
// through URLs built by mxcUrlToHttp(..., useAuthentication = true).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { createHash } from "node:crypto";
import { deflateSync } from "node:zlib";
import { createClient } from "matrix-js-sdk";

const here = dirname(fileURLToPath(import.meta.url));
const jar = join(here, "..", "examples", "target", "mxmedia-example.jar");
const token = "e2e-token";
const userId = "@e2e:localhost";
let server;
let dataDir;
let baseUrl;

/** Starts the packaged example server on a free port and waits for its banner. */
before(async () => {
  assert.ok(existsSync(jar), `build the example server first (mvn -B package): ${jar}`);
  dataDir = mkdtempSync(join(tmpdir(), "mxmedia-e2e-"));
  server = spawn("java", ["-jar", jar, "--port", "0", "--data-dir", dataDir, "--server-name", "localhost",
    "--token", `${token}=${userId}`], { stdio: ["ignore", "pipe", "pipe"] });
  server.stderr.on("data", (d) => process.stderr.write(d));
  baseUrl = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000);
    server.stdout.on("data", (d) => {
      out += d.toString();
      const m = out.match(/ on (http:\/\/127\.0\.0\.1:\d+) /);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    server.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
  });
});

after(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.on("exit", resolve));
    server.kill("SIGTERM");
    await exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A 200x150 opaque PNG with a gradient, made here so the test needs no fixture file. */
function makePng(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    for (let x = 0; x < width; x++) {
      const o = y * (width * 3 + 1) + 1 + x * 3;
      raw[o] = (x * 255) / width;
      raw[o + 1] = (y * 255) / height;
      raw[o + 2] = 128;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function pngSize(buf) {
  assert.equal(buf.subarray(1, 4).toString("ascii"), "PNG", "a PNG thumbnail");
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

test("matrix-js-sdk uploads, reads the config, downloads and thumbnails", async () => {
  const client = createClient({ baseUrl, accessToken: token, userId });

  const config = await client.getMediaConfig(true);
  assert.equal(config["m.upload.size"], 50 * 1024 * 1024);

  const png = makePng(200, 150);
  const { content_uri: mxc } = await client.uploadContent(png, { name: "gradient.png", type: "image/png" });
  assert.match(mxc, /^mxc:\/\/localhost\/[A-Za-z]{24}$/);

  const auth = { headers: { Authorization: `Bearer ${token}` } };
  const downloadUrl = client.mxcUrlToHttp(mxc, undefined, undefined, undefined, false, true, true);
  assert.ok(downloadUrl.startsWith(`${baseUrl}/_matrix/client/v1/media/download/localhost/`), downloadUrl);
  const download = await fetch(downloadUrl, auth);
  assert.equal(download.status, 200);
  assert.equal(download.headers.get("content-type"), "image/png");
  assert.equal(download.headers.get("content-disposition"), "inline; filename=gradient.png");
  const bytes = Buffer.from(await download.arrayBuffer());
  assert.equal(createHash("sha256").update(bytes).digest("hex"), createHash("sha256").update(png).digest("hex"));

  const unauthenticated = await fetch(downloadUrl);
  assert.equal(unauthenticated.status, 401);
  assert.equal((await unauthenticated.json()).errcode, "M_MISSING_TOKEN");

  const thumbUrl = client.mxcUrlToHttp(mxc, 96, 96, "crop", false, true, true);
  assert.ok(thumbUrl.includes("/_matrix/client/v1/media/thumbnail/localhost/"), thumbUrl);
  const thumb = await fetch(thumbUrl, auth);
  assert.equal(thumb.status, 200, await thumb.clone().text());
  const thumbBytes = Buffer.from(await thumb.arrayBuffer());
  const type = thumb.headers.get("content-type");
  assert.ok(type === "image/jpeg" || type === "image/png", type);
  if (type === "image/png") {
    assert.deepEqual(pngSize(thumbBytes), { width: 96, height: 96 });
  } else {
    assert.equal(thumbBytes[0], 0xff);
    assert.equal(thumbBytes[1], 0xd8);
  }
});
