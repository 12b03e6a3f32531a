#!/usr/bin/env bash
# The deployment kit under a real systemd (PID 1 in a systemd-nspawn container
# booted from an overlay of this machine's root, private network): the shipped
# fluxhound.service, fluxhound.sysusers and fluxhound.tmpfiles, unchanged, with
# the shipped fluxhound.yaml (its upstream moved to a port nobody answers).
# fluxhound follows a copy of examples/example.dns.log (FLUXHOUND_OPTS); a check
# unit prints the daemon's identity, capabilities, seccomp state, files and
# modes, listeners, a blocked lookup, the RPZ primary and a `systemctl reload`;
# then Debian's unbound.service runs on deploy/unbound/fluxhound-rpz-file.conf
# with fluxhound-rpz-reload.path enabled: a name appended to the log is flagged,
# fluxhound rewrites the file, the path unit starts the hook, and Unbound
# answers NXDOMAIN for the new name.
# Not part of npm test (it mounts an overlay of / and boots a container): run
# by hand as root after `npm run build`:  bash test/integration/manual/deploy-kit-nspawn.sh
# Needs: apt-get install systemd-container bind9-dnsutils.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
KIT=$ROOT/deploy
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 2; }
command -v systemd-nspawn >/dev/null || { echo "apt-get install systemd-container" >&2; exit 2; }
[ -f "$ROOT/dist/src/cli/main.js" ] || { echo "npm run build first" >&2; exit 2; }
W=$(mktemp -d /var/tmp/fluxhound-nspawn.XXXXXX)
mkdir -p "$W"/{upper,work,merged,out,etc-fluxhound}
chmod 777 "$W/out"
cleanup() {
  mountpoint -q "$W/merged" && umount "$W/merged"
  [ -n "${NSPAWN_TMPFS:-}" ] && umount /run/systemd/nspawn
  rm -rf "$W"
}
trap cleanup EXIT
mount -t overlay overlay -o "lowerdir=/,upperdir=$W/upper,workdir=$W/work" "$W/merged"
# nspawn keeps per-machine state in /run/systemd/nspawn and refuses to clean it off a disk file system.
if [ "$(stat -f -c %T /run)" != tmpfs ] && ! mountpoint -q /run/systemd/nspawn; then
  mkdir -p /run/systemd/nspawn && mount -t tmpfs tmpfs /run/systemd/nspawn && NSPAWN_TMPFS=1
fi
printf '#!/bin/sh\nexec /usr/bin/node /opt/fluxhound/dist/src/cli/main.js "$@"\n' > "$W/fluxhound-bin"; chmod 755 "$W/fluxhound-bin"
sed 's#"127.0.0.1:5353"#"127.0.0.1:5399"#' "$KIT/fluxhound/fluxhound.yaml" > "$W/etc-fluxhound/fluxhound.yaml"
printf '%s admin ops\n' "$(openssl rand -hex 32)" > "$W/etc-fluxhound/tokens"
mkdir -p "$W/log" && grep -v '^#close' "$ROOT/examples/example.dns.log" > "$W/log/dns.log"
# The example's my.vikoko.info A lookups under a new name, after the example's end (appended by the check).
awk -F'\t' 'BEGIN{OFS="\t"} $10=="my.vikoko.info" && $14=="A" && n<8 {n++; $1=1743653000+n*20; $10="cdn.zorvexaqin.top"; print}' "$ROOT/examples/example.dns.log" > "$W/log/new-flux.lines"
echo 'FLUXHOUND_OPTS="--follow /opt/log/dns.log --follow-interval 200 --no-flags"' > "$W/default"
printf '[Unit]\nAfter=fluxhound.service\nWants=fluxhound.service\n[Service]\nType=oneshot\nExecStart=/opt/check.sh\n' > "$W/check.service"
cat > "$W/check.sh" <<'CHECK'
#!/bin/bash
exec > /out/result.txt 2>&1
for i in $(seq 1 90); do grep -q zevizantorzo592 /var/lib/fluxhound-rpz/fluxhound.rpz 2>/dev/null && break; sleep 1; done
systemctl show fluxhound -p ActiveState -p SubState -p NRestarts
PID=$(systemctl show fluxhound -p MainPID --value)
grep -E '^(Uid|Gid|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):' /proc/$PID/status
grep 'open files' /proc/$PID/limits
stat -c '%A %U:%G %n' /var/lib/fluxhound-rpz /var/lib/fluxhound-rpz/fluxhound.rpz /var/lib/fluxhound /var/lib/fluxhound/fluxhound.db /var/log/fluxhound
ss -lntup | grep -E ':53 |:5300 |:8443 ' | awk '{print $1, $5}'
echo "lookup www.zevizantorzo592.pw: $(dig @127.0.0.1 +tries=1 +time=2 www.zevizantorzo592.pw A | grep -o 'status: [A-Z]*')"
echo "RPZ primary AXFR lines for zevizantorzo592.pw: $(dig @127.0.0.1 -p 5300 AXFR rpz.fluxhound. | grep -c zevizantorzo592)"
systemctl reload fluxhound && sleep 2
systemctl show fluxhound -p ActiveState -p NRestarts
journalctl -u fluxhound --no-pager -o cat | grep -E 'config reloaded|reload refused|Reloaded' | cut -c1-200
echo '--- Unbound on the RPZ file, the path unit and the hook'
unbound-control-setup > /dev/null 2>&1
systemctl start unbound && systemctl is-active unbound fluxhound-rpz-reload.path
for i in $(seq 1 30); do dig @127.0.0.1 -p 5353 +tries=1 +time=1 www.zevizantorzo592.pw A | grep -q NXDOMAIN && break; sleep 1; done
echo "unbound www.zevizantorzo592.pw: $(dig @127.0.0.1 -p 5353 +tries=1 +time=2 www.zevizantorzo592.pw A | grep -o 'status: [A-Z]*')"
echo "unbound cdn.zorvexaqin.top before: $(dig @127.0.0.1 -p 5353 +tries=1 +time=2 cdn.zorvexaqin.top A | grep -o 'status: [A-Z]*')"
cat /opt/log/new-flux.lines >> /opt/log/dns.log
for i in $(seq 1 60); do dig @127.0.0.1 -p 5353 +tries=1 +time=1 cdn.zorvexaqin.top A | grep -q NXDOMAIN && break; sleep 1; done
echo "RPZ file has cdn.zorvexaqin.top: $(grep -c '^cdn.zorvexaqin.top ' /var/lib/fluxhound-rpz/fluxhound.rpz)"
echo "unbound cdn.zorvexaqin.top after: $(dig @127.0.0.1 -p 5353 +tries=1 +time=2 cdn.zorvexaqin.top A | grep -o 'status: [A-Z]*')"
echo "hook runs: $(journalctl -u fluxhound-rpz-reload.service --no-pager -o cat | grep -c 'Finished')"
journalctl -u fluxhound-rpz-reload.service --no-pager -o short-monotonic | cut -c1-160; journalctl -u unbound --no-pager -o cat | grep -i "rpz\|reload" | tail -3
systemctl poweroff
CHECK
chmod 755 "$W/check.sh"
masks=""
# Debian's own remote-control.conf is replaced by the kit's (one remote-control: section), and its
# trust anchor by none (no network here: the anchor cannot be primed).
: > "$W/empty"
for u in unbound-kit-placeholder named pdns-recursor kresd@1 postgresql prometheus prometheus-node-exporter avahi-daemon unbound-resolvconf console-getty; do masks="$masks systemd.mask=$u.service"; done
timeout 300 systemd-nspawn -q -D "$W/merged" --private-network -M fluxhound-kit --link-journal=no --register=no --keep-unit \
  --uuid="$(tr -d - < /proc/sys/kernel/random/uuid)" \
  --bind-ro="$ROOT:/opt/fluxhound" --bind-ro="$W/fluxhound-bin:/usr/local/bin/fluxhound" \
  --bind-ro="$KIT/systemd/fluxhound.service:/etc/systemd/system/fluxhound.service" \
  --bind-ro="$KIT/systemd/fluxhound.sysusers:/etc/sysusers.d/fluxhound.conf" \
  --bind-ro="$KIT/systemd/fluxhound.tmpfiles:/etc/tmpfiles.d/fluxhound.conf" \
  --bind-ro="$W/default:/etc/default/fluxhound" --bind-ro="$W/etc-fluxhound:/etc/fluxhound" --bind="$W/log:/opt/log" \
  --bind-ro="$KIT/systemd/fluxhound-rpz-reload.path:/etc/systemd/system/fluxhound-rpz-reload.path" \
  --bind-ro="$KIT/systemd/fluxhound-rpz-reload.service:/etc/systemd/system/fluxhound-rpz-reload.service" \
  --bind-ro="$KIT/unbound/fluxhound-rpz-file.conf:/etc/unbound/unbound.conf.d/fluxhound.conf" \
  --bind-ro="$W/empty:/etc/unbound/unbound.conf.d/remote-control.conf" \
  --bind-ro="$W/empty:/etc/unbound/unbound.conf.d/root-auto-trust-anchor-file.conf" \
  --bind-ro="$W/check.service:/etc/systemd/system/fluxhound-kit-check.service" --bind-ro="$W/check.sh:/opt/check.sh" \
  --bind="$W/out:/out" \
  -b -- systemd.wants=fluxhound-kit-check.service systemd.wants=fluxhound-rpz-reload.path $masks < /dev/null > "$W/boot.log" 2>&1 || { tail -20 "$W/boot.log"; exit 1; }
cat "$W/out/result.txt"
