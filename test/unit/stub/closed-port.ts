/**
 * A TCP port on 127.0.0.1 that nothing listens on: bound on port 0, then closed, so connecting
 * to it is refused at once.
 * @module
 */
import { createServer } from "node:net";

/** Resolves with a port that was free a moment ago and is now closed. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
