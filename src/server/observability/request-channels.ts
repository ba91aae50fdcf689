/**
 * `node:diagnostics_channel` channels a worker publishes for every request, named as undici
 * does (`undici:request:create` ...): subscribe from the app (channels are per process, so the
 * subscriber runs in the worker) for tracing or APM. Nothing is built or published while
 * nobody subscribes (`channel.hasSubscribers`).
 * @example
 * ```ts
 * import diagnostics_channel from "node:diagnostics_channel";
 * diagnostics_channel.subscribe("uwsgi-node:request:end", (msg) => {
 *   const { request, response, durationSeconds } = msg as RequestEndMessage;
 *   console.log(request.method, request.url, response.statusCode, durationSeconds);
 * });
 * ```
 * @module
 */
import { channel, type Channel } from "node:diagnostics_channel";
import type { IncomingMessage, ServerResponse } from "node:http";

/** Published when a worker starts serving a request, before the app sees it. */
export interface RequestStartMessage {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  /** The worker's request counter for this request (uWSGI's request id within the worker). */
  readonly requestId: number;
}

/** Published when the response closed (sent, or the connection went away). */
export interface RequestEndMessage extends RequestStartMessage {
  /** Seconds from start to end. */
  readonly durationSeconds: number;
  /** The app threw or its promise rejected. */
  readonly failed: boolean;
}

/** Published when the app threw or its promise rejected (before the 500 is sent). */
export interface RequestErrorMessage extends RequestStartMessage {
  readonly error: unknown;
}

/** The channel names. */
export const REQUEST_CHANNEL_NAMES = {
  start: "uwsgi-node:request:start",
  end: "uwsgi-node:request:end",
  error: "uwsgi-node:request:error",
} as const;

/** The channels (one object each per process). */
export const requestChannels: { readonly start: Channel; readonly end: Channel; readonly error: Channel } = {
  start: channel(REQUEST_CHANNEL_NAMES.start),
  end: channel(REQUEST_CHANNEL_NAMES.end),
  error: channel(REQUEST_CHANNEL_NAMES.error),
};
