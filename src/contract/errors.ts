/** The one error family: every failure a user can cause is a MockError, mapped to the contract's envelope in one place. */

export interface ErrorBody {
  error: {
    code: number | string;
    message: string;
    type?: string;
    param?: string | null;
    metadata: Record<string, unknown>;
    [extra: string]: unknown;
  };
}

export interface MockErrorInit {
  status: number;
  message: string;
  /** The envelope's `code`; defaults to the HTTP status. */
  code?: number | string;
  type?: string;
  param?: string;
  metadata?: Record<string, unknown>;
  /** Extra fields placed inside `error` (e.g. the 402 credits object). */
  fields?: Record<string, unknown>;
  headers?: Record<string, string>;
  /** Send the error only after this many ms (a slow first byte). */
  afterMs?: number;
}

export class MockError extends Error {
  readonly status: number;
  readonly code: number | string;
  readonly type: string | undefined;
  readonly param: string | undefined;
  readonly metadata: Record<string, unknown>;
  readonly fields: Record<string, unknown>;
  readonly headers: Record<string, string>;
  readonly afterMs: number;

  constructor(init: MockErrorInit) {
    super(init.message);
    this.name = "MockError";
    this.status = init.status;
    this.code = init.code ?? init.status;
    this.type = init.type;
    this.param = init.param;
    this.metadata = init.metadata ?? {};
    this.fields = init.fields ?? {};
    this.headers = init.headers ?? {};
    this.afterMs = init.afterMs ?? 0;
  }

  /** The same error, sent only after `afterMs`. */
  delayed(afterMs: number): MockError {
    const { status, message, code, metadata, fields, headers } = this;
    return new MockError({
      status,
      message,
      code,
      metadata,
      fields,
      headers,
      afterMs,
      ...(this.type ? { type: this.type } : {}),
      ...(this.param ? { param: this.param } : {}),
    });
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.type === undefined ? {} : { type: this.type }),
        ...(this.param === undefined ? {} : { param: this.param }),
        ...this.fields,
        metadata: this.metadata,
      },
    };
  }
}

export const badRequest = (message: string, param?: string): MockError =>
  new MockError({
    status: 400,
    message,
    type: "invalid_request_error",
    ...(param === undefined ? {} : { param }),
  });
