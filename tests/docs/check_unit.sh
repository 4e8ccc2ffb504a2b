#!/bin/sh
# check_unit.sh: polydm-agent.service passes `systemd-analyze verify`
# (syntax, directives, the ExecStart binary, the Documentation= man pages)
# and its hardening keeps `systemd-analyze security` at exposure 2.0
# ("OK") or lower.  The unit is checked as configured for this build, with
# ExecStart pointing at the built polydm (the configured one names the
# install prefix) and MANPATH at the generated man pages.
# usage: check_unit.sh UNIT POLYDM WORK BINDIR PAGE...
set -eu
unit=$1 polydm=$2 work=$3 bindir=$4
shift 4
if ! command -v systemd-analyze >/dev/null; then
    echo "SKIP: systemd-analyze not installed (package systemd)"
    exit 77
fi
rm -rf "$work"
mkdir -p "$work/man/man1" "$work/man/man5" "$work/man/man8"
for page in "$@"; do
    n=$(basename "$page")
    cp "$page" "$work/man/man${n##*.}/"
done
grep -q "^ExecStart=$bindir/polydm " "$unit" ||
    { echo "FAIL: ExecStart of $unit does not run $bindir/polydm" >&2; exit 1; }
sed "s#^ExecStart=$bindir/polydm #ExecStart=$polydm #" "$unit" >"$work/polydm-agent.service"
for want in DynamicUser=yes StateDirectory=polydm ProtectSystem=strict \
    ProtectHome=yes PrivateTmp=yes NoNewPrivileges=yes CapabilityBoundingSet= \
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" \
    SystemCallFilter=@system-service; do
    grep -qx "$want" "$work/polydm-agent.service" ||
        { echo "FAIL: the unit lacks '$want'" >&2; exit 1; }
done
grep -q '^ExecStart=.* --state /var/lib/polydm agent --syslog \$POLYDM_AGENT_ARGS$' "$work/polydm-agent.service" ||
    { echo "FAIL: ExecStart does not run the agent on /var/lib/polydm with --syslog" >&2; exit 1; }
if ! out=$(MANPATH=$work/man systemd-analyze verify "$work/polydm-agent.service" 2>&1) ||
    [ -n "$out" ]; then
    echo "FAIL: systemd-analyze verify:" >&2
    echo "$out" >&2
    exit 1
fi
echo "ok    systemd-analyze verify: no finding"
systemd-analyze security --offline=true --threshold=20 \
    "$work/polydm-agent.service" >"$work/security.log" 2>&1 ||
    { cat "$work/security.log" >&2; echo "FAIL: exposure above 2.0" >&2; exit 1; }
echo "ok    $(grep 'Overall exposure' "$work/security.log" | sed 's/^[^O]*//')"
