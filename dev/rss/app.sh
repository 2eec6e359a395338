#!/bin/sh
# A replicated application, emulated for the rss-operator's scripts on kwok pods. kwok runs
# each exec as a process on this machine, in the pod's own state directory (the Exec object
# named like the pod sets it, with POD_NAME and POD_UID); that directory is the member's
# "disk" and survives the pod, while "running" holds the uid of the pod whose application
# runs, so a new pod of the same name starts stopped, as a new container would.
#
#   app.sh sequence            print the data version (the number of writes), exit 0
#   app.sh seed                start as the first primary from local data
#   app.sh start PEER...       start as a primary, catching up from the peers (<pod>.<service>)
#   app.sh secondary PEER...   start as a secondary of the peers
#   app.sh check               exit 8 running as primary, 0 as secondary, 7 not running
#   app.sh stop                stop the application
#   app.sh write [N]           N writes on a running primary (the sequence grows)
#
# Faults, for tests: a file fail-<command> in the state directory makes that command print
# an error to stderr and exit with the code in the file (1 if empty); sleep-<command> makes
# it sleep that many seconds first. Every command is appended to the file "log".
set -u
command="${1:?usage: app.sh sequence|seed|start|secondary|check|stop|write}"
shift
state="${RSS_STATE:-$(pwd)}"
uid="${POD_UID:-none}"
cd "$state" || exit 3
echo "$command $*" >> log

if [ -f "sleep-$command" ]; then sleep "$(cat "sleep-$command")"; fi
if [ -f "fail-$command" ]; then
  code="$(cat "fail-$command")"
  echo "${POD_NAME:-member}: $command failed (injected fault)" >&2
  exit "${code:-1}"
fi

sequence() { cat seq 2>/dev/null || echo 0; }
role() {
  [ -f running ] || return 1
  read -r who what < running
  [ "$who" = "$uid" ] && echo "$what"
}
# The highest sequence among the peers' disks (their state directories beside this one).
catch_up() {
  best="$(sequence)"
  for peer in "$@"; do
    pod="${peer%%.*}"
    theirs="$(cat "../$pod/seq" 2>/dev/null || echo 0)"
    [ "$theirs" -gt "$best" ] && best="$theirs"
  done
  echo "$best" > seq
}

case "$command" in
  sequence) sequence ;;
  seed)
    echo "$uid primary" > running
    echo "$$ Service seeded."
    ;;
  start)
    echo "$$ Replicating state from $*..." >&2
    catch_up "$@"
    echo "$uid primary" > running
    echo "$$ Replication complete."
    ;;
  secondary)
    echo "$$ Replicating state from $*..." >&2
    catch_up "$@"
    echo "$uid secondary" > running
    echo "$$ Replication complete."
    ;;
  check)
    case "$(role)" in
      primary) exit 8 ;;
      secondary) exit 0 ;;
      *) exit 7 ;;
    esac
    ;;
  stop)
    echo "$$ Container stopping..."
    rm -f running
    echo "$$ Container stop done."
    ;;
  write)
    [ "$(role)" = primary ] || { echo "not running as primary" >&2; exit 1; }
    echo $(( $(sequence) + ${1:-1} )) > seq
    sequence
    ;;
  *) echo "unknown command $command" >&2; exit 2 ;;
esac
