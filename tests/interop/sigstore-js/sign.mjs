// Makes a Sigstore bundle with a key, using sigstore-js (@sigstore/sign), for
// hallmark's interop tests.  No transparency log, no timestamp authority: the
// bundle builder gets no witnesses.
//
//   node sign.mjs message KEY.pem FILE OUT.json
//   node sign.mjs dsse KEY.pem FILE OUT.json [PREDICATE_TYPE [SUBJECT_SHA256_HEX]]
//
// KEY.pem is a PKCS#8 private key (ECDSA P-256).  The key hint is base64 of
// the SHA-256 of the DER SubjectPublicKeyInfo, as cosign and sigstore-go use.
// For dsse, the payload is an in-toto Statement v1 about FILE (its basename
// and sha256, or SUBJECT_SHA256_HEX when given: a statement for another
// digest), of PREDICATE_TYPE (default https://sigstore.dev/cosign/sign/v1).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import signPkg from '@sigstore/sign';
import bundlePkg from '@sigstore/bundle';

const { MessageSignatureBundleBuilder, DSSEBundleBuilder } = signPkg;
const { bundleToJSON } = bundlePkg;

const [kind, keyFile, file, out, predicateType, subjectHex] = process.argv.slice(2);
if (!['message', 'dsse'].includes(kind) || !out) {
  console.error('usage: node sign.mjs message|dsse KEY.pem FILE OUT.json [TYPE [SUBJECT_HEX]]');
  process.exit(2);
}

const privateKey = crypto.createPrivateKey(fs.readFileSync(keyFile));
const publicKey = crypto.createPublicKey(privateKey);
const spki = publicKey.export({ type: 'spki', format: 'der' });
const hint = crypto.createHash('sha256').update(spki).digest('base64');

const signer = {
  sign: async (data) => ({
    signature: crypto.sign('sha256', data, privateKey),
    key: {
      $case: 'publicKey',
      publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      hint,
    },
  }),
};

const data = fs.readFileSync(file);
let bundle;
if (kind === 'message') {
  bundle = await new MessageSignatureBundleBuilder({ signer, witnesses: [] }).create({ data });
} else {
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [
      {
        name: path.basename(file),
        digest: { sha256: subjectHex || crypto.createHash('sha256').update(data).digest('hex') },
      },
    ],
    predicateType: predicateType || 'https://sigstore.dev/cosign/sign/v1',
    predicate: {},
  };
  bundle = await new DSSEBundleBuilder({ signer, witnesses: [] }).create({
    data: Buffer.from(JSON.stringify(statement)),
    type: 'application/vnd.in-toto+json',
  });
}
fs.writeFileSync(out, JSON.stringify(bundleToJSON(bundle)) + '\n');
