/** Cassette names come from a header: they may hold folders, but can never leave the cassettes folder. */
import { badRequest, type MockError } from "../contract/errors.js";

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Returns an error when the name is not a safe relative name such as `suite/test-1`. */
export function checkCassetteName(name: string): MockError | undefined {
  const segments = name.split("/");
  if (name.length <= 200 && segments.every((s) => SEGMENT.test(s) && !s.includes(".."))) return undefined;
  return badRequest(
    `The x-mock-cassette header "${name.slice(0, 60)}" is not a cassette name: use letters, digits, ".", "_" and "-", with "/" between folders; a name cannot start with "." or leave the cassettes folder.`,
    "x-mock-cassette",
  );
}
