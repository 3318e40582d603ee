import { generate } from 'selfsigned';

export interface TlsMaterial {
  cert: string;
  key: string;
}

/** A self-signed certificate for localhost / the bind host, made at start (clients must not verify it). */
export async function selfSignedCertificate(host: string): Promise<TlsMaterial> {
  const altNames: { type: 2 | 7; value?: string; ip?: string }[] = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
  ];
  if (/^[\d.]+$/.test(host) && host !== '127.0.0.1' && host !== '0.0.0.0') altNames.push({ type: 7, ip: host });
  else if (!/^[\d.:]+$/.test(host) && host !== 'localhost') altNames.push({ type: 2, value: host });
  const pems = await generate([{ name: 'commonName', value: 'conduit-sandbox' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [{ name: 'subjectAltName', altNames }],
  });
  return { cert: pems.cert, key: pems.private };
}
