#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Without cert-manager: makes a private CA and the webhook's serving
# certificate (for hallmark-webhook.hallmark.svc) in DIR, then prints the
# two kubectl commands that install them: the TLS Secret, and the CA as the
# caBundle of both webhook configurations.  Nothing is sent anywhere.
#
#   sh gen-certs.sh DIR [DAYS]
#
# Renewing: run it again with the same DIR (the CA is kept) and create the
# Secret again; hallmark reloads the new pair without a restart.
set -eu
dir=${1:?usage: gen-certs.sh DIR [DAYS]}
days=${2:-90}
name=hallmark-webhook.hallmark.svc
mkdir -p "$dir"
umask 077
if [ ! -f "$dir/ca.key" ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
		-subj "/CN=hallmark webhook CA" -addext basicConstraints=critical,CA:TRUE \
		-addext keyUsage=critical,keyCertSign,cRLSign \
		-keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
fi
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
	-keyout "$dir/tls.key" -out "$dir/tls.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s,DNS:%s.cluster.local\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' \
	"$name" "$name" >"$dir/ext.cnf"
openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
	-days "$days" -extfile "$dir/ext.cnf" -out "$dir/tls.crt" 2>/dev/null
rm -f "$dir/tls.csr" "$dir/ext.cnf"
ca=$(base64 -w0 <"$dir/ca.crt")
cat <<CMDS
# 1. the serving certificate (again after each renewal)
kubectl -n hallmark create secret tls hallmark-webhook-tls --cert $dir/tls.crt --key $dir/tls.key \\
  --dry-run=client -o yaml | kubectl apply -f -
# 2. the CA, once, after applying an overlay
for k in mutatingwebhookconfiguration validatingwebhookconfiguration; do
  kubectl patch \$k hallmark --type json -p '[{"op": "replace", "path": "/webhooks/0/clientConfig/caBundle", "value": "$ca"}]'
done
CMDS
