// Verifies a Sigstore bundle with a public key, using sigstore-js
// (@sigstore/bundle to parse and validate, @sigstore/verify to verify), for
// hallmark's interop tests.
//
//   node verify.mjs KEY.pub BUNDLE.json FILE [PREDICATE_TYPE]
//
// Exit 0 verified, 1 refused (the reason on stderr), 2 usage.
//
// sigstore-js verifies a key bundle that has no transparency log entry and no
// timestamp only when asked to: a Verifier with tlogThreshold: 0 and
// timestampThreshold: 0 (ctlogThreshold only matters for certificates).  Its
// key finder receives the bundle's publicKey.hint; here every hint maps to
// the one key given, so the hint is not what makes the bundle verify.
//
// @sigstore/verify checks the signature only: for a message signature it
// does not compare messageDigest with the file, and for a DSSE envelope it
// does not read the statement.  Those checks (the ones cosign verify-blob
// and hallmark make) are done here, after sigstore-js accepted the signature.
import crypto from 'node:crypto';
import fs from 'node:fs';
import bundlePkg from '@sigstore/bundle';
import verifyPkg from '@sigstore/verify';

const { bundleFromJSON } = bundlePkg;
const { Verifier, toSignedEntity, toTrustMaterial } = verifyPkg;

const [keyFile, bundleFile, file, predicateType] = process.argv.slice(2);
if (!file) {
  console.error('usage: node verify.mjs KEY.pub BUNDLE.json FILE [PREDICATE_TYPE]');
  process.exit(2);
}

function refuse(why) {
  console.error(`sigstore-js: ${why}`);
  process.exit(1);
}

try {
  const publicKey = crypto.createPublicKey(fs.readFileSync(keyFile));
  const data = fs.readFileSync(file);
  const digest = crypto.createHash('sha256').update(data).digest();
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundleFile, 'utf8')));

  const emptyRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    certificateAuthorities: [],
    timestampAuthorities: [],
    tlogs: [],
    ctlogs: [],
  };
  const trust = toTrustMaterial(emptyRoot, () => ({ publicKey, validFor: () => true }));
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  verifier.verify(toSignedEntity(bundle, data));

  const content = bundle.content;
  if (content.$case === 'messageSignature') {
    if (predicateType) refuse(`a message signature, not a statement of type ${predicateType}`);
    if (!crypto.timingSafeEqual(Buffer.from(content.messageSignature.messageDigest.digest), digest))
      refuse('messageDigest is not the digest of the file');
  } else {
    const env = content.dsseEnvelope;
    if (env.payloadType !== 'application/vnd.in-toto+json') refuse(`payloadType ${env.payloadType}`);
    const st = JSON.parse(Buffer.from(env.payload).toString('utf8'));
    const hex = digest.toString('hex');
    if (!(st.subject || []).some((s) => s && s.digest && s.digest.sha256 === hex))
      refuse(`the statement's subjects do not include sha256:${hex}`);
    if (predicateType && st.predicateType !== predicateType)
      refuse(`predicate type ${st.predicateType}, not ${predicateType}`);
  }
  console.log('sigstore-js: verified');
} catch (e) {
  refuse(e.message || String(e));
}
