import { render } from "preact";
import "./styles.css";
import { App } from "./app";
import { loadConfig } from "./config";
import { Root } from "./ui/Root";

async function start(): Promise<void> {
  const app = new App(await loadConfig());
  (window as unknown as { lilium: App }).lilium = app; // for the browser tests and the console
  render(<Root app={app} />, document.getElementById("app")!);
  try {
    await app.boot();
  } catch (error) {
    app.state = { ...app.state, screen: "welcome", bootError: error instanceof Error ? error.message : String(error) };
    app.toast("Could not sign in: the service may be unreachable.", "bad");
  }
}

void start();
