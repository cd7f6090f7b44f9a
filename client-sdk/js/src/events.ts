/** A small typed event emitter (no dependency on DOM or Node event classes). */

/** Unsubscribes a handler. */
export type Unsubscribe = () => void;

/** Emits events whose payload types are given by `Events` (event name → payload). */
export class Emitter<Events extends object> {
  private readonly handlers = new Map<keyof Events, Set<(payload: never) => void>>();

  /** Calls `handler` for every `event` until the returned function is called. */
  on<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void): Unsubscribe {
    let set = this.handlers.get(event);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(event, set);
    }
    set.add(handler as (payload: never) => void);
    return () => {
      set.delete(handler as (payload: never) => void);
    };
  }

  /** Calls `handler` for the next `event` only. */
  once<K extends keyof Events>(event: K, handler: (payload: Events[K]) => void): Unsubscribe {
    const off = this.on(event, (payload) => {
      off();
      handler(payload);
    });
    return off;
  }

  /** Delivers `payload` to every handler of `event`; a throwing handler does not stop the others. */
  protected emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.handlers.get(event);
    if (set === undefined) return;
    for (const handler of [...set]) {
      try {
        (handler as (payload: Events[K]) => void)(payload);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** True when someone listens to `event`. */
  protected listens<K extends keyof Events>(event: K): boolean {
    return (this.handlers.get(event)?.size ?? 0) > 0;
  }
}
