// Started as root, the uwsgi-node master refuses to run workers as root unless --uid is given.
// A benchmark run as root (as on the project's machine) asks for root workers knowingly.

/** `["--uid", "root"]` when this process is root, else nothing: spread it into the server's args. */
export const ROOT_OPT_IN = process.getuid?.() === 0 ? ["--uid", "root"] : [];
