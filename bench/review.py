#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes an AdmissionReview for a Pod of N containers running IMAGE, as the
API server sends it: with labels, the kubectl last-applied annotation,
managedFields of several managers and a status (what a real review of a
running Pod carries, and what the decision never reads).  With --update,
an UPDATE whose oldObject is the same Pod.  "{i}" in IMAGE is replaced by
the container's index (0..N-1).

usage: review.py IMAGE [N] [--managed] [--update]"""
import json
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
image, n = args[0], int(args[1]) if len(args) > 1 else 1
managed = "--managed" in sys.argv


def container(i):
    return {"name": f"c{i}", "image": image.replace("{i}", str(i)), "imagePullPolicy": "IfNotPresent",
            "ports": [{"containerPort": 8080 + i, "protocol": "TCP"}],
            "env": [{"name": f"VAR_{k}", "value": f"value-{k}"} for k in range(4)],
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
            "volumeMounts": [{"name": "data", "mountPath": "/data"}],
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File"}


spec = {"containers": [container(i) for i in range(n)],
        "volumes": [{"name": "data", "emptyDir": {}}], "restartPolicy": "Always",
        "serviceAccountName": "default", "dnsPolicy": "ClusterFirst", "schedulerName": "default-scheduler"}
meta = {"name": "web-7d4b9c8f6-x2k9p", "generateName": "web-7d4b9c8f6-", "namespace": "shop",
        "uid": "f1b6d3a0-8c5e-4b1a-9d2e-3c4f5a6b7c8d", "resourceVersion": "123456",
        "labels": {"app": "web", "pod-template-hash": "7d4b9c8f6", "tier": "frontend"},
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d4b9c8f6",
                             "uid": "0a1b2c3d-4e5f-6789-abcd-ef0123456789", "controller": True,
                             "blockOwnerDeletion": True}]}
status = None
if managed:
    fields = {"f:metadata": {"f:labels": {".": {}, "f:app": {}, "f:tier": {}}},
              "f:spec": {"f:containers": {f'k:{{"name":"c{i}"}}': {
                  ".": {}, "f:image": {}, "f:imagePullPolicy": {}, "f:name": {},
                  "f:env": {f'k:{{"name":"VAR_{k}"}}': {".": {}, "f:name": {}, "f:value": {}} for k in range(4)},
                  "f:ports": {'k:{"containerPort":8080,"protocol":"TCP"}': {".": {}, "f:containerPort": {}}},
                  "f:resources": {"f:limits": {"f:memory": {}}, "f:requests": {"f:cpu": {}, "f:memory": {}}},
                  "f:terminationMessagePath": {}, "f:terminationMessagePolicy": {}} for i in range(max(n, 7))}}}
    meta["managedFields"] = [
        {"manager": m, "operation": "Update", "apiVersion": "v1", "time": "2026-12-01T10:00:00Z",
         "fieldsType": "FieldsV1", "fieldsV1": fields} for m in ("kube-controller-manager", "kubectl", "helm")]
    meta["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": json.dumps({"spec": spec})}
    status = {"phase": "Running", "podIP": "10.0.0.12", "hostIP": "192.0.2.10",
              "conditions": [{"type": t, "status": "True", "lastTransitionTime": "2026-12-01T10:00:00Z"}
                             for t in ("Initialized", "Ready", "ContainersReady", "PodScheduled")],
              "containerStatuses": [{"name": f"c{i}", "ready": True, "restartCount": 0, "image": image.replace("{i}", str(i)),
                                     "imageID": image.replace("{i}", str(i)), "containerID": "containerd://" + "ab" * 32,
                                     "state": {"running": {"startedAt": "2026-12-01T10:00:01Z"}}}
                                    for i in range(n)]}
pod = {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
if status:
    pod["status"] = status
req = {"uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
       "kind": {"group": "", "version": "v1", "kind": "Pod"},
       "resource": {"group": "", "version": "v1", "resource": "pods"},
       "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
       "requestResource": {"group": "", "version": "v1", "resource": "pods"},
       "name": meta["name"], "namespace": "shop", "operation": "CREATE",
       "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller",
                    "groups": ["system:serviceaccounts", "system:authenticated"]},
       "object": pod, "oldObject": None, "dryRun": False,
       "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}}
if "--update" in sys.argv:
    req["operation"] = "UPDATE"
    req["oldObject"] = pod
    req["options"]["kind"] = "UpdateOptions"
print(json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": req}))
