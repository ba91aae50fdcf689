// The hello-world app of http-hello-app.mjs in an app that loads the `uwsgi` module, as every app
// using uwsgi-node's API does. Loading it turns on request tracking in the worker: the request
// context then follows async code, through async hooks on Node 20 (see src/core/request-context.ts).
import { existsSync } from "node:fs";
import hello from "./http-hello-app.mjs";

const root = new URL("..", import.meta.url).pathname;
const entry = [`${root}dist/index.js`, `${root}build/src/index.js`].find((p) => existsSync(p));
if (!entry) throw new Error("uwsgi-node is not built: run npm run build");
const { uwsgi } = await import(entry);
if (uwsgi.is_stub) throw new Error("http-hello-module-app.mjs must run under the uwsgi-node server");

export default hello;
