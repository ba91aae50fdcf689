// Express: export the app (a (req, res, next) function).
//   npx uwsgi-node --http :8080 --master --processes 2 --cache2 name=default,items=100 examples/express.mjs
import express from "express";
import { uwsgi } from "uwsgi-node";

const app = express();
app.get("/", (req, res) => {
  uwsgi.cache_inc("hits");
  res.json({ framework: "express", worker: uwsgi.worker_id(), hits: uwsgi.cache_num("hits") });
});
export default app;
