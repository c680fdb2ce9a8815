import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Interaction } from "../../src/cassettes/schema.js";
import { type CassetteStore, diskStore, memoryStore, newCassette } from "../../src/cassettes/store.js";

const interaction = (n: number): Interaction => ({
  recordedAt: "2026-01-01T00:00:00.000Z",
  request: {
    method: "POST",
    path: "/api/v1/chat/completions",
    headers: {},
    body: { model: "a/b", messages: [{ role: "user", content: `q${n}` }] },
    fingerprint: `f${n}`,
  },
  response: { status: 200, headers: { "content-type": "application/json" }, body: { n } },
});

// One suite, every store: what the server relies on holds for each implementation.
const stores: Array<[string, () => CassetteStore]> = [
  ["memory", () => memoryStore()],
  ["disk", () => diskStore(mkdtempSync(join(tmpdir(), "cline-mock-store-")))],
];

describe.each(stores)("%s cassette store", (_name, make) => {
  it("gives back what was written, by name, folders included", async () => {
    const store = make();
    await store.write("default", newCassette([interaction(1)]));
    await store.write("suite/login", newCassette([interaction(2), interaction(3)]));
    const all = store.loadAll();
    expect([...all.keys()].sort()).toEqual(["default", "suite/login"]);
    expect(all.get("suite/login")?.interactions.map((i) => i.request.fingerprint)).toEqual(["f2", "f3"]);
  });

  it("keeps the latest contents when writes of one cassette overlap, and flush waits for them", async () => {
    const store = make();
    const cassette = newCassette();
    const writes: Array<Promise<void>> = [];
    for (let n = 0; n < 20; n++) {
      cassette.interactions.push(interaction(n));
      writes.push(store.write("busy", cassette));
    }
    await store.flush();
    await Promise.all(writes);
    expect(store.loadAll().get("busy")?.interactions).toHaveLength(20);
  });
});

describe("disk cassette store", () => {
  it("leaves no temporary files behind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cline-mock-store-"));
    const store = diskStore(dir);
    await Promise.all([store.write("a", newCassette([interaction(1)])), store.write("b", newCassette([interaction(2)]))]);
    await store.flush();
    expect(readdirSync(dir).sort()).toEqual(["a.yaml", "b.yaml"]);
  });
});
