/**
 * The remote-input wire format, version 1 (docs/input.md; C#: `Lilium.Input.InputWire` / `InputEvent`),
 * plus the browser mappings: `KeyboardEvent.code` → USB HID usage (keyboard page 0x07), DOM mouse
 * buttons and wheel deltas, and the W3C "standard" Gamepad layout → the controller state.
 *
 * ```
 *  0               1               2               3
 * |  Version = 1  |     Type      |      Sequence (u16, BE)       |
 * KeyDown/KeyUp          (8 B) | HID usage u16 | modifiers u8 | 0 |
 * MouseMoveAbsolute      (8 B) | x u16 (0..65535 of display) | y u16 |
 * MouseMoveRelative      (8 B) | dx i16 | dy i16 |
 * MouseButtonDown/Up     (6 B) | button u8 | 0 |
 * MouseWheel             (8 B) | dx i16 (120 = one notch) | dy i16 |
 * ControllerState       (20 B) | index u8 | 0 | buttons u16 | lx ly rx ry i16 | lt rt u16 |
 * ControllerDisconnected (6 B) | index u8 | 0 |
 * Forwarded        (20 B + n) | viewer id (16 B, big-endian UUID) | inner event |   relay → host only
 * ```
 */

import { uuidFromBytes } from "./encoding.js";
import type { Uuid } from "./protocol.js";

/** The wire version byte. */
export const INPUT_VERSION = 1;
/** Bytes before the payload. */
export const INPUT_HEADER_SIZE = 4;
/** Controllers 0..3. */
export const MAX_CONTROLLERS = 4;

/** Event type codes (C#: `InputEventType`). */
export const InputEventType = {
  KeyDown: 0x01,
  KeyUp: 0x02,
  MouseMoveAbsolute: 0x10,
  MouseMoveRelative: 0x11,
  MouseButtonDown: 0x12,
  MouseButtonUp: 0x13,
  MouseWheel: 0x14,
  ControllerState: 0x20,
  ControllerDisconnected: 0x21,
  Forwarded: 0xf0,
} as const;
/** An event type code. */
export type InputEventTypeCode = (typeof InputEventType)[keyof typeof InputEventType];

/** Mouse buttons on the wire (not the DOM's numbering: see {@link mouseButtonFromDom}). */
export const MouseButton = { Left: 0, Right: 1, Middle: 2, Back: 3, Forward: 4 } as const;
/** A wire mouse button. */
export type MouseButtonCode = (typeof MouseButton)[keyof typeof MouseButton];

/** The USB HID keyboard modifier byte (C#: `KeyModifiers`). */
export const KeyModifiers = {
  None: 0,
  LeftCtrl: 1 << 0,
  LeftShift: 1 << 1,
  LeftAlt: 1 << 2,
  LeftMeta: 1 << 3,
  RightCtrl: 1 << 4,
  RightShift: 1 << 5,
  RightAlt: 1 << 6,
  RightMeta: 1 << 7,
} as const;

/** Controller buttons, XInput / W3C standard layout (C#: `ControllerButtons`). */
export const ControllerButtons = {
  None: 0,
  A: 1 << 0,
  B: 1 << 1,
  X: 1 << 2,
  Y: 1 << 3,
  LeftShoulder: 1 << 4,
  RightShoulder: 1 << 5,
  Back: 1 << 6,
  Start: 1 << 7,
  Guide: 1 << 8,
  LeftStick: 1 << 9,
  RightStick: 1 << 10,
  DPadUp: 1 << 11,
  DPadDown: 1 << 12,
  DPadLeft: 1 << 13,
  DPadRight: 1 << 14,
} as const;

/** A key press or release by USB HID usage (page 0x07) with the modifier byte. */
export interface KeyInput { kind: "key"; down: boolean; usage: number; modifiers: number }
/** Pointer motion: absolute (0..65535 across the shared display) or relative (pointer lock; needs immersion). */
export interface MouseMoveInput { kind: "mouseMove"; relative: boolean; x: number; y: number }
/** A mouse button press or release. */
export interface MouseButtonInput { kind: "mouseButton"; button: MouseButtonCode; down: boolean }
/** Wheel motion, 120 units per notch; positive `dy` = wheel forward (scroll up), positive `dx` = right (Windows' convention). */
export interface MouseWheelInput { kind: "mouseWheel"; dx: number; dy: number }
/**
 * A whole controller snapshot. Sticks are signed 16-bit with XInput's convention (positive Y = up);
 * triggers 0..65535.
 */
export interface ControllerStateInput {
  kind: "controllerState"; index: number; buttons: number;
  leftX: number; leftY: number; rightX: number; rightY: number; leftTrigger: number; rightTrigger: number;
}
/** A controller went away. */
export interface ControllerDisconnectedInput { kind: "controllerDisconnected"; index: number }

/** Every event a viewer can send. */
export type InputEvent = KeyInput | MouseMoveInput | MouseButtonInput | MouseWheelInput | ControllerStateInput | ControllerDisconnectedInput;

/** The wire type code of an event. */
export function inputEventType(e: InputEvent): InputEventTypeCode {
  switch (e.kind) {
    case "key": return e.down ? InputEventType.KeyDown : InputEventType.KeyUp;
    case "mouseMove": return e.relative ? InputEventType.MouseMoveRelative : InputEventType.MouseMoveAbsolute;
    case "mouseButton": return e.down ? InputEventType.MouseButtonDown : InputEventType.MouseButtonUp;
    case "mouseWheel": return InputEventType.MouseWheel;
    case "controllerState": return InputEventType.ControllerState;
    case "controllerDisconnected": return InputEventType.ControllerDisconnected;
  }
}

/** The fixed size of an event of this type, or 0 for a type clients may not send. */
export function inputSizeOf(type: number): number {
  switch (type) {
    case InputEventType.KeyDown: case InputEventType.KeyUp:
    case InputEventType.MouseMoveAbsolute: case InputEventType.MouseMoveRelative: case InputEventType.MouseWheel:
      return 8;
    case InputEventType.MouseButtonDown: case InputEventType.MouseButtonUp:
    case InputEventType.ControllerDisconnected:
      return 6;
    case InputEventType.ControllerState:
      return 20;
    default:
      return 0;
  }
}

function checkInt(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name} must be an integer in ${min}..${max} (got ${v}).`);
  return v;
}

/**
 * Encodes one event with the given sequence number (0..65535). Throws RangeError for values the
 * wire cannot carry (as the C# encoder's checked casts do).
 */
export function encodeInputEvent(e: InputEvent, sequence: number): Uint8Array {
  const type = inputEventType(e);
  const bytes = new Uint8Array(inputSizeOf(type));
  const view = new DataView(bytes.buffer);
  bytes[0] = INPUT_VERSION;
  bytes[1] = type;
  view.setUint16(2, checkInt("sequence", sequence, 0, 0xffff));
  switch (e.kind) {
    case "key":
      view.setUint16(4, checkInt("usage", e.usage, 0, 0xffff));
      bytes[6] = checkInt("modifiers", e.modifiers, 0, 0xff);
      break;
    case "mouseMove":
      if (e.relative) {
        view.setInt16(4, checkInt("dx", e.x, -32768, 32767));
        view.setInt16(6, checkInt("dy", e.y, -32768, 32767));
      } else {
        view.setUint16(4, checkInt("x", e.x, 0, 0xffff));
        view.setUint16(6, checkInt("y", e.y, 0, 0xffff));
      }
      break;
    case "mouseButton":
      bytes[4] = checkInt("button", e.button, 0, MouseButton.Forward);
      break;
    case "mouseWheel":
      view.setInt16(4, checkInt("dx", e.dx, -32768, 32767));
      view.setInt16(6, checkInt("dy", e.dy, -32768, 32767));
      break;
    case "controllerState":
      bytes[4] = checkInt("index", e.index, 0, MAX_CONTROLLERS - 1);
      view.setUint16(6, checkInt("buttons", e.buttons, 0, 0xffff));
      view.setInt16(8, checkInt("leftX", e.leftX, -32768, 32767));
      view.setInt16(10, checkInt("leftY", e.leftY, -32768, 32767));
      view.setInt16(12, checkInt("rightX", e.rightX, -32768, 32767));
      view.setInt16(14, checkInt("rightY", e.rightY, -32768, 32767));
      view.setUint16(16, checkInt("leftTrigger", e.leftTrigger, 0, 0xffff));
      view.setUint16(18, checkInt("rightTrigger", e.rightTrigger, 0, 0xffff));
      break;
    case "controllerDisconnected":
      bytes[4] = checkInt("index", e.index, 0, MAX_CONTROLLERS - 1);
      break;
  }
  return bytes;
}

/** Checks version, type, size and value ranges of a client event; never throws (C#: `InputWire.TryValidate`). */
export function validateInput(message: Uint8Array): boolean {
  if (message.length < INPUT_HEADER_SIZE || message[0] !== INPUT_VERSION) return false;
  const type = message[1]!;
  const size = inputSizeOf(type);
  if (size === 0 || message.length !== size) return false;
  switch (type) {
    case InputEventType.MouseButtonDown: case InputEventType.MouseButtonUp:
      return message[4]! <= MouseButton.Forward;
    case InputEventType.ControllerState: case InputEventType.ControllerDisconnected:
      return message[4]! < MAX_CONTROLLERS;
    default:
      return true;
  }
}

/** Decodes one event; null (never an exception) on anything malformed. */
export function decodeInputEvent(message: Uint8Array): { event: InputEvent; sequence: number } | null {
  if (!validateInput(message)) return null;
  const v = new DataView(message.buffer, message.byteOffset, message.byteLength);
  const sequence = v.getUint16(2);
  const type = message[1]!;
  let event: InputEvent;
  switch (type) {
    case InputEventType.KeyDown: case InputEventType.KeyUp:
      event = { kind: "key", down: type === InputEventType.KeyDown, usage: v.getUint16(4), modifiers: message[6]! };
      break;
    case InputEventType.MouseMoveAbsolute:
      event = { kind: "mouseMove", relative: false, x: v.getUint16(4), y: v.getUint16(6) };
      break;
    case InputEventType.MouseMoveRelative:
      event = { kind: "mouseMove", relative: true, x: v.getInt16(4), y: v.getInt16(6) };
      break;
    case InputEventType.MouseButtonDown: case InputEventType.MouseButtonUp:
      event = { kind: "mouseButton", button: message[4] as MouseButtonCode, down: type === InputEventType.MouseButtonDown };
      break;
    case InputEventType.MouseWheel:
      event = { kind: "mouseWheel", dx: v.getInt16(4), dy: v.getInt16(6) };
      break;
    case InputEventType.ControllerState:
      event = {
        kind: "controllerState", index: message[4]!, buttons: v.getUint16(6),
        leftX: v.getInt16(8), leftY: v.getInt16(10), rightX: v.getInt16(12), rightY: v.getInt16(14),
        leftTrigger: v.getUint16(16), rightTrigger: v.getUint16(18),
      };
      break;
    case InputEventType.ControllerDisconnected:
      event = { kind: "controllerDisconnected", index: message[4]! };
      break;
    default:
      return null;
  }
  return { event, sequence };
}

/** Opens a relay → host `Forwarded` envelope; null if it is not one or its inner event is malformed. */
export function decodeForwarded(message: Uint8Array): { viewer: Uuid; sequence: number; event: InputEvent; innerSequence: number } | null {
  if (message.length <= INPUT_HEADER_SIZE + 16 || message[0] !== INPUT_VERSION || message[1] !== InputEventType.Forwarded) return null;
  const inner = decodeInputEvent(message.subarray(INPUT_HEADER_SIZE + 16));
  if (inner === null) return null;
  const sequence = new DataView(message.buffer, message.byteOffset, message.byteLength).getUint16(2);
  return { viewer: uuidFromBytes(message.slice(4, 20)), sequence, event: inner.event, innerSequence: inner.sequence };
}

// ───────────────────────────── keyboard ─────────────────────────────

/**
 * `KeyboardEvent.code` → USB HID usage id on the keyboard/keypad page (0x07), after the W3C UI
 * Events KeyboardEvent code spec and the HID Usage Tables §10 (Chromium's `dom_code_data.inc`
 * pairs them the same way). Codes of other HID pages (media keys on the consumer page 0x0C,
 * `Fn`, browser keys) are absent: the wire carries page 0x07 only.
 */
export const HID_USAGE_BY_CODE: Readonly<Record<string, number>> = Object.freeze({
  KeyA: 0x04, KeyB: 0x05, KeyC: 0x06, KeyD: 0x07, KeyE: 0x08, KeyF: 0x09, KeyG: 0x0a, KeyH: 0x0b,
  KeyI: 0x0c, KeyJ: 0x0d, KeyK: 0x0e, KeyL: 0x0f, KeyM: 0x10, KeyN: 0x11, KeyO: 0x12, KeyP: 0x13,
  KeyQ: 0x14, KeyR: 0x15, KeyS: 0x16, KeyT: 0x17, KeyU: 0x18, KeyV: 0x19, KeyW: 0x1a, KeyX: 0x1b,
  KeyY: 0x1c, KeyZ: 0x1d,
  Digit1: 0x1e, Digit2: 0x1f, Digit3: 0x20, Digit4: 0x21, Digit5: 0x22, Digit6: 0x23, Digit7: 0x24,
  Digit8: 0x25, Digit9: 0x26, Digit0: 0x27,
  Enter: 0x28, Escape: 0x29, Backspace: 0x2a, Tab: 0x2b, Space: 0x2c, Minus: 0x2d, Equal: 0x2e,
  BracketLeft: 0x2f, BracketRight: 0x30, Backslash: 0x31, IntlHash: 0x32, Semicolon: 0x33, Quote: 0x34,
  Backquote: 0x35, Comma: 0x36, Period: 0x37, Slash: 0x38, CapsLock: 0x39,
  F1: 0x3a, F2: 0x3b, F3: 0x3c, F4: 0x3d, F5: 0x3e, F6: 0x3f, F7: 0x40, F8: 0x41, F9: 0x42, F10: 0x43,
  F11: 0x44, F12: 0x45,
  PrintScreen: 0x46, ScrollLock: 0x47, Pause: 0x48, Insert: 0x49, Home: 0x4a, PageUp: 0x4b, Delete: 0x4c,
  End: 0x4d, PageDown: 0x4e, ArrowRight: 0x4f, ArrowLeft: 0x50, ArrowDown: 0x51, ArrowUp: 0x52,
  NumLock: 0x53, NumpadDivide: 0x54, NumpadMultiply: 0x55, NumpadSubtract: 0x56, NumpadAdd: 0x57,
  NumpadEnter: 0x58, Numpad1: 0x59, Numpad2: 0x5a, Numpad3: 0x5b, Numpad4: 0x5c, Numpad5: 0x5d,
  Numpad6: 0x5e, Numpad7: 0x5f, Numpad8: 0x60, Numpad9: 0x61, Numpad0: 0x62, NumpadDecimal: 0x63,
  IntlBackslash: 0x64, ContextMenu: 0x65, Power: 0x66, NumpadEqual: 0x67,
  F13: 0x68, F14: 0x69, F15: 0x6a, F16: 0x6b, F17: 0x6c, F18: 0x6d, F19: 0x6e, F20: 0x6f, F21: 0x70,
  F22: 0x71, F23: 0x72, F24: 0x73,
  Open: 0x74, Help: 0x75, Select: 0x77, Again: 0x79, Undo: 0x7a, Cut: 0x7b, Copy: 0x7c, Paste: 0x7d,
  Find: 0x7e, AudioVolumeMute: 0x7f, AudioVolumeUp: 0x80, AudioVolumeDown: 0x81,
  NumpadComma: 0x85, IntlRo: 0x87, KanaMode: 0x88, IntlYen: 0x89, Convert: 0x8a, NonConvert: 0x8b,
  Lang1: 0x90, Lang2: 0x91, Lang3: 0x92, Lang4: 0x93, Lang5: 0x94,
  NumpadParenLeft: 0xb6, NumpadParenRight: 0xb7, NumpadBackspace: 0xbb,
  NumpadMemoryStore: 0xd0, NumpadMemoryRecall: 0xd1, NumpadMemoryClear: 0xd2, NumpadMemoryAdd: 0xd3,
  NumpadMemorySubtract: 0xd4, NumpadClear: 0xd8, NumpadClearEntry: 0xd9,
  ControlLeft: 0xe0, ShiftLeft: 0xe1, AltLeft: 0xe2, MetaLeft: 0xe3,
  ControlRight: 0xe4, ShiftRight: 0xe5, AltRight: 0xe6, MetaRight: 0xe7,
  // Older spellings some browsers still send.
  OSLeft: 0xe3, OSRight: 0xe7, VolumeMute: 0x7f, VolumeUp: 0x80, VolumeDown: 0x81,
});

/** The HID usage for a `KeyboardEvent.code`, or null for keys the wire cannot carry. */
export function hidUsageFromCode(code: string): number | null {
  return Object.prototype.hasOwnProperty.call(HID_USAGE_BY_CODE, code) ? HID_USAGE_BY_CODE[code]! : null;
}

/** The modifier bit of a HID modifier usage (0xE0–0xE7), or 0. */
export function modifierBit(usage: number): number {
  return usage >= 0xe0 && usage <= 0xe7 ? 1 << (usage - 0xe0) : 0;
}

/** The part of a DOM KeyboardEvent the encoder reads. */
export interface KeyboardEventLike { code: string; type?: string; repeat?: boolean; ctrlKey?: boolean; shiftKey?: boolean; altKey?: boolean; metaKey?: boolean }

/**
 * Tracks which keys are down so the modifier byte tells left from right (DOM events only say
 * `ctrlKey`), and so that {@link releaseAll} can lift everything when the view loses focus.
 */
export class KeyboardState {
  private readonly down = new Set<number>();

  /** The current modifier byte. */
  get modifiers(): number {
    let m = 0;
    for (const u of this.down) m |= modifierBit(u);
    return m;
  }

  /**
   * The input event for a DOM `keydown` / `keyup` (`down` defaults to `event.type === "keydown"`),
   * or null for keys without a HID usage. Auto-repeat keydowns are passed through (hosts repeat on
   * their own clock only if they get no repeats).
   */
  fromDom(event: KeyboardEventLike, down = event.type !== "keyup"): KeyInput | null {
    const usage = hidUsageFromCode(event.code);
    if (usage === null) return null;
    if (down) this.down.add(usage);
    else this.down.delete(usage);
    let modifiers = this.modifiers;
    // Fall back to the DOM flags for modifiers pressed before the view had focus.
    if (event.ctrlKey && (modifiers & (KeyModifiers.LeftCtrl | KeyModifiers.RightCtrl)) === 0) modifiers |= KeyModifiers.LeftCtrl;
    if (event.shiftKey && (modifiers & (KeyModifiers.LeftShift | KeyModifiers.RightShift)) === 0) modifiers |= KeyModifiers.LeftShift;
    if (event.altKey && (modifiers & (KeyModifiers.LeftAlt | KeyModifiers.RightAlt)) === 0) modifiers |= KeyModifiers.LeftAlt;
    if (event.metaKey && (modifiers & (KeyModifiers.LeftMeta | KeyModifiers.RightMeta)) === 0) modifiers |= KeyModifiers.LeftMeta;
    return { kind: "key", down, usage, modifiers };
  }

  /** Key-ups for every key still down (call on blur), and forgets them. */
  releaseAll(): KeyInput[] {
    const ups: KeyInput[] = [];
    for (const usage of [...this.down]) {
      this.down.delete(usage);
      ups.push({ kind: "key", down: false, usage, modifiers: this.modifiers });
    }
    return ups;
  }
}

// ───────────────────────────── mouse ─────────────────────────────

/** DOM `MouseEvent.button` (0 main, 1 auxiliary, 2 secondary, 3 back, 4 forward) → wire button, or null. */
export function mouseButtonFromDom(button: number): MouseButtonCode | null {
  switch (button) {
    case 0: return MouseButton.Left;
    case 1: return MouseButton.Middle;
    case 2: return MouseButton.Right;
    case 3: return MouseButton.Back;
    case 4: return MouseButton.Forward;
    default: return null;
  }
}

/** A rectangle in client coordinates (a `DOMRect`). */
export interface RectLike { left: number; top: number; width: number; height: number }

/**
 * Maps a client point over a `<video>` element to the absolute 0..65535 coordinates of the shared
 * display, accounting for letterboxing (`object-fit: contain`) when the video's intrinsic size is
 * given. Null when the point is outside the picture.
 */
export function absolutePointer(clientX: number, clientY: number, rect: RectLike, videoWidth = 0, videoHeight = 0): { x: number; y: number } | null {
  let { left, top, width, height } = rect;
  if (videoWidth > 0 && videoHeight > 0 && width > 0 && height > 0) {
    const scale = Math.min(width / videoWidth, height / videoHeight);
    const w = videoWidth * scale;
    const h = videoHeight * scale;
    left += (width - w) / 2;
    top += (height - h) / 2;
    width = w;
    height = h;
  }
  if (width <= 0 || height <= 0) return null;
  const fx = (clientX - left) / width;
  const fy = (clientY - top) / height;
  if (fx < 0 || fx > 1 || fy < 0 || fy > 1) return null;
  return { x: Math.round(fx * 65535), y: Math.round(fy * 65535) };
}

/** The part of a DOM WheelEvent the encoder reads. */
export interface WheelEventLike { deltaX: number; deltaY: number; deltaMode: number }

/** Wire units per pixel of DOM wheel delta (Chromium reports ~100 px per notch) and per line (3 lines per notch). */
const WHEEL_PER_PIXEL = 1.2;
const WHEEL_PER_LINE = 40;
const WHEEL_PER_PAGE = 360;

/**
 * Converts DOM wheel deltas (down/right positive, in pixels, lines or pages) into wire units
 * (120 per notch, forward/up positive), carrying fractions between calls so slow trackpad
 * scrolling is not lost.
 */
export class WheelAccumulator {
  private fx = 0;
  private fy = 0;

  /** The wheel event to send, or null when the accumulated motion is still below one unit. */
  fromDom(e: WheelEventLike): MouseWheelInput | null {
    const k = e.deltaMode === 1 ? WHEEL_PER_LINE : e.deltaMode === 2 ? WHEEL_PER_PAGE : WHEEL_PER_PIXEL;
    this.fx += e.deltaX * k;
    this.fy += -e.deltaY * k;
    const dx = clamp16(Math.trunc(this.fx));
    const dy = clamp16(Math.trunc(this.fy));
    this.fx -= dx;
    this.fy -= dy;
    return dx === 0 && dy === 0 ? null : { kind: "mouseWheel", dx, dy };
  }
}

/** Pointer-lock motion (`movementX/Y`) as a relative move, clamped to i16. */
export function relativeMove(movementX: number, movementY: number): MouseMoveInput {
  return { kind: "mouseMove", relative: true, x: clamp16(Math.round(movementX)), y: clamp16(Math.round(movementY)) };
}

function clamp16(v: number): number {
  return Math.max(-32768, Math.min(32767, v));
}

// ───────────────────────────── gamepad ─────────────────────────────

/** The part of a DOM `Gamepad` the mapping reads. */
export interface GamepadLike {
  mapping: string;
  connected?: boolean;
  buttons: readonly { pressed: boolean; value: number }[];
  axes: readonly number[];
}

/**
 * W3C "standard" Gamepad button index → wire bit. Buttons 6/7 are the analog triggers (sent as
 * `leftTrigger`/`rightTrigger`, not bits).
 */
export const STANDARD_GAMEPAD_BUTTONS: readonly (number | null)[] = Object.freeze([
  ControllerButtons.A, // 0 bottom
  ControllerButtons.B, // 1 right
  ControllerButtons.X, // 2 left
  ControllerButtons.Y, // 3 top
  ControllerButtons.LeftShoulder, // 4
  ControllerButtons.RightShoulder, // 5
  null, // 6 left trigger (analog)
  null, // 7 right trigger (analog)
  ControllerButtons.Back, // 8 back / select
  ControllerButtons.Start, // 9 start / forward
  ControllerButtons.LeftStick, // 10
  ControllerButtons.RightStick, // 11
  ControllerButtons.DPadUp, // 12
  ControllerButtons.DPadDown, // 13
  ControllerButtons.DPadLeft, // 14
  ControllerButtons.DPadRight, // 15
  ControllerButtons.Guide, // 16 home
]);

function axis16(v: number | undefined): number {
  const x = typeof v === "number" && Number.isFinite(v) ? Math.max(-1, Math.min(1, v)) : 0;
  return clamp16(Math.round(x * 32767));
}

function trigger16(b: { value: number; pressed: boolean } | undefined): number {
  if (b === undefined) return 0;
  const v = Number.isFinite(b.value) ? Math.max(0, Math.min(1, b.value)) : b.pressed ? 1 : 0;
  return Math.round(v * 65535);
}

/**
 * A controller snapshot from a standard-layout Gamepad (axes 0/1 left stick, 2/3 right stick, DOM
 * positive Y = down, flipped to XInput's positive = up). Non-standard mappings are read as if
 * standard (best effort).
 */
export function controllerStateFromGamepad(gamepad: GamepadLike, index: number): ControllerStateInput {
  let buttons = 0;
  gamepad.buttons.forEach((b, i) => {
    const bit = STANDARD_GAMEPAD_BUTTONS[i];
    if (bit !== undefined && bit !== null && b.pressed) buttons |= bit;
  });
  return {
    kind: "controllerState",
    index,
    buttons,
    leftX: axis16(gamepad.axes[0]),
    leftY: clamp16(-axis16(gamepad.axes[1])),
    rightX: axis16(gamepad.axes[2]),
    rightY: clamp16(-axis16(gamepad.axes[3])),
    leftTrigger: trigger16(gamepad.buttons[6]),
    rightTrigger: trigger16(gamepad.buttons[7]),
  };
}

/** True when two controller states encode to the same bytes (skip sending unchanged snapshots). */
export function sameControllerState(a: ControllerStateInput, b: ControllerStateInput): boolean {
  return a.index === b.index && a.buttons === b.buttons && a.leftX === b.leftX && a.leftY === b.leftY && a.rightX === b.rightX
    && a.rightY === b.rightY && a.leftTrigger === b.leftTrigger && a.rightTrigger === b.rightTrigger;
}

// ───────────────────────────── sending ─────────────────────────────

/** The part of an `RTCDataChannel` the sender uses. */
export interface DataChannelLike {
  readonly readyState: string;
  readonly bufferedAmount?: number;
  send(data: ArrayBuffer): void;
}

/**
 * Numbers and sends events on a viewer's `input` channel (C#: `MediaViewer.SendInput`): sequence
 * 1, 2, … wrapping at 65535 → 0.
 */
export class InputSender {
  private sequence = 0;

  /** @param channel The open `input` data channel. @param maxBufferedBytes Drop events while more than this is queued (default 64 KiB: a late move is worthless). */
  constructor(readonly channel: DataChannelLike, private readonly maxBufferedBytes = 64 * 1024) {}

  /** Sends one event; false when the channel is not open or congested. Throws RangeError for unencodable values. */
  send(event: InputEvent): boolean {
    if (this.channel.readyState !== "open") return false;
    if ((this.channel.bufferedAmount ?? 0) > this.maxBufferedBytes && event.kind === "mouseMove") return false;
    this.sequence = (this.sequence + 1) & 0xffff;
    const bytes = encodeInputEvent(event, this.sequence);
    this.channel.send(bytes.buffer as ArrayBuffer);
    return true;
  }

  /** The last sequence number used. */
  get lastSequence(): number {
    return this.sequence;
  }
}
