import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Two cores: keep worker count low so timing-sensitive tests are not starved.
    maxWorkers: 2,
  },
});
