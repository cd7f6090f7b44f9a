import { test } from "node:test";
import assert from "node:assert/strict";
import { toBase64, tryFromBase64, fromBase64, toHex, tryFromHex, uuidToBytes, uuidFromBytes, isUuid } from "../src/index.js";

test("base64 matches Node's encoder for every length 0..64 and random bytes", () => {
  for (let n = 0; n <= 64; n++) {
    const bytes = crypto.getRandomValues(new Uint8Array(n));
    const expected = Buffer.from(bytes).toString("base64");
    assert.equal(toBase64(bytes), expected);
    assert.deepEqual(fromBase64(expected), bytes);
  }
});

test("base64 decoding refuses garbage without throwing", () => {
  for (const bad of ["a", "ab!c", "€€€€", "abcde"]) assert.equal(tryFromBase64(bad), null, bad);
  assert.throws(() => fromBase64("@@@@"), TypeError);
  assert.deepEqual(tryFromBase64("AQID"), new Uint8Array([1, 2, 3]));
  assert.deepEqual(tryFromBase64("AQI"), new Uint8Array([1, 2]), "padding is optional");
});

test("hex round-trips and refuses odd or non-hex input", () => {
  const bytes = new Uint8Array([0, 1, 0xab, 0xff]);
  assert.equal(toHex(bytes), "0001abff");
  assert.deepEqual(tryFromHex("0001ABff"), bytes);
  assert.equal(tryFromHex("abc"), null);
  assert.equal(tryFromHex("zz"), null);
});

test("UUID bytes are big-endian (RFC 9562 order), as .NET Guid.ToByteArray(bigEndian: true)", () => {
  const id = "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";
  assert.equal(toHex(uuidToBytes(id)), "0193a1b2c3d47e5f8a9b0c1d2e3f4a5b");
  assert.equal(uuidFromBytes(uuidToBytes(id.toUpperCase())), id);
  assert.equal(isUuid("not-a-uuid"), false);
  assert.throws(() => uuidToBytes("nope"), TypeError);
});
