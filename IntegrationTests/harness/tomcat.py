"""One Tomcat 10.1 node in its own CATALINA_BASE, following docs/modjk-behaviour.md §12.1-§12.3.

The node uses Debian's CATALINA_HOME (/usr/share/tomcat10), binds everything to 127.0.0.1,
serves the harness webapp as ROOT, and optionally joins a cluster with static membership (no
multicast). It is started with `catalina.sh start` and stopped by PID only.

Readiness is not "the ports are open": the connectors bind at init (bindOnInit), before the
webapp is deployed, and a failed AJP connector keeps its port bound and answers nobody (docs/modjk-behaviour.md §6.2).
So wait_ready() waits for "Server startup in" in the new part of catalina.out and fails on
"SEVERE ... Failed to start component".
"""

import os
import pathlib
import secrets
import shutil
import signal
import subprocess
import time
import urllib.request
import xml.sax.saxutils

from . import ports, procs, rundir

CATALINA_HOME = pathlib.Path("/usr/share/tomcat10")
SKEL_CONF = CATALINA_HOME / "skel" / "conf"
LOCATE_JAVA = "/usr/libexec/tomcat10/tomcat-locate-java.sh"
WEBAPP_DIR = pathlib.Path(__file__).resolve().parent / "webapp"

# Measured on the 2-core test machine (see README): SerialGC + C1-only JIT start Tomcat faster
# and use less memory; tests are not about Tomcat's peak throughput.
FAST_JVM_OPTS = "-XX:+UseSerialGC -XX:TieredStopAtLevel=1"

# Environment variables of the caller that would change how catalina.sh starts the JVM.
_SCRUB_ENV = ("JAVA_OPTS", "CATALINA_OPTS", "CATALINA_BASE", "CATALINA_HOME", "CATALINA_PID",
              "CATALINA_OUT", "CATALINA_OUT_CMD", "CATALINA_TMPDIR", "JPDA_OPTS")

LOGGING_PROPERTIES = """\
# Everything to the console, i.e. to catalina.out, one line per record with a timestamp:
# the harness reads a single log.
handlers = java.util.logging.ConsoleHandler
.handlers = java.util.logging.ConsoleHandler
.level = INFO
java.util.logging.ConsoleHandler.level = FINE
java.util.logging.ConsoleHandler.formatter = org.apache.juli.OneLineFormatter
"""


def _attr(value):
    """XML attribute value, quoted."""
    return xml.sax.saxutils.quoteattr(str(value))


class TomcatError(RuntimeError):
    pass


class Tomcat:
    """A Tomcat node. Ports left as None are allocated (free ports on 127.0.0.1).

    secret: str -> AJP connector secret="..."; None -> secretRequired="false".
    secret_required_but_missing: neither attribute, so Tomcat 10.1's default secretRequired
        fails the connector while its port stays bound: a "mute" AJP port (docs/modjk-behaviour.md §6.2).
    cluster_members: receiver ports of all cluster members (this node's own is added if
        missing); None = not clustered.
    channel_send_options: SimpleTcpCluster channelSendOptions; 6 = synchronous ack, so a
        request has been replicated before its response is sent (a SIGKILL loses nothing).
    packet_size: AJP connector packetSize (must match the worker's max_packet_size).
    extra_connector_attrs: more attributes for the AJP connector.
    """

    def __init__(self, name, jvm_route, http_port=None, ajp_port=None, shutdown_port=None,
                 receiver_port=None, secret=None, cluster_members=None, channel_send_options=6,
                 packet_size=None, extra_connector_attrs=None, secret_required_but_missing=False,
                 heap=("64m", "256m"), fast_jvm=True, extra_java_opts="", webapp=WEBAPP_DIR):
        self.name = name
        self.jvm_route = jvm_route
        self.http_port = http_port or ports.free_port()
        self.ajp_port = ajp_port or ports.free_port()
        self.shutdown_port = shutdown_port or ports.free_port()
        self.clustered = cluster_members is not None
        self.receiver_port = receiver_port or (ports.free_port() if self.clustered else None)
        members = list(cluster_members or [])
        if self.clustered and self.receiver_port not in members:
            members.append(self.receiver_port)
        self.cluster_members = sorted(set(members))
        self.secret = secret
        self.secret_required_but_missing = secret_required_but_missing
        self.channel_send_options = channel_send_options
        self.packet_size = packet_size
        self.extra_connector_attrs = dict(extra_connector_attrs or {})
        self.heap = heap
        self.fast_jvm = fast_jvm
        self.extra_java_opts = extra_java_opts
        self.webapp = pathlib.Path(webapp)
        self.base = None            # CATALINA_BASE, made by create()
        self._pid = None
        self._log_offset = 0        # catalina.out size at the last start()
        self.started_at = None      # time.monotonic() of the last start()
        self.timings = {}           # "start_to_ready", "precompile", "stop" in seconds

    # ------------------------------------------------------------------ files

    @property
    def catalina_out(self):
        return self.base / "logs" / "catalina.out"

    @property
    def pid_file(self):
        return self.base / "tomcat.pid"

    def create(self):
        """Make CATALINA_BASE: conf (Debian skel + ours), bin/setenv.sh, webapps/ROOT."""
        self.base = rundir.fixture_dir("tomcat-" + self.name)
        for d in ("conf", "logs", "webapps", "work", "temp", "bin", "lib"):
            (self.base / d).mkdir()
        for f in SKEL_CONF.iterdir():
            shutil.copy(f, self.base / "conf" / f.name)
        self._write("conf/server.xml", self.server_xml())
        self._write("conf/logging.properties", LOGGING_PROPERTIES)
        self._write("bin/setenv.sh", self.setenv_sh())
        # copy2 keeps mtimes: Jasper compares the JSP's mtime with its compiled class's.
        shutil.copytree(self.webapp, self.base / "webapps" / "ROOT", copy_function=shutil.copy2)
        self._skip_jar_scanning()
        return self.base

    def _write(self, rel, text):
        path = self.base / rel
        path.write_text(text)
        path.chmod(0o644)

    def _skip_jar_scanning(self):
        """No TLD/fragment scanning of the ~30 system jars: the webapp uses none; faster start."""
        props = self.base / "conf" / "catalina.properties"
        props.write_text(props.read_text() +
                         "\n# swiftjk harness: the test webapp needs no TLD or fragment scan\n"
                         "tomcat.util.scan.StandardJarScanFilter.jarsToSkip=*.jar\n")

    def server_xml(self):
        """server.xml text: loopback only, HTTP + AJP connectors, jvmRoute, optional cluster."""
        ajp = {"address": "127.0.0.1", "port": self.ajp_port, "protocol": "AJP/1.3",
               "maxParameterCount": "1000"}
        if self.secret is not None and not self.secret_required_but_missing:
            ajp["secret"] = self.secret
        elif not self.secret_required_but_missing:
            ajp["secretRequired"] = "false"
        if self.packet_size:
            ajp["packetSize"] = self.packet_size
        ajp.update(self.extra_connector_attrs)
        ajp_attrs = " ".join("%s=%s" % (k, _attr(v)) for k, v in ajp.items())
        return """<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by the SwiftJK integration harness. -->
<Server port="{shutdown}" address="127.0.0.1" shutdown={shutdown_word}>
  <Listener className="org.apache.catalina.startup.VersionLoggerListener" />
  <Service name="Catalina">
    <Connector address="127.0.0.1" port="{http}" protocol="HTTP/1.1"
               connectionTimeout="20000" maxParameterCount="1000" />
    <Connector {ajp_attrs} />
    <Engine name="Catalina" defaultHost="localhost" jvmRoute={route}>
{cluster}
      <Host name="localhost" appBase="webapps" unpackWARs="false" autoDeploy="false">
        <Valve className="org.apache.catalina.valves.AccessLogValve" directory="logs"
               prefix="access" suffix=".log" rotatable="false" buffered="false"
               pattern="%h %t &quot;%r&quot; %s %b %Dms route={route_text} session=%S" />
      </Host>
    </Engine>
  </Service>
</Server>
""".format(shutdown=self.shutdown_port, shutdown_word=_attr("SHUTDOWN-" + secrets.token_hex(8)),
           http=self.http_port, ajp_attrs=ajp_attrs, route=_attr(self.jvm_route),
           route_text=xml.sax.saxutils.escape(self.jvm_route), cluster=self.cluster_xml())

    def cluster_xml(self):
        """The <Cluster> block of docs/modjk-behaviour.md §12.2: DeltaManager, static membership, ReplicationValve,
        JvmRouteBinderValve. Every member is listed on every node (each node finds itself by its
        Receiver address and port); uniqueIds come from the position in the sorted port list, so
        they agree across nodes. autoBind="1": exactly one bind attempt, never a silent move."""
        if not self.clustered:
            return ""
        members = "\n".join(
            '          <Member className="org.apache.catalina.tribes.membership.StaticMember"\n'
            '                  host="127.0.0.1" port="%d" securePort="-1" domain="cluster"\n'
            '                  uniqueId="{0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,%d}"/>' % (port, i + 1)
            for i, port in enumerate(self.cluster_members))
        return """      <Cluster className="org.apache.catalina.ha.tcp.SimpleTcpCluster"
               channelSendOptions="{opts}">
        <Manager className="org.apache.catalina.ha.session.DeltaManager"
                 expireSessionsOnShutdown="false" notifyListenersOnReplication="true"/>
        <Channel className="org.apache.catalina.tribes.group.GroupChannel">
          <Membership className="org.apache.catalina.tribes.membership.StaticMembershipService">
{members}
          </Membership>
          <Receiver className="org.apache.catalina.tribes.transport.nio.NioReceiver"
                    address="127.0.0.1" port="{port}" autoBind="1"
                    selectorTimeout="5000" maxThreads="6"/>
          <Sender className="org.apache.catalina.tribes.transport.ReplicationTransmitter">
            <Transport className="org.apache.catalina.tribes.transport.nio.PooledParallelSender"/>
          </Sender>
          <Interceptor className="org.apache.catalina.tribes.group.interceptors.TcpFailureDetector"/>
          <Interceptor className="org.apache.catalina.tribes.group.interceptors.MessageDispatchInterceptor"/>
        </Channel>
        <Valve className="org.apache.catalina.ha.tcp.ReplicationValve" filter=""/>
        <Valve className="org.apache.catalina.ha.session.JvmRouteBinderValve"/>
        <ClusterListener className="org.apache.catalina.ha.session.ClusterSessionListener"/>
      </Cluster>""".format(opts=int(self.channel_send_options), members=members,
                           port=self.receiver_port)

    def java_opts(self):
        opts = ["-Xms%s" % self.heap[0], "-Xmx%s" % self.heap[1], "-Djava.awt.headless=true",
                "-Djava.net.preferIPv4Stack=true", "-Djvm.route=%s" % self.jvm_route]
        if self.fast_jvm:
            opts.append(FAST_JVM_OPTS)
        if self.extra_java_opts:
            opts.append(self.extra_java_opts)
        return " ".join(opts)

    def setenv_sh(self):
        """bin/setenv.sh (sourced by catalina.sh): PID file, log file, JVM options, JAVA_HOME."""
        return ('CATALINA_HOME=%s\n'
                'CATALINA_PID="$CATALINA_BASE/tomcat.pid"\n'
                'CATALINA_OUT="$CATALINA_BASE/logs/catalina.out"\n'
                'JAVA_OPTS="%s"\n'
                '. %s\n' % (CATALINA_HOME, self.java_opts(), LOCATE_JAVA))

    # ------------------------------------------------------------------ lifecycle

    @property
    def pid(self):
        """PID of the JVM (from CATALINA_PID), or None if not started."""
        if self._pid is None and self.base is not None and self.pid_file.exists():
            text = self.pid_file.read_text().strip()
            self._pid = int(text) if text.isdigit() else None
        return self._pid

    def running(self):
        return procs.alive(self.pid)

    def start(self):
        """Launch with `catalina.sh start` (creates CATALINA_BASE on first use). Returns at once;
        call wait_ready()."""
        if self.base is None:
            self.create()
        if self.running():
            raise TomcatError("%s already running (pid %d)" % (self.name, self.pid))
        self._forget_pid()
        self._log_offset = self.catalina_out.stat().st_size if self.catalina_out.exists() else 0
        env = {k: v for k, v in os.environ.items() if k not in _SCRUB_ENV}
        env.update(CATALINA_HOME=str(CATALINA_HOME), CATALINA_BASE=str(self.base))
        self.started_at = time.monotonic()
        proc = subprocess.run([str(CATALINA_HOME / "bin" / "catalina.sh"), "start"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        if proc.returncode != 0:
            raise TomcatError("%s: catalina.sh start failed (rc=%d):\n%s"
                              % (self.name, proc.returncode, proc.stdout.decode(errors="replace")))
        procs.wait_until(lambda: self.pid, 10, what="%s pid file" % self.name)
        procs.register(self)
        return self

    def wait_ready(self, timeout=60):
        """Wait until Tomcat has finished starting: "Server startup in" logged, HTTP and AJP
        (and the cluster receiver) ports listening. Raises TomcatError with the log tail if the
        JVM dies, a component fails to start (unless this is the mute-port fixture) or time
        runs out. Returns the seconds from start()."""
        deadline = time.monotonic() + timeout
        wanted = [self.http_port, self.ajp_port] + ([self.receiver_port] if self.clustered else [])
        while True:
            log = self.log_since_start()
            if "Failed to start component" in log and not self.secret_required_but_missing:
                raise TomcatError("%s: a component failed to start:\n%s" % (self.name, self.log_tail()))
            if not self.running():
                raise TomcatError("%s: JVM exited during startup:\n%s" % (self.name, self.log_tail()))
            if "Server startup in" in log and all(ports.is_listening(p) for p in wanted):
                self.timings["start_to_ready"] = time.monotonic() - self.started_at
                return self.timings["start_to_ready"]
            if time.monotonic() >= deadline:
                raise TomcatError("%s: not ready after %ss:\n%s" % (self.name, timeout, self.log_tail()))
            time.sleep(0.05)

    def precompile(self, pages=None, timeout=60):
        """Compile JSPs with GET /page.jsp?jsp_precompile on the HTTP connector: compiles
        without running the page (no stray sessions). Default: every *.jsp of the webapp."""
        t0 = time.monotonic()
        pages = pages or sorted(p.name for p in self.webapp.glob("*.jsp"))
        for page in pages:
            url = "http://127.0.0.1:%d/%s?jsp_precompile" % (self.http_port, page)
            with urllib.request.urlopen(url, timeout=timeout) as r:
                if r.status != 200:
                    raise TomcatError("%s: precompile of %s gave %d" % (self.name, page, r.status))
                r.read()
        self.timings["precompile"] = time.monotonic() - t0
        return self.timings["precompile"]

    def start_ready(self, timeout=60):
        """start(), wait_ready(), precompile(): a node ready for tests. Returns self."""
        self.start()
        self.wait_ready(timeout)
        self.precompile()
        return self

    def stop(self, grace=15.0):
        """SIGTERM (Tomcat's shutdown hook stops it cleanly; a cluster member leaves), SIGKILL
        after `grace` s. Returns "TERM", "KILL" or "gone"."""
        pid = self.pid
        t0 = time.monotonic()
        how = procs.terminate(pid, grace) if pid else "gone"
        self.timings["stop"] = time.monotonic() - t0
        self._forget_pid()
        procs.unregister(self)
        return how

    def kill9(self, timeout=10.0):
        """SIGKILL, as a crash: no shutdown hook, no goodbye to the cluster."""
        pid = self.pid
        if pid and procs.send(pid, signal.SIGKILL) and not procs.wait_dead(pid, timeout):
            raise TomcatError("%s: pid %d still alive after SIGKILL" % (self.name, pid))
        self._forget_pid()
        procs.unregister(self)

    def sigstop(self):
        """Freeze the JVM: its ports stay open and accept connections nobody answers."""
        procs.send(self.pid, signal.SIGSTOP)

    def sigcont(self):
        procs.send(self.pid, signal.SIGCONT)

    def _forget_pid(self):
        """Drop the PID and its file: catalina.sh refuses to start while `ps -p` still finds the
        old PID, which a zombie would satisfy."""
        self._pid = None
        if self.base is not None and self.pid_file.exists():
            self.pid_file.unlink()

    # ------------------------------------------------------------------ logs

    def log(self):
        """All of catalina.out (every start of this node)."""
        return self.catalina_out.read_text(errors="replace") if self.catalina_out.exists() else ""

    def log_since_start(self):
        """catalina.out written since the last start()."""
        if not self.catalina_out.exists():
            return ""
        with open(self.catalina_out, "rb") as f:
            f.seek(self._log_offset)
            return f.read().decode(errors="replace")

    def log_tail(self, lines=40):
        return "\n".join(self.log_since_start().splitlines()[-lines:])

    def access_log(self):
        """Tomcat's own access log (unbuffered): one line per request, with %D and session."""
        path = self.base / "logs" / "access.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_access_count(self, substring, count, timeout=5.0):
        """Wait (bounded) until Tomcat's access log has at least `count` lines containing
        `substring`; return the number. The valve writes after the response has gone out."""
        def enough():
            n = self.access_log().count(substring)
            return n if n >= count else None
        return procs.wait_until(enough, timeout, what="%s access log: %d x %r" % (
            self.name, count, substring))

    def url(self, path="/"):
        """URL of `path` on this node's own HTTP connector (bypassing httpd)."""
        return "http://127.0.0.1:%d%s" % (self.http_port, path)

    def __repr__(self):
        return "Tomcat(%s route=%s http=%s ajp=%s recv=%s pid=%s)" % (
            self.name, self.jvm_route, self.http_port, self.ajp_port, self.receiver_port, self._pid)
