#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks the manifests that `kubectl kustomize examples/kubernetes/overlays/X`
renders (on stdin) for what running hallmark as an admission webhook in
production needs.  Usage: check-k8s.py enforce|audit < rendered.yaml.
Prints one line per problem and exits 1 when there is any."""
import base64
import re
import subprocess
import sys

import yaml

overlay = sys.argv[1]
docs = [d for d in yaml.safe_load_all(sys.stdin) if d]
problems = []


def check(ok, what):
    if not ok:
        problems.append(what)


def one(kind):
    found = [d for d in docs if d["kind"] == kind]
    check(len(found) == 1, f"expected one {kind}, found {len(found)}")
    return found[0] if found else {}


dep = one("Deployment")
svc = one("Service")
pdb = one("PodDisruptionBudget")
cm = one("ConfigMap")
spec = dep.get("spec", {})
pod = spec.get("template", {}).get("spec", {})
labels = spec.get("template", {}).get("metadata", {}).get("labels", {})
check(spec.get("replicas", 1) >= 2, "the Deployment needs 2+ replicas")
check(pdb.get("spec", {}).get("minAvailable") == 1 and
      pdb["spec"]["selector"]["matchLabels"].items() <= labels.items(),
      "the PodDisruptionBudget must keep one pod of the Deployment")
check(svc.get("spec", {}).get("selector", {}).items() <= labels.items(), "the Service must select the pods")
keys = {c.get("topologyKey") for c in pod.get("topologySpreadConstraints", [])}
check("kubernetes.io/hostname" in keys, "spread the pods over nodes")
check(pod.get("securityContext", {}).get("runAsNonRoot") is True, "pods must run as non-root")
check(pod.get("automountServiceAccountToken") is False, "hallmark needs no API token")
(c,) = pod.get("containers", [{}])
args = c.get("args", [])
arg = dict(a[2:].split("=", 1) for a in args if a.startswith("--") and "=" in a)
check(args[:2] == ["policy", "serve"], "the container runs hallmark policy serve")
check(arg.get("listen", "").startswith("0.0.0.0:"), "listen on the pod's addresses")
res = c.get("resources", {})
check(res.get("requests", {}).get("cpu") and res.get("requests", {}).get("memory") and
      res.get("limits", {}).get("memory"), "resources: requests (cpu, memory) and a memory limit")
sc = c.get("securityContext", {})
check(sc.get("readOnlyRootFilesystem") is True and sc.get("allowPrivilegeEscalation") is False and
      sc.get("capabilities", {}).get("drop") == ["ALL"], "read-only root, no privilege escalation, no capabilities")
check(c.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/livez", "liveness probe on /livez")
check(c.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/readyz", "readiness probe on /readyz")
ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
check("metrics" in ports and any(p.get("name") == "metrics" for p in svc.get("spec", {}).get("ports", [])),
      "a metrics port on the pod and the Service")
mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
vols = {v["name"]: v for v in pod.get("volumes", [])}
check(arg.get("policy", "").startswith(mounts.get("policy", "?") + "/") and
      vols.get("policy", {}).get("configMap", {}).get("name") == cm.get("metadata", {}).get("name"),
      "the policy comes from the ConfigMap")
check(not any("subPath" in m for m in c.get("volumeMounts", [])), "no subPath mounts (they are never updated)")
check(vols.get("registry-auth", {}).get("secret") and
      arg.get("registry-config", "").startswith(mounts.get("registry-auth", "?") + "/"),
      "registry credentials from a Secret")
check(vols.get("registry-ca", {}).get("secret"), "registry CAs from a Secret")
check(vols.get("tls", {}).get("secret", {}).get("secretName") == "hallmark-webhook-tls", "TLS from a Secret")
timeout = int(arg.get("timeout", "8"))
delay = int(arg.get("shutdown-delay", "0"))
check(delay + timeout < pod.get("terminationGracePeriodSeconds", 30),
      "--shutdown-delay + --timeout must fit in terminationGracePeriodSeconds")

for kind, path in (("MutatingWebhookConfiguration", "/mutate"), ("ValidatingWebhookConfiguration", "/validate")):
    cfg = one(kind)
    for h in cfg.get("webhooks", []):
        want = "Ignore" if overlay == "audit" else "Fail"
        check(h.get("failurePolicy") == want, f"{kind}: failurePolicy {want}")
        check(h.get("sideEffects") == "None", f"{kind}: sideEffects None")
        check(h.get("admissionReviewVersions") == ["v1"], f"{kind}: AdmissionReview v1")
        check(timeout < h.get("timeoutSeconds", 10) <= 30,
              f"{kind}: timeoutSeconds must be above --timeout={timeout} and at most 30")
        cc = h.get("clientConfig", {})
        check(cc.get("service", {}).get("name") == svc["metadata"]["name"] and
              cc.get("service", {}).get("path") == path, f"{kind}: the Service, path {path}")
        pem = base64.b64decode(cc.get("caBundle", ""))
        check(subprocess.run(["openssl", "x509", "-noout"], input=pem, capture_output=True).returncode == 0,
              f"{kind}: caBundle must be a PEM certificate, base64")
        ns = h.get("namespaceSelector", {}).get("matchExpressions", [])
        check(any(e["key"] == "kubernetes.io/metadata.name" and e["operator"] == "NotIn" and
                  {"kube-system", "hallmark"} <= set(e["values"]) for e in ns),
              f"{kind}: kube-system and hallmark excluded")
        check(len(h.get("matchConditions", [])) >= 1, f"{kind}: matchConditions skip what needs no check")
        res = {r for rule in h.get("rules", []) for r in rule["resources"]}
        check({"pods", "deployments", "statefulsets", "daemonsets", "jobs", "cronjobs"} <= res,
              f"{kind}: pods and workloads")
        if kind.startswith("Mutating"):
            check(h.get("reinvocationPolicy") == "IfNeeded", f"{kind}: reinvocationPolicy IfNeeded")
    check("cert-manager.io/inject-ca-from" in cfg.get("metadata", {}).get("annotations", {}),
          f"{kind}: the cert-manager annotation")

policy = yaml.safe_load(cm.get("data", {}).get("policy.yaml", "{}"))
modes = {r.get("mode", "enforce") for r in policy.get("rules", [])}
if overlay == "audit":
    check(modes == {"audit"}, "the audit overlay: every rule in mode audit")
else:
    check("enforce" in modes, "the enforce overlay: some rule enforces")
for p in problems:
    print(f"{overlay}: {p}")
sys.exit(1 if problems else 0)
