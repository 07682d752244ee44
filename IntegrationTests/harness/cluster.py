"""Two (or more) clustered Tomcats on loopback: the classic deployment's back end.

The nodes share one static member list (their Tribes receiver ports) and use DeltaManager with
channelSendOptions=6 by default: synchronous ack, so once a response has been sent the session
change is on the other node and a SIGKILL right after loses nothing (docs/modjk-behaviour.md §11.1 only saw no loss with
asynchronous 8 because the kill came after idle time).
"""

import time

from . import ports
from .tomcat import Tomcat, TomcatError

JOINED = "Replication member added"


class Cluster:
    """Nodes named and routed `names` (default was1, was2), all with the same secret mode.

    nodes: list of Tomcat; cluster["was1"] gives a node by name.
    """

    def __init__(self, names=("was1", "was2"), secret=None, channel_send_options=6,
                 **tomcat_kwargs):
        receivers = ports.free_ports(len(names))
        self.nodes = [Tomcat(name, name, receiver_port=port, cluster_members=receivers,
                             secret=secret, channel_send_options=channel_send_options,
                             **tomcat_kwargs)
                      for name, port in zip(names, receivers)]
        self.secret = secret
        self.timings = {}

    def __getitem__(self, name):
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def __iter__(self):
        return iter(self.nodes)

    def start(self, timeout=90, precompile=True):
        """Start the nodes one after the other, then wait until each has seen every other
        member join. Records timings from launch: "ready" (all nodes up), "joined" (cluster
        formed), "start_total" (with JSP precompilation).

        Not in parallel: two DeltaManagers starting at the same moment ask each other for the
        session state, one of the requests is dropped ("No matching context manager"), and
        that node blocks its startup for stateTransferTimeout = 60 s ("No session state sent
        ... received, timing out"). Seen in 2 of 4 parallel starts."""
        t0 = time.monotonic()
        for node in self.nodes:
            node.start()
            node.wait_ready(max(1, timeout - (time.monotonic() - t0)))
        self.timings["ready"] = time.monotonic() - t0
        self.wait_joined(max(1, timeout - (time.monotonic() - t0)))
        self.timings["joined"] = time.monotonic() - t0
        if precompile:
            for node in self.nodes:
                node.precompile()
        self.timings["start_total"] = time.monotonic() - t0
        return self

    def members_seen(self, node):
        """How many 'Replication member added' lines `node` logged since its last start."""
        return node.log_since_start().count(JOINED)

    def wait_joined(self, timeout=60, nodes=None):
        """Wait (bounded) until each running node (or each of `nodes`) has logged 'Replication
        member added' once per other running member since its start."""
        running = [n for n in self.nodes if n.running()]
        nodes = nodes or running
        deadline = time.monotonic() + timeout
        while True:
            missing = [n.name for n in nodes if self.members_seen(n) < len(running) - 1]
            if not missing:
                return
            if time.monotonic() >= deadline:
                raise TomcatError("cluster not formed after %ss; waiting on %s:\n%s" % (
                    timeout, ", ".join(missing),
                    "\n".join(self[m].log_tail(15) for m in missing)))
            time.sleep(0.1)

    def rejoin(self, name, timeout=90, precompile=True):
        """Restart node `name` (after a stop or kill9) and wait until it is ready and has joined:
        it logs the other members as added, and the survivors log it as added again.
        Returns the seconds from launch to joined."""
        node = self[name]
        others = [n for n in self.nodes if n is not node and n.running()]
        before = {n.name: n.log_since_start().count(JOINED) for n in others}
        t0 = time.monotonic()
        node.start()
        node.wait_ready(timeout)
        deadline = t0 + timeout
        while True:
            ok_self = self.members_seen(node) >= len(others)
            ok_others = all(n.log_since_start().count(JOINED) > before[n.name] for n in others)
            if ok_self and ok_others:
                break
            if time.monotonic() >= deadline:
                raise TomcatError("%s did not rejoin within %ss:\n%s" % (name, timeout, node.log_tail()))
            time.sleep(0.1)
        self.timings["rejoin_" + name] = time.monotonic() - t0
        if precompile:
            node.precompile()
        return self.timings["rejoin_" + name]

    def stop(self):
        for node in self.nodes:
            node.stop()

    def workers_properties(self, lb="worker1", sticky=True, member_extra=None, lb_extra=None,
                           status_worker=None):
        """workers.properties for an lb worker over the nodes (member name = jvmRoute), with the
        cluster's secret on each member. member_extra / lb_extra: dicts of more properties,
        e.g. {"retry_interval": 10}; status_worker: a name to add a status worker."""
        names = [n.name for n in self.nodes]
        lines = ["worker.list=%s" % ",".join([lb] + ([status_worker] if status_worker else [])),
                 "worker.%s.type=lb" % lb,
                 "worker.%s.balance_workers=%s" % (lb, ",".join(names)),
                 "worker.%s.sticky_session=%d" % (lb, 1 if sticky else 0)]
        lines += ["worker.%s.%s=%s" % (lb, k, v) for k, v in (lb_extra or {}).items()]
        for n in self.nodes:
            lines += ajp13_worker_lines(n, extra=member_extra)
        if status_worker:
            lines.append("worker.%s.type=status" % status_worker)
        return "\n".join(lines) + "\n"


def ajp13_worker_lines(node, name=None, extra=None):
    """workers.properties lines for an ajp13 worker `name` (default: the node's name, which
    must equal its jvmRoute when it is an lb member), pointing at the node's AJP port, with the
    node's secret if it has one."""
    w = "worker.%s." % (name or node.name)
    lines = [w + "type=ajp13", w + "host=127.0.0.1", w + "port=%d" % node.ajp_port,
             w + "lbfactor=1"]
    if node.secret is not None:
        lines.append(w + "secret=%s" % node.secret)
    lines += [w + "%s=%s" % (k, v) for k, v in (extra or {}).items()]
    return lines
