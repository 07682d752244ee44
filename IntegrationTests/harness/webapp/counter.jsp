<%@ page contentType="text/plain;charset=UTF-8" trimDirectiveWhitespaces="true" %>
<%-- Session counter. The Integer is set again on every request because DeltaManager
     replicates on setAttribute, not on mutation. --%>
<%
    Integer c = (Integer) session.getAttribute("count");
    int n = (c == null) ? 1 : c.intValue() + 1;
    session.setAttribute("count", Integer.valueOf(n));
    out.print("count=" + n + "\n");
    out.print("session=" + session.getId() + "\n");
    out.print("node=" + System.getProperty("jvm.route") + "\n");
    out.print("scheme=" + request.getScheme() + "\n");
    out.print("port=" + request.getServerPort() + "\n");
%>
