#!/usr/bin/env node
// Writes docs/errors.md from the error registry (dist/errors.js): run after `npm run build`.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ERROR_CODES } from "../dist/errors.js";

const root = join(import.meta.dirname, "..");
const rows = Object.entries(ERROR_CODES).map(([code, spec]) => `| \`${code}\` | ${spec.kind} | ${spec.message.replace(/\|/g, "\\|").replace(/%s/g, "…")} |`);
const doc = `# Error codes

Every error uwsgi-node throws is a \`UwsgiError\` with a stable \`code\` (below) and a \`kind\`: the
Python exception uWSGI raises in the same situation, so ported code can map its \`except\` branches.

\`\`\`ts
import { isUwsgiError } from "uwsgi-node";
try { uwsgi.lock(99); } catch (err) { if (isUwsgiError(err, "UWSGI_ERR_LOCK_INVALID")) { /* ... */ } }
\`\`\`

Match on \`code\` (\`isUwsgiError(err, "UWSGI_ERR_...")\` or \`err.code\`), never on the message, which may
gain detail. \`isUwsgiError\` and \`instanceof UwsgiError\` recognise errors from any copy of the
package (a global \`npx uwsgi-node\` beside the app's own dependency): the class is branded with
\`Symbol.for("uwsgi-node.error")\` and checked through \`Symbol.hasInstance\`.

This file is generated from \`src/errors.ts\` by \`node scripts/generate-error-docs.mjs\`; a test checks
that it lists every code.

| code | kind | message (… = detail) |
|---|---|---|
${rows.join("\n")}
`;
writeFileSync(join(root, "docs", "errors.md"), doc);
console.log(`docs/errors.md: ${rows.length} codes`);
