#!/bin/sh
# The grading worker's start, as root with CAP_SYS_ADMIN (docker/compose.yaml says why), in
# three steps, then the worker without CAP_SYS_ADMIN:
# 1. Docker mounts a container's cgroups read-only, but the sandbox gives each run a cgroup
#    of its own under this container's (course_content/labkit/sandbox/cgroup.py): remount this
#    container's cgroup mounts read-write (they show only its own subtree).
# 2. bwrap mounts a fresh /proc for each run's PID namespace, which the kernel refuses from a
#    user namespace while anything is mounted over parts of /proc, as Docker does (/proc/kcore,
#    /proc/sys, ...): unmount those, as `docker run --security-opt systempaths=unconfined`
#    does (which docker-compose 1.29 cannot pass). docs/security.md: what this exposes.
# 3. Drop CAP_SYS_ADMIN from the bounding and inheritable sets, so that neither the worker
#    nor anything it starts can get it back, and exec the worker.
set -eu
mounts() {  # the mount points of /proc/self/mountinfo whose filesystem type matches $1
  awk -F' - ' -v want="$1" '{ split($1, a, " "); split($2, b, " "); if (b[1] ~ want) print a[5] }' /proc/self/mountinfo
}
for mnt in $(mounts '^cgroup2?$'); do
  mount -o remount,bind,rw "$mnt"
done
for _ in 1 2 3; do  # stacked mounts (a read-only bind over a masked path) come off in turns
  for mnt in $(awk '{ print $5 }' /proc/self/mountinfo | grep '^/proc/' | sort -r); do
    umount "$mnt" 2>/dev/null || true
  done
done
if awk '{ print $5 }' /proc/self/mountinfo | grep -q '^/proc/'; then
  echo "grading-entrypoint: cannot unmount what covers parts of /proc:" >&2
  awk '{ print $5 }' /proc/self/mountinfo | grep '^/proc/' >&2
  exit 1
fi
exec setpriv --bounding-set -sys_admin --inh-caps -sys_admin -- "$@"
