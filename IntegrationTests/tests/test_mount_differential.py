"""URI -> worker mapping, differentially: the same configuration under Debian's mod_jk and under
the module under test, both running at once, asked the same table of requests.

Back end: two Tomcats (not clustered) with jvmRoutes nodeA and nodeB, serving the webapp in
tests/data/mountdiff_webapp: any non-JSP path answers "whoami node=<jvmRoute>", a path containing
"missing" (or a JSP that does not exist) gives Tomcat's 404 through an error page that names
the node. Workers: ajp13 `nodeA`, `nodeB` (with `worker.nodeB.mount`), lb `lb` over mA/mB
(routes nodeA/nodeB), lb `lbs` over sA/sB where sB (nodeB) is disabled, so a request without a
session always lands on nodeA and a sticky one on its route: deterministic.

Mounts: JkMount/JkUnMount with `*`, `?`, `|`, exclusions per worker and for `*`, exact vs
wildcard, precedence by slashes and length, a JkMountFile with `!`, `-` and `-!` rules,
`<Location>` JkMount/JkUnMount, worker.X.mount, name-based virtual hosts with JkMountCopy
On/Off and their own mounts/mount file, RejectUnsafeURI in a vhost (config "M"); `JkMountCopy
All` in the main server (config "ALL"). Small configurations SwiftJK refuses at `apache2 -t`
(outcome "httpd-refused-config"): vhosts without any Jk directive ("BARE", "ALLBARE": a product
bug), `session_path=;sid` ("SP": a product bug), a misspelt extension ("EXTU": a documented
difference). Every configuration runs under both modules at once (12 httpds).

Outcome of a request (from the response and the JK_WORKER_NAME note in a per-request log line):
  nodeA / nodeB / lb          Tomcat's whoami page through that worker
  lbs@nodeA, lb@nodeB         ... through an lb where the member matters (lbs always; lb when
                              the request carries a session id)
  W:404                       Tomcat's 404 (its error page) through worker W
  W:404h                      a 404 through W with httpd's error page (use_server_errors)
  W:<status>                  anything else through W
  httpd:<status>              not forwarded: httpd answered (200 static file, 404, 400, ...)

Each row: (server, uri, mod_jk outcome as recorded[, options]). `server` is "main" (config M,
the port without virtual hosts), a Host name (config M, the port with name-based vhosts), or
"<config>:<Host>" / "<config>:main" for the others ("all:", "bare:", ...). Options: "cookie" (a Cookie header), "swift" + "why" (a
documented difference: SwiftJK's outcome and the README reason), "bug" (a known SwiftJK
disagreement, product bug, reported not failed).

Checks: mod_jk still gives the recorded outcome (the reference setup is sound); SwiftJK gives
mod_jk's outcome (or the documented one); the URI Tomcat saw is the same under both.
"""

import os
import pathlib
import re
import time

from harness import (NotApplicable, REFERENCE_MODULE, Httpd, SkipTest, Tomcat, ajp13_worker_lines,
                     http, is_reference, module_so, note, ports, require_tools)

HERE = pathlib.Path(__file__).resolve().parent
WEBAPP = HERE / "data" / "mountdiff_webapp"
SECRET = "mountdiff-secret-7"
LONG = "a" * 4100          # a URI longer than mod_jk's JK_MAX_URI_LEN (4095) is not mapped
LONG_OK = "a" * 4000

# Rows may carry {"bug": "why"}: a known SwiftJK difference that is not documented, reported by
# test_swiftjk_agrees_with_mod_jk rather than failed. None is open: the four this table found
# (a <VirtualHost> without Jk directives, a pattern mounted twice, worker.X.mount in vhosts,
# session_path=;name) are fixed, and their rows are plain agreements now.

DOC_UNKNOWN_EXTENSION = ("README differences: unknown mount rule extension: mod_jk warns, SwiftJK "
                         "refuses the configuration, with \"did you mean ...?\"")

# ----------------------------------------------------------------------------------- the table

CASES = [
    # --- config M, main server: *.jsp, static files, 404s -----------------------------------
    ("main", "/whoami.jsp", "nodeA"),
    ("main", "/missing.jsp", "nodeA:404"),
    ("main", "/sub/dir/whoami.jsp", "nodeA:404"),
    ("main", "/WHOAMI.JSP", "httpd:404"),
    ("main", "/whoami.Jsp", "httpd:404"),
    ("main", "/whoami.jspx", "httpd:404"),
    ("main", "/whoami.jsp/extra", "httpd:404"),
    ("main", "/.jsp", "nodeA:404"),
    ("main", "/", "httpd:200"),
    ("main", "/index.html", "httpd:200"),
    ("main", "/static/s.html", "httpd:200"),
    ("main", "/nothing-here", "httpd:404"),
    ("main", "/whoami.jsp?x=1&y=/app/", "nodeA"),
    # --- /app/* and more specific rules --------------------------------------------------------
    ("main", "/app/x", "nodeA"),
    ("main", "/app/", "nodeA"),
    ("main", "/app", "httpd:301"),          # htdocs/app is a directory: mod_dir's redirect
    ("main", "/app/deep/er/x", "nodeA"),
    ("main", "/app/b/x", "nodeB"),
    ("main", "/app/b", "nodeA"),
    ("main", "/app/b/", "nodeB"),
    ("main", "/app/static/s.html", "httpd:200"),
    ("main", "/app/static/none.html", "httpd:404"),
    ("main", "/app/static", "nodeA"),
    ("main", "/app/b/static/x", "nodeB"),
    ("main", "/app/missing", "nodeA:404"),
    ("main", "/app/x.jsp", "nodeA:404"),
    ("main", "/app/b/x.jsp", "nodeB:404"),
    ("main", "/APP/x", "httpd:404"),
    ("main", "/App/x", "httpd:404"),
    ("main", "/app/x?q=1", "nodeA"),
    ("main", "/app/x?/app/b/y", "nodeA"),
    ("main", "/appx", "httpd:404"),
    # --- `|` optional suffix ---------------------------------------------------------------------
    ("main", "/opt", "nodeB"),
    ("main", "/opt/", "nodeB"),
    ("main", "/opt/x", "nodeB"),
    ("main", "/optx", "httpd:404"),
    ("main", "/opt/x/y.jsp", "nodeB:404"),
    ("main", "/op", "httpd:404"),
    # --- `?` one character --------------------------------------------------------------------------
    ("main", "/q1/x", "nodeB"),
    ("main", "/qq/x", "nodeB"),
    ("main", "/q/x", "httpd:404"),
    ("main", "/q12/x", "httpd:404"),
    ("main", "/q1/x/y", "httpd:404"),
    ("main", "/file1.do", "nodeA"),
    ("main", "/fileX.do", "nodeA"),
    ("main", "/file.do", "httpd:404"),
    ("main", "/file12.do", "httpd:404"),
    # --- same slashes: the longer pattern first ---------------------------------------------------
    ("main", "/len/abc", "nodeB"),
    ("main", "/len/ab", "nodeB"),
    ("main", "/len/a", "nodeA"),
    ("main", "/len/xab", "nodeA"),
    ("main", "/len/", "nodeA"),
    # --- exact vs wildcard --------------------------------------------------------------------------
    ("main", "/exact/page", "nodeB"),
    ("main", "/exact/page/", "nodeA"),
    ("main", "/exact/pag", "nodeA"),
    ("main", "/exact/page2", "nodeA"),
    ("main", "/exact/Page", "nodeA"),
    ("main", "/tie/a.jsp", "nodeB:404"),
    ("main", "/tie/b.jsp", "nodeA:404"),
    # --- JkUnMount: same worker, other worker, `*` ------------------------------------------------
    ("main", "/un/x", "nodeA"),
    ("main", "/un/a.gif", "httpd:200"),
    ("main", "/un/a.png", "nodeA"),
    ("main", "/un/a.txt", "httpd:200"),
    ("main", "/un/b.gif", "httpd:404"),
    ("main", "/un/sub/a.gif", "httpd:404"),
    # --- lb and sticky routes ------------------------------------------------------------------------
    ("main", "/lb/x", "lb"),
    ("main", "/lb/missing", "lb:404"),
    ("main", "/lb/", "lb"),
    ("main", "/lb/x;jsessionid=ABC.nodeB", "lb@nodeB"),
    ("main", "/lb/x;jsessionid=ABC.nodeA", "lb@nodeA"),
    ("main", "/lb/x", "lb@nodeB", {"cookie": "JSESSIONID=ABC.nodeB"}),
    ("main", "/lb/x", "lb@nodeA", {"cookie": "JSESSIONID=ABC.nodeA"}),
    ("main", "/sticky/x", "lbs@nodeA"),
    ("main", "/sticky/x;jsessionid=ABC.nodeB", "lbs@nodeB"),
    ("main", "/sticky/x", "lbs@nodeB", {"cookie": "JSESSIONID=ABC.nodeB"}),
    # README lists "';jsessionid=' value also cut at '/'" as a difference, but Debian's mod_jk
    # 1.2.48 gives id 'ABC.nodeB' here too (jk log: "service sticky_session=1 id='ABC.nodeB'").
    ("main", "/sticky/x;jsessionid=ABC.nodeB/more", "lbs@nodeB"),
    ("main", "/sticky;jsessionid=ABC.nodeB/x", "lbs@nodeB"),
    ("main", "/sticky/x;JSESSIONID=ABC.nodeB", "lbs@nodeA"),
    ("main", "/sticky/x;jsessionid=ABC.nodeB;foo=bar", "lbs@nodeB"),
    ("main", "/sticky/x;jsessionid=ABC.nodeC", "lbs@nodeA"),
    ("main", "/sticky/x;jsessionid=ABC", "lbs@nodeA"),
    ("main", "/sticky/x;jsessionid=ABC.nodeB.x", "lbs@nodeA"),
    ("main", "/sticky/x;jsessionid=ABC.nodeA", "lbs@nodeA", {"cookie": "JSESSIONID=ABC.nodeB"}),
    ("main", "/sticky/x", "lbs@nodeA", {"cookie": "jsessionid=ABC.nodeB"}),
    ("main", "/sticky/x", "lbs@nodeB", {"cookie": "other=1; JSESSIONID=ABC.nodeB"}),
    ("main", "/sticky/x", "lbs@nodeB", {"cookie": "JSESSIONID=ABC.nodeC; JSESSIONID=DEF.nodeB"}),
    ("main", "/sticky/x?jsessionid=ABC.nodeB", "lbs@nodeA"),
    # per-mount extensions on the lb: activation overrides, sticky_ignore
    ("main", "/act/x", "lbs@nodeB"),
    ("main", "/act/x;jsessionid=ABC.nodeA", "lbs@nodeA"),
    ("main", "/ns/x;jsessionid=ABC.nodeB", "lbs@nodeA"),
    ("main", "/ns/x", "lbs@nodeA", {"cookie": "JSESSIONID=ABC.nodeB"}),
    # --- percent-encoding ------------------------------------------------------------------------------
    ("main", "/app/%78", "nodeA"),
    ("main", "/%61pp/x", "nodeA"),
    ("main", "/app%2Fx", "httpd:404"),
    ("main", "/whoami%2Ejsp", "nodeA"),
    ("main", "/app/a%20b", "nodeA"),
    ("main", "/app/%2e%2e/whoami.jsp", "nodeA"),
    ("main", "/app/%3Bjsessionid=x", "nodeA"),
    ("main", "/q%3F/x", "nodeB"),
    ("main", "/%2A.jsp", "nodeA:404"),
    ("main", "/app/%25", "nodeA"),
    ("main", "/app/%zz", "httpd:400"),
    ("main", "/%41PP/x", "httpd:404"),
    ("main", "/app/%C3%A9", "nodeA"),
    ("main", "/app/a%5Cb", "nodeA:400"),    # forwarded; Tomcat rejects the backslash
    ("main", "/app/a%2541", "nodeA"),
    ("main", "/CaseApp/x", "nodeB"),
    ("main", "/caseapp/x", "httpd:404"),
    ("main", "/CASEAPP/x", "httpd:404"),
    # --- path parameters ---------------------------------------------------------------------------------
    ("main", "/app;foo/x", "nodeA"),
    ("main", "/app/x;foo", "nodeA"),
    ("main", "/app;jsessionid=ABC/x", "nodeA"),
    ("main", "/whoami.jsp;jsessionid=ABC", "nodeA"),
    ("main", "/whoami.jsp;foo=bar", "nodeA"),
    ("main", "/static/s.html;foo", "httpd:404"),
    ("main", "/opt;x", "nodeB"),
    ("main", "/exact/page;x", "nodeB"),
    ("main", "/exact;x/page", "nodeB"),
    ("main", "/un/a.gif;x", "httpd:404"),
    ("main", "/lb;x/y", "lb"),
    ("main", "/app/..;/whoami.jsp", "nodeA"),
    ("main", "/..;/app/x", "httpd:400"),
    ("main", "/app/..;/..;/x", "httpd:400"),
    ("main", "/app/.;/x", "nodeA"),
    ("main", "/static/..;/app/x", "nodeA"),
    ("main", "/un/..;/un/a.gif", "httpd:404"),
    ("main", "/app;/x", "nodeA"),
    ("main", "/;x/whoami.jsp", "nodeA"),
    # --- //, /./, /../ ----------------------------------------------------------------------------------
    ("main", "//app/x", "nodeA"),
    ("main", "/app//x", "nodeA"),
    ("main", "/app/./x", "nodeA"),
    ("main", "/./app/x", "nodeA"),
    ("main", "/app/../whoami.jsp", "nodeA"),
    ("main", "/app/b/../x", "nodeA"),
    ("main", "/app/x/../b/y", "nodeB"),
    ("main", "/../app/x", "httpd:400"),
    ("main", "/app/../../x", "httpd:400"),
    ("main", "/app/.", "nodeA"),
    ("main", "/app/b/..", "nodeA"),
    ("main", "/opt/..", "httpd:200"),
    ("main", "//whoami.jsp", "nodeA"),
    ("main", "/static//s.html", "httpd:200"),
    ("main", "/un//a.gif", "httpd:200"),
    ("main", "/un/./a.gif", "httpd:200"),
    # --- `*` spans slashes; patterns with inner wildcards ----------------------------------------------
    ("main", "/star", "nodeA"),
    ("main", "/starx", "nodeA"),
    ("main", "/star/x/y", "nodeA"),
    ("main", "/sta", "httpd:404"),
    ("main", "/deep/a/end", "nodeB"),
    ("main", "/deep/a/b/end", "nodeB"),
    ("main", "/deep/end", "httpd:404"),
    ("main", "/deep/a/end/x", "httpd:404"),
    # --- the same pattern twice; the same pattern in two sources ---------------------------------------
    ("main", "/dup/x", "nodeB"),
    ("main", "/src/x", "nodeB"),
    # --- a rule extension --------------------------------------------------------------------------------
    ("main", "/use/x", "nodeA"),
    ("main", "/use/missing", "nodeA:404h"),
    # --- <Location> JkMount / JkUnMount: the Location path verbatim, exact --------------------------
    ("main", "/loc/exact.do", "nodeB"),
    ("main", "/loc/exact.do/x", "httpd:404"),
    ("main", "/loc/exact.dox", "httpd:404"),
    ("main", "/loc/", "httpd:404"),
    ("main", "/locw/a.do", "nodeA"),
    ("main", "/locw/b/c.do", "nodeA"),
    ("main", "/locun/x", "nodeA"),
    ("main", "/locun/private", "httpd:404"),
    ("main", "/locun/private/x", "nodeA"),
    # --- JkMountFile: !, -, -!, |, ?, exclusion for any worker, cross-source exclusion ------------------
    ("main", "/mf/x", "nodeB"),
    ("main", "/mf/private/p.html", "httpd:200"),
    ("main", "/mf/private/none", "httpd:404"),
    ("main", "/mf/off/x", "nodeB"),
    ("main", "/mfx/a", "nodeA"),
    ("main", "/mfx/a.txt", "httpd:200"),
    ("main", "/mfx/a.css", "nodeA"),
    ("main", "/mfopt", "nodeB"),
    ("main", "/mfopt/x", "nodeB"),
    ("main", "/mfoptx", "httpd:404"),
    ("main", "/mfwild/ab.jsp", "nodeB:404"),
    ("main", "/mfwild/abc.jsp", "nodeA:404"),
    ("main", "/mfun/u.html", "httpd:200"),
    ("main", "/mfun/x", "httpd:404"),
    ("main", "/both/x", "httpd:200"),
    ("main", "/both/y", "nodeB"),
    ("main", "/mflb/x", "lb"),
    # --- worker.nodeB.mount ---------------------------------------------------------------------------------
    ("main", "/wm/x", "nodeB"),
    ("main", "/wmx/a.jsp", "nodeB:404"),
    # --- length limit -----------------------------------------------------------------------------------------
    ("main", "/app/" + LONG, "httpd:403"),  # not mapped; httpd: file name too long
    ("main", "/app/" + LONG_OK, "nodeA"),
    # --- config M, virtual hosts: the default vhost (first; only JkMountCopy Off, no mounts) ----------
    ("default.test", "/app/x", "httpd:404"),
    ("default.test", "/whoami.jsp", "httpd:404"),
    ("default.test", "/", "httpd:200"),
    ("default.test", "/mf/x", "httpd:404"),
    ("default.test", "/wm/x", "httpd:404"),
    ("other.test", "/app/x", "httpd:404"),
    ("127.0.0.1", "/whoami.jsp", "httpd:404"),
    # --- JkMountCopy On + own mounts (own /app/* overrides the copied one) ---------------------------
    ("copy-on.test", "/app/x", "nodeB"),
    ("copy-on.test", "/app/b/x", "nodeB"),
    ("copy-on.test", "/whoami.jsp", "httpd:404"),
    ("copy-on.test", "/missing.jsp", "nodeA:404"),
    ("copy-on.test", "/vonly/x", "nodeB"),
    ("copy-on.test", "/mf/x", "nodeB"),
    ("copy-on.test", "/mf/private/p.html", "httpd:200"),
    ("copy-on.test", "/src/x", "nodeB"),
    ("copy-on.test", "/un/a.gif", "httpd:200"),
    ("copy-on.test", "/loc/exact.do", "nodeB"),
    ("copy-on.test", "/wm/x", "httpd:404"),
    ("copy-on.test", "/opt", "nodeB"),
    ("copy-on.test", "/dup/x", "nodeB"),
    ("copy-on.test", "/sticky/x;jsessionid=ABC.nodeB", "lbs@nodeB"),
    ("copy-on.test", "/app/..;/whoami.jsp", "httpd:404"),   # normalised, then JkUnMount
    ("copy-on.test", "/..;/app/x", "httpd:400"),
    ("alias-on.test", "/vonly/x", "nodeB"),
    ("COPY-ON.TEST", "/vonly/x", "nodeB"),
    ("copy-on.test:8080", "/vonly/x", "nodeB"),
    ("copy-on.test.", "/vonly/x", "nodeB"),
    # --- JkMountCopy Off + own mounts -----------------------------------------------------------------------
    ("copy-off.test", "/app/x", "httpd:404"),
    ("copy-off.test", "/vonly/x", "nodeA"),
    ("copy-off.test", "/whoami.jsp", "nodeB"),
    ("copy-off.test", "/mf/x", "httpd:404"),
    ("copy-off.test", "/un/a.gif", "httpd:200"),
    ("copy-off.test", "/loc/exact.do", "httpd:404"),
    ("copy-off.test", "/wm/x", "httpd:404"),
    ("copy-off.test", "/lb/x", "httpd:404"),
    ("copy-off.test", "/..;/whoami.jsp", "httpd:400"),
    # --- JkMountCopy On + its own JkMountFile + a <Location> in the vhost ---------------------------------
    ("ownfile.test", "/vf/x", "nodeA"),
    ("ownfile.test", "/mf/x", "nodeA"),
    ("ownfile.test", "/mf/private/p.html", "nodeA"),
    ("ownfile.test", "/app/x", "nodeA"),
    ("ownfile.test", "/app/a.txt", "httpd:200"),
    ("ownfile.test", "/vloc/exact", "nodeB"),
    ("ownfile.test", "/vloc/exact/x", "httpd:404"),
    ("ownfile.test", "/src/x", "nodeA"),
    ("ownfile.test", "/whoami.jsp", "nodeA"),
    ("ownfile.test", "/wm/x", "httpd:404"),
    # --- JkOptions +RejectUnsafeURI in a vhost: '%' or '\\' left after decoding -> not mapped ---
    ("unsafe.test", "/app/x", "nodeA"),
    ("unsafe.test", "/app/%41", "nodeA"),
    ("unsafe.test", "/app/%25", "httpd:404"),
    ("unsafe.test", "/app/a%5Cb", "httpd:404"),
    ("unsafe.test", "/app/a%2541", "httpd:404"),
    ("unsafe.test", "/whoami.jsp", "httpd:404"),
    ("copy-on.test", "/vloc/exact", "httpd:404"),
    ("main", "/vloc/exact", "httpd:404"),
    ("main", "/vf/x", "httpd:404"),
    # --- config ALL: JkMountCopy All in the main server ---------------------------------------------------
    ("all:main", "/app/x", "nodeA"),
    ("all:main", "/whoami.jsp", "nodeB"),
    ("all:main", "/allmf/x", "nodeB"),
    ("all:other.test", "/app/x", "nodeA"),
    ("all:other.test", "/own/x", "nodeA"),
    ("all:explicit-off.test", "/app/x", "httpd:404"),
    ("all:explicit-off.test", "/own/x", "nodeB"),
    ("all:explicit-off.test", "/allmf/x", "httpd:404"),
    ("all:explicit-off.test", "/whoami.jsp", "httpd:404"),
    ("all:own.test", "/own/x", "nodeA"),
    ("all:own.test", "/app/x", "nodeA"),
    ("all:own.test", "/allmf/x", "nodeB"),
    ("all:own.test", "/whoami.jsp", "nodeB"),
    ("all:explicit-on.test", "/app/x", "nodeA"),
    ("all:explicit-on.test", "/own/x", "httpd:404"),
    ("all:own.test", "/wm/x", "httpd:404"),
    ("all:main", "/wm/x", "nodeB"),
    # --- config BARE: virtual hosts without any Jk directive (httpd shares the main server's
    #     module config with them); each gets its own, empty one ---------------------------------
    ("bare:main", "/app/x", "nodeA"),
    ("bare:main", "/whoami.jsp", "nodeB"),
    ("bare:main", "/bmf/x", "nodeB"),
    ("bare:bare.test", "/app/x", "httpd:404"),
    ("bare:bare.test", "/whoami.jsp", "httpd:404"),
    ("bare:bare.test", "/bmf/x", "httpd:404"),
    ("bare:bare.test", "/", "httpd:200"),
    ("bare:bare.test", "/..;/app/x", "httpd:400"),
    ("bare:other.test", "/app/x", "httpd:404"),
    ("bare:plain.test", "/app/x", "httpd:404"),
    ("bare:plain.test", "/whoami.jsp", "httpd:404"),
    ("bare:plain.test", "/bmf/x", "httpd:404"),
    ("bare:plain.test", "/..;/app/x", "httpd:400"),
    ("bare:withcopy.test", "/app/x", "nodeA"),
    ("bare:withcopy.test", "/bmf/x", "nodeB"),
    # JkMountCopy All and a vhost without any Jk directive (config ALLBARE, same bug)
    ("allbare:implicit.test", "/app/x", "nodeA"),
    ("allbare:implicit.test", "/whoami.jsp", "nodeB"),
    ("allbare:implicit.test", "/allmf/x", "nodeB"),
    ("allbare:other.test", "/app/x", "nodeA"),
    ("allbare:main", "/app/x", "nodeA"),
    # --- config SP: JkMount /sp/* lbs;session_path=;sid --------------------------------------------
    ("sp:main", "/sp/x;sid=ABC.nodeB", "lbs@nodeB"),
    ("sp:main", "/sp/x;jsessionid=ABC.nodeB", "lbs@nodeA"),
    ("sp:main", "/sp/x", "lbs@nodeA"),
    # --- config EXTU: JkMount /extu/* nodeA;sticky_ignor=1 (misspelt extension) ------------------
    ("extu:main", "/extu/x", "nodeA", {"swift": "httpd-refused-config", "why": DOC_UNKNOWN_EXTENSION}),
    ("extu:main", "/whoami.jsp", "httpd:404", {"swift": "httpd-refused-config", "why": DOC_UNKNOWN_EXTENSION}),
]

# ------------------------------------------------------------------------------- configuration

MAIN_MOUNTS = """\
JkMountFile conf/uriworkermap.properties
JkMount /*.jsp nodeA
JkMount /app/* nodeA
JkMount /app/b/* nodeB
JkUnMount /app/static/* nodeA
JkMount /opt|/* nodeB
JkMount /q?/x nodeB
JkMount /file?.do nodeA
JkMount /len/* nodeA
JkMount /len/ab* nodeB
JkMount /exact/page nodeB
JkMount /exact/* nodeA
JkMount /tie/a.jsp nodeB
JkMount /tie/*.jsp nodeA
JkMount /un/* nodeA
JkUnMount /un/*.gif nodeA
JkUnMount /un/*.png nodeB
JkUnMount /un/*.txt *
JkMount /lb/* lb
JkMount /sticky/* lbs
JkMount /dup/* nodeA
JkMount /dup/* nodeB
JkMount /src/* nodeA
JkMount /CaseApp/* nodeB
JkMount /deep/*/end nodeB
JkMount /star* nodeA
JkMount /use/* nodeA;use_server_errors=404
JkUnMount /both/x nodeB
JkMount /locun/* nodeA
JkMount /act/* lbs;active=sB;disabled=sA
JkMount /ns/* lbs;sticky_ignore=1
<Location /loc/exact.do>
    JkMount nodeB
</Location>
<Location /locw/*.do>
    JkMount nodeA
</Location>
<Location /locun/private>
    JkUnMount nodeA
</Location>
"""

MOUNT_FILE = """\
# uriworkermap.properties of the main server (config M)
/mf/*=nodeB
!/mf/private/*=nodeB
-/mf/off/*=nodeA
/mfx/*=nodeA
!/mfx/*.txt=nodeA
-!/mfx/*.css=nodeA
/mfopt|/*=nodeB
/src/*=nodeB
/mfwild/??.jsp=nodeB
/mfun/*=nodeA
!/mfun/*=*
/both/*=nodeB
/mflb/*=lb
"""

VHOST_MOUNT_FILE = """\
# the ownfile.test virtual host's own mount file
/vf/*=nodeA
/mf/*=nodeA
!/app/*.txt=nodeA
"""

VHOSTS_M = """\
<VirtualHost 127.0.0.1:{port}>
    ServerName default.test
    JkMountCopy Off
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName copy-on.test
    ServerAlias alias-on.test
    JkMountCopy On
    JkMount /vonly/* nodeB
    JkMount /app/* nodeB
    JkUnMount /whoami.jsp nodeA
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName copy-off.test
    JkMountCopy Off
    JkMount /vonly/* nodeA
    JkMount /*.jsp nodeB
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName ownfile.test
    JkMountCopy On
    JkMountFile conf/vhost-uriworkermap.properties
    <Location /vloc/exact>
        JkMount nodeB
    </Location>
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName unsafe.test
    JkOptions +RejectUnsafeURI
    JkMount /app/* nodeA
</VirtualHost>
"""

ALL_MOUNTS = """\
JkMountCopy All
JkMountFile conf/all-uriworkermap.properties
JkMount /app/* nodeA
JkMount /*.jsp nodeB
"""

ALL_MOUNT_FILE = "/allmf/*=nodeB\n"

VHOSTS_ALL = """\
<VirtualHost 127.0.0.1:{port}>
    ServerName own.test
    JkMount /own/* nodeA
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName explicit-off.test
    JkMountCopy Off
    JkMount /own/* nodeB
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName explicit-on.test
    JkMountCopy On
</VirtualHost>
"""

VHOSTS_ALLBARE = """\
<VirtualHost 127.0.0.1:{port}>
    ServerName implicit.test
</VirtualHost>
"""

SP_MOUNTS = "JkMount /sp/* lbs;session_path=;sid\n"
EXTU_MOUNTS = "JkMount /extu/* nodeA;sticky_ignor=1\n"
VHOSTS_NONE = ""

BARE_MOUNTS = """\
JkMountFile conf/bare-uriworkermap.properties
JkMount /app/* nodeA
JkMount /*.jsp nodeB
"""

BARE_MOUNT_FILE = "/bmf/*=nodeB\n"

VHOSTS_BARE = """\
<VirtualHost 127.0.0.1:{port}>
    ServerName bare.test
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName plain.test
    DirectoryIndex index.html
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName withcopy.test
    JkMountCopy On
</VirtualHost>
"""

CASE_LOG = """\
LogFormat "%{{X-Case}}i %>s %{{JK_WORKER_NAME}}n %{{JK_WORKER_ROUTE}}n" jkcase
CustomLog "{root}/logs/cases.log" jkcase
"""

# Files httpd serves itself (outcome httpd:200 when not forwarded).
STATIC_FILES = ["static/s.html", "app/static/s.html", "un/a.gif", "un/a.png", "un/a.txt",
                "mf/private/p.html", "mfx/a.txt", "mfx/a.css", "mfun/u.html", "both/x",
                "app/a.txt"]

# ------------------------------------------------------------------------------- fixtures

NODES = {}
HTTPDS = {}        # (label, config) -> (Httpd, vhost_port)
RESULTS = {}       # label -> list of (outcome, tomcat_uri) aligned with CASES
MODULES = {}       # label -> .so path


def workers_properties():
    a, b = NODES["nodeA"], NODES["nodeB"]
    lines = ["worker.list=nodeA,nodeB,lb,lbs"]
    lines += ajp13_worker_lines(a, name="nodeA")
    lines += ajp13_worker_lines(b, name="nodeB")
    lines.append("worker.nodeB.mount=/wm/* /wmx/*.jsp")
    for name, node, route, extra in (("mA", a, "nodeA", {}), ("mB", b, "nodeB", {}),
                                     ("sA", a, "nodeA", {}),
                                     ("sB", b, "nodeB", {"activation": "D"})):
        lines += ajp13_worker_lines(node, name=name, extra=dict(route=route, **extra))
    lines += ["worker.lb.type=lb", "worker.lb.balance_workers=mA,mB",
              "worker.lbs.type=lb", "worker.lbs.balance_workers=sA,sB"]
    return "\n".join(lines) + "\n"


CONFIGS = {
    "M": (MAIN_MOUNTS, VHOSTS_M, {"conf/uriworkermap.properties": MOUNT_FILE,
                                  "conf/vhost-uriworkermap.properties": VHOST_MOUNT_FILE}),
    "ALL": (ALL_MOUNTS, VHOSTS_ALL, {"conf/all-uriworkermap.properties": ALL_MOUNT_FILE}),
    "BARE": (BARE_MOUNTS, VHOSTS_BARE, {"conf/bare-uriworkermap.properties": BARE_MOUNT_FILE}),
    "ALLBARE": (ALL_MOUNTS, VHOSTS_ALLBARE, {"conf/all-uriworkermap.properties": ALL_MOUNT_FILE}),
    "SP": (SP_MOUNTS, VHOSTS_NONE, {}),
    "EXTU": (EXTU_MOUNTS, VHOSTS_NONE, {}),
}
# Configurations SwiftJK refuses (configtest fails): a product bug, or a documented difference
# with a text its configtest output must contain.
REFUSED_BY_SWIFTJK = {
    "EXTU": ("documented", "did you mean sticky_ignore"),
}
REFUSALS = {}      # config -> SwiftJK's configtest output


def make_httpd(label, so, config):
    """httpd for one configuration: the main server on h.port, the name-based vhosts on a
    second port. Returns (httpd, vhost_port), or (None, configtest output) when SwiftJK refuses
    a configuration listed in REFUSED_BY_SWIFTJK."""
    mounts, vhosts, files = CONFIGS[config]
    vport = ports.free_port()
    h = Httpd(so, workers_properties=workers_properties(), jk_directives=mounts,
              name="httpd-%s-%s" % (label, config), log_level="info")
    h.create()
    h.extra_conf = ("Listen 127.0.0.1:%d\n" % vport + CASE_LOG.format(root=h.root)
                    + vhosts.format(port=vport))
    h.write_config()
    for rel, text in files.items():
        p = h.root / rel
        p.write_text(text)
        p.chmod(0o644)
    for rel in STATIC_FILES:
        p = h.root / "htdocs" / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        for d in [p.parent] + list(p.parent.parents):
            if d == h.root:
                break
            d.chmod(0o755)
        p.write_text("static file %s\n" % rel)
        p.chmod(0o644)
    rc, out = h.configtest()
    if rc != 0 and label == "swiftjk" and config in REFUSED_BY_SWIFTJK \
            and not is_reference(so):
        REFUSALS[config] = out
        return None, out
    assert rc == 0, "%s: configtest failed:\n%s" % (h.name, out)
    h.start()
    return h, vport


def setup_module():
    require_tools()
    swift = module_so()
    if not os.path.isfile(REFERENCE_MODULE):
        raise NotApplicable("reference module missing: %s" % REFERENCE_MODULE)
    MODULES["mod_jk"] = REFERENCE_MODULE
    MODULES["swiftjk"] = swift
    for name in ("nodeA", "nodeB"):
        t = Tomcat("md-" + name, name, secret=SECRET, webapp=WEBAPP)
        t.start()
        NODES[name] = t
    for t in NODES.values():
        t.wait_ready(90)
        t.precompile()
    for label, so in MODULES.items():
        for config in CONFIGS:
            HTTPDS[(label, config)] = make_httpd(label, so, config)
    t0 = time.monotonic()
    for label in MODULES:
        RESULTS[label] = run_cases(label)
    note("%d cases x %d modules in %.1fs (%d httpds, both modules up at once)"
         % (len(CASES), len(MODULES), time.monotonic() - t0, len(HTTPDS)))
    dump = os.environ.get("MOUNTDIFF_DUMP")
    if dump:   # a side-by-side table for humans: case, mod_jk, SwiftJK, URIs Tomcat saw
        with open(dump, "w") as f:
            for case, (r, ru), (s, su) in zip(CASES, RESULTS["mod_jk"], RESULTS["swiftjk"]):
                f.write("%-5s %-60s rec=%-14s modjk=%-14s swift=%-14s %s | %s\n" % (
                    "" if r == s else "DIFF", show(case), case[2], r, s, ru, su))


def teardown_module():
    for h, _ in HTTPDS.values():
        if h is not None:
            h.stop()
    for t in NODES.values():
        t.stop()


# ------------------------------------------------------------------------------- running cases

def target(server):
    """(config, which port, Host header) of a table row's server column."""
    config = "M"
    for prefix, name in (("all:", "ALL"), ("bare:", "BARE"), ("allbare:", "ALLBARE"),
                         ("sp:", "SP"), ("extu:", "EXTU")):
        if server.startswith(prefix):
            config, server = name, server[len(prefix):]
    if server == "main":
        return config, "main", "127.0.0.1"
    return config, "vhost", server


def options(case):
    return case[3] if len(case) > 3 else {}


def carries_session(case):
    return "jsessionid=" in case[1].split("?")[0].lower() or "cookie" in options(case)


WHOAMI = re.compile(r"^whoami node=(\S+)\nuri=(.*)$", re.M)
TOMCAT_404 = re.compile(r"^tomcat-404 node=(\S+)$", re.M)


def classify(case, resp, worker):
    """The outcome string (module docstring) and the URI Tomcat saw (or None)."""
    body = resp.text
    m = WHOAMI.search(body) if resp.status == 200 else None
    t = TOMCAT_404.search(body) if resp.status == 404 else None
    node = m.group(1) if m else t.group(1) if t else None
    if worker in (None, "", "-"):
        if node:
            return "?tomcat-without-jk-note(%s):%d" % (node, resp.status), None
        return "httpd:%d" % resp.status, None
    name = worker
    if worker in ("nodeA", "nodeB") and node and node != worker:
        name = "%s(served by %s)" % (worker, node)
    if worker == "lbs" or (worker == "lb" and carries_session(case)):
        name += "@" + (node or "?")
    if worker == "lb" and node not in (None, "nodeA", "nodeB"):
        name += "(served by %s)" % node
    if m:
        return name, m.group(2)
    if t:
        return name + ":404", None
    return "%s:%d%s" % (name, resp.status, "h" if resp.status == 404 else ""), None


def run_cases(label):
    """Send every row to this module's httpds (one keep-alive connection per port), then read
    the JK_WORKER_NAME note of each request from the per-request log. Returns [(outcome,
    uri Tomcat saw or None)] in table order."""
    clients = {}
    sent = {}
    for i, case in enumerate(CASES):
        config, which, host = target(case[0])
        h, vport = HTTPDS[(label, config)]
        if h is None:
            continue
        port = h.port if which == "main" else vport
        client = clients.get((config, which))
        if client is None:
            client = clients[(config, which)] = http.Client(port, timeout=20)
        headers = [("Host", host), ("X-Case", "c%03d" % i)]
        if "cookie" in options(case):
            headers.append(("Cookie", options(case)["cookie"]))
        sent[i] = client.request("GET", case[1], headers=headers)
    for c in clients.values():
        c.close()
    # The log line is written after the response went out: wait (bounded) for all of them.
    deadline = time.monotonic() + 10
    while True:
        notes = {}
        for config in CONFIGS:
            h, _ = HTTPDS[(label, config)]
            path = h.root / "logs" / "cases.log" if h is not None else None
            if path is not None and path.exists():
                for line in path.read_text(errors="replace").splitlines():
                    f = line.split()
                    if len(f) >= 3 and f[0].startswith("c"):
                        notes[f[0]] = f[2]
        if len(notes) >= len(sent) or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    results = []
    for i, case in enumerate(CASES):
        if i not in sent:
            results.append(("httpd-refused-config", None))
        else:
            results.append(classify(case, sent[i], notes.get("c%03d" % i)))
    return results


def show(case):
    uri = case[1] if len(case[1]) < 80 else case[1][:40] + "...(%d chars)" % len(case[1])
    extra = " cookie=%r" % options(case)["cookie"] if "cookie" in options(case) else ""
    return "%s %s%s" % (case[0], uri, extra)


# ------------------------------------------------------------------------------- the tests

def test_table_is_large_enough():
    keys = [(c[0], c[1], options(c).get("cookie")) for c in CASES]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    assert not dup, "duplicate rows: %s" % dup
    assert len(CASES) >= 150, len(CASES)
    per = {}
    for c in CASES:
        per[target(c[0])[0]] = per.get(target(c[0])[0], 0) + 1
    note("%d cases: %s" % (len(CASES), ", ".join("config %s %d" % kv for kv in per.items())))


def test_mod_jk_gives_the_recorded_outcomes():
    got = RESULTS["mod_jk"]
    wrong = ["%s: recorded %s, mod_jk now %s" % (show(c), c[2], o)
             for c, (o, _) in zip(CASES, got) if o != c[2]]
    note("mod_jk matches the recorded table in %d of %d cases" % (len(CASES) - len(wrong), len(CASES)))
    assert not wrong, "reference setup drifted (%d):\n%s" % (len(wrong), "\n".join(wrong))


def test_swiftjk_agrees_with_mod_jk():
    if is_reference(MODULES["swiftjk"]):
        note("module under test is mod_jk itself: trivially equal")
    ref, swift = RESULTS["mod_jk"], RESULTS["swiftjk"]
    agree = documented = 0
    failures, fixed, known = [], [], {}
    for case, (r, _), (s, _) in zip(CASES, ref, swift):
        opt = options(case)
        if "swift" in opt and not is_reference(MODULES["swiftjk"]):
            documented += 1
            if s != opt["swift"]:
                failures.append("%s: documented difference (%s) says SwiftJK gives %s; got %s "
                                "(mod_jk %s)" % (show(case), opt["why"], opt["swift"], s, r))
            continue
        if s == r:
            agree += 1
            if "bug" in opt:
                fixed.append(show(case))
            continue
        if "bug" in opt:
            known.setdefault(opt["bug"], []).append("%s: mod_jk %s, SwiftJK %s" % (show(case), r, s))
            continue
        failures.append("%s: mod_jk %s, SwiftJK %s" % (show(case), r, s))
    note("SwiftJK agrees with mod_jk in %d of %d cases; %d documented differences (as documented: "
         "%d); %d known-failing rows (product bugs, %d distinct)"
         % (agree, len(CASES), documented,
            documented - sum(1 for f in failures if "documented difference" in f),
            sum(len(v) for v in known.values()), len(known)))
    for bug, rows in known.items():
        note("BUG: " + bug)
        for row in rows:
            note("    " + row)
    for f in fixed if not is_reference(MODULES["swiftjk"]) else []:
        note("known-failing row now agrees (remove its 'bug' mark): %s" % f)
    assert not failures, "%d disagreements:\n%s" % (len(failures), "\n".join(failures))


def test_swiftjk_refusals_name_the_cause():
    """Where SwiftJK refuses a configuration mod_jk runs (a documented difference or a known
    bug), its `apache2 -t` output says why, with file:line."""
    if is_reference(MODULES["swiftjk"]):
        raise SkipTest("module under test is mod_jk")
    for config, (kind, text) in REFUSED_BY_SWIFTJK.items():
        out = REFUSALS.get(config)
        if out is None:
            note("config %s (%s) is no longer refused by SwiftJK" % (config, kind))
            assert kind == "bug", "documented refusal of config %s did not happen" % config
            continue
        assert text in out, "config %s: %r not in:\n%s" % (config, text, out)
        assert re.search(r"httpd\.conf:\d+: error", out), out
        line = next(l for l in out.splitlines() if text in l)
        note("config %s refused (%s): %s" % (config, kind, line[line.find("httpd.conf:"):][:170]))


def test_tomcat_sees_the_same_uri():
    """Where both modules forwarded to the whoami page, the request URI Tomcat saw is the same
    (the mapping decision and the forwarded URI go together)."""
    ref, swift = RESULTS["mod_jk"], RESULTS["swiftjk"]
    compared, diffs = 0, []
    for case, (r, ru), (s, su) in zip(CASES, ref, swift):
        if ru is None or su is None:
            continue
        compared += 1
        if ru != su and "bug" not in options(case):
            diffs.append("%s: mod_jk forwarded %r, SwiftJK %r" % (show(case), ru[:100], su[:100]))
    note("forwarded URI compared in %d cases, %d differ" % (compared, len(diffs)))
    assert not diffs, "\n".join(diffs)
