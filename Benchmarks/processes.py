"""Timing whole processes, for the benchmark scripts that measure start-up and loading."""
import os
import statistics
import subprocess
import sys
import time


def measure(command, runs):
    """Median seconds (fork to exit, as the parent sees it) and median peak RSS in KB (wait4's
    ru_maxrss) of `command` over `runs` runs after a warm-up run; its output's first line must
    be "0". A child's peak RSS starts at its parent's at fork: keep the measuring process small."""
    times, peaks = [], []
    for run in range(runs + 1):
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - start
        output = process.stdout.read().decode().strip()
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0 or output.splitlines()[:1] != ["0"]:
            sys.exit(f"{' '.join(command)}: status {process.returncode}, output {output!r}, "
                     f"{process.stderr.read().decode().strip()}")
        if run:
            times.append(elapsed)
            peaks.append(usage.ru_maxrss)
    return statistics.median(times), statistics.median(peaks)
