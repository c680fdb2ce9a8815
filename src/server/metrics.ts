/** Prometheus metrics (`GET /metrics`): counters per model, source, status and fault, kept as each request ends. */
import type { JournalEntry } from "./journal.js";

// Clients choose model ids: past this many label sets, new ones are counted under "other".
const MAX_SERIES = 1000;

class Counter {
  private readonly values = new Map<string, number>();

  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  add(labels: Record<string, string>, n = 1): void {
    let key = Object.entries(labels)
      .map(([k, v]) => `${k}="${v.replace(/[\\"\n]/g, "_")}"`)
      .join(",");
    if (!this.values.has(key) && this.values.size >= MAX_SERIES)
      key = Object.keys(labels)
        .map((k) => `${k}="other"`)
        .join(",");
    this.values.set(key, (this.values.get(key) ?? 0) + n);
  }

  render(type: "counter" | "gauge" = "counter"): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} ${type}`];
    for (const [labels, value] of this.values) lines.push(`${this.name}${labels ? `{${labels}}` : ""} ${value}`);
    return lines.join("\n");
  }
}

export class Metrics {
  private readonly requests = new Counter("cline_mock_requests_total", "Requests answered, by model, source and status.");
  private readonly faults = new Counter("cline_mock_faults_total", "Faults injected, by spec.");
  private readonly tokens = new Counter("cline_mock_tokens_total", "Tokens in answers, by model and kind.");
  private readonly cost = new Counter("cline_mock_cost_usd_total", "Cost of answers in USD, by model.");
  private readonly aborted = new Counter("cline_mock_aborted_total", "Responses the client left before their end.");
  private readonly open = new Counter("cline_mock_open_requests", "Requests being answered now.");

  started(): void {
    this.open.add({}, 1);
  }

  ended(e: JournalEntry): void {
    this.open.add({}, -1);
    const model = e.model ?? "none";
    this.requests.add({ model, source: e.source ?? "none", status: String(e.status) });
    if (e.fault) this.faults.add({ fault: e.fault });
    if (e.aborted) this.aborted.add({ model });
    if (e.usage) {
      this.tokens.add({ model, kind: "prompt" }, e.usage.promptTokens);
      this.tokens.add({ model, kind: "completion" }, e.usage.completionTokens);
      this.cost.add({ model }, e.usage.cost);
    }
  }

  render(): string {
    return `${[this.requests.render(), this.faults.render(), this.tokens.render(), this.cost.render(), this.aborted.render(), this.open.render("gauge")].join("\n")}\n`;
  }
}
