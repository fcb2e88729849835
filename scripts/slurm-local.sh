#!/usr/bin/env bash
# A single-node SLURM on this Debian machine, to try profiles/slurm and to test it in CI.
#
#   scripts/slurm-local.sh start    install (as root, with apt) and start munged, slurmctld, slurmd
#   scripts/slurm-local.sh status   exit 0 when `sinfo` answers
#   scripts/slurm-local.sh stop     stop the daemons this script started, by pid; nothing else
#
# Verified on Debian 12 (slurm 22.05, munge) as root with no systemd and no slurmdbd: without an
# accounting database `sacct` fails, hence `--slurm-status-command squeue` in the README's commands.
# The node is "localhost" with this machine's cores and 85% of its memory, one schedulable GPU token
# (gres gpu:1, no device behind it, so GPU rules' `--gpus=1` is accepted and runs on the CPU), and three
# partitions on it: debug (default), cpu and gpu, the partition names profiles/slurm uses.
# Idempotent: start on a running cluster only checks it; stop only kills pids recorded in $STATE.
# Overrides: SLURM_LOCAL_CPUS, SLURM_LOCAL_MEM_MB, SLURM_LOCAL_STATE (default /run/sftlab-slurm).
set -euo pipefail

STATE=${SLURM_LOCAL_STATE:-/run/sftlab-slurm}
CONF=/etc/slurm/slurm.conf
MARK="# written by sftlab scripts/slurm-local.sh"
PACKAGES=(slurmctld slurmd slurm-client munge)

log() { echo "slurm-local: $*" >&2; }
die() { log "$*"; exit 1; }

answers() { command -v sinfo >/dev/null && timeout 10 sinfo -h >/dev/null 2>&1; }

install_packages() {
    local missing=()
    for pkg in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" -eq 0 ] || die "missing packages ${missing[*]}; run as root to install them"
    log "installing ${missing[*]}"
    # policy-rc.d exit 101: packages must not start daemons themselves (no systemd here).
    local own_policy=""
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod +x /usr/sbin/policy-rc.d
        own_policy=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
    [ -z "$own_policy" ] || rm -f /usr/sbin/policy-rc.d
}

write_config() {
    if [ -f "$CONF" ] && ! grep -qF "$MARK" "$CONF"; then
        log "keeping $CONF (not written by this script)"
        return 0
    fi
    local cpus mem_mb
    cpus=${SLURM_LOCAL_CPUS:-$(nproc)}
    # RealMemory above what slurmd measures drains the node: claim 85% of MemTotal.
    mem_mb=${SLURM_LOCAL_MEM_MB:-$(awk '/^MemTotal/ {print int($2 / 1024 * 0.85)}' /proc/meminfo)}
    mkdir -p /etc/slurm /var/spool/slurmd /var/spool/slurmctld /var/log/slurm
    cat >"$CONF" <<CONF
$MARK
ClusterName=local
SlurmctldHost=localhost
AuthType=auth/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MinJobAge=300
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
GresTypes=gpu
NodeName=localhost CPUs=$cpus RealMemory=$mem_mb Gres=gpu:1 State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
PartitionName=cpu Nodes=localhost MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=localhost MaxTime=INFINITE State=UP
CONF
    # A GPU token without a device file: schedulable, nothing bound.
    printf '%s\nNodeName=localhost Name=gpu File=/dev/null Count=1\n' "$MARK" >/etc/slurm/gres.conf
    log "wrote $CONF (CPUs=$cpus RealMemory=$mem_mb gpu:1)"
}

# start_daemon NAME PIDFILE COMMAND...: run it unless PIDFILE names a live process; record ours.
start_daemon() {
    local name=$1 pidfile=$2
    shift 2
    if [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        log "$name already running (pid $(cat "$pidfile"))"
        return 0
    fi
    "$@"
    for _ in $(seq 50); do
        [ -s "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && break
        sleep 0.2
    done
    [ -s "$pidfile" ] || die "$name did not start (see /var/log/slurm/)"
    cat "$pidfile" >"$STATE/$name.pid"
    log "$name started (pid $(cat "$pidfile"))"
}

wait_idle() {
    for _ in $(seq 60); do
        case "$(sinfo -h -n localhost -o %T 2>/dev/null | head -1)" in
        idle* | mixed* | allocated*) return 0 ;;
        down* | drain*) scontrol update nodename=localhost state=resume 2>/dev/null || true ;;
        esac
        sleep 1
    done
    sinfo -N -l >&2 || true
    die "node localhost did not become idle"
}

start() {
    if answers && [ ! -d "$STATE" ]; then
        log "a SLURM controller already answers (not started here); leaving it alone"
        return 0
    fi
    install_packages
    [ "$(id -u)" -eq 0 ] || die "starting the daemons needs root"
    mkdir -p "$STATE" /run/munge
    chown munge:munge /run/munge
    [ -f /etc/munge/munge.key ] || mungekey -c
    chown munge:munge /etc/munge/munge.key
    write_config
    start_daemon munged /run/munge/munged.pid runuser -u munge -- /usr/sbin/munged
    start_daemon slurmctld /run/slurmctld.pid slurmctld
    # -N: the node name in slurm.conf, not the machine's hostname.
    start_daemon slurmd /run/slurmd.pid slurmd -N localhost
    wait_idle
    timeout 60 srun -N1 -t 1 hostname >/dev/null || die "srun hostname failed"
    log "up: $(sinfo -h -o '%P %D %T %c CPUs %m MB %G' | tr '\n' ';')"
}

stop() {
    [ -d "$STATE" ] || { log "nothing started here"; return 0; }
    # Reverse order of start; only the pids this script recorded.
    for name in slurmd slurmctld munged; do
        local file="$STATE/$name.pid"
        [ -s "$file" ] || continue
        local pid
        pid=$(cat "$file")
        if kill "$pid" 2>/dev/null; then
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
            log "$name stopped (pid $pid)"
        fi
        rm -f "$file"
    done
    rmdir "$STATE" 2>/dev/null || true
}

status() {
    if answers; then
        sinfo
        [ -d "$STATE" ] && log "started by this script: $(ls "$STATE" | tr '\n' ' ')"
        return 0
    fi
    log "no SLURM controller answers"
    return 3
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*) die "usage: $0 start|stop|status" ;;
esac
