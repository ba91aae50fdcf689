// Fastify: export the Fastify instance itself (not `app.routing`, which needs the instance
// and ready(): uwsgi-node awaits ready() and serves through routing for you).
//   npx uwsgi-node --http :8080 --master --processes 2 --cache2 name=default,items=100 examples/fastify.mjs
import Fastify from "fastify";
import { uwsgi } from "uwsgi-node";

const app = Fastify();
app.get("/", async () => {
  uwsgi.cache_inc("hits");
  return { framework: "fastify", worker: uwsgi.worker_id(), hits: uwsgi.cache_num("hits") };
});
export default app;
