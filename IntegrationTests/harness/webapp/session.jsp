<%@ page contentType="text/plain;charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- Like counter.jsp, but never prints the session id (for tests that grep logs for it). --%>
<%
    Integer c = (Integer) session.getAttribute("count");
    int n = (c == null) ? 1 : c.intValue() + 1;
    session.setAttribute("count", Integer.valueOf(n));
    out.print("count=" + n + "\n");
    out.print("node=" + System.getProperty("jvm.route") + "\n");
%>
