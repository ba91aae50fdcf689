// The hello-world app every Node server in bench/http-hello.bench.mjs serves: a plain (req, res) listener.
const BODY = "Hello World\n";

export default function hello(_req, res) {
  res.writeHead(200, { "Content-Type": "text/plain", "Content-Length": BODY.length });
  res.end(BODY);
}
