/**
 * Version of the server: the uWSGI release whose behaviour it follows, and our own release.
 * @module
 */

/** uwsgi-node's own release (kept in step with package.json). */
export const UWSGI_NODE_RELEASE = "0.1.0";

/** `uwsgi.version`: the uWSGI version followed, tagged with ours (`2.0.21-uwsgi-node-0.1.0`). */
export const VERSION_STRING = `2.0.21-uwsgi-node-${UWSGI_NODE_RELEASE}`;

/** `uwsgi.version_info`: (major, minor, revision, release, custom). */
export const VERSION_INFO = [2, 0, 21, 0, `uwsgi-node-${UWSGI_NODE_RELEASE}`] as const;
