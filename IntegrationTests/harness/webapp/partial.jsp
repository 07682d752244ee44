<%@ page session="false" contentType="text/plain;charset=UTF-8" trimDirectiveWhitespaces="true"
         import="java.io.InputStream" %>
<%-- Reads only the first `read` bytes of the body (none without the parameter) and answers:
     a servlet that stops reading an upload, so the module must not reuse a connection that
     still carries body packets Tomcat never asked for. --%>
<%
    String p = request.getParameter("read");
    long want = p == null ? 0 : Long.parseLong(p);
    InputStream in = request.getInputStream();
    byte[] buf = new byte[8192];
    long total = 0;
    while (total < want) {
        int r = in.read(buf, 0, (int) Math.min(buf.length, want - total));
        if (r == -1) break;
        total += r;
    }
    out.print("read=" + total + "\n");
    out.print("node=" + System.getProperty("jvm.route") + "\n");
%>
