#!/usr/bin/env bash
# Starts a one-node Slurm cluster on localhost with ci/slurm/slurm.conf: installs slurm-wlm
# and munge from Debian if missing, then starts munged, slurmctld and slurmd (as root, no
# systemd needed) and waits until the node takes jobs. Safe to run again: daemons already
# running are restarted with the repository's configuration.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" = 0 ] || { echo "slurm: start.sh installs and starts system daemons: run it as root" >&2; exit 1; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq slurm-wlm munge >/dev/null
fi

logs() {
  echo "---- slurmctld log"; tail -n 40 /var/log/slurm/slurmctld.log 2>/dev/null || true
  echo "---- slurmd log"; tail -n 40 /var/log/slurm/slurmd.log 2>/dev/null || true
  echo "---- sinfo"; sinfo -N -l 2>&1 || true
}
fail() { echo "slurm: $*" >&2; logs >&2; exit 1; }

install -d -m 755 /etc/slurm /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
install -m 644 "$here/slurm.conf" /etc/slurm/slurm.conf

# munge: a key (the package makes one; a bare image may not have it), then the daemon as
# its own user.
install -d -o munge -g munge -m 700 /etc/munge /var/lib/munge /var/log/munge
install -d -o munge -g munge -m 755 /run/munge
[ -s /etc/munge/munge.key ] || { dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; }
chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  runuser -u munge -- /usr/sbin/munged --force
  for _ in $(seq 20); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && break; sleep 0.5; done
  munge -n | unmunge >/dev/null || fail "munged does not answer"
fi

# Restart the Slurm daemons so that they read this configuration.
for pidfile in /run/slurmd.pid /run/slurmctld.pid; do
  if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    pid=$(cat "$pidfile"); kill "$pid"
    for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  fi
done
/usr/sbin/slurmctld -i || fail "slurmctld did not start"
/usr/sbin/slurmd -N localhost || fail "slurmd did not start"

for _ in $(seq 60); do
  state=$(sinfo -h -N -n localhost -o %T 2>/dev/null || true)
  case "$state" in
    idle*|mixed*|allocated*) echo "slurm: node localhost $state"; exit 0 ;;
    drain*|down*|fail*) scontrol update nodename=localhost state=resume 2>/dev/null || true ;;
  esac
  sleep 1
done
fail "node localhost not ready (state: ${state:-unknown})"
