/**
 * Small key-value persistence for the SDK: an interface, an in-memory implementation (tests,
 * Node) and an IndexedDB one (browsers; values are structured clones, so a non-extractable
 * `CryptoKey` is stored as itself and never leaves WebCrypto as bytes).
 */

import { LiliumError } from "./errors.js";

/** A minimal async key-value store. Values must be structured-cloneable. */
export interface KeyValueStore {
  /** The value under `key`, or undefined. */
  get<T>(key: string): Promise<T | undefined>;
  /** Stores `value` under `key`. */
  set<T>(key: string, value: T): Promise<void>;
  /** Removes `key`. */
  delete(key: string): Promise<void>;
}

/** Keeps values in a Map (lost with the process). */
export class MemoryStore implements KeyValueStore {
  private readonly map = new Map<string, unknown>();
  /** @inheritdoc */
  async get<T>(key: string): Promise<T | undefined> {
    return this.map.get(key) as T | undefined;
  }
  /** @inheritdoc */
  async set<T>(key: string, value: T): Promise<void> {
    this.map.set(key, value);
  }
  /** @inheritdoc */
  async delete(key: string): Promise<void> {
    this.map.delete(key);
  }
}

/**
 * An IndexedDB object store (browsers). One database (default `lilium`) with one object store per
 * instance name (e.g. `identity`, `pins`); opened lazily on first use.
 */
export class IndexedDbStore implements KeyValueStore {
  private db: Promise<IDBDatabase> | null = null;

  /**
   * @param storeName The object store, e.g. `identity` or `pins`.
   * @param databaseName The database (default `lilium`).
   * @param factory The IndexedDB factory (default `globalThis.indexedDB`).
   * @param openTimeoutMs How long opening the database may take before it fails with a
   *   {@link StorageUnavailableError} (an upgrade blocked by another tab, a wedged browser profile)
   *   instead of leaving its caller waiting forever.
   */
  constructor(
    private readonly storeName: string,
    private readonly databaseName = "lilium",
    private readonly factory: IDBFactory | undefined = (globalThis as { indexedDB?: IDBFactory }).indexedDB,
    private readonly openTimeoutMs = 8_000,
  ) {}

  /** @inheritdoc */
  async get<T>(key: string): Promise<T | undefined> {
    const value = await this.run("readonly", (s) => s.get(key));
    return value as T | undefined;
  }
  /** @inheritdoc */
  async set<T>(key: string, value: T): Promise<void> {
    await this.run("readwrite", (s) => s.put(value, key));
  }
  /** @inheritdoc */
  async delete(key: string): Promise<void> {
    await this.run("readwrite", (s) => s.delete(key));
  }

  private open(): Promise<IDBDatabase> {
    if (this.db !== null) return this.db;
    const factory = this.factory;
    if (factory === undefined) return Promise.reject(new Error("IndexedDB is not available here; pass another KeyValueStore."));
    const attempt = (left: number): Promise<IDBDatabase> =>
      openWithStore(factory, this.databaseName, this.storeName).catch((error: unknown) => {
        // Two stores adding their object stores at once: one version bump loses; try again.
        if (left > 0) return attempt(left - 1);
        throw error;
      });
    const opening = withDeadline(attempt(3), this.openTimeoutMs, this.databaseName).then((db) => {
      // Another store of the same database may need a version upgrade to add its object store:
      // let it, and reopen on next use (an open connection would block the upgrade forever).
      db.onversionchange = () => {
        db.close();
        if (this.db === opening) this.db = null;
      };
      return db;
    });
    opening.catch(() => {
      if (this.db === opening) this.db = null;
    });
    this.db = opening;
    return opening;
  }

  private async run(mode: IDBTransactionMode, op: (store: IDBObjectStore) => IDBRequest): Promise<unknown> {
    const db = await this.open();
    // A transaction that never completes (a wedged profile) fails like an open that never answers.
    return settleWithin(this.transaction(db, mode, op), this.openTimeoutMs, () => new StorageUnavailableError(
      `This browser's storage (IndexedDB "${this.databaseName}") did not answer within ${Math.round(this.openTimeoutMs / 1000)} s. ` +
      "Close other LiliumShare tabs and reload the page."));
  }

  private transaction(db: IDBDatabase, mode: IDBTransactionMode, op: (store: IDBObjectStore) => IDBRequest): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const tx = db.transaction(this.storeName, mode);
      const request = op(tx.objectStore(this.storeName));
      let result: unknown;
      request.onsuccess = () => {
        result = request.result;
      };
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error ?? request.error);
      tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted."));
    });
  }
}

/** The browser's storage (IndexedDB) did not open in time or refused to. */
export class StorageUnavailableError extends LiliumError {}

// Settles as `work` does, or rejects with `late()` if it has not settled within `ms`.
function settleWithin<T>(work: Promise<T>, ms: number, late: () => Error): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(late()), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

// Fails with a StorageUnavailableError unless `opening` settles within `ms`. A database that opens
// later is closed so it does not block another connection's upgrade.
function withDeadline(opening: Promise<IDBDatabase>, ms: number, name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(new StorageUnavailableError(
        `This browser's storage (IndexedDB "${name}") did not open within ${Math.round(ms / 1000)} s. ` +
        "Close other LiliumShare tabs and reload the page; private windows and full disks can also cause this."));
    }, ms);
    opening.then(
      (db) => {
        clearTimeout(timer);
        if (late) db.close();
        else resolve(db);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof LiliumError ? error : new StorageUnavailableError(`This browser's storage (IndexedDB) refused to open: ${String(error)}`));
      },
    );
  });
}

// Opens the database and makes sure the object store exists (bumping the version to add it).
function openWithStore(factory: IDBFactory, name: string, store: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const first = factory.open(name);
    first.onupgradeneeded = () => {
      if (!first.result.objectStoreNames.contains(store)) first.result.createObjectStore(store);
    };
    first.onerror = () => reject(first.error);
    first.onsuccess = () => {
      const db = first.result;
      if (db.objectStoreNames.contains(store)) {
        resolve(db);
        return;
      }
      const version = db.version + 1;
      db.close(); // a concurrent upgrade by another store may win the race; open() then tries again
      const upgrade = factory.open(name, version);
      upgrade.onupgradeneeded = () => {
        if (!upgrade.result.objectStoreNames.contains(store)) upgrade.result.createObjectStore(store);
      };
      upgrade.onerror = () => reject(upgrade.error);
      upgrade.onblocked = () => undefined; // waits for the other connections' versionchange close
      upgrade.onsuccess = () => resolve(upgrade.result);
    };
  });
}
