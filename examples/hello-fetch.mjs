// A fetch-style app: `npx uwsgi-node --http :8080 examples/hello-fetch.mjs`
export default {
  fetch(request) {
    return new Response(`Hello, ${new URL(request.url).searchParams.get("name") ?? "world"}!\n`);
  },
};
