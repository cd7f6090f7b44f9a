import { test } from "node:test";
import assert from "node:assert/strict";
import { IndexedDbStore, StorageUnavailableError, indexedDbIdentityStore, LiliumIdentity } from "../src/index.js";

// An IDBFactory whose open requests never answer, like an upgrade blocked by another tab forever.
function silentFactory(): { factory: IDBFactory; opened: () => number } {
  let opened = 0;
  const factory = {
    open: () => {
      opened++;
      return {} as IDBOpenDBRequest;
    },
  } as unknown as IDBFactory;
  return { factory, opened: () => opened };
}

test("an IndexedDB that never opens fails with StorageUnavailableError after the deadline, not never", async () => {
  const { factory, opened } = silentFactory();
  const store = new IndexedDbStore("identity", "lilium", factory, 50);
  const started = performance.now();
  await assert.rejects(store.get("default"), (error: unknown) => {
    assert.ok(error instanceof StorageUnavailableError, String(error));
    assert.match((error as Error).message, /did not open within/);
    return true;
  });
  assert.ok(performance.now() - started < 5_000);
  assert.equal(opened(), 1);
  // The next use tries again rather than replaying the failure.
  await assert.rejects(store.get("default"), StorageUnavailableError);
  assert.equal(opened(), 2);
});

test("without IndexedDB at all, loading an identity says so", async () => {
  const store = indexedDbIdentityStore("lilium-none");
  await assert.rejects(LiliumIdentity.load(store), /IndexedDB/);
});
