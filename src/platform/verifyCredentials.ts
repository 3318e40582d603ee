// Checks a configuration against the vendor before anything is saved: URL policy first (no connection to a
// refused address), then the element's verify call. Every failure names the parameter to fix.

import { type ElementDefinition, renderTemplate } from '../elements/index.ts';
import { appError, fail, ok, type Result } from '../errors/index.ts';
import { checkOutboundUrl, type OutboundPolicy } from '../security/index.ts';
import type { UpstreamClient } from '../upstream/index.ts';
import type { ConfigMap } from './configuration.ts';

export function vendorHeaders(def: ElementDefinition, config: ConfigMap): Record<string, string> {
  const user = renderTemplate(def.auth.username, config);
  const pass = renderTemplate(def.auth.password, config);
  const headers: Record<string, string> = {
    authorization: `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}`,
  };
  for (const [k, v] of Object.entries(def.auth.headers)) headers[k] = renderTemplate(v, config);
  return headers;
}

export function normalizeBaseUrl(raw: string): string {
  return raw.trim().replace(/\/+$/, '');
}

function providerMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { message?: unknown; code?: unknown };
    if (typeof parsed?.message === 'string') return parsed.message;
  } catch {
    /* vendor data, untrusted: fall through to the raw text */
  }
  return body.slice(0, 300) || undefined;
}

const baseUrlField = 'configuration.baseUrl';

export async function verifyCredentials(
  def: ElementDefinition,
  config: ConfigMap,
  upstream: UpstreamClient,
  policy: OutboundPolicy,
): Promise<Result<{ version?: string }>> {
  const base = normalizeBaseUrl(config.baseUrl ?? '');
  const checked = await checkOutboundUrl(policy, base);
  if (!checked.ok) {
    return fail(appError('UPSTREAM_REFUSED', `baseUrl ${checked.reason}`, { field: baseUrlField }));
  }
  if (!/\/apis\/3\.0$/.test(checked.url.pathname.replace(/\/+$/, ''))) {
    return fail(
      appError(
        'INVALID_PARAMETER',
        'baseUrl must be a ConnectWise API root ending in /apis/3.0, e.g. https://api-na.myconnectwise.net/v4_6_release/apis/3.0',
        { field: baseUrlField },
      ),
    );
  }
  const company = config.company ?? '';
  const result = await upstream.send({
    method: def.auth.verify.method,
    url: `${base}${def.auth.verify.path}`,
    headers: { ...vendorHeaders(def, config), accept: 'application/json' },
    timeoutMs: 15_000,
  });
  if (!result.ok) {
    const msg =
      result.error.code === 'UPSTREAM_POLICY'
        ? 'baseUrl points to an address refused by the outbound URL policy'
        : `Could not reach ConnectWise at baseUrl: ${result.error.message}. Check baseUrl`;
    return fail(
      appError(result.error.code === 'UPSTREAM_POLICY' ? 'UPSTREAM_REFUSED' : 'CREDENTIALS_REJECTED', msg, {
        field: baseUrlField,
      }),
    );
  }
  const { status, body } = result.response;
  const vendorSays = providerMessage(body);
  const clientIdProblem = /client\s*id/i.test(vendorSays ?? '');
  if (status === 200) {
    try {
      const info = JSON.parse(body) as Record<string, unknown>;
      if (info && typeof info === 'object' && def.auth.verify.expectField in info) {
        return ok({ version: typeof info.version === 'string' ? info.version : undefined });
      }
    } catch {
      /* not JSON: not a ConnectWise API */
    }
    return fail(
      appError(
        'CREDENTIALS_REJECTED',
        'baseUrl answered, but not as a ConnectWise API root (GET /system/info). Check baseUrl',
        {
          field: baseUrlField,
        },
      ),
    );
  }
  const withProvider = vendorSays ? { providerMessage: vendorSays } : {};
  if (clientIdProblem) {
    return fail(
      appError('CREDENTIALS_REJECTED', 'ConnectWise rejected the client ID: check connectwise.clientID', {
        field: 'configuration.connectwise.clientID',
        ...withProvider,
      }),
    );
  }
  if (status === 401) {
    return fail(
      appError(
        'CREDENTIALS_REJECTED',
        `ConnectWise rejected the credentials: check company ("${company}"), public.key and private.key`,
        { field: 'configuration.public.key', ...withProvider },
      ),
    );
  }
  if (status === 403) {
    return fail(
      appError(
        'CREDENTIALS_REJECTED',
        "The API member's security role may not read /system/info: grant it System > Table Setup inquire rights, or check public.key",
        { field: 'configuration.public.key', ...withProvider },
      ),
    );
  }
  if (status === 404 || status === 405) {
    return fail(
      appError(
        'CREDENTIALS_REJECTED',
        `baseUrl is not a ConnectWise API root (GET /system/info answered ${status}). Check baseUrl`,
        {
          field: baseUrlField,
          ...withProvider,
        },
      ),
    );
  }
  return fail(
    appError(
      'CREDENTIALS_REJECTED',
      `ConnectWise answered ${status} while checking the credentials. Check baseUrl and company`,
      {
        field: baseUrlField,
        ...withProvider,
      },
    ),
  );
}
