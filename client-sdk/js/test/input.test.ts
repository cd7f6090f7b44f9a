import { test } from "node:test";
import assert from "node:assert/strict";
import {
  encodeInputEvent, decodeInputEvent, decodeForwarded, validateInput, toHex, tryFromHex, HID_USAGE_BY_CODE, hidUsageFromCode,
  KeyboardState, KeyModifiers, mouseButtonFromDom, MouseButton, absolutePointer, WheelAccumulator, controllerStateFromGamepad,
  ControllerButtons, InputSender, relativeMove, type InputEvent, type GamepadLike,
} from "../src/index.js";
import { fixture } from "./fixtures.js";

interface InputVectors {
  events: { event: InputEvent; sequence: number; hex: string }[];
  forwarded: { viewer: string; sequence: number; innerIndex: number; hex: string };
  malformed: string[];
}
const vectors = fixture<InputVectors>("csharp-input-vectors.json");

test("every event encodes to the C# encoder's bytes (Lilium.Input InputEvent.ToArray)", () => {
  assert.ok(vectors.events.length >= 18);
  for (const v of vectors.events) {
    assert.equal(toHex(encodeInputEvent(v.event, v.sequence)), v.hex, JSON.stringify(v.event));
  }
});

test("the C# bytes decode to the same events and sequence numbers", () => {
  for (const v of vectors.events) {
    const decoded = decodeInputEvent(tryFromHex(v.hex)!);
    assert.ok(decoded, v.hex);
    assert.deepEqual(decoded.event, v.event);
    assert.equal(decoded.sequence, v.sequence);
  }
});

test("docs/input.md example: 'a' with left Shift, sequence 7", () => {
  assert.equal(toHex(encodeInputEvent({ kind: "key", down: true, usage: hidUsageFromCode("KeyA")!, modifiers: KeyModifiers.LeftShift }, 7)), "0101000700040200");
});

test("a Forwarded envelope from C# InputWire.WriteForwarded opens to the viewer and its event", () => {
  const f = decodeForwarded(tryFromHex(vectors.forwarded.hex)!);
  assert.ok(f);
  assert.equal(f.viewer, vectors.forwarded.viewer);
  assert.equal(f.sequence, vectors.forwarded.sequence);
  assert.deepEqual(f.event, vectors.events[vectors.forwarded.innerIndex]!.event);
  assert.equal(decodeForwarded(tryFromHex(vectors.forwarded.hex)!.subarray(0, 20)), null);
});

test("messages the C# validator rejects are rejected here too, without throwing", () => {
  assert.ok(vectors.malformed.length >= 5);
  for (const hex of vectors.malformed) {
    const bytes = tryFromHex(hex)!;
    assert.equal(validateInput(bytes), false, hex);
    assert.equal(decodeInputEvent(bytes), null, hex);
  }
  for (let i = 0; i < 2000; i++) {
    const bytes = crypto.getRandomValues(new Uint8Array(i % 24));
    decodeInputEvent(bytes);
    decodeForwarded(bytes);
  }
});

test("values the wire cannot carry are refused with RangeError (C#: checked casts)", () => {
  assert.throws(() => encodeInputEvent({ kind: "mouseMove", relative: false, x: 65536, y: 0 }, 1), RangeError);
  assert.throws(() => encodeInputEvent({ kind: "mouseMove", relative: true, x: -32769, y: 0 }, 1), RangeError);
  assert.throws(() => encodeInputEvent({ kind: "controllerDisconnected", index: 4 }, 1), RangeError);
  assert.throws(() => encodeInputEvent({ kind: "key", down: true, usage: 4, modifiers: 0 }, 70000), RangeError);
  assert.throws(() => encodeInputEvent({ kind: "mouseWheel", dx: 0.5, dy: 0 }, 1), RangeError);
});

test("KeyboardEvent.code → HID usage: letters, digits, the named rows and modifiers", () => {
  for (let i = 0; i < 26; i++) assert.equal(hidUsageFromCode("Key" + String.fromCharCode(65 + i)), 0x04 + i);
  for (let i = 1; i <= 9; i++) assert.equal(hidUsageFromCode("Digit" + i), 0x1d + i);
  assert.equal(hidUsageFromCode("Digit0"), 0x27);
  for (let i = 1; i <= 12; i++) assert.equal(hidUsageFromCode("F" + i), 0x39 + i);
  for (let i = 13; i <= 24; i++) assert.equal(hidUsageFromCode("F" + i), 0x68 + i - 13);
  for (let i = 1; i <= 9; i++) assert.equal(hidUsageFromCode("Numpad" + i), 0x58 + i);
  const expected: Record<string, number> = {
    Enter: 0x28, Escape: 0x29, Backspace: 0x2a, Tab: 0x2b, Space: 0x2c, Backquote: 0x35, IntlBackslash: 0x64,
    ArrowRight: 0x4f, ArrowLeft: 0x50, ArrowDown: 0x51, ArrowUp: 0x52, ContextMenu: 0x65, NumpadEnter: 0x58,
    ControlLeft: 0xe0, ShiftLeft: 0xe1, AltLeft: 0xe2, MetaLeft: 0xe3, ControlRight: 0xe4, ShiftRight: 0xe5, AltRight: 0xe6, MetaRight: 0xe7,
    IntlRo: 0x87, IntlYen: 0x89, Lang1: 0x90, Lang2: 0x91,
  };
  for (const [code, usage] of Object.entries(expected)) assert.equal(hidUsageFromCode(code), usage, code);
  assert.equal(hidUsageFromCode("MediaPlayPause"), null, "consumer page keys are not on the wire");
  assert.equal(hidUsageFromCode("toString"), null, "no prototype keys");
  const usages = Object.entries(HID_USAGE_BY_CODE).filter(([c]) => !["OSLeft", "OSRight", "VolumeMute", "VolumeUp", "VolumeDown"].includes(c)).map(([, u]) => u);
  assert.equal(new Set(usages).size, usages.length, "each usage has one code");
});

test("KeyboardState tells left from right modifiers and releases everything on blur", () => {
  const k = new KeyboardState();
  assert.deepEqual(k.fromDom({ code: "ShiftRight", type: "keydown", shiftKey: true }), { kind: "key", down: true, usage: 0xe5, modifiers: KeyModifiers.RightShift });
  assert.deepEqual(k.fromDom({ code: "KeyA", type: "keydown", shiftKey: true }), { kind: "key", down: true, usage: 0x04, modifiers: KeyModifiers.RightShift });
  assert.deepEqual(k.fromDom({ code: "ControlLeft", type: "keydown", ctrlKey: true, shiftKey: true })?.modifiers, KeyModifiers.RightShift | KeyModifiers.LeftCtrl);
  assert.equal(k.fromDom({ code: "MediaPlayPause", type: "keydown" }), null);
  const ups = k.releaseAll();
  assert.deepEqual(ups.map((u) => u.usage).sort((x, y) => x - y), [0x04, 0xe0, 0xe5]);
  assert.ok(ups.every((u) => !u.down));
  assert.equal(k.modifiers, 0);
  assert.equal(k.fromDom({ code: "KeyB", type: "keydown", altKey: true })?.modifiers, KeyModifiers.LeftAlt, "DOM flags fill in modifiers pressed before focus");
});

test("DOM mouse buttons map to the wire's numbering", () => {
  assert.deepEqual([0, 1, 2, 3, 4].map(mouseButtonFromDom), [MouseButton.Left, MouseButton.Middle, MouseButton.Right, MouseButton.Back, MouseButton.Forward]);
  assert.equal(mouseButtonFromDom(5), null);
});

test("absolutePointer spans 0..65535 over the picture, letterboxed", () => {
  const rect = { left: 10, top: 20, width: 200, height: 100 };
  assert.deepEqual(absolutePointer(10, 20, rect), { x: 0, y: 0 });
  assert.deepEqual(absolutePointer(210, 120, rect), { x: 65535, y: 65535 });
  assert.equal(absolutePointer(9, 50, rect), null);
  // a 100×100 video in a 200×100 box: pillarboxed, picture from x=60 to x=160
  assert.deepEqual(absolutePointer(60, 20, rect, 100, 100), { x: 0, y: 0 });
  assert.deepEqual(absolutePointer(110, 70, rect, 100, 100), { x: 32768, y: 32768 });
  assert.equal(absolutePointer(40, 70, rect, 100, 100), null);
});

test("wheel: lines and pixels to 120-per-notch units, forward positive, fractions carried", () => {
  const w = new WheelAccumulator();
  assert.deepEqual(w.fromDom({ deltaX: 0, deltaY: 3, deltaMode: 1 }), { kind: "mouseWheel", dx: 0, dy: -120 });
  assert.deepEqual(w.fromDom({ deltaX: 0, deltaY: -100, deltaMode: 0 }), { kind: "mouseWheel", dx: 0, dy: 120 });
  assert.equal(w.fromDom({ deltaX: 0.4, deltaY: 0, deltaMode: 0 }), null);
  assert.deepEqual(w.fromDom({ deltaX: 0.5, deltaY: 0, deltaMode: 0 }), { kind: "mouseWheel", dx: 1, dy: 0 });
  assert.deepEqual(relativeMove(1e6, -3.4), { kind: "mouseMove", relative: true, x: 32767, y: -3 });
});

test("standard Gamepad → controller state: buttons, XInput stick signs, analog triggers", () => {
  const buttons = Array.from({ length: 17 }, () => ({ pressed: false, value: 0 }));
  buttons[0] = { pressed: true, value: 1 }; // A
  buttons[3] = { pressed: true, value: 1 }; // Y
  buttons[7] = { pressed: true, value: 0.5 }; // right trigger
  buttons[12] = { pressed: true, value: 1 }; // dpad up
  buttons[16] = { pressed: true, value: 1 }; // guide
  const pad: GamepadLike = { mapping: "standard", buttons, axes: [-1, -1, 0.5, 1] };
  const s = controllerStateFromGamepad(pad, 1);
  assert.equal(s.buttons, ControllerButtons.A | ControllerButtons.Y | ControllerButtons.DPadUp | ControllerButtons.Guide);
  assert.equal(s.leftX, -32767);
  assert.equal(s.leftY, 32767, "DOM up (-1) is XInput up (+)");
  assert.equal(s.rightX, 16384);
  assert.equal(s.rightY, -32767);
  assert.equal(s.leftTrigger, 0);
  assert.equal(s.rightTrigger, 32768);
  assert.equal(encodeInputEvent(s, 1).length, 20);
});

test("InputSender numbers events 1, 2, … and wraps; refuses a closed channel", () => {
  const sent: Uint8Array[] = [];
  const channel = { readyState: "open", bufferedAmount: 0, send: (d: ArrayBuffer) => void sent.push(new Uint8Array(d)) };
  const sender = new InputSender(channel);
  assert.equal(sender.send({ kind: "mouseButton", button: 0, down: true }), true);
  assert.equal(toHex(sent[0]!), "011200010000");
  for (let i = 0; i < 65535; i++) sender.send({ kind: "mouseWheel", dx: 0, dy: 120 });
  assert.equal(decodeInputEvent(sent.at(-1)!)?.sequence, 0, "65536th event wraps to 0");
  channel.readyState = "closed";
  assert.equal(sender.send({ kind: "mouseWheel", dx: 0, dy: 1 }), false);
});
