import { test } from "node:test";
import assert from "node:assert/strict";
import { LiliumProblemError, RelayRejectedError, LiliumError } from "../src/index.js";

// The same reading as Lilium.Client's LiliumProblemException.Read.
test("problem code comes from `code`, else the last segment of `type`, else the status", () => {
  const withCode = LiliumProblemError.fromBody(409, JSON.stringify({ type: "https://x/problems/conflict", title: "Conflict", detail: "Full.", code: "session-full" }), "fallback");
  assert.equal(withCode.code, "session-full");
  assert.equal(withCode.status, 409);
  assert.equal(withCode.message, "Conflict: Full. (HTTP 409, session-full)");
  assert.equal(withCode.problem?.detail, "Full.");

  assert.equal(LiliumProblemError.fromBody(400, JSON.stringify({ type: "urn:lilium:bad-thing", title: "Bad" }), "f").code, "bad-thing");
  assert.equal(LiliumProblemError.fromBody(404, "", "GET /x failed").message, "GET /x failed (HTTP 404, not-found)");
  assert.equal(LiliumProblemError.fromBody(401, "<html>", "f").code, "unauthorized");
  assert.equal(LiliumProblemError.fromBody(429, "[1,2]", "f").code, "rate-limited");
  assert.equal(LiliumProblemError.fromBody(503, JSON.stringify({ type: "about:blank", detail: "down" }), "f").code, "http-503");
});

test("Retry-After seconds are kept; subclasses stay subclasses", () => {
  const e = RelayRejectedError.fromBody(409, JSON.stringify({ title: "No publisher", code: "no-publisher" }), "f", "2");
  assert.ok(e instanceof RelayRejectedError);
  assert.ok(e instanceof LiliumProblemError);
  assert.ok(e instanceof LiliumError);
  assert.equal(e.name, "RelayRejectedError");
  assert.equal(e.retryAfter, 2);
  assert.equal(e.code, "no-publisher");
});
