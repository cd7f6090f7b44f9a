import { useState } from "preact/hooks";
import { describe } from "../app";
import { useApp } from "./common";

/** First run: create an identity (a key pair that never leaves this browser) or import one. */
export function Welcome() {
  const [app, state] = useApp();
  const [mode, setMode] = useState<"create" | "import">("create");
  const [nickname, setNickname] = useState("");
  const [password, setPassword] = useState("");
  const [backup, setBackup] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === "create") await app.createIdentity(nickname.trim(), password);
      else await app.importIdentity(backup.trim(), password, nickname.trim());
    } catch (err) {
      setError(describe(err));
    } finally {
      setBusy(false);
    }
  };

  const nickOk = nickname.trim().length >= 1 && nickname.trim().length <= 32;
  return (
    <div class="center-screen">
      <form class="card welcome col" onSubmit={submit} data-testid="welcome">
        <div class="brand"><img src="/favicon.svg" alt="" />LiliumShare</div>
        <div>
          <h1>Share your screen with friends</h1>
          <p class="muted">Low-latency screen sharing with remote control you grant, and chat that only you and your friends can read.</p>
        </div>
        <div class="tabs" role="tablist">
          <button type="button" role="tab" class={mode === "create" ? "active" : ""} onClick={() => setMode("create")}>New identity</button>
          <button type="button" role="tab" class={mode === "import" ? "active" : ""} onClick={() => setMode("import")}>Import identity</button>
        </div>
        {mode === "import" && (
          <label class="field">Backup file contents, or the CLI's identity.pem
            <textarea class="input" rows={4} value={backup} data-testid="import-text" onInput={(e) => setBackup((e.target as HTMLTextAreaElement).value)}
              placeholder='{"format":"lilium-identity-backup", …} or -----BEGIN PRIVATE KEY-----' />
          </label>
        )}
        <label class="field">Nickname {mode === "import" && <span>(only if this identity is new here)</span>}
          <input class="input" value={nickname} maxLength={32} autoFocus data-testid="nickname" placeholder="e.g. alice"
            onInput={(e) => setNickname((e.target as HTMLInputElement).value)} />
        </label>
        <label class="field">{mode === "create" ? "Backup password (optional, lets you move this identity later)" : "Backup password"}
          <input class="input" type="password" value={password} data-testid="password" autoComplete="new-password"
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
        </label>
        {(error ?? state.bootError) && <div class="banner bad" role="alert">{error ?? state.bootError}</div>}
        <button class="btn primary lg" type="submit" data-testid="create"
          disabled={busy || (mode === "create" ? !nickOk : backup.trim().length === 0 || (nickname.length > 0 && !nickOk))}>
          {busy ? "Working…" : mode === "create" ? "Create my identity" : "Import and sign in"}
        </button>
        <p class="small muted">Your identity is a key pair kept in this browser. Nobody, not even the server, can read your chats.</p>
      </form>
    </div>
  );
}
