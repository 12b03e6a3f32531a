-- PowerDNS Recursor 4.8 Lua config: fluxhound's RPZ from its RPZ primary
-- (fluxhound serve --rpz-server 127.0.0.1:5300 --tsig-key-file KEY).
-- The TSIG secret is read from the same key file BIND and fluxhound read
-- (tsig-keygen -a hmac-sha256 fluxhound-rpz; readable by group pdns), so it
-- is written down once.
local keyfile = '/etc/powerdns/fluxhound-rpz.key'
local f = assert(io.open(keyfile, 'r'))
local text = f:read('*a')
f:close()
local secret = assert(text:match('secret%s+"([^"]+)"'), 'no secret in ' .. keyfile)

-- The Recursor polls on refresh (seconds); it does not act on NOTIFY for RPZ.
-- 15 s here instead of the zone's SOA refresh (rpz.soa.refresh, 300 s) so a
-- new flag is enforced within seconds; IXFR keeps each poll small.
rpzPrimary('127.0.0.1:5300', 'rpz.fluxhound.', {
  refresh = 15,
  tsigname = 'fluxhound-rpz',
  tsigalgo = 'hmac-sha256',
  tsigsecret = secret,
  policyName = 'fluxhound',
})
