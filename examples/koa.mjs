// Koa: export the app (uwsgi-node serves app.callback()).
//   npx uwsgi-node --http :8080 --master --processes 2 --cache2 name=default,items=100 examples/koa.mjs
import Koa from "koa";
import { uwsgi } from "uwsgi-node";

const app = new Koa();
app.use((ctx) => {
  uwsgi.cache_inc("hits");
  ctx.body = { framework: "koa", worker: uwsgi.worker_id(), hits: uwsgi.cache_num("hits") };
});
export default app;
