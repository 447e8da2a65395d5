"""Peak resident memory (VmHWM) of process trees, read from /proc."""

from pathlib import Path

PROC = Path("/proc")
LIMITS_MB = {"gunicorn worker": 120.0, "worker service": 100.0}  # the targets


def children(pid, proc=PROC):
    """The pids whose parent is `pid`."""
    found = []
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def peak_rss_mb(pid, proc=PROC):
    """VmHWM of one process in MB, or 0.0 if it is gone."""
    try:
        status = (proc / str(pid) / "status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class PeakTracker:
    """The highest VmHWM seen per label, over every sample taken."""

    def __init__(self):
        self.peaks = {}

    def sample(self, label, pids):
        """Record the largest peak among `pids` under `label`."""
        value = max((peak_rss_mb(pid) for pid in pids), default=0.0)
        if value > self.peaks.get(label, 0.0):
            self.peaks[label] = value
