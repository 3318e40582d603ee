/**
 * JavaScript evaluated inside each QuickJS context before the user's script: the Cloud Elements helper functions
 * (`CE.*`, CH transformationFunctions.json) and the batch runner. Everything here runs in the sandbox; the host
 * exposes no function at all, so a script can reach nothing but this code and its own input.
 */

// [iso2, iso3, English name, currency code, currency symbol]
const COUNTRIES: ReadonlyArray<readonly [string, string, string, string, string]> = [
  ['US', 'USA', 'United States', 'USD', '$'],
  ['CA', 'CAN', 'Canada', 'CAD', '$'],
  ['MX', 'MEX', 'Mexico', 'MXN', '$'],
  ['BR', 'BRA', 'Brazil', 'BRL', 'R$'],
  ['AR', 'ARG', 'Argentina', 'ARS', '$'],
  ['CL', 'CHL', 'Chile', 'CLP', '$'],
  ['CO', 'COL', 'Colombia', 'COP', '$'],
  ['PE', 'PER', 'Peru', 'PEN', 'S/'],
  ['GB', 'GBR', 'United Kingdom', 'GBP', '£'],
  ['IE', 'IRL', 'Ireland', 'EUR', '€'],
  ['FR', 'FRA', 'France', 'EUR', '€'],
  ['DE', 'DEU', 'Germany', 'EUR', '€'],
  ['ES', 'ESP', 'Spain', 'EUR', '€'],
  ['PT', 'PRT', 'Portugal', 'EUR', '€'],
  ['IT', 'ITA', 'Italy', 'EUR', '€'],
  ['NL', 'NLD', 'Netherlands', 'EUR', '€'],
  ['BE', 'BEL', 'Belgium', 'EUR', '€'],
  ['LU', 'LUX', 'Luxembourg', 'EUR', '€'],
  ['AT', 'AUT', 'Austria', 'EUR', '€'],
  ['FI', 'FIN', 'Finland', 'EUR', '€'],
  ['GR', 'GRC', 'Greece', 'EUR', '€'],
  ['CH', 'CHE', 'Switzerland', 'CHF', 'CHF'],
  ['SE', 'SWE', 'Sweden', 'SEK', 'kr'],
  ['NO', 'NOR', 'Norway', 'NOK', 'kr'],
  ['DK', 'DNK', 'Denmark', 'DKK', 'kr'],
  ['IS', 'ISL', 'Iceland', 'ISK', 'kr'],
  ['PL', 'POL', 'Poland', 'PLN', 'zł'],
  ['CZ', 'CZE', 'Czechia', 'CZK', 'Kč'],
  ['HU', 'HUN', 'Hungary', 'HUF', 'Ft'],
  ['RO', 'ROU', 'Romania', 'RON', 'lei'],
  ['BG', 'BGR', 'Bulgaria', 'BGN', 'лв'],
  ['UA', 'UKR', 'Ukraine', 'UAH', '₴'],
  ['TR', 'TUR', 'Turkey', 'TRY', '₺'],
  ['RU', 'RUS', 'Russia', 'RUB', '₽'],
  ['IL', 'ISR', 'Israel', 'ILS', '₪'],
  ['AE', 'ARE', 'United Arab Emirates', 'AED', 'د.إ'],
  ['SA', 'SAU', 'Saudi Arabia', 'SAR', '﷼'],
  ['EG', 'EGY', 'Egypt', 'EGP', '£'],
  ['ZA', 'ZAF', 'South Africa', 'ZAR', 'R'],
  ['NG', 'NGA', 'Nigeria', 'NGN', '₦'],
  ['KE', 'KEN', 'Kenya', 'KES', 'KSh'],
  ['IN', 'IND', 'India', 'INR', '₹'],
  ['PK', 'PAK', 'Pakistan', 'PKR', '₨'],
  ['CN', 'CHN', 'China', 'CNY', '¥'],
  ['JP', 'JPN', 'Japan', 'JPY', '¥'],
  ['KR', 'KOR', 'South Korea', 'KRW', '₩'],
  ['HK', 'HKG', 'Hong Kong', 'HKD', '$'],
  ['TW', 'TWN', 'Taiwan', 'TWD', '$'],
  ['SG', 'SGP', 'Singapore', 'SGD', '$'],
  ['MY', 'MYS', 'Malaysia', 'MYR', 'RM'],
  ['TH', 'THA', 'Thailand', 'THB', '฿'],
  ['VN', 'VNM', 'Vietnam', 'VND', '₫'],
  ['ID', 'IDN', 'Indonesia', 'IDR', 'Rp'],
  ['PH', 'PHL', 'Philippines', 'PHP', '₱'],
  ['AU', 'AUS', 'Australia', 'AUD', '$'],
  ['NZ', 'NZL', 'New Zealand', 'NZD', '$'],
];

export const PRELUDE_FILENAME = 'ce-prelude.js';

export const PRELUDE_SOURCE = `(function () {
'use strict';
var COUNTRIES = ${JSON.stringify(COUNTRIES)};
var g = globalThis;
var jsonParse = JSON.parse, jsonStringify = JSON.stringify, FunctionCtor = Function;
var freeze = Object.freeze, defineProperty = Object.defineProperty;

function utf8(str) {
  str = String(str);
  var out = [];
  for (var i = 0; i < str.length; i++) {
    var c = str.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < str.length) {
      var d = str.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) { c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00); i++; }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return out;
}
function fromUtf8(bytes) {
  var s = '';
  for (var i = 0; i < bytes.length; ) {
    var b = bytes[i++], c;
    if (b < 0x80) c = b;
    else if (b < 0xe0) c = ((b & 31) << 6) | (bytes[i++] & 63);
    else if (b < 0xf0) c = ((b & 15) << 12) | ((bytes[i++] & 63) << 6) | (bytes[i++] & 63);
    else c = ((b & 7) << 18) | ((bytes[i++] & 63) << 12) | ((bytes[i++] & 63) << 6) | (bytes[i++] & 63);
    if (c >= 0x10000) { c -= 0x10000; s += String.fromCharCode(0xd800 + (c >> 10), 0xdc00 + (c & 1023)); }
    else s += String.fromCharCode(c);
  }
  return s;
}
var B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
function bytesToB64(bytes) {
  var out = '';
  for (var i = 0; i < bytes.length; i += 3) {
    var n = (bytes[i] << 16) | ((bytes[i + 1] || 0) << 8) | (bytes[i + 2] || 0);
    out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] + (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') + (i + 2 < bytes.length ? B64[n & 63] : '=');
  }
  return out;
}
function b64ToBytes(str) {
  str = String(str).replace(/[\\s=]/g, '').replace(/-/g, '+').replace(/_/g, '/');
  var out = [], buf = 0, bits = 0;
  for (var i = 0; i < str.length; i++) {
    var v = B64.indexOf(str[i]);
    if (v < 0) throw new TypeError('CE.decode64: not base64 text');
    buf = (buf << 6) | v; bits += 6;
    if (bits >= 8) { bits -= 8; out.push((buf >> bits) & 255); }
  }
  return out;
}
function hex(bytes) {
  var s = '';
  for (var i = 0; i < bytes.length; i++) s += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  return s;
}
var K = [0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2];
function sha256(bytes) {
  var h = [0x6a09e667,0xbb67ae85,0x3c6ef372,0xa54ff53a,0x510e527f,0x9b05688c,0x1f83d9ab,0x5be0cd19];
  var l = bytes.length, m = bytes.slice();
  m.push(0x80);
  while (m.length % 64 !== 56) m.push(0);
  var bitsHi = Math.floor(l / 0x20000000), bitsLo = (l * 8) >>> 0;
  m.push((bitsHi >>> 24) & 255, (bitsHi >>> 16) & 255, (bitsHi >>> 8) & 255, bitsHi & 255, (bitsLo >>> 24) & 255, (bitsLo >>> 16) & 255, (bitsLo >>> 8) & 255, bitsLo & 255);
  var w = new Array(64);
  for (var off = 0; off < m.length; off += 64) {
    for (var t = 0; t < 16; t++) w[t] = (m[off + 4 * t] << 24) | (m[off + 4 * t + 1] << 16) | (m[off + 4 * t + 2] << 8) | m[off + 4 * t + 3];
    for (t = 16; t < 64; t++) {
      var x = w[t - 15], y = w[t - 2];
      var s0 = ((x >>> 7) | (x << 25)) ^ ((x >>> 18) | (x << 14)) ^ (x >>> 3);
      var s1 = ((y >>> 17) | (y << 15)) ^ ((y >>> 19) | (y << 13)) ^ (y >>> 10);
      w[t] = (w[t - 16] + s0 + w[t - 7] + s1) | 0;
    }
    var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], gg = h[6], hh = h[7];
    for (t = 0; t < 64; t++) {
      var S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      var ch = (e & f) ^ (~e & gg);
      var t1 = (hh + S1 + ch + K[t] + w[t]) | 0;
      var S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      var mj = (a & b) ^ (a & c) ^ (b & c);
      var t2 = (S0 + mj) | 0;
      hh = gg; gg = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h[0] = (h[0] + a) | 0; h[1] = (h[1] + b) | 0; h[2] = (h[2] + c) | 0; h[3] = (h[3] + d) | 0;
    h[4] = (h[4] + e) | 0; h[5] = (h[5] + f) | 0; h[6] = (h[6] + gg) | 0; h[7] = (h[7] + hh) | 0;
  }
  var out = [];
  for (var i = 0; i < 8; i++) out.push((h[i] >>> 24) & 255, (h[i] >>> 16) & 255, (h[i] >>> 8) & 255, h[i] & 255);
  return out;
}
function hmacSha256(msgBytes, keyBytes) {
  if (keyBytes.length > 64) keyBytes = sha256(keyBytes);
  var ipad = [], opad = [];
  for (var i = 0; i < 64; i++) { var k = keyBytes[i] || 0; ipad.push(k ^ 0x36); opad.push(k ^ 0x5c); }
  return sha256(opad.concat(sha256(ipad.concat(msgBytes))));
}
function findCountry(value) {
  var v = String(value == null ? '' : value).trim().toLowerCase();
  for (var i = 0; i < COUNTRIES.length; i++) {
    var c = COUNTRIES[i];
    if (c[0].toLowerCase() === v || c[1].toLowerCase() === v || c[2].toLowerCase() === v) return c;
  }
  return undefined;
}

var CE = {
  randomEmail: function () {
    var s = '';
    for (var i = 0; i < 12; i++) s += 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(Math.random() * 36)];
    return s + '@example.com';
  },
  b64: function (str) { return bytesToB64(utf8(str)); },
  decode64: function (str) { return fromUtf8(b64ToBytes(str)); },
  hmac: function (algorithm) {
    if (String(algorithm).toLowerCase().replace('-', '') !== 'sha256') throw new TypeError("CE.hmac: algorithm '" + algorithm + "' is not supported (use 'sha256')");
    return function (encoding) {
      var enc = String(encoding).toLowerCase();
      if (enc !== 'hex' && enc !== 'base64') throw new TypeError("CE.hmac: encoding '" + encoding + "' is not supported (use 'hex' or 'base64')");
      return function (message, key) {
        var mac = hmacSha256(utf8(message), utf8(key));
        return enc === 'hex' ? hex(mac) : bytesToB64(mac);
      };
    };
  },
  hmacSha256Hex: function (message, key) { return hex(hmacSha256(utf8(message), utf8(key))); },
  currencyCode: function (country) { var c = findCountry(country); return c ? c[3] : null; },
  currencySymbol: function (code) {
    var v = String(code == null ? '' : code).trim().toUpperCase();
    for (var i = 0; i < COUNTRIES.length; i++) if (COUNTRIES[i][3] === v) return COUNTRIES[i][4];
    var c = findCountry(code);
    return c ? c[4] : null;
  },
  iso2CountryCode: function (country) { var c = findCountry(country); return c ? c[0] : null; },
  iso3CountryCode: function (country) { var c = findCountry(country); return c ? c[1] : null; },
};
freeze(CE);
defineProperty(g, 'CE', { value: CE, writable: false, configurable: false, enumerable: false });

// The user's body starts on line 3 of the source QuickJS builds for new Function(...).
function lineOf(e) {
  try {
    var stack = e && typeof e === 'object' ? e.stack : undefined;
    var m = typeof stack === 'string' ? /<input>:(\\d+)/.exec(stack) : null;
    return m ? Number(m[1]) - 2 : undefined;
  } catch (x) { return undefined; }
}
function describe(e) {
  try {
    if (e && typeof e === 'object' && typeof e.message === 'string') return String(e.name ? e.name + ': ' : '') + e.message;
    return 'thrown: ' + String(e);
  } catch (x) { return 'thrown: a value that cannot be printed'; }
}
var InternalErrorCtor = InternalError;
function fatal(e) {
  return e instanceof InternalErrorCtor && (e.message === 'out of memory' || e.message === 'interrupted');
}

var userFn = null, results = null, settled = null, count = 0;

// The runner below uses only values captured here, never prototype methods a script could have replaced.
var reflectApply = Reflect.apply;

/** Compiles the user's body as a function body; new Function keeps it from closing the wrapper early. */
function compile(params, body) {
  var names = jsonParse(params), args = [];
  for (var k = 0; k < names.length; k++) args[k] = names[k];
  args[names.length] = 'done';
  args[names.length + 1] = 'CE';
  args[names.length + 2] = body;
  userFn = reflectApply(FunctionCtor, null, args);
}
/** Runs the user's function once per item; each record in its own try/catch so one bad record fails alone. */
function runBatch(json) {
  var items = jsonParse(json);
  results = [];
  settled = [];
  count = items.length;
  for (var i = 0; i < items.length; i++) runOne(items[i], i);
}
function runOne(item, i) {
  var done = function (value) {
    if (settled[i]) return;
    settled[i] = true;
    try {
      var text = jsonStringify(value === undefined ? null : value);
      results[i] = '{"v":' + (text === undefined ? 'null' : text) + '}';
    } catch (e) {
      if (fatal(e)) throw e;
      results[i] = jsonStringify({ e: 'done() was given a value that is not JSON: ' + describe(e) });
    }
  };
  try {
    // A direct call is ~10× cheaper than Reflect.apply in QuickJS; the usual arities are spelled out.
    var n = item.length;
    if (n === 2) userFn(item[0], item[1], done, CE);
    else if (n === 1) userFn(item[0], done, CE);
    else if (n === 0) userFn(done, CE);
    else {
      var args = [];
      for (var k = 0; k < n; k++) args[k] = item[k];
      args[n] = done;
      args[n + 1] = CE;
      reflectApply(userFn, undefined, args);
    }
  } catch (e) {
    if (fatal(e)) throw e;
    if (!settled[i]) {
      settled[i] = true;
      results[i] = jsonStringify({ e: describe(e), l: lineOf(e) });
    }
  }
}
/** After pending promise jobs ran: one JSON array, a record that never called done() says so. */
function collect() {
  var out = '[';
  for (var i = 0; i < count; i++) out += (i > 0 ? ',' : '') + (results[i] || '{"e":"script ended without done()"}');
  results = null;
  settled = null;
  return out + ']';
}
return [compile, runBatch, collect];
})()`;
