"""The scale scenario: how Sentichat's cost grows with the work.

One Sentichat process holds ever more idle sockets (the scale's
`scale_steps`), each signed in as a seeded user of its own with a
`newMessage` subscription to its chat. At each step: the process's resident
memory, its CPU over a quiet window, and the delivery of sends at 50/s to
the chats of a random 1 % of the sockets, every delivery timed from the
send's scheduled instant and accounted for (lost, duplicated, out of order,
misdelivered: all must be none). Then the same on the stack's other process
with ten subscriptions a socket (`scale_ten_subscription_steps`). Then
closed-loop send throughput on 2 and 4 processes (`scale_processes`), with
the processes' CPU per message.

Sentichat alone: the baseline app's idle sockets are measured by the idle
scenario, and its curve would cost as long again (opening the sockets, the
quiet windows, the delivery runs). The table's baseline column holds, for a
ten-subscription row, the one-subscription figure at the same count, and
for a throughput row, the figure on the fewest processes; none elsewhere.
"""

from __future__ import annotations

import random
import resource
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psutil

from tests.benchmarks.load import (
    ANSWER_TIMEOUT_S,
    ClosedLoopPlan,
    ClosedLoopRun,
    HeldPlan,
    OpenLoopPlan,
    Receipt,
    closed_loop_worker,
    held_worker,
    open_loop_worker,
)
from tests.benchmarks.measure import Latencies
from tests.benchmarks.protocol import SENTICHAT
from tests.benchmarks.scenarios import (
    Measure,
    Results,
    Scale,
    attached,
    cpu_seconds,
    run_open_loop,
    settled,
)
from tests.benchmarks.stack import Stack
from tests.benchmarks.workers import Worker
from tests.support.server import Server

if TYPE_CHECKING:
    from matplotlib.axes import Axes

SAMPLED = 0.01  # of a step's sockets, whose chats the sends go to
DELIVERY_RATE = 50.0  # sends a second, open loop
TEN = 10  # subscriptions a socket in `scale_ten_subscription_steps`
QUIET_S = 5.0  # a drain ends when nothing has come for this long
# Subscribes sent before the server is waited for: graphql-transport-ws
# answers none, and each `newMessage` checks membership in the database as
# it starts, so thousands at once queue past the pool's 5 s timeout and fail
# (644 of 500 sockets' 5,000 sent at once did, on a busy 2-core machine).
OPEN_BURST = 500
SOCKETS_TIMEOUT_S = 600.0  # to open a burst of sockets, or to close them all
# File descriptors kept free besides the sockets: the server's database pool
# can still grow by 20, and each process opens a few more of its own.
FD_MARGIN = 64


def scale_curve(stack: Stack, scale: Scale, results: Results) -> None:
    """The curve of sockets, then ten subscriptions a socket, then processes."""
    steps = (*scale.scale_steps, *scale.scale_ten_subscription_steps)
    if max(steps, default=0) > len(stack.accounts):
        raise ValueError(
            f"a step of {max(steps):,} sockets needs as many seeded users;"
            f" the seed has {len(stack.accounts):,}"
        )
    # Each curve on a process of its own, started for it: one that held
    # sockets before (another curve, the idle scenario) takes the next ones
    # into the memory they freed, for less.
    with stack.more_sentichat(1) as (fresh,):
        one = _curve(stack, scale, fresh, scale.scale_steps, 1)
    with stack.more_sentichat(1) as (fresh,):
        ten = _curve(stack, scale, fresh, scale.scale_ten_subscription_steps, TEN)
    throughput = [_throughput(stack, scale, n) for n in scale.scale_processes]
    details: dict[str, Any] = {
        "sampled_fraction": SAMPLED,
        "delivery_rate_per_s": DELIVERY_RATE,
        "delivery_seconds": scale.scale_delivery_seconds,
        "quiet_window_s": scale.scale_quiet_seconds,
        "one_subscription": one,
        "ten_subscriptions": ten,
        "throughput": throughput,
    }
    results.details["scale"] = details
    results.add(*_measures(details))


# -- sockets held on one process ------------------------------------------------


def _curve(
    stack: Stack,
    scale: Scale,
    server: Server,
    steps: Sequence[int],
    subscriptions: int,
) -> dict[str, Any]:
    """Sockets opened on `server` up to each step's count in turn, each with
    `subscriptions` subscriptions; a step more than the processes may open
    files for is left out (and named), not failed at its end."""
    process = psutil.Process(server.pid)
    room = _socket_room(process)
    kept = [count for count in steps if count <= room]
    curve: dict[str, Any] = {
        "server": server.log_path.stem,
        "subscriptions_per_socket": subscriptions,
        "open_file_room": room,
        "left_out": [count for count in steps if count > room],
        "rss_bytes_before": process.memory_info().rss,
        "steps": [],
    }
    if not kept:
        return curve
    plan = HeldPlan(
        ("127.0.0.1", server.port), tuple(stack.accounts[: kept[-1]]), subscriptions
    )
    opened = 0
    with Worker(held_worker, plan) as held:
        held.expect("ready", 60)
        for count in kept:
            _open(stack, held, plan, opened, count)
            opened = count
            curve["steps"].append(
                _held_step(scale, held, process, plan, count, curve["rss_bytes_before"])
            )
        held.send(None)
        held.result(SOCKETS_TIMEOUT_S)
    settled(stack)
    return curve


def _socket_room(process: psutil.Process) -> int:
    """How many sockets the server process, and the load process holding
    their other ends, may open: the lower of their open-file limits (the
    load process has this process's), less what the server has open and
    `FD_MARGIN`."""
    server, _ = process.rlimit(psutil.RLIMIT_NOFILE)
    load, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    unlimited = resource.RLIM_INFINITY
    return (
        min(
            sys.maxsize if server == unlimited else server - process.num_fds(),
            sys.maxsize if load == unlimited else load,
        )
        - FD_MARGIN
    )


def _open(stack: Stack, held: Worker, plan: HeldPlan, opened: int, count: int) -> None:
    """Sockets from the `opened`-th up to `count`, `OPEN_BURST` subscribes at
    a time, each burst's subscriptions waited for on the server."""
    burst = max(1, OPEN_BURST // plan.subscriptions)
    for upto in (*range(opened + burst, count, burst), count):
        held.send(("open", upto))
        _, now_open = held.receive(SOCKETS_TIMEOUT_S)
        if now_open != upto:
            raise RuntimeError(f"{now_open} sockets open, not {upto}")
        attached(stack, upto * plan.subscriptions)


def _held_step(
    scale: Scale,
    held: Worker,
    process: psutil.Process,
    plan: HeldPlan,
    count: int,
    rss_before: int,
) -> dict[str, Any]:
    """With `count` sockets open and subscribed: the process's CPU over the
    quiet window, its memory, and the sampled delivery."""
    cpu_before = cpu_seconds([process])
    started = time.perf_counter()
    # The measurement itself: whatever the process does with nobody asking.
    time.sleep(scale.scale_quiet_seconds)
    cpu = cpu_seconds([process]) - cpu_before
    idle_cpu = cpu / (time.perf_counter() - started)
    rss = process.memory_info().rss
    return {
        "sockets": count,
        "subscriptions": count * plan.subscriptions,
        "rss_bytes": rss,
        "rss_kib_per_socket": round((rss - rss_before) / count / 1024, 2),
        "idle_cpu_percent": round(100 * idle_cpu, 2),
        "delivery": _sampled_delivery(scale, held, plan, count),
    }


def _sampled_delivery(
    scale: Scale, held: Worker, plan: HeldPlan, count: int
) -> dict[str, Any]:
    """Sends at `DELIVERY_RATE` by both members of a random 1 % of the open
    sockets' chats (at least one chat), to the process holding them."""
    chats = sorted(
        random.Random(count * plan.subscriptions).sample(
            range(count // 2), max(1, round(SAMPLED * count / 2))
        )
    )
    watched = [socket for chat in chats for socket in (2 * chat, 2 * chat + 1)]
    tag = f"sk{count}x{plan.subscriptions}-"
    senders = tuple(plan.accounts[socket] for socket in watched)
    sends = max(1, int(DELIVERY_RATE * scale.scale_delivery_seconds))
    with Worker(
        open_loop_worker, OpenLoopPlan(SENTICHAT, "send", (plan.server,), senders, tag)
    ) as load:
        load.expect("ready", 60)
        outcomes, errors = run_open_loop(load, DELIVERY_RATE, sends, 0)
        load.send(None)
    sent = {o.index: o.scheduled_ns for o in outcomes if o.ok}
    owed = 2 * plan.subscriptions * len(sent)
    held.send(("drain", watched, owed, QUIET_S))
    _, receipts, stray, failures = held.receive(120)
    counted = tally_sampled(receipts, watched, tag, sent, plan.subscriptions, stray)
    latencies = Latencies.of(counted.delays_us)
    return {
        **latencies.summary(),
        "sampled_sockets": len(watched),
        "sends": sends,
        "sends_failed": sends - len(sent),
        "errors": errors,
        "deliveries_expected": counted.expected,
        "lost": counted.lost,
        "duplicated": counted.duplicated,
        "out_of_order": counted.out_of_order,
        "misdelivered": counted.misdelivered,
        "socket_failures": failures,
        "histogram": latencies.histogram(),
    }


@dataclass(frozen=True)
class SampledTally:
    """Deliveries of one step's sends to the sampled sockets."""

    delays_us: list[float]
    expected: int
    duplicated: int
    out_of_order: int  # after a later message of its chat, on one subscription
    misdelivered: int  # to another chat's socket, of another run, or unsampled

    @property
    def lost(self) -> int:
        return self.expected - len(self.delays_us)


def tally_sampled(
    receipts: Mapping[int, Sequence[Receipt]],
    watched: Sequence[int],
    tag: str,
    sent: Mapping[int, int],
    subscriptions: int,
    stray: int,
) -> SampledTally:
    """The watched sockets' receipts of a run's sends (`sent`: index ->
    scheduled time.time_ns(), clientIds `tag` + index; send i by the account
    of socket watched[i mod len(watched)], socket j's chat being j // 2): each
    send is owed once on every subscription ("1" to `subscriptions`) of both
    members' sockets, in its chat's order. `stray`: receipts on the sockets
    not watched, all misdelivered."""
    owed_ids = {str(n) for n in range(1, subscriptions + 1)}
    delays: list[float] = []
    duplicated = out_of_order = 0
    misdelivered = stray
    for socket, received in receipts.items():
        seen: set[tuple[str, int]] = set()
        newest: dict[str, int] = {}  # the highest seq so far, by subscription
        for subscription, client_id, seq, received_ns in received:
            suffix = client_id[len(tag) :]
            index = int(suffix) if suffix.isdigit() else -1
            if (
                subscription not in owed_ids
                or not client_id.startswith(tag)
                or index not in sent
                or watched[index % len(watched)] // 2 != socket // 2
            ):
                misdelivered += 1
                continue
            if (subscription, index) in seen:
                duplicated += 1
                continue
            seen.add((subscription, index))
            if seq <= newest.get(subscription, 0):
                out_of_order += 1
            newest[subscription] = max(seq, newest.get(subscription, 0))
            delays.append((received_ns - sent[index]) / 1000)
    return SampledTally(
        delays, 2 * subscriptions * len(sent), duplicated, out_of_order, misdelivered
    )


# -- throughput on more processes -------------------------------------------------


def _throughput(stack: Stack, scale: Scale, processes: int) -> dict[str, Any]:
    """Closed-loop sends to `processes` Sentichat processes: the stack's,
    with more started beside them for the run if it has fewer."""
    own = stack.servers[SENTICHAT][:processes]
    with stack.more_sentichat(processes - len(own)) as more:
        servers = own + more
        measured = [psutil.Process(server.pid) for server in servers]
        plan = ClosedLoopPlan(
            tuple(("127.0.0.1", server.port) for server in servers),
            tuple(stack.accounts),
            f"sp{processes}-",
            scale.scale_senders_per_process,
        )
        with Worker(closed_loop_worker, plan) as load:
            load.expect("ready", 60)
            # Unmeasured: new processes' first requests open their pools.
            _, first = _closed_run(load, scale.scale_throughput_seconds / 3, 0)
            cpu_before = cpu_seconds(measured)
            run, _ = _closed_run(load, scale.scale_throughput_seconds, first)
            cpu = cpu_seconds(measured) - cpu_before
            load.send(None)
    latencies = Latencies.of(run.latencies_us)
    return {
        "processes": processes,
        "senders": processes * scale.scale_senders_per_process,
        "seconds": round(run.seconds, 2),
        "answered": run.answered,
        "failed": run.failed,
        "errors": run.errors,
        "messages_per_s": round(run.answered / run.seconds, 1),
        "server_cpu_us_per_message": round(cpu * 1e6 / max(run.answered, 1), 1),
        "server_cpu_cores": round(cpu / run.seconds, 2),
        **latencies.summary(),
    }


def _closed_run(load: Worker, seconds: float, first: int) -> tuple[ClosedLoopRun, int]:
    """One closed-loop run from send `first`: its outcome, and the next index."""
    load.send(("run", seconds, first))
    _, run, after = load.receive(seconds + 2 * ANSWER_TIMEOUT_S + 60)
    return run, after


# -- the table and the plots ----------------------------------------------------


def _label(count: int) -> str:
    """A socket count as the issue names its steps: 1k for 1,000."""
    return f"{count // 1000}k" if count >= 1000 and count % 1000 == 0 else f"{count:,}"


def _measures(details: Mapping[str, Any]) -> list[Measure]:
    one, ten = details["one_subscription"], details["ten_subscriptions"]
    by_count = {step["sockets"]: step for step in one["steps"]}
    measures: list[Measure] = []
    # The curve's ends here; every step in the details and the plot.
    for count in sorted({min(by_count, default=0), max(by_count, default=0)} - {0}):
        step, at = by_count[count], f"at {_label(count)} sockets"
        measures += [
            Measure(
                f"RSS per socket {at}", "KiB", step["rss_kib_per_socket"], None, "lower"
            ),
            Measure(
                f"idle CPU {at}", "% of a core", step["idle_cpu_percent"], None, "lower"
            ),
            Measure(
                f"delivery p99 {at} (1 % of them, 50 msg/s)",
                "ms",
                step["delivery"]["p99_ms"],
                None,
                "lower",
            ),
        ]
    if one["steps"]:
        last = one["steps"][-1]
        measures.append(
            Measure(
                f"server RSS at {_label(last['sockets'])} sockets",
                "MiB",
                round(last["rss_bytes"] / 2**20, 1),
                None,
                "lower",
            )
        )
    for step in ten["steps"]:
        alone = by_count.get(step["sockets"])
        at = f"at {_label(step['sockets'])} sockets, {TEN} subscriptions each"
        measures += [
            Measure(
                f"RSS per socket {at} (baseline: 1 each)",
                "KiB",
                step["rss_kib_per_socket"],
                None if alone is None else alone["rss_kib_per_socket"],
                "lower",
            ),
            Measure(
                f"idle CPU {at} (baseline: 1 each)",
                "% of a core",
                step["idle_cpu_percent"],
                None if alone is None else alone["idle_cpu_percent"],
                "lower",
            ),
            Measure(
                f"delivery p99 {at} (baseline: 1 each)",
                "ms",
                step["delivery"]["p99_ms"],
                None if alone is None else alone["delivery"]["p99_ms"],
                "lower",
            ),
        ]
    deliveries = [step["delivery"] for curve in (one, ten) for step in curve["steps"]]
    faults = sum(
        d["lost"] + d["duplicated"] + d["out_of_order"] + d["misdelivered"]
        for d in deliveries
    )
    clean = not any(d["sends_failed"] or d["socket_failures"] for d in deliveries)
    measures.append(
        Measure(
            "sampled deliveries lost + duplicated + out of order + misdelivered,"
            " every step",
            "",
            faults,
            None,
            "lower",
            "0",
            faults == 0 and clean,
        )
    )
    left_out = [
        *map(_label, one["left_out"]),
        *(f"{_label(n)} x {TEN}" for n in ten["left_out"]),
    ]
    if left_out:
        measures.append(
            Measure(
                "socket steps left out, past the open-file limit"
                f" ({', '.join(left_out)})",
                "",
                len(left_out),
                None,
                "lower",
                "0",
                False,
            )
        )
    runs = details["throughput"]
    for n, run in enumerate(runs):
        # Against the fewest processes' run (the first), from the second on.
        fewest = runs[0] if n else None
        than = f" (baseline: {runs[0]['processes']})" if n else ""
        measures += [
            Measure(
                f"send throughput, closed loop, {run['processes']} processes{than}",
                "msg/s",
                run["messages_per_s"],
                None if fewest is None else fewest["messages_per_s"],
                "higher",
            ),
            Measure(
                f"app processes' CPU per message, closed loop, {run['processes']}"
                f" processes{than}",
                "µs",
                run["server_cpu_us_per_message"],
                None if fewest is None else fewest["server_cpu_us_per_message"],
                "lower",
            ),
        ]
    return measures


def plot(out: Path, details: Mapping[str, Any], title: str) -> list[Path]:
    """scale-sockets.png (memory, idle CPU and delivery against sockets held)
    and scale-processes.png (throughput and CPU a message against processes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = [details["one_subscription"], details["ten_subscriptions"]]
    panels: list[tuple[str, Callable[[Mapping[str, Any]], float]]] = [
        ("server RSS (MiB)", lambda step: step["rss_bytes"] / 2**20),
        ("RSS per socket (KiB)", lambda step: step["rss_kib_per_socket"]),
        (
            f"idle CPU over {details['quiet_window_s']:g} s (% of one core)",
            lambda step: step["idle_cpu_percent"],
        ),
        (
            f"delivery p99 (ms), {SAMPLED:.0%} of sockets,"
            f" {details['delivery_rate_per_s']:g} msg/s",
            lambda step: step["delivery"]["p99_ms"],
        ),
    ]
    figure, axes = plt.subplots(2, 2, figsize=(10, 7.2))
    for axis, (label, value) in zip(axes.flat, panels, strict=True):
        xs: list[float] = []
        ys: list[float] = []
        for curve in curves:
            if not curve["steps"]:
                continue
            each = curve["subscriptions_per_socket"]
            sockets = [step["sockets"] for step in curve["steps"]]
            values = [value(step) for step in curve["steps"]]
            axis.plot(
                sockets,
                values,
                marker="o",
                linewidth=1.4,
                label=f"{each} subscription{'s' if each > 1 else ''} a socket",
            )
            xs += sockets
            ys += values
        axis.set_xlabel("idle sockets on one process")
        axis.set_title(label, fontsize=10)
        _from_zero(axis, xs, ys)
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    sockets_png = out / "scale-sockets.png"
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(sockets_png, dpi=110)
    plt.close(figure)

    runs = details["throughput"]
    counts = [run["processes"] for run in runs]
    figure, axes = plt.subplots(1, 2, figsize=(9, 3.8), squeeze=False)
    for axis, (label, key) in zip(
        axes.flat,
        (
            ("send throughput, closed loop (msg/s)", "messages_per_s"),
            ("app processes' CPU per message (µs)", "server_cpu_us_per_message"),
        ),
        strict=True,
    ):
        values = [run[key] for run in runs]
        axis.plot(counts, values, marker="o", linewidth=1.4)
        axis.set_xticks(counts)
        axis.set_xlabel("Sentichat processes")
        axis.set_title(label, fontsize=10)
        _from_zero(axis, counts, values)
        axis.grid(True, alpha=0.3)
    processes_png = out / "scale-processes.png"
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    figure.savefig(processes_png, dpi=110)
    plt.close(figure)
    return [sockets_png, processes_png]


def _from_zero(axis: Axes, xs: Sequence[float], ys: Sequence[float]) -> None:
    """Both axes from 0 (a curve's growth is read against its size), with
    room past the largest point."""
    axis.set_xlim(0, max(xs, default=0) * 1.08 or 1)
    axis.set_ylim(0, max(ys, default=0) * 1.12 or 1)
