"""What containment this machine supports, and how to get the layers it lacks (``grader doctor``).

Grading goes on with whatever is available; this module lets an operator see
what a run will (not) enforce before grading a class, and what to install.
"""

from __future__ import annotations

from typing import Any

from grader.execute.launcher import Limits
from grader.execute.sandbox import Host, SandboxLauncher, detect_host

__all__ = ["probe_capabilities"]

INSTALL_BWRAP = "install bubblewrap: apt-get install bubblewrap (Debian/Ubuntu), dnf install bubblewrap (Fedora)"
ENABLE_USERNS = ("allow unprivileged user namespaces: sysctl -w kernel.unprivileged_userns_clone=1 (older Debian), "
                 "sysctl -w user.max_user_namespaces=15000, sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 "
                 "(Ubuntu 24.04); in Docker: --security-opt seccomp=unconfined --security-opt apparmor=unconfined")
CGROUPS = ("run the grader as root, or in a delegated cgroup with the memory and pids controllers "
           "(systemd-run --user --scope -p Delegate=yes grader ...; cgroup v2: enable them in the parent's "
           "cgroup.subtree_control)")
NOT_LINUX = "namespaces and cgroups are Linux-only: grade inside a Linux VM or container for full isolation"


def probe_capabilities(host: Host | None = None) -> dict[str, Any]:
    """Per layer: the mechanism a default launcher uses, the ones available, and how to enable the rest.

    Shape: ``{"platform", "root", "tools", "problems", "complete", "fast_path": {"available", "why"},
    "layers": {layer: {"mechanism", "available", "enable"}}}``; ``enable`` is
    None when nothing stronger exists for that layer. ``fast_path`` says whether
    ``grader grade`` and ``grader watch`` can fork kernels from a warm server.
    """
    from grader.execute.pool import fast_path_problem

    host = host or detect_host()
    no_fast_path = fast_path_problem(host)
    isolation = SandboxLauncher(Limits(), host=host).isolation()
    linux, posix = host.system == "Linux", host.system != "Windows"
    fs_available = (["bwrap"] if host.bwrap else []) + (["uid"] if host.root and host.user else [])
    layers = {
        "network": (["bwrap"] if host.bwrap else []) + (["unshare"] if host.unshare else []),
        "filesystem": fs_available,
        "pids": (["cgroup"] if host.pids else []) + (["rlimit"] if posix and (not host.root or host.user) else []),
        "memory": (["cgroup"] if host.memory else []) + (["rlimit"] if posix else []),
    }
    namespaces = None if host.bwrap else NOT_LINUX if not linux else \
        ENABLE_USERNS if _bwrap_installed(host) else INSTALL_BWRAP
    enable = {
        "network": namespaces,
        "filesystem": namespaces,
        "pids": None if host.pids else NOT_LINUX if not linux else CGROUPS,
        "memory": None if host.memory else NOT_LINUX if not linux else CGROUPS,
    }
    return {
        "platform": host.system,
        "root": host.root,
        "tools": {"bwrap": host.bwrap, "unshare": host.unshare},
        "problems": list(host.problems),
        "complete": isolation.complete,
        "fast_path": {"available": no_fast_path is None, "why": no_fast_path},
        "notes": list(isolation.notes),
        "layers": {layer: {"mechanism": getattr(isolation, layer), "available": available, "enable": enable[layer]}
                   for layer, available in layers.items()},
    }


def _bwrap_installed(host: Host) -> bool:
    """bwrap is on the PATH but failed its trial run (the problems say why)."""
    return any(problem.split()[0].rstrip(":").endswith("bwrap") for problem in host.problems if problem)
