// Makes a keyless Sigstore bundle for a file with sigstore-js (@sigstore/sign)
// against a mock Sigstore: the Fulcio CA, CT log, Rekor log and timestamp
// authority of @sigstore/mock, answered in-process through nock (no socket
// is opened: nock.disableNetConnect() refuses anything not mocked), and
// writes the trusted root that names exactly those mock services.
//
//   node keyless.mjs message|dsse FILE BUNDLE.json ROOT.json SUBJECT ISSUER [CLAIMS.json]
//   node keyless.mjs image STATEMENT.json BUNDLE.json ROOT.json SUBJECT ISSUER [CLAIMS.json]
//
// image signs STATEMENT.json (an in-toto statement about an image digest,
// written by the test: cosign/sign/v1 or SLSA) as it is, in a DSSE bundle.
//
// SUBJECT becomes the certificate's URI SAN and ISSUER its OIDC issuer
// (extensions 1.3.6.1.4.1.57264.1.1 and .1.8).  CLAIMS.json, when given, adds
// GitHub-style token claims (event_name, sha, workflow, repository, ref, ...)
// that the mock Fulcio turns into certificate extensions.  The bundle is
// v0.2 (message: x509CertificateChain) or v0.3 (dsse: certificate) with one
// Rekor v1 entry (a signed entry timestamp and an inclusion proof with a
// signed checkpoint) and one RFC 3161 timestamp.  A DSSE envelope is logged
// as intoto 0.0.2, not dsse 0.0.1: the mock Rekor stores the proposed entry
// as the body, and only sigstore-js's intoto proposal already carries the
// payload hash a real Rekor would record (a dsse proposal does not, so a
// verifier rightly refuses it as unbound).  dsse signs an in-toto Statement v1 about FILE of type
// https://slsa.dev/provenance/v1.
//
//   node keyless.mjs legacy-sig|legacy-att FILE OUTDIR ROOT.json SUBJECT ISSUER
//
// cosign v2's keyless layer pieces, not a bundle: legacy-sig signs FILE (a
// simple-signing payload) and logs it as hashedrekord 0.0.1; legacy-att signs
// the DSSE PAE of FILE (an in-toto statement), writes the envelope as cosign
// does and logs it as intoto 0.0.1 in the body Rekor keeps (content.hash =
// SHA-256 of the envelope, content.payloadHash, publicKey; no envelope).
// OUTDIR gets cert.pem, sig (base64; legacy-sig), envelope.json
// (legacy-att), rekor.json (cosign's dev.sigstore.cosign/bundle: SET and
// Payload), ts.json (dev.sigstore.cosign/rfc3161timestamp over what cosign
// timestamps: the raw signature bytes for legacy-sig, the envelope bytes for
// legacy-att) and ts-other.json (the same TSA over other bytes: the
// signature's base64 text, resp. the raw signature).  legacy-att also writes
// rekor-other.json: an entry of the same log for another envelope with the
// same payload, signature and certificate (only its keyid differs), which
// only content.hash tells apart.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import nock from 'nock';
import mock from '@sigstore/mock';
import signPkg from '@sigstore/sign';
import bundlePkg from '@sigstore/bundle';

const { MessageSignatureBundleBuilder, DSSEBundleBuilder, FulcioSigner, RekorWitness, TSAWitness } = signPkg;
const { bundleToJSON } = bundlePkg;
const { initializeCA, initializeCTLog, initializeTLog, initializeTSA, fulcioHandler, rekorHandler, tsaHandler } =
  mock;

const [kind, file, bundleOut, rootOut, subject, issuer, claimsFile] = process.argv.slice(2);
if (!['message', 'dsse', 'image', 'legacy-sig', 'legacy-att'].includes(kind) || !issuer) {
  console.error('usage: node keyless.mjs message|dsse|image|legacy-sig|legacy-att FILE BUNDLE.json|OUTDIR ROOT.json SUBJECT ISSUER [CLAIMS.json]');
  process.exit(2);
}

// Names under .invalid (RFC 6761): never resolvable, and nock answers first.
const FULCIO = 'https://fulcio.hallmark.invalid';
const REKOR = 'https://rekor.hallmark.invalid';
const TSA = 'https://tsa.hallmark.invalid';
nock.disableNetConnect();

const keyPair = () => crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const caKeys = keyPair(), ctKeys = keyPair(), tlogKeys = keyPair(), tsaKeys = keyPair();
const ctlog = await initializeCTLog(ctKeys);
const ca = await initializeCA(caKeys, ctlog);
const tlog = await initializeTLog(REKOR, tlogKeys);
const tsa = await initializeTSA(tsaKeys);

function serve(base, handler) {
  nock(base)
    .post(handler.path)
    .reply(async (_uri, body) => {
      const req = typeof body === 'string' ? body : JSON.stringify(body);
      const { statusCode, response, contentType } = await handler.fn(req);
      return [statusCode, response, { 'Content-Type': contentType || 'text/plain' }];
    });
}
serve(FULCIO, fulcioHandler(ca));
serve(REKOR, rekorHandler(tlog));
serve(TSA, tsaHandler(tsa));

// An unsigned OIDC token: the mock Fulcio reads its claims, as Fulcio
// would after checking the issuer's signature.
const b64url = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
const extra = claimsFile ? JSON.parse(fs.readFileSync(claimsFile, 'utf8')) : {};
const now = Math.floor(Date.now() / 1000);
const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({
  ...extra, iss: issuer, sub: subject, aud: 'sigstore', iat: now, exp: now + 600,
})}.`;

const signer = new FulcioSigner({ fulcioBaseURL: FULCIO, identityProvider: { getToken: async () => token } });
const witnesses = [
  new RekorWitness({ rekorBaseURL: REKOR, entryType: 'intoto' }),
  new TSAWitness({ tsaBaseURL: TSA }),
];
const data = fs.readFileSync(file);
const sha256 = (b) => crypto.createHash('sha256').update(b).digest();
let bundle;
if (kind.startsWith('legacy-')) {
  const out = bundleOut;
  const logTo = async (name, e) => {
    const logged = Object.values(JSON.parse((await rekorHandler(tlog).fn(JSON.stringify(e))).response))[0];
    fs.writeFileSync(path.join(out, name), JSON.stringify({ SignedEntryTimestamp: logged.verification.signedEntryTimestamp,
      Payload: { body: logged.body, integratedTime: logged.integratedTime, logIndex: logged.logIndex, logID: logged.logID } }));
  };
  const pae = (t, p) => Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(t)} ${t} ${p.length} `), p]);
  const type = 'application/vnd.in-toto+json';
  const signed = await signer.sign(kind === 'legacy-att' ? pae(type, data) : data);
  const pem = signed.key.certificate;
  const sig = Buffer.from(signed.signature);
  let entry, tsData, tsOther;
  fs.writeFileSync(path.join(out, 'cert.pem'), pem);
  if (kind === 'legacy-sig') {
    fs.writeFileSync(path.join(out, 'sig'), sig.toString('base64'));
    entry = { apiVersion: '0.0.1', kind: 'hashedrekord', spec: {
      data: { hash: { algorithm: 'sha256', value: sha256(data).toString('hex') } },
      signature: { content: sig.toString('base64'), publicKey: { content: Buffer.from(pem).toString('base64') } } } };
    tsData = sig;
    tsOther = Buffer.from(sig.toString('base64'));
  } else {
    const env = Buffer.from(JSON.stringify({ payloadType: type, payload: data.toString('base64'),
      signatures: [{ keyid: '', sig: sig.toString('base64') }] }));
    fs.writeFileSync(path.join(out, 'envelope.json'), env);
    entry = { apiVersion: '0.0.1', kind: 'intoto', spec: {
      content: { hash: { algorithm: 'sha256', value: sha256(env).toString('hex') },
                 payloadHash: { algorithm: 'sha256', value: sha256(data).toString('hex') } },
      publicKey: Buffer.from(pem).toString('base64') } };
    tsData = env;
    tsOther = sig;
    const other = Buffer.from(JSON.stringify({ payloadType: type, payload: data.toString('base64'),
      signatures: [{ keyid: 'other', sig: sig.toString('base64') }] }));
    const e2 = structuredClone(entry);
    e2.spec.content.hash.value = sha256(other).toString('hex');
    await logTo('rekor-other.json', e2);
  }
  await logTo('rekor.json', entry);
  for (const [name, bytes] of [['ts.json', tsData], ['ts-other.json', tsOther]]) {
    const r = await tsaHandler(tsa).fn(JSON.stringify({ artifactHash: sha256(bytes).toString('base64'),
      hashAlgorithm: 'sha256', certificates: true }));
    fs.writeFileSync(path.join(out, name), JSON.stringify({ SignedRFC3161Timestamp: Buffer.from(r.response).toString('base64') }));
  }
} else if (kind === 'message') {
  bundle = await new MessageSignatureBundleBuilder({ signer, witnesses }).create({ data });
} else if (kind === 'image') {
  bundle = await new DSSEBundleBuilder({ signer, witnesses }).create({ data, type: 'application/vnd.in-toto+json' });
} else {
  const statement = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: path.basename(file), digest: { sha256: crypto.createHash('sha256').update(data).digest('hex') } }],
    predicateType: 'https://slsa.dev/provenance/v1',
    predicate: {},
  };
  bundle = await new DSSEBundleBuilder({ signer, witnesses }).create({
    data: Buffer.from(JSON.stringify(statement)),
    type: 'application/vnd.in-toto+json',
  });
}
if (bundle) fs.writeFileSync(bundleOut, JSON.stringify(bundleToJSON(bundle)) + '\n');

// The trusted root of these mock services, valid from an hour ago.
const der = (k) => k.export({ type: 'spki', format: 'der' });
const b64 = (b) => Buffer.from(b).toString('base64');
const start = new Date(Date.now() - 3600 * 1000).toISOString();
const logKey = (k, extraFields) => ({
  ...extraFields,
  hashAlgorithm: 'SHA2_256',
  publicKey: { rawBytes: b64(der(k)), keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start } },
  logId: { keyId: b64(crypto.createHash('sha256').update(der(k)).digest()) },
});
const root = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [logKey(tlogKeys.publicKey, { baseUrl: REKOR })],
  certificateAuthorities: [
    {
      subject: { organization: 'hallmark tests', commonName: 'mock fulcio' },
      uri: FULCIO,
      certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
      validFor: { start },
    },
  ],
  ctlogs: [{ ...logKey(ctKeys.publicKey, { baseUrl: 'https://ctfe.hallmark.invalid' }), logId: { keyId: b64(ctlog.logID) } }],
  timestampAuthorities: [
    {
      subject: { organization: 'hallmark tests', commonName: 'mock tsa' },
      uri: TSA,
      certChain: { certificates: [{ rawBytes: b64(tsa.intCertificate) }, { rawBytes: b64(tsa.rootCertificate) }] },
      validFor: { start },
    },
  ],
};
fs.writeFileSync(rootOut, JSON.stringify(root, null, 2) + '\n');
