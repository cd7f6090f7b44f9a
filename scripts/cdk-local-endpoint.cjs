// Preloaded into the aws-cdk CLI by scripts/deploy-local.sh (NODE_OPTIONS=--require …) to send every AWS API call to the
// LocalStack-compatible endpoint (LOCALSTACK_ENDPOINT, default http://localhost:4566). The CLI 2.160 bundles AWS SDK
// for JavaScript v2, which ignores AWS_ENDPOINT_URL; this redirects its HTTPS requests for *.amazonaws.com at the
// socket level and keeps every header, including Host — so moto/LocalStack still see which service (and, for S3
// virtual-hosted requests, which bucket) was meant. Signatures are not checked by these endpoints.
'use strict';
const http = require('http');
const https = require('https');

const endpoint = new URL(process.env.LOCALSTACK_ENDPOINT || 'http://localhost:4566');
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const original = https.request;

function isAws(options) {
  const host = (options && (options.hostname || options.host)) || '';
  return typeof host === 'string' && /(^|\.)amazonaws\.com(\.cn)?$/.test(host.replace(/:\d+$/, ''));
}

https.request = function request(options, ...rest) {
  if (typeof options === 'string' || options instanceof URL || !isAws(options)) {
    return original.call(this, options, ...rest);
  }
  const host = options.hostname || options.host;
  const headers = Object.assign({}, options.headers);
  if (!Object.keys(headers).some((h) => h.toLowerCase() === 'host')) {
    headers.host = host;
  }
  const redirected = Object.assign({}, options, {
    protocol: 'http:',
    hostname: endpoint.hostname,
    host: endpoint.hostname,
    port: Number(endpoint.port || 80),
    agent,
    headers,
  });
  delete redirected.servername;
  return http.request(redirected, ...rest);
};
