/** Loads the JSON fixtures in client-sdk/js/fixtures (see fixtures/README.md for their provenance). */
import { readFileSync } from "node:fs";

export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), "utf8")) as T;
}

export interface ChatVectors {
  provenance: string;
  a: { userId: string; pem: string; sec1Pem?: string; publicKey: string; fingerprint: string };
  b: { userId: string; pem: string; publicKey: string; fingerprint: string };
  signature: { signer: "a"; data: string; signature: string };
  chat: {
    initiator: "a";
    hello: string;
    ack: string;
    initiatorEphemeralPkcs8: string;
    aToB: { text: string; payload: string }[];
    bToA: { text: string; payload: string }[];
  };
}
