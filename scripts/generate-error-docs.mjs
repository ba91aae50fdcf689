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

This file is generated from \`src/errors.ts\` by \`node scripts/generate-error-docs.mjs\`; a test checks
that it lists every code.

| code | kind | message (… = detail) |
|---|---|---|
${rows.join("\n")}
`;
writeFileSync(join(root, "docs", "errors.md"), doc);
console.log(`docs/errors.md: ${rows.length} codes`);
