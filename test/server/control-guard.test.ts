import type { NextFunction, Request, Response } from "express";
import request from "supertest";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/index.js";
import { guard } from "../../src/server/routes/control.js";

/** Runs the guard for a request from `address` and reports whether it passed or what status it sent. */
function decide(token: string | undefined, address: string, headers: Record<string, string> = {}): Promise<number | "passed"> {
  return new Promise((resolve) => {
    const req = { socket: { remoteAddress: address }, headers } as unknown as Request;
    const res = {
      headersSent: false,
      statusCode: 200,
      setHeader() {},
      end() {
        resolve(res.statusCode);
      },
    } as unknown as Response;
    guard(token)(req, res, (() => resolve("passed")) as NextFunction);
  });
}

describe("control route guard", () => {
  it("lets loopback clients in without a token, and turns others away with a 403", async () => {
    expect(await decide(undefined, "127.0.0.1")).toBe("passed");
    expect(await decide(undefined, "::1")).toBe("passed");
    expect(await decide(undefined, "::ffff:127.0.0.1")).toBe("passed");
    expect(await decide(undefined, "10.1.2.3")).toBe(403);
    expect(await decide(undefined, "::ffff:192.168.0.9")).toBe(403);
  });

  it("with an admin token, requires it from everyone, as a header or a bearer token", async () => {
    expect(await decide("s3cret", "127.0.0.1")).toBe(401);
    expect(await decide("s3cret", "10.1.2.3", { "x-mock-admin-token": "s3cret" })).toBe("passed");
    expect(await decide("s3cret", "10.1.2.3", { authorization: "Bearer s3cret" })).toBe("passed");
    expect(await decide("s3cret", "10.1.2.3", { authorization: "Bearer wrong" })).toBe(401);
  });

  it("guards the real routes: POST /_mock/reset needs the token when one is set", async () => {
    const app = createApp({ adminToken: "s3cret" });
    const refused = await request(app).post("/_mock/reset");
    expect(refused.status).toBe(401);
    expect(refused.body.error.message).toMatch(/admin token/);
    expect((await request(app).post("/_mock/reset").set("x-mock-admin-token", "s3cret")).status).toBe(200);
  });
});
