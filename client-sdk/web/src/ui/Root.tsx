import type { App } from "../app";
import { AppContext, useApp } from "./common";
import { Welcome } from "./Welcome";
import { Home } from "./Home";
import { ViewerStage } from "./Viewer";

export function Root({ app }: { app: App }) {
  return <AppContext.Provider value={app}><Screens /></AppContext.Provider>;
}

function Screens() {
  const [, state] = useApp();
  return (
    <>
      {state.screen === "loading" && <div class="center-screen"><div class="brand"><img src="/favicon.svg" alt="" />LiliumShare</div></div>}
      {state.screen === "welcome" && <Welcome />}
      {state.screen === "home" && <Home />}
      {state.viewer !== null && <ViewerStage />}
      <div class="toast-stack" aria-live="polite">
        {state.toasts.map((t) => <div key={t.id} class={`toast ${t.kind}`} data-testid="toast">{t.text}</div>)}
      </div>
    </>
  );
}
