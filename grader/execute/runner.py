"""Run one submission in a fresh Jupyter kernel, cell by cell, and collect what the probe measured.

The kernel is started by jupyter_client's ``AsyncKernelManager`` from a kernel
spec held in memory whose argv is ``launcher.wrap(...)``, so any ``Launcher``
(plain process, namespaces, ...) can contain it. The manager talks to it over
ZeroMQ *ipc* sockets inside the scratch folder: they keep working when the
sandbox gives the kernel a network namespace without interfaces.

Cells are driven with jupyter_client's messages directly rather than nbclient:
we need per-request deadlines, interrupts and an output byte budget as plain
control flow, and must not keep what the student prints (nbclient stores every
output in the notebook). Nothing the student prints is trusted: the only
evidence is the harvest document that the probe publishes in answer to our own
``emit`` call (evaluated after a successful cell as its ``user_expressions``,
else sent as a request of its own), tagged with a nonce that the cell could
not know in advance.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
import importlib.util
import json
import marshal
import os
import re
import secrets
import shutil
import signal
import stat
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import Any, Callable, Coroutine, ParamSpec, Sequence, TypeVar

import zmq
import zmq.asyncio
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner

from grader.errors import HarvestError, SandboxError
from grader.execute.launcher import Launcher, Limits
from grader.execute.outcome import CellRun, CellState, ExecutionOutcome, Isolation, Status
from grader.submission.loader import scrub
from grader.harvest.schema import MAX_MODELS, MIME_TYPE, Harvest, ModelFacts, parse_harvest
from grader.submission.model import Cell, Submission

__all__ = ["run_submission", "run_submission_async", "KERNEL_ARGV", "PROBE_MODULE"]

KERNEL_ARGV = (sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}")
# Kernel-side modules: sys.modules keys of their private namespaces (the probe names the same ones: it reports
# the shims' EVENTS and the training facts), and their file names in tracebacks from their code.
SHIM_MODULE, COMPAT_MODULE = "_keras_grader_offline", "_keras_grader_compat"
PROBE_MODULE, TRAINING_MODULE = "_keras_grader_probe", "_keras_grader_training"
PROBE_FILENAME, SHIM_FILENAME = "<keras-grader probe>", "<keras-grader offline>"
COMPAT_FILENAME, TRAINING_FILENAME = "<keras-grader compat>", "<keras-grader training>"

STARTUP_TIMEOUT = 60.0  # kernel start, then the probe's install (imports Keras), on a loaded machine
HARVEST_TIMEOUT = 30.0  # one probe request after a cell; the total deadline does not cut it short
INTERRUPT_GRACE = 5.0  # how long an interrupted cell may take to stop before the kernel counts as stuck
IDLE_GRACE = 2.0  # after the reply, how long to wait for the last outputs and the idle status
SHUTDOWN_WAIT = 3.0
EXIT_POLL = 0.01  # how often a shutting-down kernel is checked for having exited (jupyter_client: 0.1 s)
READY_RETRY = 0.05  # kernel_info answered but iopub silent this long: ask again (the reply's status was missed)
READY_ASK_AGAIN = 1.0  # no reply to kernel_info this long: ask again (as jupyter_client does)
RECONNECT_MS = 10  # zmq retries a connect to a socket not yet bound this often (default 100 ms)
POLL_SECONDS = 0.5  # how often a silent kernel is checked for being alive
TRACEBACK_LINES = 15
MAX_TEXT = 2000  # characters kept of an error value or a traceback line
MAX_SOCKET_PATH = 100  # sockaddr_un.sun_path is 107 bytes; the manager appends "-<n>"
MAX_NOTES = 30

P = ParamSpec("P")
T = TypeVar("T")
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]")
_CELL_FRAME = re.compile(r"\s*Cell In\[(\d+)\], line (\d+)")  # IPython 8's name for a frame of a cell's code
_OUTPUT_TYPES = ("stream", "display_data", "update_display_data", "execute_result", "error")


async def run_submission_async(
    submission: Submission,
    *,
    limits: Limits,
    launcher: Launcher | None = None,
    files: Sequence[Path] = (),
    workdir: Path | None = None,
    probe_source: str | None = None,
    shims: Shims | None = None,
) -> ExecutionOutcome:
    """Execute the submission's code cells in a fresh kernel and return what happened.

    Never raises for anything the submission or the machine does: a grader-side
    failure becomes ``Status.INTERNAL_ERROR``. Cancellation (Ctrl-C) still shuts
    the kernel down and cleans up, then propagates. ``probe_source`` defaults to
    the text of ``grader/harvest/probe.py``. ``shims`` installs ``offline.py``
    (datasets served offline, a training budget) before the student's code.
    """
    if launcher is None:
        from grader.execute.local import LocalLauncher

        launcher = LocalLauncher()
    run = _Run(submission, limits, launcher)
    try:
        await run.execute(files, workdir, probe_source, shims)
    except Exception as exc:  # the grader's own failure: report it, never crash a batch
        run.stop(Status.INTERNAL_ERROR, f"grader error: {type(exc).__name__}: {exc}")
    finally:
        await run.teardown()
    return run.outcome()


def _blocking(function: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """The blocking twin of a coroutine function, as nbclient's ``run_sync`` makes them.

    ``asyncio.run`` turns Ctrl-C into a cancellation of the run, so the kernel is
    shut down and the launcher cleaned up before KeyboardInterrupt propagates.
    Inside a running event loop (a notebook) the run gets a thread of its own.
    """
    @functools.wraps(function)
    def blocking(*args: P.args, **kwargs: P.kwargs) -> T:
        coro = function(*args, **kwargs)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(coro)
        with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="keras-grader-run") as pool:
            return pool.submit(asyncio.run, coro).result()

    blocking.__name__ = blocking.__qualname__ = function.__name__.removesuffix("_async")
    blocking.__doc__ = f"Blocking form of ``{function.__name__}``.\n\n    {function.__doc__}"
    return blocking


run_submission = _blocking(run_submission_async)


@dataclass(frozen=True)
class Shims:
    """Kernel-side conveniences installed after the probe: ``grader/harvest/offline.py`` and ``compat.py``.

    ``training_steps`` caps fit/evaluate/predict batches (``training_epochs``
    fit's epochs, ``training_batch`` the samples per batch); ``dataset_cache`` is a
    folder *inside the scratch folder* (relative to the kernel's cwd) that may
    hold real ``<name>.npz`` datasets and pretrained ``*.h5`` weights.
    ``keras2`` installs the Keras 2 layer (``compat.py``); ``helpers`` are the module names of
    the exercise's own files, which an import under a name of the student's finds (``offline.py``).
    """

    training_steps: int | None = None
    training_epochs: int | None = None
    training_batch: int | None = None
    offline_datasets: bool = True
    dataset_cache: str | None = None
    keras2: bool = True
    helpers: tuple[str, ...] = ()

    def staged(self) -> list[tuple[str, str, str]]:
        """(staged name, source text, file name in tracebacks) of each module to exec, in order."""
        found = [("offline.pyc", kernel_source("offline"), SHIM_FILENAME)]
        if self.keras2:
            found.append(("compat.pyc", kernel_source("compat"), COMPAT_FILENAME))
        return found

    def setup_code(self, staged: Sequence[Path]) -> str:
        """Exec the modules of ``staged()``, staged at ``staged`` (see ``_exec_staged``), then install them."""
        code = (_exec_staged(staged[0], SHIM_MODULE)
                + f"__import__('sys').modules[{SHIM_MODULE!r}].install(training_steps={self.training_steps!r}, "
                f"cache_dir={self.dataset_cache!r}, datasets={self.offline_datasets!r}, "
                f"training_epochs={self.training_epochs!r}, training_batch={self.training_batch!r}, "
                f"helpers={self.helpers!r})\n")
        if self.keras2:
            code += (_exec_staged(staged[1], COMPAT_MODULE)
                     + f"__import__('sys').modules[{COMPAT_MODULE!r}].install(cache_dir={self.dataset_cache!r})\n")
        return code


def kernel_source(name: str) -> str:
    """The text of the kernel-side module ``grader/harvest/<name>.py``, found without importing it (Keras)."""
    spec = importlib.util.find_spec(f"grader.harvest.{name}")
    if spec is None or not spec.origin:
        raise FileNotFoundError(f"grader/harvest/{name}.py is missing: the kernel cannot be set up")
    return Path(spec.origin).read_text(encoding="utf-8")


def default_probe_source() -> str:
    """The text of ``grader/harvest/probe.py`` (it imports Keras, so it is read, not imported)."""
    return kernel_source("probe")


# --------------------------------------------------------------------------- one request


@dataclass
class _Reply:
    """How one execute request ended: ``done``, ``timeout``, ``died`` or ``flood``."""

    kind: str
    msg_id: str
    content: dict = field(default_factory=dict)  # the execute_reply, when one came
    seconds: float = 0.0
    docs: list = field(default_factory=list)  # harvest documents that carried our nonce


class _LauncherProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, except that the launcher starts the kernel (``Launcher.spawn``).

    The official hook for launching kernels one's own way: the fast path's
    kernels are forks of the fork server, asked for over a socket from this
    process, and the handle ``spawn`` returns answers poll, wait and kill as a
    ``Popen`` would, so everything else the provisioner does is unchanged.
    """

    launcher: Launcher | None = None

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> Any:
        assert self.launcher is not None
        self.process = self.launcher.spawn(cmd, kwargs.get("env") or {}, kwargs["stdout"], kwargs["stderr"])
        self.pid, self.pgid, self.cwd = self.process.pid, None, kwargs.get("cwd")
        return self.connection_info


class _SingleSpec(KernelSpecManager):
    """Hands the kernel manager one in-memory spec, so nothing is looked up on the host."""

    def __init__(self, spec: KernelSpec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._spec = spec

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        return self._spec


class _Kernel:
    """One started kernel: send code, wait for the answer within a deadline, count output."""

    def __init__(self, km: AsyncKernelManager, output_limit: int) -> None:
        self.km = km
        self.kc = km.client(context=km.context)  # our context: its socket options apply to the channels
        self.kc.start_channels(shell=True, iopub=True, stdin=False, hb=False, control=True)
        self.output_limit = output_limit
        self.output_bytes = 0  # everything the submission printed, ours excluded
        self.forged = 0  # harvest-typed outputs that did not answer our request
        self.other_replies: dict[str, dict] = {}  # replies that came while waiting for another request
        self._nonces: dict[str, str] = {}  # msg_id -> the nonce its harvest must carry
        self._poller = zmq.asyncio.Poller()
        self._poller.register(self.kc.shell_channel.socket, zmq.POLLIN)
        self._poller.register(self.kc.iopub_channel.socket, zmq.POLLIN)

    async def request(self, code: str, seconds: float, *, own: bool = False,
                      nonce: str | None = None, then: dict[str, str] | None = None) -> _Reply:
        """Execute ``code``; ``own`` marks the grader's requests (silent, exempt from the output cap).

        ``then``: expressions the kernel evaluates after ``code`` if it succeeded
        (``user_expressions``); a harvest they publish with ``nonce`` is kept.
        """
        msg_id = self.kc.execute(code, silent=own, store_history=not own, user_expressions=then,
                                 allow_stdin=False, stop_on_error=False)
        if nonce is not None:
            self._nonces[msg_id] = nonce
        return await self.wait(msg_id, seconds, stop_on_flood=not own)

    async def wait(self, msg_id: str, seconds: float, *, stop_on_flood: bool = True) -> _Reply:
        """Read both channels until the request is answered and idle, or something ends it."""
        loop = asyncio.get_running_loop()
        start = checked = loop.time()
        until = start + max(seconds, 0.0)
        reply = _Reply("timeout", msg_id)
        answered = idle = False
        while not (answered and idle):
            now = loop.time()
            if now >= until:
                break
            if stop_on_flood and not answered and self.output_bytes > self.output_limit:
                return self._end(reply, "flood", start)
            if now - checked >= POLL_SECONDS:
                checked = now
                if not await self.km.is_alive():
                    return self._end(reply, "died", start)
            events = dict(await self._poller.poll(timeout=1000 * min(POLL_SECONDS, until - now)))
            if self.kc.shell_channel.socket in events:
                msg = await _receive(self.kc.shell_channel)
                if msg and msg["parent_header"].get("msg_id") == msg_id:
                    reply.content = msg["content"]
                    answered = True
                    until = min(until, now + IDLE_GRACE)  # late outputs get a moment, no more
                elif msg:  # e.g. the reply of a request being interrupted
                    self.other_replies[msg["parent_header"].get("msg_id")] = msg["content"]
            if self.kc.iopub_channel.socket in events:
                msg = await _receive(self.kc.iopub_channel)
                if msg and self._on_iopub(msg, reply):
                    idle = True
        return self._end(reply, "done" if answered else "timeout", start)

    def _on_iopub(self, msg: dict, reply: _Reply) -> bool:
        """Count one output message; keep it only if it is our harvest. True when the request is idle.

        A harvest that answers an earlier request of ours (a cell cut short by
        the output cap publishes its harvest after we stopped waiting) is
        dropped quietly: the runner asks again.
        """
        parent = msg["parent_header"].get("msg_id")
        ours = parent == reply.msg_id
        kind, content = msg["msg_type"], msg["content"]
        if kind == "status":
            return ours and content.get("execution_state") == "idle"
        if kind not in _OUTPUT_TYPES:
            return False
        payload = content.get("data", {}).get(MIME_TYPE) if isinstance(content.get("data"), dict) else None
        if payload is not None:
            nonce = self._nonces.get(parent)
            if kind == "display_data" and nonce and isinstance(payload, dict) and payload.get("nonce") == nonce:
                if ours:
                    reply.docs.append(payload.get("doc"))
                return False
            self.forged += 1
        self.output_bytes += _output_size(kind, content)
        return False

    @staticmethod
    def _end(reply: _Reply, kind: str, start: float) -> _Reply:
        reply.kind = kind
        reply.seconds = asyncio.get_running_loop().time() - start
        return reply

    async def interrupt(self, msg_id: str) -> _Reply:
        """Interrupt a request; ``done`` once the kernel answers again, with that request's reply if any.

        ipykernel turns a SIGINT that lands just after a request finished into a
        KeyboardInterrupt in whatever runs next, or loses that request's reply. So
        we wait until the kernel has signalled itself (its interrupt_reply), then
        run a no-op that absorbs a stray interrupt and proves the kernel usable.
        """
        self.other_replies.clear()
        request = self.kc.session.msg("interrupt_request", {})
        self.kc.control_channel.send(request)
        loop = asyncio.get_running_loop()
        until = loop.time() + INTERRUPT_GRACE
        while (left := until - loop.time()) > 0:
            msg = await _receive(self.kc.control_channel, left)
            if msg and msg["parent_header"].get("msg_id") == request["header"]["msg_id"]:
                break
        # Requests run in order: when the no-op answers, the interrupted one is over.
        settle = await self.request("pass", INTERRUPT_GRACE, own=True)
        return _Reply(settle.kind, msg_id, self.other_replies.pop(msg_id, {}), settle.seconds)

    async def exit_description(self) -> str:
        code = await self.km.provisioner.poll() if self.km.provisioner else None
        if code is None:
            return "no exit status"
        if code < 0:
            return f"killed by {_signal_name(-code)}"
        if code > 128:  # a wrapper (shell, sandbox) reports its child's death by signal N as 128 + N
            return f"exit code {code}: {_signal_name(code - 128)}?"
        return f"exit code {code}"

    async def wait_for_ready(self, seconds: float) -> None:
        """Return once the kernel has answered a kernel_info request and iopub has delivered a message.

        Like jupyter_client's ``wait_for_ready`` (ask again every second until
        both channels work), without its final 0.2 s of listening for iopub
        silence: a single-use kernel has nothing to flush, and ``wait`` ignores
        what is not ours. Any iopub message proves the subscription (ipykernel
        greets a new subscriber with ``iopub_welcome``); when the reply came but
        iopub stayed silent, its status message was missed: ask again at once.
        RuntimeError if the kernel dies or stays silent.
        """
        loop = asyncio.get_running_loop()
        checked = asked = loop.time()
        until = checked + seconds
        ours, answered, heard = {self.kc.kernel_info()}, False, False
        while not (answered and heard):
            now = loop.time()
            if now >= until:
                raise RuntimeError(f"the kernel answered but its iopub channel stayed silent for {seconds:g} s"
                                   if answered else f"no answer from the kernel in {seconds:g} s")
            if now - checked >= POLL_SECONDS:
                checked = now
                if not await self.km.is_alive():
                    raise RuntimeError("the kernel died before answering")
            if now - asked >= (READY_RETRY if answered else READY_ASK_AGAIN):
                ours.add(self.kc.kernel_info())
                asked, answered = now, False
            wait = min(READY_RETRY if answered else POLL_SECONDS, until - now)
            events = dict(await self._poller.poll(timeout=1000 * wait))
            if self.kc.shell_channel.socket in events:
                msg = await _receive(self.kc.shell_channel)
                if msg and msg["parent_header"].get("msg_id") in ours and not answered:
                    answered, asked = True, loop.time()
            if self.kc.iopub_channel.socket in events:
                heard = heard or await _receive(self.kc.iopub_channel) is not None

    async def close(self) -> None:
        """Kill the kernel, polling its exit every 10 ms, not 100.

        Never a polite shutdown: a single-use kernel has nothing left to say once
        the last harvest is in (or it is stuck), the launcher kills whatever it
        started anyway, and ipykernel's shutdown handshake took ~35 ms per run.
        """
        km = self.km
        try:
            self.kc.stop_channels()
            if km.has_kernel:
                await km.provisioner.kill()
                await asyncio.wait_for(km.finish_shutdown(waittime=SHUTDOWN_WAIT, pollinterval=EXIT_POLL),
                                       timeout=SHUTDOWN_WAIT + 10)
            await km.cleanup_resources()
        finally:
            km.context.destroy(linger=0)  # ours (see _start), so the manager does not destroy it


async def _receive(channel: Any, seconds: float = 0) -> dict | None:
    """The next message, if one comes within ``seconds``."""
    try:
        return await channel.get_msg(timeout=seconds)
    except Empty:
        return None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _output_size(kind: str, content: dict) -> int:
    if kind == "stream":
        return len(str(content.get("text", "")).encode("utf-8", "replace"))
    if kind == "error":
        return sum(len(str(line)) for line in content.get("traceback", ()))
    data = content.get("data", {})
    return sum(len(v) if isinstance(v, str) else len(json.dumps(v)) for v in data.values()) \
        if isinstance(data, dict) else 0


# --------------------------------------------------------------------------- the run


class _Run:
    """State of one submission's run: what ran, what was harvested, why it stopped."""

    def __init__(self, submission: Submission, limits: Limits, launcher: Launcher) -> None:
        self.submission = submission
        self.limits = limits
        self.launcher = launcher
        self.started = time.monotonic()
        self.deadline = self.started + limits.total_timeout
        self.cells: dict[int, CellRun] = {}
        self.models: dict[int, ModelFacts] = {}
        self.latest: Harvest | None = None
        self.notes: list[str] = []
        self.status = Status.GRADED
        self.message: str | None = None
        self.timed_out: list[str] = []  # cells interrupted at their limit while the run went on
        self.kernel: _Kernel | None = None
        self.isolation = Isolation()
        self._private: Path | None = None  # grader-only temp dir (kernel log, default workdir)
        self._runtime: Path | None = None  # connection file and sockets, inside the workdir
        self._prepared = False

    # ---- lifecycle

    async def execute(self, files: Sequence[Path], workdir: Path | None, probe_source: str | None,
                      shims: Shims | None = None) -> None:
        source = default_probe_source() if probe_source is None else probe_source
        work = self._make_workdir(workdir, files)
        self._prepared = True
        self.launcher.prepare(work, self.limits)
        self.isolation = self.launcher.isolation()
        if not await self._start(work):
            return
        cells = self.submission.code_cells
        # ends the last setup request: the training recorder wraps last (outermost), then the first cell begins
        last = (f"__import__('sys').modules[{TRAINING_MODULE!r}].install()\n"
                + (_call("begin_cell", cells[0].index) if cells else ""))
        setup = await self._install([("probe.pyc", source, PROBE_FILENAME),
                                     ("training.pyc", kernel_source("training"), TRAINING_FILENAME)],
                                    lambda staged: _setup_code(staged) + ("" if shims else last),
                                    "while setting up the probe")
        if setup is None:
            return
        if setup.get("status") != "ok":  # before any student code: the grader's fault
            self.stop(Status.INTERNAL_ERROR, f"the probe could not be installed: {_error_line(setup)}")
            return
        if shims is not None and await self._install(shims.staged(), lambda staged: shims.setup_code(staged) + last,
                                                     "while installing the offline shims") is None:
            return
        for cell, after in zip(cells, [*cells[1:], None]):
            if not await self._run_cell(cell, None if after is None else after.index):
                return

    async def _install(self, modules: Sequence[tuple[str, str, str]], code: Callable[[list[Path]], str],
                       label: str) -> dict | None:
        """Stage kernel-side code in the runtime folder, run ``code(paths)`` (which reads it), delete it.

        ``modules``: (staged name, source text, file name in tracebacks) each.
        Sent inline, 36 kB of source cost the kernel about 50 ms per run: ipykernel
        hashes every request's text in pure Python and IPython tokenizes it twice.
        Staged compiled (``_bytecode``): compiling it took each kernel another 20 ms.
        """
        assert self._runtime is not None
        staged = [self._runtime / name for name, _, _ in modules]
        try:
            for path, (_, text, filename) in zip(staged, modules):
                path.write_bytes(_bytecode(text, filename))
            return await self._probe(code(staged), label, seconds=STARTUP_TIMEOUT)
        finally:
            for path in staged:
                path.unlink(missing_ok=True)

    def _make_workdir(self, workdir: Path | None, files: Sequence[Path]) -> Path:
        self._private = Path(tempfile.mkdtemp(prefix="kg-"))
        if workdir is None:
            self._private.chmod(0o711)  # an unprivileged kernel user must pass through to its workdir
            work = self._private / "w"
        else:
            work = Path(workdir)
        work = work.resolve()
        work.mkdir(parents=True, exist_ok=True)
        self._runtime = work / ".kg"
        self._runtime.mkdir(exist_ok=True)
        if len(str(self._runtime / "s")) > MAX_SOCKET_PATH:
            raise SandboxError(f"scratch folder path too long for ipc sockets: {work}",
                               hint="pass a shorter workdir (sockets live inside it)")
        if self.submission.path.is_file():
            shutil.copy2(self.submission.path, work / self.submission.path.name)
        else:
            self._note(f"submission file {self.submission.path} not found; not copied")
        for item in map(Path, files):
            if item.is_dir():
                shutil.copytree(item, work / item.name, dirs_exist_ok=True)
            else:
                shutil.copy2(item, work / item.name)
        return work

    async def _start(self, work: Path) -> bool:
        assert self._private is not None and self._runtime is not None
        spec = KernelSpec(argv=self.launcher.wrap(list(KERNEL_ARGV)), display_name="keras-grader",
                          language="python", interrupt_mode="message")
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.RECONNECT_IVL, RECONNECT_MS)  # the kernel binds after we connect: retry soon
        km = AsyncKernelManager(kernel_spec_manager=_SingleSpec(spec), transport="ipc",
                                ip=str(self._runtime / "s"), context=context,
                                connection_file=str(self._runtime / "kernel.json"),
                                shutdown_wait_time=SHUTDOWN_WAIT)
        if self.launcher.spawns_kernel:  # kept by start_kernel: it only makes one when there is none
            km.kernel_id = str(uuid.uuid4())
            km.provisioner = _LauncherProvisioner(kernel_id=km.kernel_id, kernel_spec=spec, parent=km)
            km.provisioner.launcher = self.launcher
        log_path = self._private / "kernel.log"
        try:
            with open(log_path, "wb") as log:
                # independent=True: jupyter_client would otherwise add JPY_PARENT_PID, which makes a
                # kernel in a pid namespace (parent pid 1) exit at once; the env is the launcher's.
                await km.start_kernel(env=self.launcher.env(), cwd=str(work), independent=True,
                                      stdout=log, stderr=log)
            self.kernel = _Kernel(km, self.limits.output_bytes)
        except BaseException:  # no _Kernel to close: end what started, and the context
            if km.has_kernel:
                with contextlib.suppress(Exception):
                    await km.shutdown_kernel(now=True)
            context.destroy(linger=0)
            raise
        try:
            await self.kernel.wait_for_ready(min(STARTUP_TIMEOUT, self._left()))
        except RuntimeError as exc:
            status = Status.MEMORY_LIMIT if self.launcher.memory_exceeded() else Status.INTERNAL_ERROR
            self.stop(status, f"the kernel did not start: {exc}; kernel log: {_tail(log_path)!r}")
            return False
        return True

    async def teardown(self) -> None:
        """Stop the kernel, let the launcher kill leftovers, remove the scratch files. Never raises."""
        steps = []
        if self.kernel is not None:
            steps.append(("shutting down the kernel", self.kernel.close))
        if self._prepared:
            steps.append(("launcher cleanup", _as_async(self.launcher.cleanup)))
        steps.append(("removing scratch files", _as_async(self._remove_scratch)))
        for what, step in steps:
            try:
                await step()
            except Exception as exc:
                self._note(f"{what} failed: {type(exc).__name__}: {exc}")

    def _remove_scratch(self) -> None:
        if self._runtime is not None:
            _rmtree(self._runtime)
        if self._private is not None:
            _rmtree(self._private)

    # ---- cells

    async def _run_cell(self, cell: Cell, after: int | None) -> bool:
        """Run one code cell and harvest after it; False when the run must stop.

        The harvest rides on the cell's own request, as ``user_expressions``
        that ipykernel evaluates once the cell has succeeded, together with
        ``begin_cell`` of the next cell (``after``): one round trip per cell
        instead of three. A cell that failed, was interrupted or whose reply
        carried no harvest gets a request of our own, as before. The nonce
        is only in our request: no output the cell printed can carry it.
        """
        assert self.kernel is not None
        label, left = f"cell {cell.index + 1}", self._left()  # 1-based, as students count
        if left <= 0:
            self.stop(Status.TIMEOUT, f"the run reached the total time limit of {self.limits.total_timeout:g} s "
                                      f"before {label}")
            return False
        per_cell = min(self.limits.cell_timeout, left)
        nonce = secrets.token_hex(16)
        then = {"harvest": _call("emit", nonce).strip()}
        if after is not None:
            then["next"] = _call("begin_cell", after).strip()
        reply = await self.kernel.request(cell.source, per_cell, nonce=nonce, then=then)
        if reply.kind == "died":
            await self._died(f"during {label}")  # the status says why: memory, exit code, signal
            self.cells[cell.index] = CellRun(cell.index, CellState.ERROR, reply.seconds, error_name="KernelDied",
                                             error_value=self.message)
            return False
        if reply.kind == "done":
            self.cells[cell.index] = _cell_run(cell.index, reply.content, reply.seconds)
            if _asked_exit(reply.content):  # ipykernel stops 0.1 s later; say why, not "died"
                self.stop(Status.KERNEL_DIED, f"{label} called exit(), which ends the kernel")
        elif not await self._interrupt(cell, reply, per_cell):
            return False
        if self.kernel.output_bytes > self.limits.output_bytes:
            self._flooded(label)
        if reply.kind == "done" and reply.docs:
            self._accept(reply.docs, f"after {label}")
            harvested = True
        else:  # models built before a stop still count
            harvested = await self._harvest(label, after)
        return harvested and self.status is Status.GRADED

    async def _interrupt(self, cell: Cell, reply: _Reply, per_cell: float) -> bool:
        """Stop a cell that ran too long or printed too much; False if the kernel is dead or stuck."""
        assert self.kernel is not None
        stopped = await self.kernel.interrupt(reply.msg_id)
        seconds = reply.seconds + stopped.seconds
        if reply.kind == "flood":
            self.cells[cell.index] = CellRun(
                cell.index, CellState.ERROR, seconds, error_name="OutputLimit",
                error_value=f"the submission printed more than {self.limits.output_bytes} bytes")
            self._flooded(f"cell {cell.index + 1}")
        else:
            self.cells[cell.index] = _cell_run(cell.index, stopped.content, seconds,
                                               timed_out=f"interrupted after {reply.seconds:.1f} s")
            self.timed_out.append(f"cell {cell.index + 1} ran past its {per_cell:g} s limit and was interrupted")
            if per_cell < self.limits.cell_timeout:
                self.stop(Status.TIMEOUT, f"the run reached the total time limit of {self.limits.total_timeout:g} s "
                                          f"during cell {cell.index + 1}, after {reply.seconds:.1f} s in that cell")
        if stopped.kind == "died":
            await self._died(f"while interrupting cell {cell.index + 1}")
            return False
        if stopped.kind != "done":
            self.stop(Status.TIMEOUT, f"cell {cell.index + 1} ran past its {per_cell:g} s limit and did not stop "
                                      f"within {INTERRUPT_GRACE:g} s of an interrupt")
            return False
        return True

    def _flooded(self, label: str) -> None:
        self.stop(Status.OUTPUT_LIMIT, f"{label} took the submission's output past "
                                       f"{self.limits.output_bytes} bytes; the run was stopped")

    async def _harvest(self, label: str, after: int | None) -> bool:
        nonce = secrets.token_hex(16)
        code = _call("emit", nonce) + ("" if after is None else _call("begin_cell", after))
        return await self._probe(code, f"after {label}", nonce=nonce) is not None

    async def _probe(self, code: str, label: str, *, nonce: str | None = None,
                     seconds: float = HARVEST_TIMEOUT) -> dict | None:
        """Send one request of our own: its reply, or None when the kernel is gone or stuck."""
        assert self.kernel is not None
        reply = await self.kernel.request(code, seconds, own=True, nonce=nonce)
        if reply.kind == "timeout":
            self._note(f"the probe timed out {label}")
            reply = await self.kernel.interrupt(reply.msg_id)
        if reply.kind == "died":
            await self._died(label)
            return None
        if reply.kind != "done":
            self.stop(Status.TIMEOUT, f"the kernel stopped responding {label}")
            return None
        if reply.content.get("status") != "ok":
            self._note(f"the probe failed {label}: {_error_line(reply.content)}")
        elif nonce is not None:
            self._accept(reply.docs, label)
        return reply.content

    def _accept(self, docs: list, label: str) -> None:
        if len(docs) != 1:
            self._note(f"no harvest {label}" if not docs else
                       f"{len(docs)} harvest documents answered one request {label}; all ignored")
            return
        try:
            harvest = parse_harvest(docs[0])
        except HarvestError as exc:
            self._note(f"harvest {label} rejected: {exc}")
            return
        self.latest = harvest
        for model in harvest.models:
            self.models[model.uid] = model  # latest facts per model; models gone since still count

    async def _died(self, label: str) -> None:
        assert self.kernel is not None
        how = await self.kernel.exit_description()
        if self.launcher.memory_exceeded():
            self.stop(Status.MEMORY_LIMIT, f"the kernel ran out of memory {label} ({how})")
        else:
            self.stop(Status.KERNEL_DIED, f"the kernel died {label} ({how})")

    # ---- results

    def stop(self, status: Status, message: str) -> None:
        if self.status is Status.GRADED or status is Status.INTERNAL_ERROR:
            self.status, self.message = status, message

    def _left(self) -> float:
        return self.deadline - time.monotonic()

    def _note(self, text: str) -> None:
        if text not in self.notes and len(self.notes) < MAX_NOTES:
            self.notes.append(text)

    def _harvest_result(self) -> Harvest:
        if self.latest is None:
            return Harvest.empty()
        models = tuple(self.models.values())
        return Harvest(keras_version=self.latest.keras_version, backend=self.latest.backend,
                       models=models[:MAX_MODELS], notes=self.latest.notes,
                       dropped_models=self.latest.dropped_models + max(0, len(models) - MAX_MODELS),
                       trainings=self.latest.trainings, image_data_generators=self.latest.image_data_generators,
                       dropped_trainings=self.latest.dropped_trainings)  # the kernel keeps every one: the latest has all

    def outcome(self) -> ExecutionOutcome:
        if self.timed_out:
            self.stop(Status.TIMEOUT, "; ".join(self.timed_out) + "; the cells after it still ran")
        kernel = self.kernel
        notes = list(self.notes)
        if kernel is not None and kernel.forged:
            notes.append(f"ignored {kernel.forged} harvest-typed output(s) that did not answer the grader's request")
        cells = tuple(self.cells.get(c.index) or CellRun(c.index, CellState.NOT_RUN)
                      for c in self.submission.code_cells)
        return ExecutionOutcome(
            status=self.status, cells=cells, harvest=self._harvest_result(),
            seconds=time.monotonic() - self.started, message=self.message, isolation=self.isolation,
            output_truncated_bytes=max(0, kernel.output_bytes - self.limits.output_bytes) if kernel else 0,
            notes=tuple(notes),
        )


# --------------------------------------------------------------------------- helpers


def _setup_code(staged: Sequence[Path]) -> str:
    """Exec the probe and the training recorder (staged at ``staged``) in modules of their own, kept out of the
    student's namespace, then install the probe (the recorder installs after the shims)."""
    return _exec_staged(staged[0], PROBE_MODULE) + _call("install") + _exec_staged(staged[1], TRAINING_MODULE)


@functools.lru_cache(maxsize=8)
def _bytecode(source: str, filename: str) -> bytes:
    """Kernel-side source compiled once per grader process, as ``marshal`` data.

    The kernel runs this same interpreter (``KERNEL_ARGV``), so it loads what
    its own ``compile`` would have made; ``dont_inherit`` keeps this module's
    ``from __future__`` imports out of the kernel's code.
    """
    return marshal.dumps(compile(source, filename, "exec", dont_inherit=True))


def _exec_staged(staged: Path, module: str) -> str:
    """Kernel code: exec the code staged at ``staged`` (deleted after the request) in ``sys.modules[module]``."""
    target = f"__import__('sys').modules.setdefault({module!r}, __import__('types').ModuleType({module!r}))"
    return (f"exec(__import__('marshal').loads(__import__('pathlib').Path({str(staged)!r}).read_bytes()), "
            f"{target}.__dict__)\n")


def _call(function: str, *args: Any) -> str:
    return f"__import__('sys').modules[{PROBE_MODULE!r}].{function}({', '.join(map(repr, args))})\n"


def _cell_run(index: int, content: dict, seconds: float, *, timed_out: str | None = None) -> CellRun:
    """A cell's record from its execute_reply; an interrupted cell keeps the traceback of where it was."""
    if timed_out is None and content.get("status") == "ok":
        return CellRun(index, CellState.OK, seconds)
    lines = _ANSI.sub("", scrub("\n".join(map(str, content.get("traceback", ()))))).splitlines()
    tail = "\n".join(line[:MAX_TEXT] for line in lines[-TRACEBACK_LINES:]) or None
    count = str(content.get("execution_count"))  # frames of earlier cells (a function defined there) are not this one
    found = [int(m.group(2)) for line in lines if (m := _CELL_FRAME.match(line)) and m.group(1) == count]
    line = found[-1] if found else None  # the innermost frame in this cell: the student's own line
    if timed_out is not None:
        return CellRun(index, CellState.TIMEOUT, seconds, error_name="Timeout", error_value=timed_out,
                       traceback=tail, error_line=line)
    return CellRun(index, CellState.ERROR, seconds, error_name=scrub(str(content.get("ename", "Error")))[:MAX_TEXT],
                   error_value=scrub(str(content.get("evalue", "")))[:MAX_TEXT], traceback=tail, error_line=line)


def _asked_exit(content: dict) -> bool:
    payloads = content.get("payload") or ()
    return any(isinstance(p, dict) and p.get("source") == "ask_exit" and not p.get("keepkernel")
               for p in payloads)


def _error_line(content: dict) -> str:
    return f"{content.get('ename', 'Error')}: {str(content.get('evalue', ''))[:MAX_TEXT]}"


def _tail(path: Path, size: int = 2000) -> str:
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, os.path.getsize(path) - size))
            return fh.read().decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _as_async(function: Any) -> Any:
    async def call() -> None:
        function()
    return call


def _rmtree(path: Path) -> None:
    """Remove a tree even where the student took away permissions."""
    def fix(func: Any, target: str, _exc: Any) -> None:
        os.chmod(os.path.dirname(target), stat.S_IRWXU)
        if os.path.isdir(target) and not os.path.islink(target):
            os.chmod(target, stat.S_IRWXU)
            shutil.rmtree(target, ignore_errors=True)
        else:
            os.unlink(target)

    if path.exists():
        shutil.rmtree(path, onerror=fix)
