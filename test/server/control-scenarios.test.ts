import request from "supertest";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/index.js";

const chat = (app: ReturnType<typeof createApp>, content: string) =>
  request(app)
    .post("/api/v1/chat/completions")
    .set("authorization", "Bearer k")
    .send({ model: "openai/gpt-4o", stream: false, messages: [{ role: "user", content }] });

describe("POST /_mock/scenarios", () => {
  it("adds YAML scenarios at run time, matched before the files' ones, and DELETE drops them", async () => {
    const app = createApp({ scenarios: [{ name: "base", reply: { content: "from files" } }] });
    expect((await chat(app, "ping")).body.choices[0].message.content).toBe("from files");

    const added = await request(app)
      .post("/_mock/scenarios")
      .set("content-type", "application/yaml")
      .send("name: runtime\nmatch: { lastUserMessage: ping }\nreply: { content: added at run time }\n");
    expect(added.status).toBe(201);
    expect(added.body.added).toEqual(["runtime"]);
    expect((await chat(app, "ping")).body.choices[0].message.content).toBe("added at run time");

    const removed = await request(app).delete("/_mock/scenarios");
    expect(removed.body.removed).toEqual(["runtime"]);
    expect((await chat(app, "ping")).body.choices[0].message.content).toBe("from files");
  });

  it("takes JSON too", async () => {
    const app = createApp({ scenarios: [] });
    const added = await request(app)
      .post("/_mock/scenarios")
      .set("content-type", "application/json")
      .send(JSON.stringify({ scenarios: [{ name: "j", reply: { content: "json scenario" } }] }));
    expect(added.status).toBe(201);
    expect((await chat(app, "anything")).body.choices[0].message.content).toBe("json scenario");
  });

  it("answers a bad scenario with a 400 naming the line and field, and adds nothing", async () => {
    const app = createApp({ scenarios: [{ name: "base", reply: { content: "from files" } }] });
    const res = await request(app)
      .post("/_mock/scenarios")
      .set("content-type", "application/yaml")
      .send("name: bad\nmatch:\n  hasTools: maybe\nreply: { content: x }\n");
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/line 3: `match\.hasTools` must be true or false/);
    expect((await chat(app, "ping")).body.choices[0].message.content).toBe("from files");
  });
});
