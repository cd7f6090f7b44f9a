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

// An IDBFactory that opens at once, but whose transactions never complete (a wedged browser profile).
function wedgedFactory(): IDBFactory {
  const db = {
    objectStoreNames: { contains: () => true },
    transaction: () => ({ objectStore: () => ({ get: () => ({}), put: () => ({}), delete: () => ({}) }) }),
    close: () => undefined,
    onversionchange: null,
    version: 1,
  };
  return {
    open: () => {
      const request = { result: db } as unknown as IDBOpenDBRequest;
      setTimeout(() => request.onsuccess?.call(request, new Event("success")), 0);
      return request;
    },
  } as unknown as IDBFactory;
}

test("an IndexedDB transaction that never completes fails with StorageUnavailableError, not never", async () => {
  const store = new IndexedDbStore("identity", "lilium", wedgedFactory(), 50);
  await assert.rejects(store.get("default"), (error: unknown) => {
    assert.ok(error instanceof StorageUnavailableError, String(error));
    assert.match((error as Error).message, /did not answer within/);
    return true;
  });
  await assert.rejects(store.set("default", 1), StorageUnavailableError);
});

test("without IndexedDB at all, loading an identity says so", async () => {
  const store = indexedDbIdentityStore("lilium-none");
  await assert.rejects(LiliumIdentity.load(store), /IndexedDB/);
});
