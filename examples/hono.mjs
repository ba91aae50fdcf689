// Hono: export the app (an object with fetch(request)); no @hono/node-server needed.
//   npx uwsgi-node --http :8080 --master --processes 2 --cache2 name=default,items=100 examples/hono.mjs
import { Hono } from "hono";
import { uwsgi } from "uwsgi-node";

const app = new Hono();
app.get("/", (c) => {
  uwsgi.cache_inc("hits");
  return c.json({ framework: "hono", worker: uwsgi.worker_id(), hits: uwsgi.cache_num("hits") });
});
export default app;
