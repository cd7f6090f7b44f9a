/**
 * Viewer input capture: keyboard (KeyboardEvent.code -> HID usage), mouse (absolute over the shown picture;
 * relative under pointer lock), buttons, wheel, and up to four gamepads — mapped by the SDK (docs/input.md)
 * and sent on the `input` data channel, only for the classes the host's grant allows right now. The relay
 * enforces the grant again; this only avoids sending what it would drop.
 */
import {
  KeyboardState, MAX_CONTROLLERS, WheelAccumulator, absolutePointer, controllerStateFromGamepad, mouseButtonFromDom, relativeMove,
  sameControllerState, type ControllerStateInput, type InputEvent, type InputPermissions, type MouseButtonCode,
} from "@lilium/sdk";

/** What {@link InputCapture} sent, by class (shown in the stats overlay, read by the browser tests). */
export interface InputCounters { keys: number; mouse: number; wheel: number; controller: number; dropped: number }

export class InputCapture {
  readonly counters: InputCounters = { keys: 0, mouse: 0, wheel: 0, controller: 0, dropped: 0 };
  private readonly keyboard = new KeyboardState();
  private readonly wheel = new WheelAccumulator();
  private readonly buttons = new Set<MouseButtonCode>();
  private readonly pads = new Map<number, ControllerStateInput>();
  private readonly offs: (() => void)[] = [];
  private readonly padTimer: ReturnType<typeof setInterval>;

  constructor(
    private readonly target: HTMLVideoElement,
    private readonly send: (event: InputEvent) => boolean,
    private readonly permissions: () => InputPermissions,
  ) {
    const on = (el: EventTarget, type: string, fn: (e: Event) => void, opts?: AddEventListenerOptions) => {
      el.addEventListener(type, fn, opts);
      this.offs.push(() => el.removeEventListener(type, fn, opts));
    };
    on(window, "keydown", (e) => this.onKey(e as KeyboardEvent, true));
    on(window, "keyup", (e) => this.onKey(e as KeyboardEvent, false));
    on(target, "pointermove", (e) => this.onMove(e as PointerEvent));
    on(target, "pointerdown", (e) => this.onButton(e as PointerEvent, true));
    on(window, "pointerup", (e) => this.onButton(e as PointerEvent, false));
    on(target, "wheel", (e) => this.onWheel(e as WheelEvent), { passive: false });
    on(target, "contextmenu", (e) => e.preventDefault());
    on(window, "blur", () => this.releaseAll());
    this.padTimer = setInterval(() => this.pollGamepads(), 16);
  }

  /** Releases everything held (on blur, on stop, and when the grant narrows). */
  releaseAll(): void {
    for (const up of this.keyboard.releaseAll()) this.emit(up, "keys");
    for (const button of this.buttons) this.emit({ kind: "mouseButton", button, down: false }, "mouse");
    this.buttons.clear();
  }

  stop(): void {
    this.releaseAll();
    for (const off of this.offs) off();
    this.offs.length = 0;
    clearInterval(this.padTimer);
  }

  private emit(event: InputEvent, kind: keyof InputCounters): void {
    if (this.send(event)) this.counters[kind]++;
    else this.counters.dropped++;
  }

  private onKey(e: KeyboardEvent, down: boolean): void {
    if (!this.permissions().keyboard) return;
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement) return;
    if (down && e.repeat) return; // the host repeats on its own clock
    const event = this.keyboard.fromDom(e, down);
    if (event === null) return;
    e.preventDefault();
    this.emit(event, "keys");
  }

  private onMove(e: PointerEvent): void {
    const p = this.permissions();
    if (!p.mouse) return;
    if (document.pointerLockElement === this.target) {
      if (p.immersion && (e.movementX !== 0 || e.movementY !== 0)) this.emit(relativeMove(e.movementX, e.movementY), "mouse");
      return;
    }
    const at = absolutePointer(e.clientX, e.clientY, this.target.getBoundingClientRect(), this.target.videoWidth, this.target.videoHeight);
    if (at !== null) this.emit({ kind: "mouseMove", relative: false, x: at.x, y: at.y }, "mouse");
  }

  private onButton(e: PointerEvent, down: boolean): void {
    if (!this.permissions().mouse) return;
    const button = mouseButtonFromDom(e.button);
    if (button === null) return;
    if (down) {
      e.preventDefault();
      this.target.focus();
      if (document.pointerLockElement !== this.target) this.onMove(e);
      this.buttons.add(button);
    } else {
      if (!this.buttons.has(button)) return;
      this.buttons.delete(button);
    }
    this.emit({ kind: "mouseButton", button, down }, "mouse");
  }

  private onWheel(e: WheelEvent): void {
    if (!this.permissions().mouse) return;
    e.preventDefault();
    const event = this.wheel.fromDom(e);
    if (event !== null) this.emit(event, "wheel");
  }

  private pollGamepads(): void {
    if (!this.permissions().controller || typeof navigator.getGamepads !== "function") return;
    const seen = new Set<number>();
    for (const pad of navigator.getGamepads()) {
      if (pad === null || !pad.connected || pad.index >= MAX_CONTROLLERS) continue;
      seen.add(pad.index);
      const state = controllerStateFromGamepad(pad, pad.index);
      const last = this.pads.get(pad.index);
      if (last !== undefined && sameControllerState(last, state)) continue;
      this.pads.set(pad.index, state);
      this.emit(state, "controller");
    }
    for (const index of [...this.pads.keys()]) {
      if (!seen.has(index)) {
        this.pads.delete(index);
        this.emit({ kind: "controllerDisconnected", index }, "controller");
      }
    }
  }
}
