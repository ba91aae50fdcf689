// A fetch handler: export default a (request) => Response function (exactly one parameter),
// or an object with fetch(request) as in examples/hello-fetch.mjs.
//   npx uwsgi-node --http :8080 --master --processes 2 --cache2 name=default,items=100 examples/fetch.mjs
import { uwsgi } from "uwsgi-node";

export default async function handler(request) {
  uwsgi.cache_inc("hits");
  const body = { framework: "fetch", worker: uwsgi.worker_id(), hits: uwsgi.cache_num("hits"), path: new URL(request.url).pathname };
  return Response.json(body);
}
