/** The public API of cline-mock. */

export type { Options } from "./options.js";
export type { ScenarioInput } from "./scenarios/schema.js";
export { createApp } from "./server/app.js";
export type { JournalEntry } from "./server/journal.js";
export { type MockServer, startMockServer } from "./server/start.js";
