import { render } from "preact";
import "./styles.css";
import { App } from "./app";
import { loadConfig } from "./config";
import { Root } from "./ui/Root";

async function start(): Promise<void> {
  const app = new App(await loadConfig());
  (window as unknown as { lilium: App }).lilium = app; // for the browser tests and the console
  render(<Root app={app} />, document.getElementById("app")!);
  await app.boot();
}

void start();
