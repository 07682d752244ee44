<%@ page session="false" contentType="text/plain;charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- Sleeps ?ms= (default 1000) before answering: for timeout tests. --%>
<%
    String s = request.getParameter("ms");
    long ms = (s == null) ? 1000 : Long.parseLong(s);
    Thread.sleep(ms);
    out.print("slept=" + ms + "\n");
    out.print("node=" + System.getProperty("jvm.route") + "\n");
%>
