import { createContext } from "preact";
import { useContext, useEffect, useState } from "preact/hooks";
import type { InputPermissions } from "@lilium/sdk";
import type { App, State } from "../app";

export const AppContext = createContext<App>(null as unknown as App);

/**
 * The app and its current state; re-renders on every change. The subscription starts in an effect, which runs after
 * the first paint: a change in between (boot finishing before the effect ran, on a busy machine) would otherwise be
 * missed and the loading screen stay forever, so the effect re-renders at once if the state is no longer the one
 * rendered (`App.set` replaces the state object on every change).
 */
export function useApp(): [App, State] {
  const app = useContext(AppContext);
  const [, setVersion] = useState(0);
  const rendered = app.state;
  useEffect(() => {
    const unsubscribe = app.subscribe(() => setVersion((n) => n + 1));
    if (app.state !== rendered) setVersion((n) => n + 1);
    return unsubscribe;
  }, [app]);
  return [app, rendered];
}

export function Avatar({ name, large }: { name: string; large?: boolean }) {
  return <div class={large ? "avatar lg" : "avatar"} aria-hidden="true">{(name[0] ?? "?").toUpperCase()}</div>;
}

export function Toggle({ label, on, onChange, testId, disabled }: { label: string; on: boolean; onChange?: (v: boolean) => void; testId?: string; disabled?: boolean }) {
  const readonly = onChange === undefined || disabled === true;
  return (
    <button type="button" role="switch" aria-checked={on} data-testid={testId} disabled={disabled}
      class={`toggle${on ? " on" : ""}${readonly ? " readonly" : ""}`} onClick={readonly ? undefined : () => onChange!(!on)}>
      <span class="knob" />{label}
    </button>
  );
}

export const PERMISSION_LABELS: [keyof InputPermissions, string][] = [
  ["keyboard", "Keyboard"], ["mouse", "Mouse"], ["controller", "Controller"], ["immersion", "Immersion"],
];

export function PermissionToggles({ value, onChange, prefix }: { value: InputPermissions; onChange?: (v: InputPermissions) => void; prefix: string }) {
  return (
    <div class="perm-row">
      {PERMISSION_LABELS.map(([key, label]) => (
        <Toggle key={key} label={label} on={value[key]} testId={`${prefix}-${key}`}
          onChange={onChange ? (v) => onChange({ ...value, [key]: v }) : undefined} />
      ))}
    </div>
  );
}

export function shortFingerprint(fp: string): string {
  return fp.slice(0, 16).replace(/(.{4})/g, "$1 ").trim();
}
