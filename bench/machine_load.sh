# shellcheck shell=bash
# Sourced by the bench drivers: how much of the machine other processes used while a benchmark ran,
# so that a table measured next to someone else's build says so.
#
#   load_start            # remember the CPU counters
#   ...benchmark...
#   load_report           # prints "other processes used N% of the machine's CPU time"
#   wait_for_quiet [PCT]  # wait (up to 10 min) until others use < PCT% for 10 s
#   run_quiet CMD ARGS    # CMD after a quiet spell, repeated while others disturbed it

# Busy and total clock ticks of all CPUs, from /proc/stat.
_cpu_ticks() {
  read -r _ user nice system idle iowait irq softirq steal _ </proc/stat
  echo "$((user + nice + system + irq + softirq + steal)) $((user + nice + system + idle + iowait + irq + softirq + steal))"
}

# CPU ticks of this shell and of its waited-for descendants (utime stime cutime cstime).
_own_ticks() {
  local stat
  stat=$(<"/proc/$$/stat")
  stat=${stat##*) } # skip "pid (comm) "
  read -r -a f <<<"$stat"
  # after the comm field: state=0 ... utime=11 stime=12 cutime=13 cstime=14
  echo "$((f[11] + f[12] + f[13] + f[14]))"
}

load_start() {
  read -r _LOAD_BUSY0 _LOAD_TOTAL0 <<<"$(_cpu_ticks)"
  _LOAD_OWN0=$(_own_ticks)
}

# Percent of the machine's CPU time that other processes used since load_start.
others_pct() {
  local busy total own other
  read -r busy total <<<"$(_cpu_ticks)"
  own=$(_own_ticks)
  other=$(((busy - _LOAD_BUSY0) - (own - _LOAD_OWN0)))
  ((other < 0)) && other=0
  echo "$((100 * other / (total - _LOAD_TOTAL0 + 1)))"
}

load_report() {
  echo "other processes used $(others_pct)% of the machine's CPU time during the run" \
    "(load average now $(cut -d' ' -f1-3 /proc/loadavg))"
}

# Runs "$@" (one pass or round of a benchmark) after a quiet 10 s, and again, up to 4 times, while
# other processes took more than MAX_OTHERS% (default 10) of the machine during it. Logs each try.
run_quiet() {
  local try pct
  for try in 1 2 3 4; do
    if [[ ${WAIT_QUIET:-1} == 1 ]]; then wait_for_quiet "${MAX_OTHERS:-10}" >/dev/null; fi
    load_start
    "$@"
    pct=$(others_pct)
    echo "  $1 ${*:2}: try $try, other processes used $pct% of the machine" >&2
    if ((pct <= ${MAX_OTHERS:-10})) || [[ ${WAIT_QUIET:-1} != 1 ]]; then return 0; fi
  done
  echo "  still disturbed after 4 tries; keeping the last one" >&2
}

wait_for_quiet() {
  local limit=${1:-10} tries=0 b0 t0 b1 t1 pct
  while ((tries < 60)); do
    read -r b0 t0 <<<"$(_cpu_ticks)"
    sleep 10
    read -r b1 t1 <<<"$(_cpu_ticks)"
    pct=$((100 * (b1 - b0) / (t1 - t0 + 1)))
    if ((pct < limit)); then
      echo "machine quiet: others used ${pct}% over 10 s"
      return 0
    fi
    echo "waiting for a quiet machine: others used ${pct}% over the last 10 s" >&2
    tries=$((tries + 1))
  done
  echo "machine still busy after 10 minutes; measuring anyway" >&2
}
