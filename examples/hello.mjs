// The README quick start: `npx uwsgi-node --http :8080 --master --processes 2 examples/hello.mjs`
import { uwsgi } from "uwsgi-node";

export default function app(req, res) {
  res.setHeader("content-type", "text/plain");
  res.end(`Hello from worker ${uwsgi.worker_id()} of ${uwsgi.numproc} (pid ${process.pid})\n`);
}
