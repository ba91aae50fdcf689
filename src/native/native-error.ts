/**
 * Translation of the addon's plain errors (whose `code` is an errno name) into {@link UwsgiError}s.
 * @module
 */
import { UwsgiError } from "../errors.js";

/** The errno name (`EEXIST`, `EDEADLK`, `SIZE_MISMATCH`, ...) carried by an addon error, if any. */
export function nativeErrno(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && typeof code === "string" ? code : undefined;
}

/** Wraps an addon error as UWSGI_ERR_SHM, keeping the original as `cause`; UwsgiErrors pass through. */
export function shmError(err: unknown): UwsgiError {
  if (err instanceof UwsgiError) return err;
  const wrapped = new UwsgiError("UWSGI_ERR_SHM", err instanceof Error ? err.message : String(err));
  wrapped.cause = err;
  return wrapped;
}
