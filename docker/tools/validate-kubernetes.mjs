#!/usr/bin/env node
// Validates Kubernetes manifests offline, without a cluster. Usage:
//   kubectl kustomize docker/kubernetes/base | node docker/tools/validate-kubernetes.mjs -
//   node docker/tools/validate-kubernetes.mjs FILE...        (multi-document YAML; '-' is stdin)
// Three layers, each reported separately; any error exits 1:
//   schema  kubernetes-models: the Kubernetes OpenAPI schema of each apiVersion/kind (required
//           fields, types, formats, enums); an unknown apiVersion/kind is an error.
//   fields  TypeScript's excess-property check against kubernetes-models' type declarations (the
//           same OpenAPI), so a misspelt or misplaced field (readinesProbe) is an error, as the API
//           server's strict field validation makes it. The OpenAPI schema alone allows unknown fields.
//   coproxy the deployment's own invariants: security context, probes on the admin port, grace
//           period vs drain + shutdown, ports vs the pools of the mounted config, selectors.
// Not checked: anything only a cluster knows (admission, defaults, quotas, CRDs, images existing).
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments } from "yaml";
import ts from "typescript";

const here = path.dirname(fileURLToPath(import.meta.url));
const errors = [];
const fail = (where, layer, message) => errors.push(`${where}: [${layer}] ${message}`);
const nameOf = (o) => `${o?.kind ?? "?"}/${o?.metadata?.name ?? "?"}`;

// --- read --------------------------------------------------------------------------------------
const inputs = process.argv.slice(2);
if (inputs.length === 0) {
  console.error("usage: validate-kubernetes.mjs FILE... ('-' for stdin)");
  process.exit(2);
}
const objects = [];
for (const input of inputs) {
  const text = readFileSync(input === "-" ? 0 : input, "utf8");
  for (const doc of parseAllDocuments(text)) {
    for (const e of [...doc.errors, ...doc.warnings]) fail(input, "yaml", e.message);
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;
    objects.push({ source: input, obj });
  }
}
if (objects.length === 0) fail(inputs.join(" "), "yaml", "no Kubernetes objects found");

// --- schema: kubernetes-models ------------------------------------------------------------------
const typed = [];
for (const { source, obj } of objects) {
  const where = `${source}: ${nameOf(obj)}`;
  if (typeof obj.apiVersion !== "string" || typeof obj.kind !== "string") {
    fail(where, "schema", "apiVersion and kind are required");
    continue;
  }
  const module = `kubernetes-models/${obj.apiVersion}/${obj.kind}`;
  let Model;
  try {
    Model = (await import(module))[obj.kind];
  } catch {
    Model = undefined;
  }
  if (typeof Model !== "function") {
    fail(where, "schema", `unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`);
    continue;
  }
  try {
    new Model(obj).validate();
  } catch (e) {
    for (const line of String(e.message).split("\n")) fail(where, "schema", line);
  }
  typed.push({ where, module, obj });
}

// --- fields: TypeScript excess-property check ----------------------------------------------------
{
  const files = new Map();
  typed.forEach(({ module, obj }, i) => {
    const file = path.join(here, `__manifest_${i}.ts`);
    files.set(file, `import type { I${obj.kind} } from "${module}";\n` +
      `export const manifest: I${obj.kind} = ${JSON.stringify(obj, null, 2)};\n`);
  });
  const options = {
    strict: true, noEmit: true, skipLibCheck: true, types: [],
    target: ts.ScriptTarget.ES2020, module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (f, lang, ...rest) =>
    files.has(f) ? ts.createSourceFile(f, files.get(f), lang) : getSourceFile(f, lang, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (f) => files.has(f) || fileExists(f);
  const readFile = host.readFile.bind(host);
  host.readFile = (f) => files.get(f) ?? readFile(f);
  const program = ts.createProgram([...files.keys()], options, host);
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const i = d.file ? [...files.keys()].indexOf(d.file.fileName) : -1;
    let where = i >= 0 ? typed[i].where : "typescript";
    if (i >= 0 && d.start !== undefined) {
      // Show the line of the generated literal the diagnostic points at.
      const { line } = d.file.getLineAndCharacterOfPosition(d.start);
      where += ` (near: ${d.file.text.split("\n")[line].trim()})`;
    }
    fail(where, "fields", ts.flattenDiagnosticMessageText(d.messageText, " "));
  }
}

// --- coproxy: the deployment's invariants ------------------------------------------------------
const UID = 10001;
const seconds = (v) => {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(v));
  if (!m) return NaN;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? "s"];
};
const matches = (selector, labels) =>
  Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
const all = objects.map((o) => o.obj);
const byKind = (kind) => all.filter((o) => o?.kind === kind);

for (const dep of byKind("Deployment")) {
  const pod = dep.spec?.template?.spec ?? {};
  const c = (pod.containers ?? []).find((x) => x.name === "coproxy");
  if (!c) continue;
  const w = `${nameOf(dep)}`;
  const rule = (ok, message) => ok || fail(w, "coproxy", message);
  const flag = (name, fallback) => {
    for (const a of c.args ?? []) {
      if (a === `--${name}`) return true;
      if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
    }
    return fallback;
  };

  // Security: what the image and Pod Security "restricted" expect.
  const psc = pod.securityContext ?? {}, csc = c.securityContext ?? {};
  rule(psc.runAsNonRoot === true || csc.runAsNonRoot === true, "runAsNonRoot must be true");
  rule((csc.runAsUser ?? psc.runAsUser) === UID, `runAsUser must be the image's uid ${UID}`);
  rule((csc.seccompProfile ?? psc.seccompProfile)?.type === "RuntimeDefault",
    "seccompProfile must be RuntimeDefault");
  rule(csc.allowPrivilegeEscalation === false, "allowPrivilegeEscalation must be false");
  rule(csc.readOnlyRootFilesystem === true, "readOnlyRootFilesystem must be true");
  rule((csc.capabilities?.drop ?? []).includes("ALL"), "capabilities must drop ALL");
  rule(pod.enableServiceLinks === false,
    "enableServiceLinks must be false (service links inject COPROXY_* variables coproxy reads)");

  // Ports: the admin endpoint serves the probes and /metrics.
  const ports = c.ports ?? [];
  const portOf = (p) => (typeof p === "number" ? p : ports.find((x) => x.name === p)?.containerPort);
  const adminAddr = flag("admin-addr", "0.0.0.0:22223");
  const adminPort = Number(String(adminAddr).split(":").pop());
  rule(adminAddr !== "" && ports.some((p) => p.containerPort === adminPort),
    `the admin port ${adminPort} (--admin-addr) must be a containerPort`);
  const probe = (name, wanted) => {
    const p = c[name]?.httpGet;
    rule(p !== undefined, `${name} must be an httpGet probe`);
    if (!p) return;
    rule(p.path === wanted, `${name} must GET ${wanted}, not ${p.path}`);
    rule(portOf(p.port) === adminPort, `${name} must use the admin port ${adminPort}`);
  };
  probe("startupProbe", "/healthz");
  probe("livenessProbe", "/healthz");
  probe("readinessProbe", "/readyz");
  const ann = dep.spec?.template?.metadata?.annotations ?? {};
  rule(ann["prometheus.io/scrape"] === "true", "annotation prometheus.io/scrape must be \"true\"");
  rule(Number(ann["prometheus.io/port"]) === adminPort,
    `annotation prometheus.io/port must be the admin port ${adminPort}`);
  rule(ann["prometheus.io/path"] === "/metrics", "annotation prometheus.io/path must be /metrics");

  // Shutdown: coproxy must finish draining before the kubelet's SIGKILL.
  const drain = seconds(flag("drain-delay", "5s")), stop = seconds(flag("shutdown-timeout", "30s"));
  const grace = pod.terminationGracePeriodSeconds ?? 30;
  rule(grace > drain + stop,
    `terminationGracePeriodSeconds ${grace} must exceed --drain-delay + --shutdown-timeout (${drain + stop}s)`);

  // Workers follow the CPU limit unless --threads says otherwise.
  rule(c.resources?.limits?.cpu !== undefined, "a CPU limit is required (it sets the worker count)");
  rule(flag("threads", undefined) === undefined, "--threads would override the CPU limit");

  // Config: the ConfigMap mounted as a directory, watched, and its pools' ports exposed.
  const args = c.args ?? [];
  const at = args.findIndex((a) => a === "-c" || a === "--conf-file");
  const conf = String(at >= 0 ? args[at + 1] : flag("conf-file", "/etc/coproxy/coproxy.yml"));
  rule(flag("watch-config", false) === true, "--watch-config is required (ConfigMap updates reload)");
  const mount = (c.volumeMounts ?? []).find((m) => conf.startsWith(m.mountPath.replace(/\/?$/, "/")));
  rule(mount !== undefined, `${conf} must be inside a volumeMount`);
  if (!mount) continue;
  rule(mount.subPath === undefined, `${mount.mountPath}: a subPath mount never sees ConfigMap updates`);
  const volume = (pod.volumes ?? []).find((v) => v.name === mount.name);
  const cmName = volume?.configMap?.name;
  rule(cmName !== undefined, `volume ${mount.name} must be a ConfigMap`);
  const cm = byKind("ConfigMap").find((x) => x.metadata?.name === cmName);
  const key = path.relative(mount.mountPath, conf);
  rule(cm?.data?.[key] !== undefined, `ConfigMap ${cmName} must hold ${key}`);
  if (cm?.data?.[key] !== undefined) {
    let pools = {};
    try {
      pools = parse(cm.data[key]) ?? {};
    } catch (e) {
      rule(false, `ConfigMap ${cmName} ${key}: ${e.message}`);
    }
    for (const [pool, p] of Object.entries(pools)) {
      if (pool === "coproxy" || typeof p?.listen !== "string" || p.listen.startsWith("/")) continue;
      const port = Number(p.listen.split(":").pop());
      rule(!p.listen.startsWith("127.") && !p.listen.startsWith("[::1]"),
        `pool '${pool}' listens on ${p.listen}: loopback is unreachable from other pods`);
      rule(ports.some((x) => x.containerPort === port),
        `pool '${pool}' listens on port ${port}, which is not a containerPort`);
    }
  }

  // Everything that selects these pods.
  const labels = dep.spec?.template?.metadata?.labels;
  rule(matches(dep.spec?.selector?.matchLabels, labels), "spec.selector must match the pod labels");
  for (const svc of byKind("Service").filter((s) => matches(s.spec?.selector, labels))) {
    for (const sp of svc.spec?.ports ?? []) {
      const target = sp.targetPort ?? sp.port;
      rule(portOf(target) !== undefined,
        `${nameOf(svc)} port ${sp.name ?? sp.port}: targetPort ${target} is not a container port`);
    }
  }
  const selects = (o) => matches(o.spec?.selector?.matchLabels, labels);
  rule(byKind("Service").some((s) => matches(s.spec?.selector, labels)), "no Service selects the pods");
  rule(byKind("PodDisruptionBudget").some(selects), "no PodDisruptionBudget selects the pods");
  for (const hpa of byKind("HorizontalPodAutoscaler")) {
    if (hpa.spec?.scaleTargetRef?.name !== dep.metadata?.name) continue;
    rule(hpa.spec.scaleTargetRef.kind === "Deployment", `${nameOf(hpa)} must target the Deployment`);
    rule((hpa.spec.minReplicas ?? 1) >= 2, `${nameOf(hpa)}: minReplicas must be 2 or more`);
    rule(c.resources?.requests?.cpu !== undefined, `${nameOf(hpa)} scales on CPU: a CPU request is required`);
  }
  rule((dep.spec?.replicas ?? 1) >= 2, "replicas must be 2 or more");
}

// --- report ---------------------------------------------------------------------------------------
if (errors.length > 0) {
  for (const e of errors) console.error(e);
  console.error(`${errors.length} error(s) in ${objects.length} object(s)`);
  process.exit(1);
}
const kinds = objects.map((o) => nameOf(o.obj)).join(", ");
console.log(`valid: ${objects.length} objects (schema, fields, coproxy rules): ${kinds}`);
